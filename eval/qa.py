"""QA scores against people: `coach eval qa PATH` on a MAIA-DQE file, or on a folder of our own
gold-labelled chats (eval/data/qa/dev, eval/data/qa/heldout: `evaluate_qa_gold`, at the end).

Each dialogue is scored whole (customer turns in English machine translation `text_mt`, agent turns in
their English source `text_src`); the conversation score is ranked against the human ratings of the
agent's turns (mean IQ, Understanding, Politeness) by Spearman correlation. Where a human label speaks
to a criterion, the two are compared conversation by conversation (agreement and Cohen's kappa):
- not_robotic: the share of agent sentences people marked Templated, at the rubric's own limit;
- empathy_before_solution: people marked an agent sentence `empathy` after a customer sentence they
  marked frustration, anger, disappointment or anxiety (N/A when they marked none);
- sentiment_trajectory: the customer's last labelled sentence is no more upset than the first.
Evaluation only: the data is CC BY-ND and is never trained on or copied.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score

from app.coaching.conversation import Conversation, Turn
from app.coaching.engine import CoachingEngine
from app.qa.models import ConversationScore
from app.qa.scoring import QAScorer
from eval.common import DatasetMissing, require_file
from eval.maia import MAIA_EMOTIONS

UPSET_EMOTIONS = frozenset({"frustration", "anger", "disappointment", "anxiety"})
RATINGS = ("IQ", "Understanding", "Politeness")


@dataclass
class RatedDialogue:
    conversation: Conversation
    ratings: dict[str, list[float]] = field(default_factory=dict)  # agent-turn ratings by name
    templated: list[int] = field(default_factory=list)  # per agent sentence
    customer_emotions: list[str] = field(default_factory=list)  # per customer sentence, in order
    empathy_after_upset: bool | None = None  # None: people marked no upset customer sentence


def read_rated_dialogues(path: Path) -> list[RatedDialogue]:
    dialogues = json.loads(require_file(path, "MAIA-DQE file").read_text(encoding="utf-8"))
    out: list[RatedDialogue] = []
    for dialogue in dialogues:
        rated = RatedDialogue(Conversation(conversation_id=str(dialogue["id"])))
        upset_seen = False
        for turn in dialogue["turns"]:
            customer = turn["floor"] == "inbound"
            sentences = turn["text_mt"] if customer else turn["text_src"]
            emotions = [MAIA_EMOTIONS[e] for e in turn.get("Emotion") or []]
            text = " ".join(s.strip() for s in sentences if s.strip())
            if not text:
                continue
            rated.conversation.turns.append(Turn(role="customer" if customer else "agent", text=text))
            if customer:
                rated.customer_emotions += emotions
                upset_seen = upset_seen or bool(UPSET_EMOTIONS & set(emotions))
                if upset_seen and rated.empathy_after_upset is None:
                    rated.empathy_after_upset = False
                continue
            for name in RATINGS:
                if turn.get(name) is not None:
                    rated.ratings.setdefault(name, []).append(float(turn[name]))
            rated.templated += [int(t) for t in turn.get("Templated") or []]
            if upset_seen and "empathy" in emotions:
                rated.empathy_after_upset = True
        out.append(rated)
    return out


def _agreement(pairs: list[tuple[bool, bool]]) -> dict:
    if not pairs:
        return {"n": 0}
    human, ours = [h for h, _ in pairs], [o for _, o in pairs]
    agree = sum(h == o for h, o in pairs) / len(pairs)
    kappa = cohen_kappa_score(human, ours) if len(set(human) | set(ours)) > 1 else None
    return {
        "n": len(pairs),
        "agreement": round(agree, 3),
        "kappa": None if kappa is None or kappa != kappa else round(float(kappa), 3),
        "human_pass_rate": round(sum(human) / len(human), 3),
        "our_pass_rate": round(sum(ours) / len(ours), 3),
    }


def _outcome(score: ConversationScore, criterion_id: str) -> str | None:
    return next((c.outcome for c in score.criteria if c.id == criterion_id), None)


def evaluate_qa(engine: CoachingEngine, path: Path) -> dict:
    dialogues = read_rated_dialogues(path)
    scorer = QAScorer(engine)
    started = time.perf_counter()
    scores = scorer.score_many([d.conversation for d in dialogues])
    seconds = time.perf_counter() - started
    correlations: dict[str, dict] = {}
    for name in RATINGS:
        rated = [
            (s.score, mean(d.ratings[name])) for s, d in zip(scores, dialogues, strict=True) if d.ratings.get(name)
        ]
        if len(rated) < 3:
            correlations[f"mean_{name}"] = {"n": len(rated)}
            continue
        rho, p = spearmanr([a for a, _ in rated], [b for _, b in rated])
        correlations[f"mean_{name}"] = {
            "n": len(rated),
            "spearman": round(float(rho), 3),
            "p_value": round(float(p), 4),
        }
    robotic_limit = float(
        next(c.params.get("max_rate", 0.3) for c in scorer.rubric.criteria if c.check == "robotic_rate")
    )
    agreement: dict[str, list[tuple[bool, bool]]] = {
        "not_robotic": [],
        "empathy_before_solution": [],
        "sentiment_trajectory": [],
    }
    for score, dialogue in zip(scores, dialogues, strict=True):
        ours = _outcome(score, "not_robotic")
        if dialogue.templated and ours in ("pass", "fail"):
            human = sum(dialogue.templated) / len(dialogue.templated) <= robotic_limit
            agreement["not_robotic"].append((human, ours == "pass"))
        ours = _outcome(score, "empathy_before_solution")
        if dialogue.empathy_after_upset is not None and ours in ("pass", "fail"):
            agreement["empathy_before_solution"].append((dialogue.empathy_after_upset, ours == "pass"))
        ours = _outcome(score, "sentiment_trajectory")
        emotions = dialogue.customer_emotions
        if len(emotions) >= 2 and ours in ("pass", "fail"):
            human = not (emotions[-1] in UPSET_EMOTIONS and emotions[0] not in UPSET_EMOTIONS)
            agreement["sentiment_trajectory"].append((human, ours == "pass"))
    turns = sum(len(d.conversation.turns) for d in dialogues)
    return {
        "dataset": str(path),
        "how": "each MAIA-DQE dialogue scored whole by `coach score`'s scorer with the default rubric; "
        "Spearman of the 0-100 score against the mean human rating of the agent's turns; per-criterion "
        "agreement where a human label speaks to it (module doc of eval/qa.py)",
        "conversations": len(dialogues),
        "mean_turns": round(turns / max(1, len(dialogues)), 1),
        "mean_score": round(mean(s.score for s in scores), 2) if scores else None,
        "spearman": correlations,
        "criterion_agreement": {k: _agreement(v) for k, v in agreement.items()},
        "conversations_per_minute": round(len(dialogues) / seconds * 60, 1) if seconds else None,
    }


# -- our own gold-labelled chats (eval/data/qa) ------------------------------------------------

OWN_DIR = Path(__file__).resolve().parent / "data" / "qa"


class GoldLabels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    criteria: dict[str, Literal["pass", "fail", "na"]]
    escalated: bool
    repeat_contact: bool
    issue: str


class GoldChat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    agent_id: str
    turns: list[dict[str, str]] = Field(min_length=2)
    gold: GoldLabels

    def conversation(self) -> Conversation:
        turns = [
            Turn(role=t["role"], text=t["text"], agent_id=self.agent_id if t["role"] == "agent" else None)  # type: ignore[arg-type]
            for t in self.turns
        ]
        return Conversation(conversation_id=self.id, turns=turns)


class GoldFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    license: str
    description: str
    chats: list[GoldChat]


def read_gold_chats(folder: Path) -> list[GoldChat]:
    if not folder.is_dir():
        raise DatasetMissing(f"QA gold chats folder not found at {folder}; pass its path on the command line")
    files = sorted(folder.glob("*.yaml"))
    return [chat for path in files for chat in GoldFile.model_validate(yaml.safe_load(path.read_text())).chats]


def _outcome_table(pairs: list[tuple[str, str]]) -> dict:
    """Ours against gold for one criterion: agreement where both judged, and the precision and
    recall of our 'fail' (what a QA lead would be shown as a failing) against gold 'fail'."""
    judged = [(g, o) for g, o in pairs if g != "na" and o != "na"]
    fails_shown = sum(o == "fail" for _, o in judged)
    true_fails = sum(g == "fail" and o == "fail" for g, o in judged)
    gold_fails = sum(g == "fail" for g, _ in judged)
    table: dict = {
        "n": len(pairs),
        "both_judged": len(judged),
        "agreement": round(sum(g == o for g, o in judged) / len(judged), 3) if judged else None,
        "fail_precision": round(true_fails / fails_shown, 3) if fails_shown else None,
        "fail_recall": round(true_fails / gold_fails, 3) if gold_fails else None,
        "applicability_agreement": round(sum((g == "na") == (o == "na") for g, o in pairs) / len(pairs), 3),
    }
    if judged and len({g for g, _ in judged} | {o for _, o in judged}) > 1:
        kappa = cohen_kappa_score([g for g, _ in judged], [o for _, o in judged])
        table["kappa"] = None if kappa != kappa else round(float(kappa), 3)
    return table


def evaluate_qa_gold(engine: CoachingEngine, folder: Path) -> dict:
    """`coach eval qa eval/data/qa/dev` (or heldout): our scorer against gold labels set before it ran."""
    chats = read_gold_chats(folder)
    scorer = QAScorer(engine)
    scores = scorer.score_many([c.conversation() for c in chats])
    rho, p = spearmanr([s.score for s in scores], [c.gold.rating for c in chats])
    by_criterion: dict[str, list[tuple[str, str]]] = {}
    for chat, score in zip(chats, scores, strict=True):
        for result in score.criteria:
            gold = chat.gold.criteria.get(result.id)
            if gold is not None:
                by_criterion.setdefault(result.id, []).append((gold, result.outcome))
    passed = [s.score >= scorer.rubric.pass_mark for s in scores]
    gold_passed = [c.gold.rating >= 4 for c in chats]
    flagged = [not p for p in passed]
    true_flagged = sum(f and not g for f, g in zip(flagged, gold_passed, strict=True))
    return {
        "dataset": str(folder),
        "how": "each gold chat scored whole with the default rubric; gold labels written with the chats, "
        "before any scoring (eval/data/qa/README.md); Spearman of the 0-100 score against the 1-5 rating; per "
        "criterion: agreement where both judged, and precision/recall of our 'fail' against gold 'fail'",
        "conversations": len(chats),
        "mean_turns": round(mean(len(c.turns) for c in chats), 1),
        "spearman_rating": {"rho": round(float(rho), 3), "p_value": round(float(p), 4)},
        "below_pass_mark": {
            "pass_mark": scorer.rubric.pass_mark,
            "flagged": sum(flagged),
            "precision_vs_rating_at_most_3": round(true_flagged / sum(flagged), 3) if any(flagged) else None,
            "recall_of_rating_at_most_3": round(true_flagged / max(1, gold_passed.count(False)), 3),
        },
        "escalated_agreement": round(
            sum(s.escalated == c.gold.escalated for s, c in zip(scores, chats, strict=True)) / len(chats), 3
        ),
        "repeat_contact_agreement": round(
            sum(s.repeat_contact == c.gold.repeat_contact for s, c in zip(scores, chats, strict=True)) / len(chats), 3
        ),
        "criteria": {k: _outcome_table(v) for k, v in by_criterion.items()},
    }
