"""Optional ONNX Runtime back end (`pip install coachline[onnx]`): the network exported to
ONNX and dynamically quantised to int8, cached on disk by the weights' checksum so the
export (tens of seconds) happens once per model."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from models.inference import Forward
from models.network import EmotionNetwork

OUTPUTS = ["emotion_logits", "sentiment_logits", "state_logits", "pooled"]


def cache_dir() -> Path:
    return Path(os.environ.get("COACHLINE_CACHE", Path.home() / ".cache" / "coachline"))


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def export_int8(network: EmotionNetwork, weights: Path, target_dir: Path | None = None) -> Path:
    """The int8 ONNX file for these weights, exported and quantised on first use."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target_dir = target_dir or cache_dir()
    target = target_dir / f"coachline-emotion-{_checksum(weights)}-int8.onnx"
    if target.is_file():
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_suffix(".fp32.onnx")
    ids = torch.ones((2, 8), dtype=torch.long)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network.eval()
        torch.onnx.export(
            network, (ids, torch.ones_like(ids)), str(fp32), input_names=["input_ids", "attention_mask"],
            output_names=OUTPUTS, opset_version=17, dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask")},
        )  # fmt: skip
    partial = target.with_suffix(".partial")
    quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8)
    fp32.unlink()
    partial.replace(target)  # atomic: a concurrent loader never sees half a file
    return target


def onnx_forward(model_path: Path, threads: int | None = None) -> Forward:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> list[np.ndarray]:
        return session.run(OUTPUTS, {"input_ids": input_ids, "attention_mask": attention_mask})

    return forward
