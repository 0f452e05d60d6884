import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eval.common import DatasetMissing, single_label_report, vader_sentiment
from eval.goemotions import cross_fitted_macro_f1, evaluate_goemotions, group_matrix
from eval.maia import evaluate_maia, read_maia_sentences
from models.labels import EKMAN_GROUPS, GOEMOTIONS_LABELS
from tests.conftest import FIXTURES


def test_group_matrix_is_any_member():
    row = np.zeros((1, 28), dtype=bool)
    row[0, GOEMOTIONS_LABELS.index("annoyance")] = True
    groups = group_matrix(row, EKMAN_GROUPS)
    assert groups[0].tolist() == [name == "anger" for name in EKMAN_GROUPS]


def test_single_label_report_confusion_matrix():
    report = single_label_report(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert report["confusion_matrix"]["matrix"] == [[1, 1], [0, 1]]
    assert report["per_label"]["a"]["recall"] == 0.5
    assert report["accuracy"] == round(2 / 3, 4)


def test_cross_fitted_f1_is_high_for_separable_and_low_for_noise():
    rng = np.random.default_rng(0)
    truth = rng.random((400, 3)) < 0.3
    assert cross_fitted_macro_f1(truth, truth * 0.8 + 0.1) == 1.0
    assert cross_fitted_macro_f1(truth, rng.random((400, 3))) < 0.6


def test_vader_peer_polarity():
    assert vader_sentiment(["I love this, great job!", "This is terrible and awful.", "The box is blue."]) == [
        "positive",
        "negative",
        "neutral",
    ]


def test_goemotions_eval_figures(tiny_classifier):
    figures = evaluate_goemotions(tiny_classifier, FIXTURES / "goemotions_sample.tsv")
    assert figures["n"] == 12
    emotions = figures["emotions_28"]
    assert len(emotions["per_label"]) == 28 and 0.0 <= emotions["macro_f1"] <= 1.0
    assert set(emotions["focus_labels_f1"]) == {"annoyance", "disappointment", "confusion", "anger", "nervousness"}
    assert set(figures["ekman_groups"]["per_label"]) == set(EKMAN_GROUPS)
    assert figures["sentiment_3way"]["vader"]["n"] == 12


def test_maia_reader_and_eval(tiny_classifier):
    sentences = read_maia_sentences(FIXTURES / "maia_sample.json")
    assert [s.emotion for s in sentences][:3] == ["frustration", "confusion", "anger"]
    assert all(s.dialogue_id.startswith("synthetic") for s in sentences)
    figures = evaluate_maia(tiny_classifier, FIXTURES / "maia_sample.json")
    assert figures["sentences"] == 7 and figures["dialogues"] == 2
    matrix = np.array(figures["customer_state"]["confusion_matrix"]["matrix"])
    assert matrix.sum() == 7
    assert figures["customer_state_with_word_cues"]["n"] == 7
    # Word cues only ever turn a calm reading into an upset one ("This is absurd, I want my money back").
    upset = figures["upset_vs_not"]
    assert upset["with_word_cues"]["recall"] >= upset["model_state"]["recall"]
    assert upset["with_word_cues"]["recall"] > 0
    # The calibrated upset decision and VADER side by side, on the same gold.
    assert figures["upset"]["model"]["n"] == figures["upset"]["vader"]["n"] == 7
    assert 0 <= figures["customer_state_vader"]["macro_f1"] <= 1


def test_missing_dataset_raises_skip_signal(tiny_classifier, tmp_path: Path):
    with pytest.raises(DatasetMissing, match="pass its path"):
        evaluate_maia(tiny_classifier, tmp_path / "absent.json")


def test_cli_eval_skips_loudly_when_data_is_absent(tiny_artifact: Path, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "eval", "maia", str(tmp_path / "absent.json"), "--model", str(tiny_artifact)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    assert "skipped" in result.stderr
    assert "skipped" in json.loads(result.stdout)


def test_support_eval_reports_state_upset_calibration_and_vader(tiny_classifier):
    from eval.support import evaluate_support

    figures = evaluate_support(tiny_classifier, FIXTURES / "support_chats", splits=("dev",))
    dev = figures["dev"]
    assert dev["turns"] == 3 and dev["domains"] == ["fixture_dev"]
    assert dev["upset"]["support"] == 1 and dev["upset_vader"]["n"] == 3
    assert sum(row["turns"] for row in dev["upset_calibration"]["reliability"]) == 3
    assert figures["model"]["upset_threshold"] == tiny_classifier.calibration.threshold


def test_support_cues_are_scored_per_customer_turn_over_whole_chats(engine):
    from eval.support import evaluate_support_cues

    figures = evaluate_support_cues(engine, FIXTURES / "support_chats", "dev")
    assert figures["chats"] == 1 and figures["customer_turns"] == 3
    cues = figures["cues"]
    assert cues["repeat_story"]["gold"] == 1 and cues["settled"]["gold"] == 1 and cues["question"]["gold"] == 1
    assert all(row["shown"] >= 0 for row in cues.values())
    assert figures["engine_upset"]["support"] == 1  # the first turn is the only upset one


def test_pii_eval_counts_planted_values_gone_and_clean_turns_changed(tmp_path: Path):
    from eval.pii import evaluate_pii

    planted = tmp_path / "planted.yaml"
    planted.write_text(
        """turns:
  - text: "my password is Tulip!2291, I live at 14 Birchwood Lane"
    planted:
      - {kind: "credential", value: "Tulip!2291"}
      - {kind: "address", value: "14 Birchwood Lane"}
  - text: "this is dave"
    planted:
      - {kind: "name", value: "dave"}
clean:
  - "I forgot my password"
  - "the main road outage"
"""
    )
    figures = evaluate_pii(planted)["patterns_only"]
    assert figures["recall"]["credential"]["recall"] == 1.0 and figures["recall"]["address"]["recall"] == 1.0
    assert figures["recall"]["name"] == {"planted": 1, "redacted": 0, "recall": 0.0}
    assert figures["clean_turns_changed"]["changed"] == 0 and figures["missed"] == [{"kind": "name", "value": "dave"}]
