"""`coach eval support`: the emotion model on the team's own support chats (models/support_chats),
per split: customer state (7-way macro-F1), upset at the calibrated threshold, the reliability
table of the calibrated upset probability, and VADER beside each. Dev chose the epoch and fitted
the calibration; test (two domains never trained on) was held back until the end."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, get_args

import numpy as np

from eval.common import single_label_report, upset_report, vader_sentiment, vader_states
from models.calibration import expected_calibration_error, reliability_table
from models.classifier import EmotionClassifier
from models.labels import CUSTOMER_STATES
from models.support_data import SUPPORT_CHATS, CueName, read_chat_file, read_support_turns

if TYPE_CHECKING:
    from app.coaching.engine import CoachingEngine

# Every cue the chats' gold uses (the engine names them all; `question` is the neutral state's).
SCORED_CUES: tuple[str, ...] = get_args(CueName)


def evaluate_support(classifier: EmotionClassifier, directory: Path = SUPPORT_CHATS, splits=("dev", "test")) -> dict:
    report: dict = {
        "dataset": str(directory),
        "model": {
            "backend": classifier.backend,
            "reads_previous_agent_turn": classifier.meta.context,
            "upset_threshold": classifier.calibration.threshold,
            "upset_temperature": classifier.calibration.temperature,
        },
        "method": "each customer turn with the agent turn before it; state = argmax of the state head; "
        "upset = calibrated probability >= threshold; VADER: compound <= -0.05 is upset, its polarity as a "
        "state (positive satisfied, negative frustration, else neutral)",
    }
    for split in splits:
        turns = read_support_turns(directory, split)
        predictions = classifier.predict([t.text for t in turns], contexts=[t.previous for t in turns])
        gold_state = [t.state for t in turns]
        truth = [t.upset for t in turns]
        probability = np.array([p.upset.probability for p in predictions])
        vader = vader_sentiment([t.text for t in turns])
        report[split] = {
            "turns": len(turns),
            "domains": sorted({t.domain for t in turns}),
            "customer_state": single_label_report(
                gold_state, [p.customer_state.label for p in predictions], CUSTOMER_STATES
            ),
            "customer_state_vader": {
                "macro_f1": single_label_report(gold_state, vader_states([t.text for t in turns]), CUSTOMER_STATES)[
                    "macro_f1"
                ]
            },
            "upset": upset_report(truth, [p.upset.upset for p in predictions]),
            "upset_vader": upset_report(truth, [v == "negative" for v in vader]),
            "upset_calibration": {
                "ece": expected_calibration_error(probability, np.array(truth, dtype=float)),
                "reliability": reliability_table(probability, np.array(truth, dtype=float)),
            },
        }
    return report


def evaluate_support_cues(engine: CoachingEngine, directory: Path = SUPPORT_CHATS, split: str = "test") -> dict:
    """The engine over whole chats of `split` (agent turns included, as live): for each customer
    turn, the cue kinds it shows against the gold cues, per kind P/R and micro P/R, plus the engine's
    upset (its one definition: the model, cues, carried through flat replies) against gold upset."""
    from app.coaching.conversation import Conversation, Turn

    conversations, gold = [], []
    for path in sorted(directory.glob("*.yaml")):
        chat_file = read_chat_file(path)
        if chat_file.split != split:
            continue
        for chat in chat_file.chats:
            turns = []
            for turn in chat.turns:
                if turn.agent:
                    turns.append(Turn(role="agent", text=turn.agent))
                turns.append(Turn(role="customer", text=turn.customer))
                gold.append(turn)
            conversations.append(Conversation(conversation_id=chat.id, turns=turns))
    shown: list[set[str]] = []
    upset: list[bool] = []
    for analyses in engine.analyze_many(conversations):
        for analysis in analyses:
            if analysis.customer is not None:
                shown.append({c.kind for c in analysis.customer.cues})
                upset.append(analysis.customer.upset)
    per_kind = {}
    tp_all = fp_all = fn_all = 0
    for kind in SCORED_CUES:
        tp = sum(kind in s and kind in g.cues for s, g in zip(shown, gold, strict=True))
        fp = sum(kind in s and kind not in g.cues for s, g in zip(shown, gold, strict=True))
        fn = sum(kind not in s and kind in g.cues for s, g in zip(shown, gold, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        per_kind[kind] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "shown": tp + fp,
            "gold": tp + fn,
        }
    return {
        "split": split,
        "chats": len(conversations),
        "customer_turns": len(gold),
        "method": "coach each chat turn by turn (agent turns included); a cue kind counts once per customer "
        "turn; precision is of what the sidebar would show",
        "cues_micro": {
            "precision": round(tp_all / (tp_all + fp_all), 4) if tp_all + fp_all else None,
            "recall": round(tp_all / (tp_all + fn_all), 4) if tp_all + fn_all else None,
        },
        "cues": per_kind,
        "engine_upset": upset_report([g.upset for g in gold], upset),
    }
