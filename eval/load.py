"""`coach bench load`: the live service under concurrent conversations, over loopback HTTP.

For each worker count and each phase a fresh SQLite database is migrated, one API key is made,
and the service is started as a separate process (uvicorn over the app factory, as `coach serve`
runs it). One httpx.AsyncClient then plays N concurrent conversations: each posts its turns in
order to POST /v1/conversations/{id}/turns, awaiting every answer before its next turn, with a
seeded exponential pause between turns (a chat's pace) or none (saturation). Every request's
end-to-end latency is timed on the client with time.perf_counter; an error is anything but 201.

Each phase gets its own server (cold caches, empty database) so every phase sends the same turns
and no phase profits from texts another phase already had analysed. The client runs on the
same machine as the server and shares its cores: the figures include the client's own CPU.

    python -m eval.load --workers 1,2 --conversations 50 --turns-per-conversation 12
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

from models.artifact import DEFAULT_ARTIFACT
from models.classifier import BACKEND_CHOICES

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_TRANSCRIPTS = SHARED_DATA / "maia-dqe" / "pt_br_client_02.json"
TARGETS = {"p50_ms": 15.0, "p99_ms": 60.0}
TURN_ROUTE = "/v1/conversations/{conversation_id}/turns"
RATE_LIMIT = 1_000_000  # the limiter still runs on every request; the default 600/min would refuse a chat's pace
ERROR_EXAMPLES = 5


class ServerFailed(RuntimeError):
    """The service under test did not start (or died): the message carries its stderr tail."""


@dataclass(frozen=True)
class TurnSpec:
    role: str
    text: str


@dataclass(frozen=True)
class TurnSource:
    dialogues: list[list[TurnSpec]]
    kind: str  # "maia-dqe" | "jsonl" | "synthetic"
    description: str


# --- the turns ------------------------------------------------------------------------------

_CUSTOMER_OPENERS = (
    "Hi, I was charged twice for order {order} and I only placed it once.",
    "My package for order {order} was supposed to arrive {days} days ago and the tracking hasn't moved.",
    "I've been trying to cancel my subscription since {month} and I keep getting billed ${amount}.",
    "The app logs me out every time I open the billing page on my {device}.",
    "I returned the {product} {days} days ago and still no refund of ${amount}.",
    "Hello, my internet has been dropping every evening this week, I work from home.",
    "Why did my plan go up to ${amount} this month? Nobody told me about a price change.",
    "I got a {product} with a cracked screen in order {order}.",
)
_CUSTOMER_FOLLOW_UPS = (
    "I already gave that to the last agent, it's {order}.",
    "This is the third time I'm explaining this!!",
    "ok",
    "How long is that going to take? I need it before {month}.",
    "That didn't work, it still shows ${amount} pending.",
    "Can I just talk to a supervisor please.",
    "Thanks, that actually helps. Will I get an email confirmation?",
    "I'm really worried because the rent is due and that ${amount} is all I have.",
    "If this isn't fixed today I'm cancelling and going to a competitor.",
    "Sorry, which number do you need, the one on the invoice or the order?",
)
_AGENT_LINES = (
    "Thanks for reaching out! Could you confirm the order number?",
    "I'm sorry about that, let me check order {order} for you.",
    "I can see the duplicate charge of ${amount}; I've requested the reversal, it takes 3-5 business days.",
    "We apologize for the inconvenience.",
    "I understand how frustrating it is to explain this again, I have everything I need from here.",
    "Please clear the app cache on your {device} and log in again.",
    "I've escalated this to our delivery team and I'll update you by email tomorrow before noon.",
    "Per our policy, refunds are processed once the item reaches our warehouse.",
    "Is there anything else I can help you with today?",
    "I've sent a replacement {product}; the tracking number will follow in a separate email.",
)
_FILL = {
    "device": ("iPhone", "Android phone", "laptop", "tablet"),
    "product": ("headset", "coffee grinder", "router", "smartwatch", "blender"),
    "month": ("March", "April", "the 15th", "last month"),
}


def synthetic_dialogues(count: int = 60, seed: int = 0) -> list[list[TurnSpec]]:
    """Support chats from templates (customer, agent alternating), details drawn per turn so
    the texts differ (the server's caches see no free repeats)."""
    rng = random.Random(seed)
    out: list[list[TurnSpec]] = []
    for _ in range(count):
        turns: list[TurnSpec] = []
        for j in range(rng.randint(6, 14)):
            if j == 0:
                template = rng.choice(_CUSTOMER_OPENERS)
            else:
                template = rng.choice(_CUSTOMER_FOLLOW_UPS if j % 2 == 0 else _AGENT_LINES)
            values = {name: rng.choice(options) for name, options in _FILL.items()}
            text = template.format(
                order=rng.randint(10_000, 99_999),
                days=rng.randint(2, 21),
                amount=f"{rng.randint(5, 400)}.{rng.randint(0, 99):02d}",
                **values,
            )
            turns.append(TurnSpec("customer" if j % 2 == 0 else "agent", text))
        out.append(turns)
    return out


def _maia_dialogues(path: Path) -> list[list[TurnSpec]]:
    """One API turn per MAIA message: customers in English machine translation (`text_mt`),
    agents as written (`text_src`)."""
    out: list[list[TurnSpec]] = []
    for dialogue in json.loads(path.read_text(encoding="utf-8")):
        turns: list[TurnSpec] = []
        for turn in dialogue["turns"]:
            customer = turn["floor"] == "inbound"
            text = " ".join(s.strip() for s in turn["text_mt" if customer else "text_src"] if s.strip())
            if text:
                turns.append(TurnSpec("customer" if customer else "agent", text))
        if turns:
            out.append(turns)
    return out


def _jsonl_dialogues(path: Path) -> list[list[TurnSpec]]:
    from app.coaching.conversation import Conversation

    out: list[list[TurnSpec]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            turns = [TurnSpec(t.role, t.text) for t in Conversation.model_validate_json(line).turns]
            if turns:
                out.append(turns)
    return out


def load_turn_source(path: Path | None) -> TurnSource:
    if path is not None and path.is_file():
        if path.suffix == ".json":
            dialogues = _maia_dialogues(path)
            return TurnSource(
                dialogues,
                "maia-dqe",
                f"MAIA-DQE {path}: {len(dialogues)} dialogues, one turn per "
                "message, customer text_mt (English MT), agent text_src",
            )
        dialogues = _jsonl_dialogues(path)
        return TurnSource(dialogues, "jsonl", f"transcript JSONL {path}: {len(dialogues)} conversations")
    dialogues = synthetic_dialogues()
    return TurnSource(
        dialogues, "synthetic", f"built-in synthetic support turns ({len(dialogues)} templated chats; {path} not found)"
    )


def plan_conversations(source: TurnSource, conversations: int, turns_each: int) -> list[list[TurnSpec]]:
    """N conversations of `turns_each` turns, read off the source's dialogues in order (cycling
    when it runs out), so texts repeat only once the whole source has been used."""
    stream = [turn for dialogue in source.dialogues for turn in dialogue]
    if not stream:
        raise ValueError(f"no turns in {source.description}")
    return [[stream[(i * turns_each + j) % len(stream)] for j in range(turns_each)] for i in range(conversations)]


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:].strip() or "(empty)"
    except OSError:
        return "(unreadable)"


def _group_cpu_s(pgid: int) -> float | None:
    """User+system CPU seconds of every live process in this process group (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after "pid (comm)": state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class Server:
    base: str
    key: str
    process: subprocess.Popen[bytes]
    start_s: float
    log: Path
    request_timeout_s: float
    webhook: tuple[str, str] | None = None  # (integration id, secret): turns go in as signed generic webhooks


def _make_integration(url: str) -> tuple[str, str]:
    from sqlalchemy.orm import sessionmaker

    from app.storage.database import make_engine, session_scope
    from app.webhooks.service import add_integration

    engine = make_engine(url)
    try:
        with session_scope(sessionmaker(engine)) as session:
            made = add_integration(session, "load-bench", "generic")
            return made.id, made.secret
    finally:
        engine.dispose()


def _make_key(url: str) -> str:
    from sqlalchemy.orm import sessionmaker

    from app.storage.database import make_engine, session_scope, upgrade
    from app.tenants.service import create_key

    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(sessionmaker(engine)) as session:
            return create_key(session, "load-bench").secret
    finally:
        engine.dispose()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # uvicorn shuts its workers down on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # stray workers of this server's own group, if any


@contextlib.contextmanager
def running_server(args: argparse.Namespace, workers: int, folder: Path) -> Iterator[Server]:
    """A fresh database, a key, and the service in its own process group on a loopback port,
    ready (GET /readyz 200) when yielded; stopped on exit whatever happened."""
    url = f"sqlite:///{folder / 'load.db'}"
    key = _make_key(url)
    port = args.port or free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        args.app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    env = {
        "COACHLINE_DATABASE_URL": url,
        "COACHLINE_MODEL_PATH": str(args.model),
        "COACHLINE_BACKEND": args.backend,
        "COACHLINE_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
    }
    if args.threads is not None:
        env["COACHLINE_THREADS"] = str(args.threads)
    elif workers > 1:  # as `coach serve --workers N` sets it
        from app.settings import threads_per_worker

        env["COACHLINE_THREADS"] = str(threads_per_worker(workers))
    if workers > 1:  # as `coach serve --workers N`: /metrics sums the workers
        metrics_dir = folder / "prometheus"
        metrics_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    separate = getattr(args, "worker_process", False)
    if separate:  # receive only: `coach worker` beside it analyses, delivers and scores
        env.update(
            {"COACHLINE_WEBHOOK_INBOX": "false", "COACHLINE_CALLBACK_DISPATCH": "false", "COACHLINE_QA_JOBS": "false"}
        )
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env}
    log = folder / "server.log"
    start = time.perf_counter()
    worker: subprocess.Popen[bytes] | None = None
    if separate:
        worker_env = {
            k: v
            for k, v in full_env.items()
            if not k.startswith(("COACHLINE_WEBHOOK", "COACHLINE_CALLBACK", "COACHLINE_QA"))
        }
        with open(folder / "worker.log", "wb") as sink:
            worker = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=REPO,
                env=worker_env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            command, cwd=REPO, env=full_env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, process, log, args.ready_timeout)
        webhook = _make_integration(url) if getattr(args, "webhooks", False) else None
        yield Server(base, key, process, time.perf_counter() - start, log, args.request_timeout, webhook)
    finally:
        _stop(process)
        if worker is not None:
            _stop(worker)


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    import httpx  # only the load benchmark needs it: `coach` starts without

    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while True:
        code = process.poll()
        if code is not None:
            raise ServerFailed(
                f"the service exited with status {code} before it was ready at {base}/readyz; "
                f"its output ends:\n{_tail(log)}"
            )
        try:
            response = httpx.get(f"{base}/readyz", timeout=2.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.TransportError as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            raise ServerFailed(
                f"the service was not ready at {base}/readyz after {timeout_s:g} s (last: {last}); "
                f"its output ends:\n{_tail(log)}"
            )
        time.sleep(0.2)


# --- server-side figures from /metrics --------------------------------------------------------


@dataclass
class Scrape:
    turn_count: float = 0.0
    turn_sum_s: float = 0.0
    turn_buckets: dict[float, float] = field(default_factory=dict)  # le -> cumulative count
    batch_count: float = 0.0
    batch_sum: float = 0.0


def _scrape(base: str) -> Scrape | None:
    import httpx  # only the load benchmark needs it: `coach` starts without
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = httpx.get(f"{base}/metrics", timeout=10.0).text
    except httpx.HTTPError:
        return None
    out = Scrape()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if family.name == "coachline_http_request_duration_seconds":
                if labels.get("route") != TURN_ROUTE or labels.get("method") != "POST":
                    continue
                if sample.name.endswith("_count"):
                    out.turn_count += sample.value
                elif sample.name.endswith("_sum"):
                    out.turn_sum_s += sample.value
                elif sample.name.endswith("_bucket"):
                    le = float(labels["le"])
                    out.turn_buckets[le] = out.turn_buckets.get(le, 0.0) + sample.value
            elif family.name == "coachline_model_batch_size":
                if sample.name.endswith("_count"):
                    out.batch_count += sample.value
                elif sample.name.endswith("_sum"):
                    out.batch_sum += sample.value
    return out


def _bucket_quantile(buckets: dict[float, float], total: float, q: float) -> float | None:
    """The upper bound (ms) of the histogram bucket holding the q-quantile."""
    for le in sorted(buckets):
        if buckets[le] >= q * total:
            return None if math.isinf(le) else round(le * 1000, 1)
    return None


def _server_side(before: Scrape | None, after: Scrape | None, cpu_s: float | None, turns: int) -> dict:
    out: dict = {"cpu_ms_per_request": round(cpu_s * 1000 / turns, 2) if cpu_s is not None and turns else None}
    if before is None or after is None:
        return {**out, "metrics": "unavailable"}
    count = after.turn_count - before.turn_count
    buckets = {le: n - before.turn_buckets.get(le, 0.0) for le, n in after.turn_buckets.items()}
    batches = after.batch_count - before.batch_count
    return {
        "turn_requests": int(count),
        "mean_ms": round((after.turn_sum_s - before.turn_sum_s) * 1000 / count, 2) if count else None,
        "p50_ms_at_most": _bucket_quantile(buckets, count, 0.50) if count else None,
        "p99_ms_at_most": _bucket_quantile(buckets, count, 0.99) if count else None,
        "model_batches": int(batches),
        "mean_batch_size": round((after.batch_sum - before.batch_sum) / batches, 2) if batches else None,
        **out,
    }


# --- the client -----------------------------------------------------------------------------


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def error(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < ERROR_EXAMPLES:
            self.examples.append(f"{kind}: {message[:300]}")


def _client(server: Server, connections: int) -> httpx.AsyncClient:
    import httpx  # only the load benchmark needs it: `coach` starts without

    # keep-alive expiry below uvicorn's 5 s so an idle connection is never reused as the server drops it
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=4.0)
    return httpx.AsyncClient(
        base_url=server.base,
        headers={"Authorization": f"Bearer {server.key}"},
        limits=limits,
        timeout=httpx.Timeout(server.request_timeout_s),
        http1=True,
        http2=False,
    )


async def _send(client: httpx.AsyncClient, server: Server, conversation_id: str, index: int, turn: TurnSpec):
    """One turn: through the turns API (answered 201 with its analysis), or, with --webhooks, as a
    signed generic webhook (answered 200 once stored: the analysis follows in the background)."""
    if server.webhook is None:
        return await client.post(
            f"/v1/conversations/{conversation_id}/turns", json={"role": turn.role, "text": turn.text}
        )
    from app.webhooks.adapters.generic import sign

    integration, secret = server.webhook
    event = {"event_id": f"{conversation_id}-{index}", "conversation_id": conversation_id, "role": turn.role}
    body = json.dumps({**event, "text": turn.text}).encode()
    headers = {"Content-Type": "application/json", "Coachline-Signature": sign(secret, int(time.time()), body)}
    return await client.post(f"/v1/webhooks/generic?integration={integration}", content=body, headers=headers)


async def _converse(
    client: httpx.AsyncClient,
    server: Server,
    conversation_id: str,
    turns: Sequence[TurnSpec],
    pauses_s: Sequence[float],
    tally: Tally | None,
) -> None:
    import httpx  # only the load benchmark needs it: `coach` starts without

    expected = 201 if server.webhook is None else 200
    for index, (turn, pause) in enumerate(zip(turns, pauses_s, strict=True)):
        if pause > 0:
            await asyncio.sleep(pause)
        start = time.perf_counter()
        try:
            response = await _send(client, server, conversation_id, index, turn)
        except httpx.HTTPError as exc:
            if tally is not None:
                tally.error(type(exc).__name__, str(exc) or repr(exc))
            continue
        elapsed_ms = (time.perf_counter() - start) * 1000
        if tally is None:
            continue
        if response.status_code == expected:
            tally.latencies_ms.append(elapsed_ms)
        else:
            tally.error(f"http_{response.status_code}", response.text)


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest sample with at least q% of the samples at or below it."""
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def _warm_up(server: Server, workers: int) -> int:
    """A few untimed conversations at once (enough to reach every worker); returns the errors."""
    tally = Tally()
    dialogues = synthetic_dialogues(count=4 * workers, seed=99)
    async with _client(server, len(dialogues)) as client:
        await asyncio.gather(
            *(
                _converse(client, server, f"warmup-{i}", d[:3], [0.0] * len(d[:3]), tally)
                for i, d in enumerate(dialogues)
            )
        )
    return sum(tally.errors.values())


def _phase_report(tally: Tally, requests: int, wall_s: float) -> dict:
    ordered = sorted(tally.latencies_ms)
    errors = sum(tally.errors.values())
    latency = (
        {name: round(_percentile(ordered, q), 2) for name, q in (("p50", 50), ("p90", 90), ("p99", 99))}
        | {"max": round(ordered[-1], 2), "mean": round(statistics.fmean(ordered), 2)}
        if ordered
        else {}
    )
    met = {
        "p50": bool(ordered) and latency["p50"] <= TARGETS["p50_ms"],
        "p99": bool(ordered) and latency["p99"] <= TARGETS["p99_ms"],
        "zero_errors": errors == 0,
    }
    return {
        "requests": requests,
        "ok": len(ordered),
        "errors": errors,
        "errors_by_kind": dict(tally.errors),
        "error_examples": tally.examples,
        "latency_ms": latency,
        "turns_per_s": round(len(ordered) / wall_s, 2) if wall_s > 0 else None,
        "wall_s": round(wall_s, 3),
        "targets_met": {**met, "all": all(met.values())},
    }


async def _drive(server: Server, plan: list[list[TurnSpec]], think_ms: float, seed: int, phase: str) -> dict:
    pauses = []
    for i, turns in enumerate(plan):  # a pause before every turn, the first included: starts are spread too
        rng = random.Random(seed * 1_000_003 + i)
        pauses.append([rng.expovariate(1000 / think_ms) if think_ms > 0 else 0.0 for _ in turns])
    tally = Tally()
    async with _client(server, len(plan) + 4) as client:
        start = time.perf_counter()
        await asyncio.gather(
            *(_converse(client, server, f"load-{phase}-{i}", turns, pauses[i], tally) for i, turns in enumerate(plan))
        )
        wall_s = time.perf_counter() - start
    return _phase_report(tally, sum(len(t) for t in plan), wall_s)


def _cpu_self_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_phase(args: argparse.Namespace, workers: int, phase: str, think_ms: float, plan: list[list[TurnSpec]]) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"coachline-load-{workers}w-{phase}-"))
    try:
        with running_server(args, workers, folder) as server:
            warmup_errors = asyncio.run(_warm_up(server, workers))
            before = _scrape(server.base)
            server_cpu, client_cpu = _group_cpu_s(server.process.pid), _cpu_self_s()
            report = asyncio.run(_drive(server, plan, think_ms, args.seed, phase))
            client_cpu = _cpu_self_s() - client_cpu
            server_cpu_end = _group_cpu_s(server.process.pid)
            server_cpu = server_cpu_end - server_cpu if server_cpu is not None and server_cpu_end is not None else None
            after = _scrape(server.base)
            alive = server.process.poll() is None
        report["offered"] = (
            f"closed loop, {len(plan)} conversations with exponential pauses (mean {think_ms:g} ms) between turns: "
            f"at most {len(plan) * 1000 / think_ms:.1f} turns/s"
            if think_ms > 0
            else f"closed loop, no pauses: {len(plan)} requests in flight at all times"
        )
        report["offered_turns_per_s"] = round(len(plan) * 1000 / think_ms, 1) if think_ms > 0 else None
        report["server_side"] = _server_side(before, after, server_cpu, report["requests"])
        report["client_cpu_ms_per_request"] = round(client_cpu * 1000 / report["requests"], 2)
        report["server_start_s"] = round(server.start_s, 1)
        report["warmup_errors"] = warmup_errors
        if not alive:
            report["server_died"] = f"the server exited during the phase; its output ends:\n{_tail(server.log)}"
        if report["errors"] or report["warmup_errors"]:
            report["server_log_tail"] = _tail(server.log, 2000)
        return report
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the command ----------------------------------------------------------------------------


def _worker_counts(value: str) -> list[int]:
    try:
        counts = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError(f"--workers wants a comma list of positive integers like 1,2, not {value!r}")
    return counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations")
    parser.add_argument("--turns-per-conversation", type=int, default=12)
    parser.add_argument("--workers", type=_worker_counts, default=[1, 2], help="server worker counts, e.g. 1,2")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=1000.0,
        help="mean of the seeded exponential pause before each turn (a chat's pace); 0: none",
    )
    parser.add_argument(
        "--saturation",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run a phase with no pauses (all conversations always waiting on an answer)",
    )
    parser.add_argument(
        "--transcripts",
        type=Path,
        default=DEFAULT_TRANSCRIPTS,
        help="MAIA-DQE JSON or transcript JSONL to take turns from (built-in synthetic if absent)",
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT, help="model artifact folder")
    parser.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="COACHLINE_BACKEND of the server (auto: as `coach serve`)",
    )
    parser.add_argument("--threads", type=int, default=None, help="COACHLINE_THREADS per worker (default: unset)")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for GET /readyz 200")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="send the turns as signed generic webhooks and time their acknowledgement (analysis is off that path)",
    )
    parser.add_argument(
        "--worker-process",
        action="store_true",
        help="serve receive-only and run `coach worker` beside it (webhook events analysed in that process)",
    )
    parser.add_argument("--request-timeout", type=float, default=60.0, help="seconds before a request counts as lost")
    parser.add_argument(
        "--app", default="app.main:create_app", help="uvicorn app factory to serve (a variant to compare)"
    )


def run_load_benchmark(args: argparse.Namespace) -> dict:
    from models.classifier import resolve_backend

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    workers_list = args.workers if isinstance(args.workers, list) else _worker_counts(str(args.workers))
    if args.conversations < 1 or args.turns_per_conversation < 1:
        raise ValueError("--conversations and --turns-per-conversation must be at least 1")
    source = load_turn_source(args.transcripts)
    plan = plan_conversations(source, args.conversations, args.turns_per_conversation)
    texts = [t.text for turns in plan for t in turns]
    phases: list[tuple[str, float]] = []
    if args.think_ms > 0:
        phases.append(("chat_pace", float(args.think_ms)))
    if args.think_ms <= 0 or args.saturation:
        phases.append(("saturation", 0.0))

    runs = []
    for workers in workers_list:
        runs.append(
            {
                "workers": workers,
                "phases": {name: run_phase(args, workers, name, think, plan) for name, think in phases},
            }
        )

    scaling_phase = phases[-1][0]
    scaling = {str(run["workers"]): run["phases"][scaling_phase]["turns_per_s"] for run in runs}
    first = scaling.get(str(workers_list[0]))
    passes = {
        f"workers={run['workers']}/{name}": run["phases"][name]["targets_met"]["all"]
        for run in runs
        for name, _ in phases
    }
    backend = resolve_backend(args.backend)
    think = (
        f"a seeded exponential pause (mean {args.think_ms:g} ms, seed {args.seed}) before each turn"
        if args.think_ms > 0
        else "no pauses"
    )
    threads = args.threads if args.threads is not None else "cores/workers with 2+ workers (as coach serve)"
    method = (
        f"Loopback HTTP/1.1 on 127.0.0.1. The server is a separate process (`python -m uvicorn {args.app} "
        f"--factory --workers N --log-level warning`, N in {workers_list}), restarted with a fresh SQLite file "
        f"(WAL) and one new API key (tenant PII mode redact) for every phase, so each phase starts from cold "
        f"caches and an empty database; rate limit {RATE_LIMIT}/min so it never refuses (the check still runs). "
        f"Model {args.model}, backend {args.backend} ({backend}), COACHLINE_THREADS {threads}. "
        f"The client is one httpx.AsyncClient (keep-alive "
        f"pool of {args.conversations + 4} connections) in this process on the same machine "
        f"({os.cpu_count()} cores visible), sharing the CPU with the server. {args.conversations} conversations run "
        f"concurrently, each posting {args.turns_per_conversation} turns in order to POST "
        f"/v1/conversations/{{id}}/turns and awaiting each answer before its next turn; chat_pace: {think}; "
        f"saturation: no pauses. Warm-up first: 4 untimed 3-turn conversations per worker, at once. Latency is "
        f"end to end per request (time.perf_counter around client.post: queueing, HTTP, analysis, storage); "
        f"percentiles are nearest-rank over answered turns; an error is any answer but 201 or a transport error "
        f"(no answer within {args.request_timeout:g} s included); turns/s = answered turns / phase wall time. "
        f"Turns: {source.description}; read off in order, "
        f"{len(set(texts))} distinct texts among {len(texts)}. server_side: the service's own /metrics histogram "
        f"for the route (bucket bounds) and CPU of the server's process group from /proc."
    )
    return {
        "method": method,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores_visible": os.cpu_count(),
            "python": platform.python_version(),
        },
        "turn_source": {
            "kind": source.kind,
            "description": source.description,
            "synthetic_fallback": source.kind == "synthetic",
            "distinct_texts": len(set(texts)),
            "turns_per_phase": len(texts),
        },
        "settings": {
            "sent_as": "signed generic webhooks (latency = acknowledgement)" if args.webhooks else "turns API",
            "analysis_in": "a `coach worker` process beside the server" if args.worker_process else "the server",
            "conversations": args.conversations,
            "turns_per_conversation": args.turns_per_conversation,
            "workers": workers_list,
            "think_ms": args.think_ms,
            "phases": [name for name, _ in phases],
            "model": str(args.model),
            "backend": args.backend,
            "backend_resolved": backend,
            "threads": args.threads,
            "seed": args.seed,
        },
        "targets": {**TARGETS, "zero_errors": True, "pass": passes, "all_pass": all(passes.values())},
        "runs": runs,
        "scaling": {
            "phase": scaling_phase,
            "turns_per_s": scaling,
            "vs_first": {w: round(v / first, 2) if v and first else None for w, v in scaling.items()},
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coach bench load", description=__doc__.split("\n\n")[0] if __doc__ else "")
    add_arguments(parser)
    return run_and_print(parser.parse_args(argv))


def run_and_print(args: argparse.Namespace) -> int:
    """The command's work (`coach bench load` and `python -m eval.load`): the report as JSON on
    stdout; a server that would not start ends it with its own output on stderr."""
    if args.transcripts is not None and not args.transcripts.is_file():
        print(
            f"coach bench load: {args.transcripts} not found; using built-in synthetic support turns", file=sys.stderr
        )
    try:
        report = run_load_benchmark(args)
    except ServerFailed as exc:
        print(f"coach bench load: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
