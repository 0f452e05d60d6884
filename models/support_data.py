"""The team's own labelled support chats (models/support_chats/*.yaml): customer turns with the
agent turn before them, each labelled with a customer state, upset or not, and its cues.

They teach the emotion model support language (GoEmotions is Reddit) and measure it. One file
holds one domain; the split is by file (`split:`), so the test domains are ones the model never
saw, as on a new customer's chats.

    python -m models.support_data models/support_chats/*.yaml   # validate, print counts
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.labels import CUSTOMER_STATES

SUPPORT_CHATS = Path(__file__).resolve().parent / "support_chats"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it

State = Literal["neutral", "satisfied", "confusion", "disappointment", "frustration", "anger", "anxiety"]
CueName = Literal[
    "complaint",
    "churn",
    "repeat_story",
    "waiting",
    "escalation",
    "abuse",
    "sarcasm",
    "worry",
    "disappointment",
    "settled",
    "question",
]
Split = Literal["train", "dev", "test"]


class Turn(BaseModel):
    """One exchange: what the agent said last (absent at the start) and the customer's reply."""

    model_config = ConfigDict(extra="forbid")

    agent: str | None = None
    customer: str = Field(min_length=1)
    state: State
    upset: bool
    cues: list[CueName] = Field(default_factory=list)


class Chat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    turns: list[Turn] = Field(min_length=1)


class ChatFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str
    split: Split
    licence: str
    chats: list[Chat] = Field(min_length=1)

    @model_validator(mode="after")
    def unique_ids(self) -> ChatFile:
        seen = Counter(chat.id for chat in self.chats)
        dupes = [i for i, n in seen.items() if n > 1]
        if dupes:
            raise ValueError(f"chat ids repeat: {', '.join(dupes)}")
        return self


@dataclass(frozen=True)
class LabelledTurn:
    """A customer turn ready for training or scoring; `previous` is the agent's turn before it."""

    chat_id: str
    domain: str
    split: str
    text: str
    previous: str | None
    state: str
    upset: bool
    cues: tuple[str, ...]


def read_chat_file(path: Path) -> ChatFile:
    try:
        return ChatFile.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER))
    except Exception as exc:  # a bad file names itself
        raise ValueError(f"{path}: {exc}") from exc


def iter_turns(paths: Iterable[Path]) -> Iterator[LabelledTurn]:
    for path in paths:
        chat_file = read_chat_file(path)
        for chat in chat_file.chats:
            for turn in chat.turns:
                yield LabelledTurn(
                    chat_id=chat.id,
                    domain=chat_file.domain,
                    split=chat_file.split,
                    text=turn.customer.strip(),
                    previous=turn.agent.strip() if turn.agent else None,
                    state=turn.state,
                    upset=turn.upset,
                    cues=tuple(turn.cues),
                )


def read_support_turns(directory: Path = SUPPORT_CHATS, split: str | None = None) -> list[LabelledTurn]:
    """Every labelled customer turn under `directory`, in file order; only `split`'s if given."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise FileNotFoundError(f"no support chat files (*.yaml) in {directory}")
    stamped = tuple((path, path.stat().st_mtime_ns) for path in paths)
    return [t for t in _parsed(stamped) if split is None or t.split == split]


@lru_cache(maxsize=4)
def _parsed(stamped: tuple[tuple[Path, int], ...]) -> tuple[LabelledTurn, ...]:
    """The turns of these files as they are now (a coach build reads the train and dev splits for two cue
    heads: 2.5 s of YAML each time before; an edited file has a new stamp and is read again)."""
    return tuple(iter_turns(path for path, _ in stamped))


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])] or sorted(SUPPORT_CHATS.glob("*.yaml"))
    turns = list(iter_turns(paths))
    print(f"{len(turns)} customer turns in {len({(t.domain, t.chat_id) for t in turns})} chats")
    for name, counter in (
        ("split", Counter(t.split for t in turns)),
        ("domain", Counter(t.domain for t in turns)),
        ("state", Counter(t.state for t in turns)),
        ("upset", Counter(t.upset for t in turns)),
        ("cues", Counter(c for t in turns for c in t.cues)),
    ):
        print(f"{name}: {dict(counter.most_common())}")
    assert set(CUSTOMER_STATES) >= {t.state for t in turns}
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
