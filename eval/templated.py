"""`coach eval templated PATH`: the engine's `templated` flag against MAIA-DQE's human
`Templated` labels of agent sentences.

Each agent sentence (English `text_src` of outbound turns) is fed as its own agent turn,
customer turns (English `text_mt`) stay in place, conversations intact.  As in production,
the macro memory first reads the file's agent sentences (no labels), the way a tenant's
traffic teaches it the team's macros.  Two label-free baselines are printed beside it, and
per-signal ablations: the figures with one signal left out of each sentence's score
(recombined from the signals the engine returned, so no second run).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from app.coaching.conversation import Conversation, Turn
from app.coaching.engine import CoachingEngine
from app.coaching.templated import EVIDENCE, FLAG_AT, combine
from app.coaching.text import words
from eval.common import require_file


def maia_conversations(path: Path) -> tuple[list[Conversation], list[list[int | None]]]:
    """Conversations with one agent turn per sentence, and per turn the gold label (None
    for customer turns)."""
    dialogues = json.loads(require_file(path, "MAIA-DQE file").read_text(encoding="utf-8"))
    conversations, labels = [], []
    for dialogue in dialogues:
        turns: list[Turn] = []
        gold: list[int | None] = []
        for turn in dialogue["turns"]:
            if turn["floor"] == "inbound":
                text = " ".join(s for s in turn["text_mt"] if s.strip())
                if text:
                    turns.append(Turn(role="customer", text=text))
                    gold.append(None)
            else:
                for sentence, templated in zip(turn["text_src"], turn["Templated"], strict=False):
                    if sentence.strip():
                        turns.append(Turn(role="agent", text=sentence))
                        gold.append(int(templated))
        conversations.append(Conversation(conversation_id=dialogue["id"], turns=turns))
        labels.append(gold)
    return conversations, labels


def _prf(truth: list[int], predicted: list[int]) -> dict:
    p, r, f, _ = precision_recall_fscore_support(truth, predicted, average="binary", zero_division=0)
    return {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}


def _normalise(sentence: str) -> str:
    return " ".join(words(sentence))


def evaluate_templated(engine: CoachingEngine, path: Path) -> dict:
    conversations, labels = maia_conversations(path)
    engine.learn_macros(conversations, tenant="eval")
    analyses = engine.analyze_many(conversations, tenant="eval")
    signals = (*EVIDENCE, "personal")
    truth, predicted, scores, texts, owners = [], [], [], [], []
    ablated: dict[str, list[int]] = {name: [] for name in signals}
    for conversation, conv_labels, conv_analyses in zip(conversations, labels, analyses, strict=True):
        for turn, gold, analysis in zip(conversation.turns, conv_labels, conv_analyses, strict=True):
            if gold is None or analysis.agent is None:
                continue
            sentence_scores = [s.templated for s in analysis.agent.sentences]
            truth.append(gold)
            predicted.append(int(any(s.flag for s in sentence_scores)))
            scores.append(max(s.score for s in sentence_scores))
            scored = [s.templated.signals for s in analysis.agent.sentences if not s.compliance]
            for name in signals:
                ablated[name].append(int(any(combine(sig, without=name) >= FLAG_AT for sig in scored)))
            texts.append(_normalise(turn.text))
            owners.append(conversation.conversation_id)
    seen_in: dict[str, set[str]] = defaultdict(set)
    for text, owner in zip(texts, owners, strict=True):
        seen_in[text].add(owner)
    repeated = [int(len(seen_in[t]) >= 2) for t in texts]
    return {
        "dataset": str(path),
        "agent_sentences": len(truth),
        "templated_share": round(float(np.mean(truth)), 4),
        "coachline": _prf(truth, predicted),
        "baselines": {
            "repeated_in_2plus_conversations": _prf(truth, repeated),
            "everything_templated": _prf(truth, [1] * len(truth)),
        },
        "without_signal": {name: _prf(truth, flags) for name, flags in ablated.items()},
        "method": "each agent sentence its own turn; macro memory pre-read from the file's agent sentences "
        "(no labels); flag = templated score >= 0.5",
    }
