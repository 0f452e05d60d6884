"""The learned PII tagger: its data handling and decoding alone (no model), then the shipped artifact."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from models import pii_tagger
from models.pii_tagger import TAGS, PiiExample, decode, encode, examples_from_set, swap_values, token_labels


def test_examples_take_every_occurrence_and_refuse_a_value_not_in_its_text():
    examples = examples_from_set(
        {
            "turns": [
                {"text": "Ed here. ask Ed Walsh", "planted": [{"kind": "name", "value": "Ed Walsh"}]},
                {"text": "pin 0447", "asked": "Your PIN?", "planted": [{"kind": "credential", "value": "0447"}]},
            ],
            "clean": ["order 44721", {"text": "no idea", "asked": "Your PIN?"}],
        }
    )
    assert examples[0].spans == ((13, 21, "name"),)
    assert examples[1] == PiiExample("pin 0447", "Your PIN?", ((4, 8, "credential"),))
    assert examples[2].spans == () and examples[3].asked == "Your PIN?"
    with pytest.raises(ValueError, match="not in its text"):
        examples_from_set({"turns": [{"text": "hi", "planted": [{"kind": "name", "value": "Bo"}]}]})
    with pytest.raises(ValueError, match="unknown kind"):
        examples_from_set({"turns": [{"text": "hi Bo", "planted": [{"kind": "pet", "value": "Bo"}]}]})


def test_swapping_values_keeps_the_context_the_case_and_the_shape():
    example = PiiExample("THIS IS ANA SILVA, pin 0447 ok", None, ((8, 17, "name"), (23, 27, "credential")))
    pools = {"name": ["Tomasz Wróblewski"], "digits": ["993311"], "word": ["hunter2"]}
    swapped = swap_values(example, pools, random.Random(1))
    assert swapped.text == "THIS IS TOMASZ WRÓBLEWSKI, pin 993311 ok"
    assert [swapped.text[s:e] for s, e, _ in swapped.spans] == ["TOMASZ WRÓBLEWSKI", "993311"]


def test_the_tagger_reads_the_agents_last_question_only():
    asked = "Thanks for waiting. I can see the order. Could you confirm the name on the card? It helps."
    assert pii_tagger.question_part(asked) == "Could you confirm the name on the card?"
    assert pii_tagger.question_part("Noted. Sending it now.") == "Sending it now."
    assert pii_tagger.question_part("  ") is None and pii_tagger.question_part(None) is None


def test_token_labels_mark_the_value_and_ignore_the_question():
    example = PiiExample("its pemberton thanks", "Your mother's maiden name?", ((4, 13, "credential"),))
    (encoding,) = encode([example.text], [example.asked])
    labels = token_labels(example, encoding)
    tagged = [(token, TAGS[label]) for token, label in zip(encoding.tokens, labels, strict=True) if label >= 0]
    assert tagged[0] == ("its", "O") and tagged[-1] == ("thanks", "O")
    pieces = [tag for _, tag in tagged[1:-1]]
    assert pieces[0] == "B-credential" and set(pieces[1:]) <= {"I-credential"}
    question_tokens = [i for i, s in enumerate(encoding.sequence_ids) if s == 0]
    assert question_tokens and all(labels[i] == -100 for i in question_tokens)


def _probabilities(encoding, tags: dict[int, str]) -> np.ndarray:
    rows = np.zeros((len(encoding.ids), len(TAGS)), dtype=np.float32)
    rows[:, 0] = 1.0
    for index, tag in tags.items():
        rows[index] = 0.0
        rows[index, TAGS.index(tag)] = 0.9
        rows[index, 0] = 0.1
    return rows


def test_decoding_joins_a_value_widens_it_to_whole_words_and_respects_thresholds():
    text = "thanks Okonkwo-Bell and Ann."
    (encoding,) = encode([text], [None])
    words = {i: tok for i, tok in enumerate(encoding.tokens)}
    first = next(i for i, tok in words.items() if tok == "ok")
    ann = next(i for i, tok in words.items() if tok == "ann")
    probabilities = _probabilities(encoding, {first: "B-name", first + 1: "I-name", ann: "B-name"})
    spans = decode(text, encoding, probabilities, {"name": 0.5})
    assert [text[s.start : s.end] for s in spans] == ["Okonkwo-Bell", "Ann"]  # the tail subwords, no full stop
    assert decode(text, encoding, probabilities, {"name": 0.95}) == []


def test_goemotions_names_are_filled_and_labelled(tmp_path: Path):
    tsv = tmp_path / "train.tsv"
    tsv.write_text("Thanks [NAME], great call\t15\ta\nI hate [RELIGION] [NAME]\t2\tb\nplain text\t27\tc\n")
    examples = pii_tagger.goemotions_examples(tsv, ["Mei Ling Chen"], random.Random(3), limit=10)
    named = [e for e in examples if e.spans]
    assert len(named) == 1 and len(examples) == 2  # the [RELIGION] comment is left out
    (start, end, kind) = named[0].spans[0]
    assert kind == "name" and named[0].text[start:end].lower() in {"mei ling chen", "mei"}


@pytest.fixture(scope="module")
def tagger() -> pii_tagger.PiiTagger:
    return pii_tagger.PiiTagger()


def test_the_shipped_tagger_finds_what_no_pattern_names(tagger: pii_tagger.PiiTagger):
    found = tagger.find("ok so Dervla Ní Bhriain sorted it last week but it broke again")
    assert any(s.kind == "name" and "Dervla" in "ok so Dervla Ní Bhriain"[s.start : s.end] for s in found)
    answer = tagger.find("biscuit", "Can you tell me the name of your first pet for security?")
    assert [s.kind for s in answer] == ["credential"]
    assert tagger.find("The Oxford Street store said the order ZK4P9T is still processing") == []


def test_the_redactor_with_the_tagger_finds_a_name_the_patterns_miss_in_a_customers_turn():
    from app.pii.service import Redactor

    text = "the parcel for Oksana Bilyk went to the wrong flat in Leeds"
    assert Redactor()(text, "redact") == text  # no pattern names it
    stored = Redactor(tagger=True)(text, "redact")
    assert "Oksana" not in stored and "<PERSON>" in stored and "Leeds" in stored
    assert Redactor(tagger=True)(text, "redact", role="agent") == text  # agents' turns: patterns only


def test_typos_spare_the_planted_values_and_keep_their_spans():
    text = "hello there, this is Marta Kowalczyk and my parcel never arrived at 14 Mill Lane yesterday"
    example = PiiExample(text, None, ((21, 36, "name"), (68, 80, "address")))
    rng = random.Random(2)
    noisy = [pii_tagger.with_typos(example, rng, rate=0.5) for _ in range(5)]
    assert any(n.text != text for n in noisy)
    for n in noisy:
        assert [n.text[s:e] for s, e, _ in n.spans] == ["Marta Kowalczyk", "14 Mill Lane"]


@pytest.mark.parametrize(
    ("kind", "value", "text", "kept"),
    [
        ("name", "kkkkk", "kkkkk ok", False),
        ("name", "ahaha", "ahaha thanks", False),
        ("name", "cancelei", "Oi, I cancelei the plan but Paulo said no", False),
        ("name", "priya", "hi its priya again", True),
        ("credential", "Doc1.pdf", "sent Doc1.pdf", False),
        ("credential", "19h30", "at 19h30", False),
        ("credential", "Tr0ut-Lake-2291", "wifi Tr0ut-Lake-2291", True),
        ("name", "ap@brightwell.co", "send it to ap@brightwell.co", False),
    ],
)
def test_precision_rules(kind: str, value: str, text: str, kept: bool):
    assert pii_tagger.plausible(kind, value, text) is kept


def test_a_turn_tagged_beforehand_is_not_tagged_again_unless_the_question_changed(monkeypatch: pytest.MonkeyPatch):
    from app.pii.service import Redactor, shared_tagger

    redactor = Redactor(tagger=True)
    text = "the parcel for Oksana Bilyk went to the wrong flat"
    tagged = redactor.tag(text, None)
    assert tagged is not None and [kind for kind, _, _ in tagged.spans] == ["name"]
    assert redactor.tag(text, None, role="agent") is None
    calls: list[str] = []
    find = shared_tagger().find
    monkeypatch.setattr(shared_tagger(), "find", lambda t, a=None: calls.append(t) or find(t, a))
    assert "<PERSON>" in redactor.redact(text, "redact", None, "customer", tagged).text and calls == []
    assert "<PERSON>" in redactor.redact(text, "redact", "Anything else?", "customer", tagged).text
    assert calls == [text]  # read after another question: tagged again


def test_a_long_turn_is_read_in_windows_of_whole_sentences():
    complaint = "The router drops the connection every evening and the app says everything is fine. " * 12
    text = complaint + "Please send the engineer to 27 Elmcroft Road, my name is Oksana Bilyk."
    assert pii_tagger.windows("short one.", 100) == [(0, "short one.")]
    pieces = pii_tagger.windows(text, 100)
    assert len(pieces) > 1 and all(text[start : start + len(piece)] == piece for start, piece in pieces)
    assert all(len(pii_tagger.encode([piece], [None])[0].ids) - 2 <= 100 for _, piece in pieces)
    assert "".join(piece for _, piece in pieces).replace(" ", "") == text.replace(" ", "")


def test_the_shipped_tagger_reads_the_end_of_a_long_turn(tagger: pii_tagger.PiiTagger):
    complaint = "The router drops the connection every evening and the app says everything is fine. " * 12
    text = complaint + "Please send the engineer to 27 Elmcroft Road, my name is Oksana Bilyk."
    found = {(s.kind, text[s.start : s.end]) for s in tagger.find(text)}
    assert ("name", "Oksana Bilyk") in found and any(kind == "address" for kind, _ in found)


def test_the_torch_path_tags_as_the_onnx_path_does(tagger: pii_tagger.PiiTagger):
    text, asked = "its pemberton, and the parcel is for Oksana Bilyk", "Your mother's maiden name?"
    fp32 = pii_tagger.PiiTagger(backend="fp32")
    assert fp32.backend == "fp32" and tagger.backend == "onnx-int8"
    assert "credential" in {s.kind for s in fp32.find(text, asked)}  # not an empty agreement
    assert [(s.kind, s.start, s.end) for s in fp32.find(text, asked)] == [
        (s.kind, s.start, s.end) for s in tagger.find(text, asked)
    ]
