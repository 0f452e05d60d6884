"""The detector protocol: small components composed in an ordered pipeline over a turn context.

A detector declares its role (which turns it reads) and what it needs computed in the context
(`vectors`: the sentence encoder's; `emotions`: the emotion model's; `moves`: the agent-move
classifier's), and `run(context, state)` returns its cues or flags, each with its evidence. It
keeps what it must remember about a conversation in `state.memory_of(self.name, ...)`. None
loads a model itself, so each is testable with a fake context.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from app.coaching.analysis import AgentFlag, Cue
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState

Role = Literal["customer", "agent"]
Need = Literal["vectors", "emotions", "moves"]


@runtime_checkable
class Detector(Protocol):
    """A detector may also set `opens_obligations = False`: its cues are shown to the agent, but the
    ledger owes nothing for them (the engine lists them in `TurnContext.shown_only`)."""

    name: str
    role: Role
    needs: frozenset[Need]

    def run(self, context: TurnContext, state: ConversationState) -> Sequence[Cue | AgentFlag]: ...
