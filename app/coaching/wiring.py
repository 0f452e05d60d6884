"""The one place a coach is built: the command line, the service and the OpenAPI examples all
call `build_coach` (the models load once; the agent-move classifier trains from the library)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.coaching.engine import CoachingEngine
from app.coaching.frameworks import load_library
from models.artifact import DEFAULT_ARTIFACT


def build_coach(
    model_path: Path = DEFAULT_ARTIFACT,
    backend: str = "auto",
    threads: int | None = None,
    frameworks_dirs: Sequence[Path] = (),
    *,
    classifier_cache: int = 16_384,
    batch_size: int = 64,
    cache_dir: Path | None = None,
) -> CoachingEngine:
    """A coaching engine over the emotion model at `model_path` and the base sentence encoder on
    `backend` ("auto": ONNX int8 when onnxruntime is installed), with the built-in frameworks and
    each of `frameworks_dirs` over them (a tenant's YAML)."""
    from models.classifier import EmotionClassifier, resolve_backend
    from models.embedder import SentenceEncoder

    resolved = resolve_backend(backend)
    classifier = EmotionClassifier.load(
        model_path, backend=resolved, threads=threads, batch_size=batch_size, cache_size=classifier_cache
    )
    encoder = SentenceEncoder(backend=resolved, threads=threads)
    library = load_library(*[Path(d) for d in frameworks_dirs])
    return CoachingEngine(classifier, encoder, library, cache_dir=cache_dir)
