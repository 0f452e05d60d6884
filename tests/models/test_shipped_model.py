"""Smoke tests of the committed artifact: it loads offline and reads obvious cases right."""

import pytest

from models.artifact import DEFAULT_ARTIFACT

pytestmark = pytest.mark.shipped_model


@pytest.fixture(scope="module")
def shipped():
    from models.classifier import EmotionClassifier

    return EmotionClassifier.load(DEFAULT_ARTIFACT)


def test_artifact_is_compact_fp16_safetensors():
    from safetensors import safe_open

    path = DEFAULT_ARTIFACT / "model.safetensors"
    assert path.stat().st_size < 60 * 2**20
    with safe_open(str(path), "pt") as weights:
        assert {str(weights.get_tensor(k).dtype) for k in weights.keys()} == {"torch.float16"}  # noqa: SIM118


def test_artifact_records_its_training(shipped):
    training = shipped.meta.training
    assert training["train_file"] == "train.tsv" and training["dev_file"] == "dev.tsv"
    assert shipped.meta.metrics["dev_macro_f1_tuned"] > 0.4


@pytest.mark.parametrize(
    ("text", "sentiment", "states"),
    [
        ("Thank you so much, you solved it, I really appreciate your help!", "positive", {"satisfied"}),
        ("This is absolutely outrageous, I am furious with your company.", "negative", {"anger", "frustration"}),
        ("I'm so disappointed, the gift never arrived in time for the birthday.", "negative", {"disappointment"}),
        ("I don't understand what this charge on my bill is for?", None, {"confusion"}),
        ("I'm really worried my account has been hacked.", "negative", {"anxiety"}),
        ("My order number is 55123.", None, {"neutral"}),
    ],
)
def test_shipped_model_reads_clear_cases(shipped, text, sentiment, states):
    prediction = shipped.predict([text])[0]
    assert prediction.customer_state.label in states, prediction.customer_state
    if sentiment is not None:
        assert prediction.sentiment.label == sentiment, prediction.sentiment
