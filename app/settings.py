"""One settings object for the whole service, read from the environment (prefix COACHLINE_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.artifact import DEFAULT_ARTIFACT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACHLINE_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///./coachline.db", description="SQLAlchemy URL; SQLite file by default")
    model_path: Path = Field(DEFAULT_ARTIFACT, description="emotion model artifact folder")
    backend: Literal["auto", "fp32", "int8", "onnx-int8"] = Field(
        "auto", description="auto: onnx-int8 when onnxruntime is installed, else fp32"
    )
    threads: int | None = Field(None, description="torch intra-op threads (default: torch's choice)")
    frameworks_dirs: list[Path] = Field(default_factory=list, description="extra framework folders")
    max_text_chars: int = Field(4000, description="longer turn texts are refused with 413")
    batch_max_size: int = Field(32, description="micro-batching: most turns per model call")
    batch_max_wait_ms: float = Field(
        0.0, description="micro-batching: longest wait to fill a batch; 0: take what is queued, never wait"
    )
    rate_limit_per_minute: int = Field(
        6000,
        description="requests per API key per minute (0: no limit); a platform often sends a whole "
        "contact centre's turns with one key: 50 chats at a turn a second is 3,000 a minute",
    )
    macro_warmup_turns: int = Field(
        2000,
        ge=0,
        description="at start-up the latest this many stored agent turns teach the macro memory "
        "(a team's own macros are recognised again after a restart; 0: start empty)",
    )
    macro_sync_seconds: float = Field(
        10.0,
        ge=0,
        description="how often a worker reads the agent turns other workers stored into its macro "
        "memory (0: never; each worker then knows only its own traffic and its start-up read)",
    )
    key_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="authenticated keys are remembered this long: a revocation or PII-mode change "
        "made elsewhere takes effect within it (0: look every key up on every request)",
    )
    rate_limit_storage: str = Field("memory://", description="`limits` storage; redis://... counts across workers")
    stream_poll_ms: float = Field(200.0, description="how often streams look for turns stored by other workers")
    default_pii_mode: Literal["off", "redact", "mask"] = "redact"
    pii_tagger: bool = Field(
        True,
        description="also redact names, street lines and secrets found by the learned PII tagger "
        "(models/coachline-pii, a few ms a turn); false: patterns only",
    )
    pii_tag_while_waiting: bool = Field(
        True,
        description="run the PII tagger while a turn waits on the emotion model (lower latency, two cores "
        "at once); false: one after the other (`coach worker` sets it, leaving a core to acknowledgements)",
    )
    pii_ner: bool = Field(
        False,
        description="also redact people's names and places (spaCy NER): off by default, since under "
        "`coach bench load` it raised the live p50 from 35 to 190 ms on 2 cores",
    )
    cache_dir: Path | None = Field(
        None, description="where trained agent-move and customer-cue heads are remembered (default ~/.cache/coachline)"
    )
    host: str = Field(
        "127.0.0.1", description="the address `coach serve` binds (it sets this); decides the demo's default"
    )
    demo: bool | None = Field(
        None,
        description="serve /demo with a demo tenant (conversations demo-*) and tokens for it without a key; "
        "default: on when bound to loopback, off otherwise",
    )
    token_secret: str | None = Field(
        None, description="signs browser tokens; default: a random secret kept in the database (shared by workers)"
    )
    token_ttl_seconds: int = Field(900, ge=30, le=86400, description="default lifetime of a browser token")
    callback_dispatch: bool = Field(True, description="deliver outbound callbacks from this process")
    callback_max_attempts: int = Field(8, ge=1, description="attempts before a callback event is dead-lettered")
    callback_backoff_initial_s: float = Field(1.0, gt=0, description="first retry delay (doubling, with jitter)")
    callback_backoff_max_s: float = Field(300.0, gt=0, description="longest retry delay")
    callback_concurrency: int = Field(4, ge=1, description="requests in flight at once per callback URL")
    callback_timeout_s: float = Field(10.0, gt=0, description="how long a callback URL has to answer")
    qa_dir: Path = Field(
        Path("coachline-qa"), description="where QA job uploads and results are kept (one folder per job)"
    )
    qa_max_upload_mb: int = Field(50, ge=1, description="the largest QA upload accepted (413 above it)")
    qa_jobs: bool = Field(True, description="run QA jobs in this process (off: accept and store them only)")
    webhook_inbox: bool = Field(
        True, description="analyse acknowledged webhook events in this process (off: acknowledge and store only)"
    )

    @property
    def demo_enabled(self) -> bool:
        if self.demo is not None:
            return self.demo
        return self.host in {"127.0.0.1", "localhost", "::1"} or self.host.startswith("127.")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def threads_per_worker(workers: int) -> int:
    """Model threads for each of `workers` processes sharing this machine's cores: more
    threads than cores in all only makes the workers' models fight over them."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
