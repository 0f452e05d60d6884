"""`coach annotate`: transcript JSONL in, the same conversations out with an `analysis` on
every turn.  Conversations are analysed in chunks with one bulk model call per chunk."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from pydantic import ValidationError
from tqdm import tqdm

from app.coaching.conversation import Conversation
from app.coaching.engine import CoachingEngine

CHUNK = 64  # conversations per bulk model call


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    raw: dict | None
    conversation: Conversation | None
    error: str | None = None


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")


def parse_transcripts(lines: Iterable[str]) -> Iterator[ParsedLine]:
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            yield ParsedLine(line_no, None, None, "empty line: one conversation JSON object per line")
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ParsedLine(line_no, None, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        try:
            yield ParsedLine(line_no, raw, Conversation.model_validate(raw))
        except ValidationError as exc:
            yield ParsedLine(
                line_no, None, None, f'not a conversation {{"conversation_id", "turns"}}: {_describe(exc)}'
            )


def annotate_stream(
    engine: CoachingEngine,
    source: TextIO,
    sink: TextIO,
    *,
    tenant: str = "default",
    learn_macros: bool = True,
    name: str = "-",
    err: TextIO = sys.stderr,
) -> int:
    """Annotate every conversation in order; bad lines become {"line", "error"} records.

    With `learn_macros`, the agent sentences of the whole input are first fed to the macro
    memory (a file is one tenant's traffic), so a macro is recognised from its first use.
    Returns the number of bad lines.
    """
    parsed = list(parse_transcripts(source.readlines()))
    good = [p.conversation for p in parsed if p.conversation is not None]
    chunks = [parsed[start : start + CHUNK] for start in range(0, len(parsed), CHUNK)]
    if learn_macros:
        # The first chunk's warm-up goes first, so its customer and agent sentences share one
        # length-sorted encoder call (less padding than two); `learn_macros` then finds them
        # cached and encodes only the later chunks' agent sentences.  (The loop below warms
        # the first chunk again: cache hits, unless a huge file's macros evicted them.)
        if chunks:
            engine.warm(p.conversation for p in chunks[0] if p.conversation is not None)
        engine.learn_macros(good, tenant)
    bad = 0
    bar = tqdm(total=len(parsed), desc="annotating", unit="conv", file=err, disable=len(parsed) < 50)
    for chunk in chunks:
        engine.warm(p.conversation for p in chunk if p.conversation is not None)
        for item in chunk:
            if item.conversation is None:
                bad += 1
                print(f"{name}:{item.line_no}: {item.error}", file=err)
                record: dict = {"line": item.line_no, "error": item.error}
            else:
                record = annotated_record(engine, item.raw or {}, item.conversation, tenant)
            sink.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            bar.update(1)
        sink.flush()
    bar.close()
    return bad


def annotated_record(engine: CoachingEngine, raw: dict, conversation: Conversation, tenant: str) -> dict:
    """The input object, unchanged, with `analysis` added to each turn."""
    analyses = engine.analyze(conversation, tenant)
    turns = [
        {**turn, "analysis": analysis.model_dump(exclude_none=True, exclude={"index", "role"})}
        for turn, analysis in zip(raw.get("turns", []), analyses, strict=True)
    ]
    return {**raw, "turns": turns}
