"""What the agent owes the customer, as an explicit ledger of open obligations.

Customer turns open obligations (an upset turn owes empathy; a complaint an apology and a
resolution; a question an answer; an escalation a handoff); agent moves settle them; the
customer settles them all by saying it is sorted (thanks, relief). The card policy
(`app.coaching.policy`) shows one card per open obligation, most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Obligation = Literal[
    "boundary",  # abuse: acknowledge and set a boundary
    "handoff",  # they asked for someone else: a warm transfer
    "status_update",  # a proactive update lacked an apology, an action plan or a next-update time
    "empathy",
    "apology",
    "listen",  # confused or repeating: play back what they said
    "answer",  # an open question
    "resolution",  # something went wrong and nothing concrete has been offered yet
    "follow_up",  # a fix is offered after repeat contact: note it and say when you'll check back
]


@dataclass(frozen=True)
class Owed:
    """One open obligation: since which turn, and why (the evidence shown on the card)."""

    kind: Obligation
    since: int
    why: str
    parts: tuple[str, ...] = ()  # for status_update: the framework steps the update lacked


@dataclass
class Ledger:
    open: dict[str, Owed] = field(default_factory=dict)
    settled: dict[str, int] = field(default_factory=dict)  # obligation -> turn it was last settled
    owed_ever: set[str] = field(default_factory=set)  # every obligation ever opened (QA reads it afterwards)

    def owe(self, kind: Obligation, turn: int, why: str, parts: tuple[str, ...] = ()) -> None:
        """Open `kind` (an obligation already open keeps its first reason, updating its parts)."""
        self.owed_ever.add(kind)
        current = self.open.get(kind)
        if current is None:
            self.open[kind] = Owed(kind, turn, why, parts)
        elif parts != current.parts:
            self.open[kind] = Owed(kind, current.since, current.why, parts)

    def settle(self, kind: Obligation, turn: int) -> bool:
        """Close `kind`; True when it was open."""
        self.settled[kind] = turn
        return self.open.pop(kind, None) is not None

    def drop(self, kind: Obligation) -> None:
        """Close `kind` without it counting as given: a feeling that passed was not acknowledged."""
        self.open.pop(kind, None)

    def settle_all(self, turn: int) -> None:
        for kind in list(self.open):
            self.settle(kind, turn)  # type: ignore[arg-type]

    def owes(self, kind: Obligation) -> bool:
        return kind in self.open

    def ever_settled(self, kind: Obligation) -> bool:
        return kind in self.settled
