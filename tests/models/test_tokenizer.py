from models.artifact import DEFAULT_ARTIFACT
from models.tokenizer import CONTEXT_CHARS, TextTokenizer


def test_the_tokenizers_library_gives_the_transformers_ids():
    from transformers import PreTrainedTokenizerFast

    texts = ["Hello THERE, my order #4432 never arrived!!", "ça ne marche pas " * 30, "ok"]
    ours = TextTokenizer.from_file(DEFAULT_ARTIFACT, 64)
    reference = PreTrainedTokenizerFast.from_pretrained(str(DEFAULT_ARTIFACT))
    assert [e.ids for e in ours.encode(texts)] == reference(texts, truncation=True, max_length=64)["input_ids"]


def test_a_pair_marks_the_customer_turn_and_keeps_the_end_of_a_long_agent_turn():
    tokens = TextTokenizer.from_file(DEFAULT_ARTIFACT, 128)
    (pair,) = tokens.encode(["fine."], ["We can't refund that."])
    assert pair.type_ids[0] == 0 and pair.type_ids[-1] == 1
    assert sum(pair.type_ids) == len(tokens.encode(["fine."])[0].ids) - 1  # the customer's tokens and [SEP]
    long_agent = "filler words " * 200 + "so the answer is no"
    (cut,) = tokens.encode(["ok"], [long_agent])
    assert len(cut.ids) <= 128 and len(long_agent[-CONTEXT_CHARS:]) == CONTEXT_CHARS
    (alone,) = tokens.encode(["ok"], [None])
    assert set(alone.type_ids) == {0}  # no previous turn: read alone, as in training
