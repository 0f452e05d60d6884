"""The QA scorer on Ray Data, for when one machine is not enough (`coach score --engine ray`).

The conversations become a Ray dataset; `map_batches` runs them through a pool of actors, each of
which builds the coach once (the models load once per actor, not per batch); results stream back in
input order, so the runner's ledger and resume work exactly as in process. `RAY_ADDRESS` joins a
cluster; without it a local Ray instance starts with `workers` CPUs. Optional: `pip install
'coachline[ray]'`. A score depends on its conversation alone (app.qa.scoring), so Ray and the
in-process engine give the same scores.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.coaching.conversation import Conversation
from app.qa.models import ConversationScore

BATCH = 16  # conversations per actor call


@dataclass(frozen=True)
class CoachSpec:
    """What each actor builds its coach from (picklable: paths and names, not models)."""

    model_path: Path
    backend: str = "auto"
    frameworks_dirs: Sequence[Path] = field(default_factory=tuple)
    rubric: str = "default_qa"
    threads: int = 1
    batch_size: int = 1  # each text alone through the model: a score never depends on its batch-mates


class ScoreActor:
    """One per Ray actor: the coach is built in `__init__`, once, and reused for every batch."""

    def __init__(self, spec: CoachSpec) -> None:
        from app.coaching.wiring import build_coach
        from app.qa.scoring import QAScorer, rubric_of

        engine = build_coach(
            spec.model_path, spec.backend, spec.threads, spec.frameworks_dirs, batch_size=spec.batch_size
        )
        self.scorer = QAScorer(engine, rubric_of(engine.library, spec.rubric))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        conversations = [Conversation.model_validate_json(text) for text in batch["conversation"]]
        return {"score": [score.model_dump_json() for score in self.scorer.score_many(conversations)]}


class RayEngine:
    def __init__(self, spec: CoachSpec, workers: int = 2, batch_size: int = BATCH) -> None:
        try:
            import ray  # noqa: F401
        except ImportError as missing:
            raise RuntimeError("--engine ray needs Ray: pip install 'coachline[ray]'") from missing
        self.spec = spec
        self.workers = workers
        self.batch_size = batch_size

    def _ensure_ray(self) -> None:
        import ray

        if ray.is_initialized():
            return
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:  # a local instance sized to the pool; no dashboard, nothing listening beyond loopback
            ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False, configure_logging=False)

    def scores(self, conversations: Iterable[Conversation]) -> Iterator[ConversationScore]:
        import ray

        items = [{"conversation": c.model_dump_json()} for c in conversations]
        if not items:
            return
        self._ensure_ray()
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the ledger is written in input order
        context.enable_progress_bars = False
        dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items) // self.batch_size))
        scored = dataset.map_batches(
            ScoreActor,
            fn_constructor_kwargs={"spec": self.spec},
            batch_size=self.batch_size,
            concurrency=self.workers,
            num_cpus=1,
        )
        for row in scored.iter_rows():
            yield ConversationScore.model_validate_json(row["score"])

    def shutdown(self) -> None:
        import ray

        if ray.is_initialized() and not os.environ.get("RAY_ADDRESS"):
            ray.shutdown()
