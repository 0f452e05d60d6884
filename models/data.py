"""Readers for the GoEmotions TSV files (text, comma-separated label ids, id)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.labels import GOEMOTIONS_LABELS


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: np.ndarray  # (n, 28) multi-hot, uint8

    def label_names(self, row: int) -> list[str]:
        return [GOEMOTIONS_LABELS[j] for j in np.flatnonzero(self.labels[row])]


def read_goemotions(path: Path) -> LabelledTexts:
    """Read one GoEmotions split; a malformed row raises with its line number."""
    texts: list[str] = []
    rows: list[np.ndarray] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, fields in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if len(fields) < 2:
                raise ValueError(f"{path}:{line_no}: expected 'text<TAB>label ids<TAB>id', got {fields!r}")
            target = np.zeros(len(GOEMOTIONS_LABELS), dtype=np.uint8)
            try:
                for label_id in fields[1].split(","):
                    target[int(label_id)] = 1
            except (ValueError, IndexError) as exc:
                raise ValueError(f"{path}:{line_no}: bad label ids {fields[1]!r}") from exc
            texts.append(fields[0])
            rows.append(target)
    return LabelledTexts(texts, np.stack(rows))
