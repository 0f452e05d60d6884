"""`coach eval coaching PATH`: the engine against our own hand-labelled support chats.

The chats (eval/data/coaching/, format in its README) carry gold written before any run:
customer states and cues, agent flags, canned sentences, and what the sidebar should show
after each turn (`expect`: a list of acceptable moves at a key turn, or `quiet`). The chats of
one company are one tenant: the macro memory first reads that company's agent sentences (no
labels), as the service learns a team's macros from its traffic.

Printed: upset P/R, P/R per cue and per flag (and flags micro-F1), templated P/R per sentence,
right step shown and wrong step shown at key turns, and cards on quiet turns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from app.coaching.analysis import Suggestion, TurnAnalysis
from app.coaching.conversation import Conversation, Turn
from app.coaching.text import words
from app.coaching.upset import UPSET_STATES
from eval.common import DatasetMissing

if TYPE_CHECKING:
    from app.coaching.engine import CoachingEngine

DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "coaching"
# States and state-like cues (worry) are scored as upset, not as cues; `question` (a neutral turn
# asking something) is the neutral state's own cue, which the gold vocabulary predates.
STATE_CUES = frozenset(
    {"neutral", "satisfied", "confusion", "disappointment", "frustration", "anger", "anxiety", "worry", "question"}
)
FLAGS = ("robotic", "policy_over_people", "repeat_ask", "solution_before_empathy", "jargon")
Move = Literal[
    "listen", "empathize", "apologize", "resolve", "note", "follow_up", "boundary", "transfer", "status_update"
]
# The moves each card counts as (a de-escalation acknowledgement is the Empathize move too).
CARD_MOVES: dict[tuple[str, str], frozenset[str]] = {
    ("de_escalation", "acknowledge_emotion"): frozenset({"boundary", "empathize"}),
    ("learn", "note"): frozenset({"note", "follow_up"}),
}
FRAMEWORK_MOVES = {
    "de_escalation": "boundary",
    "warm_transfer": "transfer",
    "proactive_update": "status_update",
    "closing_loop": "follow_up",
}


class Gold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str | None = None
    cues: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    canned: list[str] = Field(default_factory=list)
    expect: Literal["quiet"] | list[Move] | None = None


class GoldTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["customer", "agent"]
    text: str
    gold: Gold = Field(default_factory=Gold)


class GoldChat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    domain: str
    company: str
    turns: list[GoldTurn]

    def conversation(self) -> Conversation:
        return Conversation(
            conversation_id=self.id, tenant=self.company, turns=[Turn(role=t.role, text=t.text) for t in self.turns]
        )


def load_chats(path: Path) -> list[GoldChat]:
    """Every chat under `path` (a folder, searched recursively, or one YAML file)."""
    files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path] if path.is_file() else []
    if not files:
        raise DatasetMissing(f"no evaluation chats (*.yaml) at {path}")
    return [GoldChat.model_validate(yaml.safe_load(f.read_text(encoding="utf-8"))) for f in files]


def card_moves(card: Suggestion) -> frozenset[str]:
    if (card.framework, card.step) in CARD_MOVES:
        return CARD_MOVES[(card.framework, card.step)]
    return frozenset({FRAMEWORK_MOVES.get(card.framework, card.step)})


class _Counts:
    """True/false positives and false negatives per label."""

    def __init__(self) -> None:
        self.tp: dict[str, int] = defaultdict(int)
        self.fp: dict[str, int] = defaultdict(int)
        self.fn: dict[str, int] = defaultdict(int)

    def add(self, gold: Iterable[str], predicted: Iterable[str]) -> None:
        gold, predicted = set(gold), set(predicted)
        for label in gold & predicted:
            self.tp[label] += 1
        for label in predicted - gold:
            self.fp[label] += 1
        for label in gold - predicted:
            self.fn[label] += 1

    def report(self, labels: Sequence[str] | None = None) -> dict:
        names = sorted(set(self.tp) | set(self.fp) | set(self.fn)) if labels is None else list(labels)
        table = {name: _prf(self.tp[name], self.fp[name], self.fn[name]) for name in names}
        micro = _prf(sum(self.tp[n] for n in names), sum(self.fp[n] for n in names), sum(self.fn[n] for n in names))
        return {"micro": micro, "per_label": table}


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0 if tp + fp + fn else None
    rounded = {k: (round(v, 4) if v is not None else None) for k, v in (("precision", precision), ("recall", recall))}
    return {**rounded, "f1": round(f1, 4) if f1 is not None else None, "support": tp + fn, "predicted": tp + fp}


def _norm(text: str) -> str:
    return " ".join(words(text))


def evaluate_coaching(engine: CoachingEngine, path: Path = DEFAULT_DIR / "dev") -> dict:
    chats = load_chats(path)
    by_company: dict[str, list[GoldChat]] = defaultdict(list)
    for chat in chats:
        by_company[chat.company].append(chat)
    for company, group in by_company.items():
        engine.learn_macros([c.conversation() for c in group], tenant=company)
    analyses = engine.analyze_many([c.conversation() for c in chats])
    upset, cues, flags, templated = _Counts(), _Counts(), _Counts(), _Counts()
    # Per customer turn, for the state and upset-or-not figures beside VADER's: gold, the coach's, the text.
    read: list[tuple[str, str, bool, str]] = []
    key_turns = right = wrong = quiet_turns = quiet_with_cards = 0
    misses: list[dict] = []
    for chat, chat_analyses in zip(chats, analyses, strict=True):
        for turn, analysis in zip(chat.turns, chat_analyses, strict=True):
            gold = turn.gold
            if turn.role == "customer" and analysis.customer is not None:
                upset.add(["upset"] if gold.state in UPSET_STATES else [], ["upset"] if analysis.customer.upset else [])
                if gold.state is not None:
                    read.append((gold.state, analysis.customer.state.label, analysis.customer.upset, turn.text))
                predicted = {c.kind for c in analysis.customer.cues} - STATE_CUES
                cues.add(gold.cues, predicted)
            elif turn.role == "agent" and analysis.agent is not None:
                predicted_flags = {f.kind for f in analysis.agent.flags} & set(FLAGS)
                flags.add(gold.flags, predicted_flags)
                missed, extra = set(gold.flags) - predicted_flags, predicted_flags - set(gold.flags)
                if missed or extra:
                    why = f"flags: missed {sorted(missed)}, extra {sorted(extra)}"
                    misses.append({**_miss(chat, analysis, why), "text": turn.text})
                canned = {_norm(s) for s in gold.canned}
                for sentence in analysis.agent.sentences:
                    text = _norm(sentence.span.text)
                    is_gold = text in canned or any(text and (text in c or c in text) for c in canned if c)
                    templated.add(["canned"] if is_gold else [], ["canned"] if sentence.templated.flag else [])
            shown = [card_moves(card) for card in analysis.suggestions]
            if gold.expect == "quiet":
                quiet_turns += 1
                quiet_with_cards += bool(shown)
                if shown:
                    misses.append(_miss(chat, analysis, "card on a quiet turn"))
            elif gold.expect:
                key_turns += 1
                accepted = set(gold.expect)
                hit = any(moves & accepted for moves in shown)
                off = any(not moves & accepted for moves in shown)
                right += hit
                wrong += off
                if off or not hit:
                    misses.append(_miss(chat, analysis, f"expected {gold.expect}"))
    return {
        "dataset": str(path),
        "chats": len(chats),
        "companies": len(by_company),
        "upset": upset.report(["upset"])["micro"],
        "cues": cues.report(),
        "flags": flags.report(FLAGS),
        "templated": templated.report(["canned"])["micro"],
        "steps": {
            "key_turns": key_turns,
            "right_step_shown": round(right / key_turns, 4) if key_turns else None,
            "wrong_step_shown": round(wrong / key_turns, 4) if key_turns else None,
            "quiet_turns": quiet_turns,
            "cards_on_quiet_turns": round(quiet_with_cards / quiet_turns, 4) if quiet_turns else None,
        },
        "customer_reading": _customer_reading(read),
        "misses": misses,
        "method": "chats of one company share a tenant whose macro memory first reads their agent sentences; "
        "upset = the engine's one definition vs gold state in {frustration, anger, disappointment, anxiety}; "
        "cues exclude state cues; a key turn is right when a card shows an accepted move and wrong when a "
        "card shows a move not accepted",
    }


def _customer_reading(read: Sequence[tuple[str, str, bool, str]]) -> dict | None:
    """State macro-F1 over the states the gold uses and upset-or-not macro-F1, the coach's beside
    VADER's (as a state reader: `eval.common.vader_states`; negative is upset)."""
    if not read:
        return None
    from eval.common import VADER_STATE, single_label_report, upset_report, vader_sentiment
    from models.labels import CUSTOMER_STATES

    gold_states = [g for g, _, _, _ in read]
    vader = vader_sentiment([t for _, _, _, t in read])  # one VADER pass for both figures
    present = [label for label in CUSTOMER_STATES if label in gold_states]
    gold_upset = [g in UPSET_STATES for g in gold_states]

    def state_f1(predicted: list[str]) -> float:
        return single_label_report(gold_states, predicted, present)["macro_f1"]

    def upset_f1(predicted: list[bool]) -> float:
        return upset_report(gold_upset, predicted)["upset_or_not_macro_f1"]

    return {
        "turns": len(read),
        "state_macro_f1": state_f1([c for _, c, _, _ in read]),
        "state_macro_f1_vader": state_f1([VADER_STATE[v] for v in vader]),
        "upset_or_not_macro_f1": upset_f1([u for _, _, u, _ in read]),
        "upset_or_not_macro_f1_vader": upset_f1([v == "negative" for v in vader]),
        "method": "each customer turn with a gold state; the coach's state and its one definition of upset as the "
        "engine reads the chat turn by turn; macro-F1 over the states present in the gold",
    }


def _miss(chat: GoldChat, analysis: TurnAnalysis, why: str) -> dict:
    return {
        "chat": chat.id,
        "turn": analysis.index,
        "why": why,
        "shown": [f"{c.framework}.{c.step}: {c.why_now}" for c in analysis.suggestions],
    }
