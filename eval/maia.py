"""MAIA-DQE customer sentences: customer_state and sentiment against the human Emotion labels.

Customer (inbound) turns are Portuguese with an English machine translation in `text_mt`;
each sentence carries an Emotion index.  Evaluation only: the data is CC BY-ND.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.coaching.conversation import Conversation, Turn
from app.coaching.detectors.phrase_cues import pattern_cues
from app.coaching.detectors.shouting import shouting
from app.coaching.frameworks import load_library
from app.coaching.upset import UPSET_STATES, read_state

if TYPE_CHECKING:
    from app.coaching.engine import CoachingEngine

from eval.common import require_file, single_label_report, upset_report, vader_sentiment, vader_states
from models.classifier import EmotionClassifier
from models.labels import CUSTOMER_STATES, SENTIMENT_LABELS

MAIA_EMOTIONS = ("empathy", "happiness", "neutral", "disappointment", "confusion", "frustration", "anger", "anxiety")
# MAIA emotion -> our customer state.  Happiness is the customer's satisfaction; empathy is an
# agent-side label and, should a customer sentence carry it, counts as satisfied (warm, positive).
MAIA_TO_STATE = {
    "empathy": "satisfied",
    "happiness": "satisfied",
    "neutral": "neutral",
    "disappointment": "disappointment",
    "confusion": "confusion",
    "frustration": "frustration",
    "anger": "anger",
    "anxiety": "anxiety",
}
STATE_TO_SENTIMENT = {
    "satisfied": "positive",
    "neutral": "neutral",
    "confusion": "negative",
    "disappointment": "negative",
    "frustration": "negative",
    "anger": "negative",
    "anxiety": "negative",
}


@dataclass(frozen=True)
class MaiaSentence:
    dialogue_id: str
    text: str
    emotion: str
    previous: str | None = None  # the agent's turn before this sentence's turn (English source)


def read_maia_sentences(path: Path, floor: str = "inbound", field: str = "text_mt") -> list[MaiaSentence]:
    """Sentences of one side of every dialogue, with their human Emotion label."""
    dialogues = json.loads(require_file(path, "MAIA-DQE file").read_text(encoding="utf-8"))
    out: list[MaiaSentence] = []
    for dialogue in dialogues:
        previous: str | None = None
        for turn in dialogue["turns"]:
            if turn["floor"] != floor:
                previous = " ".join(s for s in turn.get("text_src", []) if s.strip()) or previous
                continue
            for text, emotion in zip(turn[field], turn["Emotion"], strict=False):
                if text.strip():
                    out.append(MaiaSentence(dialogue["id"], text, MAIA_EMOTIONS[emotion], previous))
    return out


def _upset_report(gold: list[str], predicted: list[str]) -> dict:
    report = single_label_report(
        ["upset" if g in UPSET_STATES else "not" for g in gold],
        ["upset" if p in UPSET_STATES else "not" for p in predicted],
        ["upset"],
    )
    return report["per_label"]["upset"]


def engine_upset(engine: CoachingEngine, texts: list[str]) -> list[bool]:
    """The coaching engine's one definition of upset, each sentence read as a customer's first turn
    (the model, the cues by pattern and by meaning, shouting)."""
    conversations = [
        Conversation(conversation_id=f"maia-{i}", turns=[Turn(role="customer", text=t)]) for i, t in enumerate(texts)
    ]
    return [bool(a[0].customer and a[0].customer.upset) for a in engine.analyze_many(conversations)]


def evaluate_maia(classifier: EmotionClassifier, path: Path, engine: CoachingEngine | None = None) -> dict:
    sentences = read_maia_sentences(path)
    texts = [s.text for s in sentences]
    predictions = classifier.predict(texts, contexts=[s.previous for s in sentences])
    gold_state = [MAIA_TO_STATE[s.emotion] for s in sentences]
    gold_sentiment = [STATE_TO_SENTIMENT[s] for s in gold_state]
    gold_upset = [s in UPSET_STATES for s in gold_state]
    present = [s for s in CUSTOMER_STATES if s in set(gold_state)]
    # What the coach shows: the model's state unless the customer's words overrule a calm reading.
    library = load_library()
    support = [
        read_state(library, p, pattern_cues(library, t) + shouting(t))[0].label
        for p, t in zip(predictions, texts, strict=True)
    ]
    return {
        "dataset": str(path),
        "sentences": len(sentences),
        "dialogues": len({s.dialogue_id for s in sentences}),
        "label_mapping": {"maia_to_customer_state": MAIA_TO_STATE, "state_to_sentiment": STATE_TO_SENTIMENT},
        "customer_state": {
            "macro_f1_over": present,
            **single_label_report(gold_state, [p.customer_state.label for p in predictions], present),
        },
        "customer_state_vader": {
            "method": "VADER polarity as a state: positive satisfied, negative frustration, else neutral",
            "macro_f1": single_label_report(gold_state, vader_states(texts), present)["macro_f1"],
        },
        "upset": {
            "method": "gold: the MAIA emotion maps to an upset state; model: calibrated upset probability >= "
            "its threshold (coach.json); VADER: compound <= -0.05",
            "model": upset_report(gold_upset, [p.upset.upset for p in predictions]),
            "vader": upset_report(gold_upset, [v == "negative" for v in vader_sentiment(texts)]),
        },
        "customer_state_with_word_cues": {
            "method": "the coaching engine's state: the model's, unless it reads calm and the sentence "
            "carries a cue that frameworks/cues.yaml `implies` maps to a state (complaint, waiting, abuse, ...)",
            **single_label_report(gold_state, support, present),
        },
        # What coaching acts on (empathize / apologize first): is the customer upset at all?
        "upset_vs_not": {
            "model_state": _upset_report(gold_state, [p.customer_state.label for p in predictions]),
            "with_word_cues": _upset_report(gold_state, support),
            **(
                {
                    "engine": single_label_report(
                        ["upset" if g in UPSET_STATES else "not" for g in gold_state],
                        ["upset" if u else "not" for u in engine_upset(engine, texts)],
                        ["upset"],
                    )["per_label"]["upset"]
                }
                if engine is not None
                else {}
            ),
        },
        "sentiment": {
            "model_head": single_label_report(
                gold_sentiment, [p.sentiment.label for p in predictions], SENTIMENT_LABELS
            ),
            "vader": single_label_report(gold_sentiment, vader_sentiment(texts), SENTIMENT_LABELS),
        },
    }
