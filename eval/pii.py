"""`coach eval pii`: planted names, street addresses and credentials (eval/data/pii_planted.yaml,
our own) through the redactor in its default mode: per kind, how many planted values are gone
from the stored text (recall), and how many clean turns came back changed (false alarms)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import yaml

from eval.common import require_file

DEFAULT = Path(__file__).resolve().parent / "data" / "pii_planted.yaml"
# Written afterwards, independently of the planted set and of the recognisers, and run twice as a
# held-back set; since then developed on (its misses shaped the street, name and credential patterns
# of 2026-11-26's fourth session), so it is a second development set now.
FIRST_HELDOUT = Path(__file__).resolve().parent / "data" / "pii_heldout.yaml"
# Written by someone who read neither the recognisers nor the sets above, with replies to the agent's
# question ("asked"); held back until the end of that session (run twice), developed on since the fifth
# session of 2026-11-26 (its misses shaped the multilingual password words and the Korean, Turkish,
# Colombian and Japanese street lines).
SECOND_HELDOUT = Path(__file__).resolve().parent / "data" / "pii_second_heldout.yaml"
# Written that fifth session the same way, from a brief that gave no example formats; held back to its end
# (run once then, aggregate only, and once more at the end of the seventh session, again aggregate only).
THIRD_HELDOUT = Path(__file__).resolve().parent / "data" / "pii_third_heldout.yaml"
# Written in the seventh session the same way (no example formats), before the learned tagger was
# trained; run once, at that session's end.
FOURTH_HELDOUT = Path(__file__).resolve().parent / "data" / "pii_fourth_heldout.yaml"
# Written later that session the same way; it decided between two trainings of the tagger (the rule set
# before: the second is kept only if it finds 0.01 more and changes at most 2 more clean turns).
FIFTH_HELDOUT = Path(__file__).resolve().parent / "data" / "pii_fifth_heldout.yaml"


def evaluate_pii_sets(maia: Path | None = None) -> dict:
    """`coach eval pii` with no path: the planted set, the first and second held-back sets (developed
    on since), the third, fourth and fifth held-back ones, and the default redactor's cost and false
    alarms on real support turns (MAIA-DQE, when it is there: its names and numbers are masked, so
    whatever it redacts is wrong)."""
    figures = {
        "planted": evaluate_pii(DEFAULT),
        "first_heldout_now_developed_on": evaluate_pii(FIRST_HELDOUT),
        "second_heldout_now_developed_on": evaluate_pii(SECOND_HELDOUT),
        "third_heldout": evaluate_pii(THIRD_HELDOUT),
        "fourth_heldout": evaluate_pii(FOURTH_HELDOUT),
        "fifth_heldout": evaluate_pii(FIFTH_HELDOUT),
    }
    if maia is not None and maia.is_file():
        figures["cost_on_maia_turns"] = redactor_cost(maia)
    return figures


def redactor_cost(maia: Path, repeats: int = 3) -> dict:
    """The default redactor (patterns and the learned tagger) over every MAIA-DQE turn: ms per turn (best
    of `repeats` after one warm run), how many turns its cheap filter let into Presidio, and how many
    it changed."""
    from app.coaching.engine import question_before
    from app.pii.service import MAY_HOLD_PII, Redactor
    from eval.qa import read_rated_dialogues

    conversations = [d.conversation.turns for d in read_rated_dialogues(maia)]
    turns = [(t.text, question_before(chat, i), t.role) for chat in conversations for i, t in enumerate(chat)]
    texts = [text for text, _, _ in turns]
    redactor = Redactor(tagger=True)
    redactions = [(text, redactor.redact(text, "redact", asked, role)) for text, asked, role in turns]
    changed = [(text, r.text) for text, r in redactions if r.text != text]
    # MAIA-DQE's own masks ("#PRS_ORG#", "#NAME#") stand for names and companies: redacting one of them
    # is no loss; redacting anything else is a false alarm.
    beyond_masks = [(text, r.text) for text, r in redactions if any("#" not in value for value in r.replacements)]
    runs = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        for text, asked, role in turns:
            redactor(text, "redact", asked, role)
        runs.append((time.perf_counter() - started) * 1000 / len(texts))
    return {
        "turns": len(texts),
        "analysed": sum(bool(MAY_HOLD_PII.search(t)) for t in texts),
        "ms_per_turn": round(min(runs[1:]), 3),
        "turns_changed": len(changed),
        "turns_changed_beyond_its_masks": len(beyond_masks),
        "changed_examples": [{"text": a, "stored": b} for a, b in beyond_masks[:10]],
    }


def evaluate_pii(path: Path = DEFAULT) -> dict:
    """The ways the service can run: patterns and the learned tagger (the default), patterns only
    (COACHLINE_PII_TAGGER=false), and patterns with spaCy's NER (COACHLINE_PII_NER, tagger off)."""
    data = yaml.safe_load(require_file(path, "planted PII set").read_text(encoding="utf-8"))
    return {
        "dataset": str(path),
        "method": "a planted value counts as redacted when it no longer appears in the stored text (mode redact)",
        "patterns_and_tagger": _evaluate(data, ner=False, tagger=True),
        "patterns_only": _evaluate(data, ner=False, tagger=False),
        "patterns_and_ner": _evaluate(data, ner=True, tagger=False),
    }


def _evaluate(data: dict, *, ner: bool, tagger: bool) -> dict:
    from app.pii.service import Redactor

    redactor = Redactor(ner=ner, tagger=tagger)
    planted, caught = Counter(), Counter()
    missed: list[dict] = []
    started = time.perf_counter()
    for turn in data["turns"]:
        stored = redactor(turn["text"], "redact", turn.get("asked"))
        for item in turn["planted"]:
            planted[item["kind"]] += 1
            if item["value"] not in stored:
                caught[item["kind"]] += 1
            else:
                missed.append({"kind": item["kind"], "value": item["value"]})
    clean = [c if isinstance(c, dict) else {"text": c} for c in data["clean"]]
    changed = [(c["text"], redactor(c["text"], "redact", c.get("asked"))) for c in clean]
    changed = [{"text": a, "stored": b} for a, b in changed if a != b]
    turns = len(data["turns"]) + len(data["clean"])
    return {
        "recall": {
            kind: {"planted": planted[kind], "redacted": caught[kind], "recall": round(caught[kind] / planted[kind], 3)}
            for kind in sorted(planted)
        },
        "recall_all": round(sum(caught.values()) / max(sum(planted.values()), 1), 3),
        "clean_turns_changed": {"changed": len(changed), "of": len(data["clean"]), "examples": changed[:10]},
        "ms_per_turn": round((time.perf_counter() - started) * 1000 / turns, 3),
        "missed": missed,
    }
