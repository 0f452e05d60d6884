"""`coach classify`: texts in (plain lines or JSONL with "text"), JSONL predictions out."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from tqdm import tqdm

from models.classifier import EmotionClassifier

CHUNK = 2048  # lines per model call: bounded memory, output streams on large files
PROGRESS_MIN_LINES = 500


@dataclass(frozen=True)
class InputLine:
    line_no: int
    text: str | None
    error: str | None = None


def parse_lines(lines: Iterable[str]) -> Iterator[InputLine]:
    """Plain text (one per line) or JSONL with a "text" field, decided by the first line."""
    jsonl: bool | None = None
    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if jsonl is None:
            jsonl = line.lstrip().startswith("{")
        if not line.strip():
            yield InputLine(line_no, None, "empty line: give one text per line")
            continue
        if not jsonl:
            yield InputLine(line_no, line)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputLine(line_no, None, f"invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str) or not text.strip():
            yield InputLine(line_no, None, 'expected an object with a non-empty string "text" field')
        else:
            yield InputLine(line_no, text)


def _chunks(items: Iterator[InputLine], size: int) -> Iterator[list[InputLine]]:
    chunk: list[InputLine] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def classify_stream(
    classifier: EmotionClassifier, source: TextIO, sink: TextIO, *, name: str = "-", err: TextIO = sys.stderr
) -> int:
    """Write one JSON object per input line, in order; bad lines become error objects.

    Returns the number of bad lines (the CLI exits non-zero when it is not 0).
    """
    lines = source.readlines()  # the count drives the progress bar's ETA
    bar = tqdm(total=len(lines), desc="classifying", unit="text", file=err, disable=len(lines) < PROGRESS_MIN_LINES)
    bad = 0
    for chunk in _chunks(parse_lines(lines), CHUNK):
        good = [item for item in chunk if item.text is not None]
        predictions = iter(classifier.predict([item.text for item in good], progress=bar.update))  # type: ignore[misc]
        for item in chunk:
            if item.error is not None:
                bad += 1
                print(f"{name}:{item.line_no}: {item.error}", file=err)
                record = {"line": item.line_no, "error": item.error}
            else:
                record = next(predictions).to_dict()
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        sink.flush()
    bar.close()
    return bad
