"""How canned each agent sentence reads (`app.coaching.templated`): the stock library by meaning,
the tenant's macros, pasted help text. Its scores go on the context for the robotic check."""

from __future__ import annotations

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.phrases import PhraseIndex
from app.coaching.state import ConversationState
from app.coaching.templated import MacroMemory, TemplatedScorer
from app.coaching.text import split_sentences


class TemplatedPhrasingDetector:
    name = "templated"
    role = "agent"
    needs = frozenset({"vectors"})

    def __init__(self, canned: PhraseIndex, scorer: TemplatedScorer, macros: MacroMemory) -> None:
        self.canned = canned
        self.scorer = scorer
        self.macros = macros

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        nearest = self.canned.nearest(context.vectors)
        others = self.macros.other_conversations(state.tenant, state.conversation_id, context.vectors)
        customer_words = state.details.recent_words()
        run = agent_sentences_since_customer(state)
        details = state.details
        given = [*details.orders, *details.dates, *details.money, *details.products, *details.emails, *details.phones]
        scores = []
        for i, span in enumerate(context.sentences):
            score = self.scorer.score(
                span.text, nearest[i][0], others[i], customer_words, run + i + 1, customer_details=given
            )
            if context.compliance[i]:  # required disclosures are said verbatim on purpose
                score = score.model_copy(update={"flag": False})
            scores.append(score)
        context.templated = scores
        context.stock_category = [entry[1].category if entry else None for _, entry in nearest]
        return []


def agent_sentences_since_customer(state: ConversationState) -> int:
    """Agent sentences before this turn since the customer last spoke (a pasted burst runs long)."""
    count = 0
    for turn in reversed(state.turns[:-1]):
        if turn.role == "customer":
            break
        if turn.role == "agent":
            count += len(split_sentences(turn.text)) or 1
    return count
