"""What the engine remembers about one conversation between turns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.coaching.analysis import CustomerTurnAnalysis, TurnAnalysis
from app.coaching.conversation import Turn
from app.coaching.learn import IdeaRenderer
from app.coaching.ledger import Ledger
from app.coaching.text import CustomerDetails

LEARN = ("listen", "empathize", "apologize", "resolve", "note")
T = TypeVar("T")


@dataclass
class ConversationState:
    conversation_id: str
    tenant: str = "default"
    turns: list[Turn] = field(default_factory=list)
    analyses: list[TurnAnalysis] = field(default_factory=list)
    details: CustomerDetails = field(default_factory=CustomerDetails)
    ledger: Ledger = field(default_factory=Ledger)
    last_customer: CustomerTurnAnalysis | None = None
    upset: bool = False  # the customer's last turn, by the one definition (app.coaching.upset)
    cues_seen: set[str] = field(default_factory=set)
    customer_text: str = ""
    fault: str = "unknown"  # who caused what went wrong (phrasing.fault over customer_text)
    coverage: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(LEARN, False))
    framework_steps: dict[str, set[str]] = field(default_factory=dict)
    sentiment_points: list[float] = field(default_factory=list)
    ideas: IdeaRenderer = field(default_factory=IdeaRenderer)
    memory: dict[str, Any] = field(default_factory=dict)  # each detector's own, by detector name

    def memory_of(self, name: str, factory: Callable[[], T]) -> T:
        """A detector's own memory in this conversation (created on first use)."""
        if name not in self.memory:
            self.memory[name] = factory()
        return self.memory[name]

    def covered(self, framework_id: str, step_id: str) -> bool:
        return step_id in self.framework_steps.get(framework_id, set())

    def previous_role(self) -> str | None:
        """The role of the turn before the one being analysed."""
        return self.turns[-2].role if len(self.turns) >= 2 else None
