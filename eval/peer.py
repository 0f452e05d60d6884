"""The peer as a command, for whole-process timings: what a team would write with transformers,
`pipeline("text-classification", top_k=None)` over a roberta-base-shaped GoEmotions model loaded
from disk, one JSON line per input line.

    python -m eval.peer MODEL_DIR FILE

`ensure_peer_model` writes that model once (random weights: timing only, no hub here), with this
project's WordPiece tokenizer, since roberta's BPE files would come from a hub.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def ensure_peer_model(target: Path, tokenizer_from: Path) -> Path:
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(tokenizer_from))
    config = RobertaConfig(
        vocab_size=tokenizer.vocab_size,
        num_labels=28,
        problem_type="multi_label_classification",
        pad_token_id=tokenizer.pad_token_id,
    )  # roberta-base shape: 12 x 768
    torch.manual_seed(0)
    RobertaForSequenceClassification(config).save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m eval.peer MODEL_DIR FILE", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import pipeline

    classify = pipeline("text-classification", model=args[0], top_k=None, device="cpu")
    texts = [line.rstrip("\n") for line in Path(args[1]).read_text(encoding="utf-8").splitlines() if line.strip()]
    for text, scores in zip(texts, classify(texts, batch_size=32, truncation=True, max_length=64), strict=True):
        print(json.dumps({"text": text, "scores": {s["label"]: round(s["score"], 4) for s in scores}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
