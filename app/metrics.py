"""Prometheus metrics: HTTP requests and latency, micro-batch sizes, cues and flags raised.

With several uvicorn workers, prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
set by `coach serve --workers N`) keeps each worker's values in a shared folder and /metrics
sums them; a single worker uses the default in-process registry.
"""

from __future__ import annotations

import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from app.coaching.analysis import TurnAnalysis

# Buckets bracket the live-coaching targets (p50 15 ms, p99 60 ms) finely.
LATENCY_BUCKETS = (0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.045, 0.06, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter("coachline_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "coachline_http_request_duration_seconds",
    "Time to answer, by route",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "coachline_model_batch_size", "Turns per micro-batched model call", buckets=(1, 2, 4, 8, 16, 32, 64, 128)
)
CUES = Counter("coachline_customer_cues_total", "Customer cues flagged on stored turns", ["cue"])
AGENT_FLAGS = Counter("coachline_agent_flags_total", "Agent-turn flags raised on stored turns", ["flag"])
STREAMED_TURNS = Counter("coachline_stream_messages_total", "Turns pushed to WebSocket subscribers")


def record_analysis(analysis: TurnAnalysis) -> None:
    if analysis.customer is not None:
        for cue in analysis.customer.cues:
            CUES.labels(cue.kind).inc()
    if analysis.agent is not None:
        for flag in analysis.agent.flags:
            AGENT_FLAGS.labels(flag.kind).inc()


def render() -> tuple[bytes, str]:
    """The exposition text and its content type, summed over workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI, so streaming and WebSocket traffic pass untouched. The route label is the
    matched path template (FastAPI sets scope["route"]), never the raw path: conversation ids
    would explode the label set."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            if route != "/metrics":
                LATENCY.labels(scope["method"], route).observe(time.perf_counter() - start)
                REQUESTS.labels(scope["method"], route, str(status)).inc()
