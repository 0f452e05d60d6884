"""Optional ONNX Runtime back end (`pip install coachline[onnx]`): the network exported to
ONNX and dynamically quantised to int8, cached on disk by the weights' checksum so the
export (tens of seconds) happens once per model."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.inference import Forward

if TYPE_CHECKING:  # torch is needed to export, never to run an export
    import torch

    from models.network import EmotionNetwork

OUTPUTS = ["emotion_logits", "sentiment_logits", "state_logits", "upset_logit", "pooled"]
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
FORMAT = "v3"  # bumped when the exported graph (inputs, outputs, quantisation) changes


def cache_dir() -> Path:
    return Path(os.environ.get("COACHLINE_CACHE", Path.home() / ".cache" / "coachline"))


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _checksum(path: Path) -> str:
    """The weights' sha256 (16 hex digits), remembered beside the exports by size and mtime:
    hashing 45 MB on every start would cost a tenth of a second of a one-line `coach classify`."""
    stat = path.stat()
    memo = cache_dir() / "checksums.json"
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), str):
        return known[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()[:16]
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps({**(known if isinstance(known, dict) else {}), key: value}), encoding="utf-8")
        partial.replace(memo)
    except OSError:  # a read-only cache only costs the hash next time
        pass
    return value


def _export_int8(
    module: torch.nn.Module, inputs: list[str], outputs: list[str], target: Path, **quantise: object
) -> Path:
    """`module(*inputs)` exported to ONNX and dynamically quantised to int8 at `target`, unless
    it is there already (the name carries the weights' checksum)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_suffix(f".{os.getpid()}.fp32.onnx")  # per process: two first uses may export at once
    ids = torch.ones((2, 8), dtype=torch.long)
    sample = (ids, torch.ones_like(ids), torch.zeros_like(ids))[: len(inputs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            sample,
            str(fp32),
            input_names=inputs,
            output_names=outputs,
            opset_version=17,
            dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs},
        )
    partial = target.with_suffix(f".{os.getpid()}.partial")
    quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, **quantise)  # type: ignore[arg-type]
    fp32.unlink()
    partial.replace(target)  # atomic: a concurrent loader never sees half a file
    return target


def emotion_model_file(weights: Path, target_dir: Path | None = None) -> Path:
    """Where the int8 ONNX file of these emotion-model weights is (or will be) cached."""
    return (target_dir or cache_dir()) / f"coachline-emotion-{_checksum(weights)}-{FORMAT}-int8.onnx"


def export_int8(network: EmotionNetwork, weights: Path, target_dir: Path | None = None) -> Path:
    """The int8 ONNX file for these weights, exported and quantised on first use. MatMul weights
    per output channel: per-tensor scales moved the upset logit by 1.5 on average on the support dev
    turns (state macro-F1 0.687 -> 0.642); per channel by 0.5 (0.685)."""
    return _export_int8(
        network,
        INPUTS,
        OUTPUTS,
        emotion_model_file(weights, target_dir),
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )


def _session(model_path: Path, threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    # No spin-waiting between runs: a server calls the models in short bursts from several
    # threads, and spinning pool threads would burn the cores the rest of a request needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def onnx_forward(model_path: Path, threads: int | None = None) -> Forward:
    """Batches run on `threads`; a single text on one thread, which is faster (p50 1.75 ms vs
    2.36 ms on two: a dozen tokens don't split well), and that is what a live service mostly sends."""
    session = _session(model_path, threads)
    single = _session(model_path, 1) if (threads or default_threads()) > 1 else session

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray) -> list[np.ndarray]:
        chosen = single if input_ids.shape[0] == 1 else session
        feed = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        return chosen.run(OUTPUTS, feed)

    return forward


def _last_hidden_state(encoder: torch.nn.Module) -> torch.nn.Module:
    """The encoder's token vectors alone (pooling stays outside, in numpy)."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return LastHiddenState()


def sentence_encoder_file(weights: Path, target_dir: Path | None = None) -> Path:
    """Where the int8 ONNX file of these sentence-encoder weights is (or will be) cached."""
    return (target_dir or cache_dir()) / f"sentence-encoder-{_checksum(weights)}-int8.onnx"


def export_sentence_encoder(encoder: torch.nn.Module, target: Path) -> Path:
    """The int8 ONNX file of the base sentence encoder (the transformer of all-MiniLM-L6-v2),
    exported to `target` on first use (`sentence_encoder_file` names it by the weights' checksum).

    Weights quantised per output channel (per-tensor scales moved cosines twice as much).
    Activations are quantised dynamically, with one scale over the whole input, so the caller
    encodes one sentence per run: in a batch a sentence's vector would depend on its
    neighbours (by up to 0.07 in cosine), alone it is always the same.  Against fp32 a pair of
    sentences' cosine moves by 0.012 on average (p99 0.04), for 2.8x less CPU."""
    return _export_int8(
        _last_hidden_state(encoder),
        INPUTS[:2],
        ["last_hidden_state"],
        target,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )


def sentence_encoder_forward(model_path: Path, threads: int | None = None):
    """(input_ids, attention_mask) -> unit-length mean-pooled sentence vectors, as
    sentence-transformers' mean pooling and normalisation compute them.  Give it one
    sentence at a time (see `export_sentence_encoder`)."""
    session = _session(model_path, threads)

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        (hidden,) = session.run(["last_hidden_state"], {"input_ids": input_ids, "attention_mask": attention_mask})
        mask = attention_mask[..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    return forward
