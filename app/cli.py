"""The `coach` command line: classify, train, eval, bench, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from models.artifact import DEFAULT_ARTIFACT
from models.classifier import BACKEND_CHOICES

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT, help="model artifact folder")
    parser.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="auto (default, as the service): onnx-int8 if onnxruntime is installed, else fp32; "
        "int8: torch dynamic int8; onnx-int8: ONNX Runtime int8 (fastest, no torch once exported)",
    )
    parser.add_argument("--threads", type=int, default=None, help="inference threads (default: the usable cores)")
    parser.add_argument("--batch-size", type=int, default=64)


def _load_classifier(args: argparse.Namespace, cache_size: int = 4096):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from models.classifier import EmotionClassifier, resolve_backend

    return EmotionClassifier.load(
        args.model,
        backend=resolve_backend(args.backend),
        threads=args.threads,
        batch_size=args.batch_size,
        cache_size=cache_size,
    )


def _build_engine(args: argparse.Namespace):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from app.coaching.wiring import build_coach
    from app.settings import Settings

    settings = Settings()  # the service's settings, so a tenant folder and the cache work the same in both
    frameworks = [Path(p) for p in getattr(args, "frameworks", None) or []] or list(settings.frameworks_dirs)
    return build_coach(
        args.model, args.backend, args.threads, frameworks, batch_size=args.batch_size, cache_dir=settings.cache_dir
    )


def cmd_annotate(args: argparse.Namespace) -> int:
    from app.annotate import annotate_stream

    if args.file != "-" and not Path(args.file).is_file():
        print(f"coach annotate: {args.file}: no such file (give a path, or - for stdin)", file=sys.stderr)
        return 2
    engine = _build_engine(args)
    options = {"tenant": args.tenant, "learn_macros": not args.no_learn_macros}
    if args.file == "-":
        bad = annotate_stream(engine, sys.stdin, sys.stdout, name="<stdin>", **options)
    else:
        with open(args.file, encoding="utf-8") as handle:
            bad = annotate_stream(engine, handle, sys.stdout, name=args.file, **options)
    if bad:
        print(f"coach annotate: {bad} bad line(s), reported in place on stdout", file=sys.stderr)
    return 1 if bad else 0


def cmd_score(args: argparse.Namespace) -> int:
    from app.qa.formats import FormatError
    from app.qa.runner import InProcessEngine, run_scoring, write_report
    from app.qa.scoring import QAScorer, rubric_of

    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"coach score: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    engine = _build_engine(args)  # the report's themes use its encoder; the in-process scorer all of it
    try:
        rubric = rubric_of(engine.library, args.rubric)
    except LookupError as unknown:
        print(f"coach score: {unknown}", file=sys.stderr)
        return 2
    if args.engine == "ray":
        from app.qa.ray_engine import CoachSpec, RayEngine
        from app.settings import Settings

        frameworks = [Path(p) for p in args.frameworks or []] or list(Settings().frameworks_dirs)
        spec = CoachSpec(args.model, args.backend, tuple(frameworks), args.rubric, batch_size=args.batch_size)
        scoring: Any = RayEngine(spec, workers=args.workers)
    else:
        scoring = InProcessEngine(QAScorer(engine, rubric))
    source = ", ".join(str(p) for p in args.files)

    def report(path: Path, scores: list) -> None:
        write_report(path, scores, engine.encoder.encode, source=source)

    try:
        summary = run_scoring(
            scoring,
            args.files,
            args.out,
            fmt=args.format,
            report=None if args.no_report else report,
            progress=not args.quiet,
        )
    except FormatError as bad:
        print(f"coach score: {bad}", file=sys.stderr)
        return 2
    finally:
        if args.engine == "ray":
            scoring.shutdown()
    _print_json(summary.as_dict())
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from app.classify import classify_stream

    if args.file != "-" and not Path(args.file).is_file():
        print(f"coach classify: {args.file}: no such file (give a path, or - for stdin)", file=sys.stderr)
        return 2
    classifier = _load_classifier(args)
    if args.file == "-":
        bad = classify_stream(classifier, sys.stdin, sys.stdout, name="<stdin>")
    else:
        with open(args.file, encoding="utf-8") as handle:
            bad = classify_stream(classifier, handle, sys.stdout, name=args.file)
    if bad:
        print(f"coach classify: {bad} bad line(s), reported in place on stdout", file=sys.stderr)
    return 1 if bad else 0


def cmd_train(args: argparse.Namespace) -> int:
    from models import train

    return train.main(args.train_argv)


def cmd_thresholds(args: argparse.Namespace) -> int:
    from models.train import tune_backend_thresholds

    if not args.dev.is_file():
        print(f"coach thresholds: {args.dev} not found (pass --dev GoEmotions dev.tsv)", file=sys.stderr)
        return 2
    thresholds = tune_backend_thresholds(args.model, args.backend, args.dev)
    _print_json({"backend": args.backend, "artifact": str(args.model), **thresholds})
    return 0


def _print_json(figures: dict) -> None:
    print(json.dumps(figures, indent=2))


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.coaching import DEFAULT_DIR
    from eval.common import DatasetMissing
    from eval.moves import DEFAULT_TEST

    maia = SHARED_DATA / "maia-dqe" / "pt_br_client_02.json"
    default = {
        "goemotions": SHARED_DATA / "goemotions" / "dev.tsv",
        "maia": maia,
        "qa": maia,
        "templated": maia,
        "coaching": DEFAULT_DIR / "dev",
        "moves": DEFAULT_TEST,
        "support": Path(__file__).resolve().parents[1] / "models" / "support_chats",
        "pii": Path(__file__).resolve().parents[1] / "eval" / "data" / "pii_planted.yaml",
    }[args.dataset]
    path = Path(args.path) if args.path else default
    try:
        if args.dataset == "coaching":
            from eval.coaching import evaluate_coaching

            figures = evaluate_coaching(_build_engine(args), path)
            if not args.misses:
                figures.pop("misses")
        elif args.dataset == "moves":
            from eval.moves import evaluate_moves

            figures = evaluate_moves(path, backend=args.backend, frameworks=args.frameworks or [], setfit=args.setfit)
        elif args.dataset == "pii":
            from eval.pii import evaluate_pii, evaluate_pii_sets

            figures = evaluate_pii(path) if args.path else evaluate_pii_sets(maia)
        elif args.dataset == "support":
            from eval.support import evaluate_support, evaluate_support_cues

            engine = _build_engine(args)
            figures = evaluate_support(engine.classifier, path)
            figures["engine_test"] = evaluate_support_cues(engine, path, "test")
            figures["engine_dev"] = evaluate_support_cues(engine, path, "dev")
        elif args.dataset == "goemotions":
            from eval.goemotions import evaluate_goemotions

            figures = evaluate_goemotions(_load_classifier(args), path)
        elif args.dataset == "qa":
            from eval.qa import evaluate_qa, evaluate_qa_gold

            args.batch_size = 1  # as `coach score` runs: a reading never depends on its batch-mates
            engine = _build_engine(args)
            figures = evaluate_qa_gold(engine, path) if path.is_dir() else evaluate_qa(engine, path)
        elif args.dataset == "maia":
            from eval.maia import evaluate_maia

            engine = _build_engine(args)  # the engine's upset as well as the model's state
            figures = evaluate_maia(engine.classifier, path, engine=engine)
        else:
            from eval.templated import evaluate_templated

            figures = evaluate_templated(_build_engine(args), path)
    except DatasetMissing as missing:
        print(f"coach eval {args.dataset}: skipped: {missing}", file=sys.stderr)
        _print_json({"skipped": str(missing)})
        return 0
    _print_json(figures)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_annotate_benchmark, run_benchmark

    if args.process:
        from eval.bench import run_process_benchmark

        _print_json(run_process_benchmark(args.model, threads=args.threads, texts=args.texts))
        return 0
    if args.annotate:
        from models.classifier import resolve_backend

        backend = resolve_backend(args.backend)
        _print_json(
            run_annotate_benchmark(args.model, threads=args.threads, transcripts=args.transcripts, backend=backend)
        )
        return 0

    _print_json(
        run_benchmark(
            args.model,
            threads=args.threads,
            texts=args.texts,
            single=args.single,
            batch=args.batch,
            include_peer=not args.no_peer,
        )
    )
    return 0


def cmd_bench_qa(args: argparse.Namespace) -> int:
    from eval.bench_qa import run_qa_benchmark

    engines = ("local", "ray") if args.engine == "both" else (args.engine,)
    _print_json(run_qa_benchmark(args.transcripts, engines=engines, workers=args.workers))
    return 0


def cmd_bench_batching(args: argparse.Namespace) -> int:
    from eval.batching import run_batching_benchmark
    from eval.common import DatasetMissing

    try:
        _print_json(run_batching_benchmark(args.transcripts, args.model))
    except DatasetMissing as missing:
        print(f"coach bench batching: skipped: {missing}", file=sys.stderr)
        _print_json({"skipped": str(missing)})
    return 0


def cmd_bench_load(args: argparse.Namespace) -> int:
    from eval.load import run_and_print

    return run_and_print(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """uvicorn over the app factory. Options travel to worker processes as COACHLINE_* variables,
    the same ones the README documents, so `--workers N` builds N identical apps."""
    import tempfile

    import uvicorn

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    overrides = {
        "COACHLINE_MODEL_PATH": args.model,
        "COACHLINE_BACKEND": args.backend,
        "COACHLINE_THREADS": args.threads,
        "COACHLINE_DATABASE_URL": args.database_url,
        "COACHLINE_HOST": args.host,  # the demo is on by default only on loopback
    }
    os.environ.update({name: str(value) for name, value in overrides.items() if value is not None})
    if args.workers > 1 and "COACHLINE_THREADS" not in os.environ:
        from app.settings import threads_per_worker

        os.environ["COACHLINE_THREADS"] = str(threads_per_worker(args.workers))
    if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Each worker keeps its own counters; /metrics sums them through this folder.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="coachline-metrics-")
    from app.settings import Settings
    from app.storage.database import upgrade

    upgrade(Settings().database_url)  # once, before workers race to migrate
    print(
        f"coach serve: http://{args.host}:{args.port} (docs at /docs; create a key: coach keys create --tenant NAME)",
        file=sys.stderr,
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The background work of the service in a process of its own, with no HTTP: webhook events
    analysed, callbacks delivered, QA jobs scored. Serve with COACHLINE_WEBHOOK_INBOX,
    COACHLINE_CALLBACK_DISPATCH and COACHLINE_QA_JOBS false beside it, and acknowledging a webhook
    shares no interpreter (GIL) with the models."""
    import asyncio
    import signal

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.nice > 0 and hasattr(os, "nice"):
        os.nice(args.nice)  # the analysis can wait a moment; an acknowledgement's tail is what platforms time
    if args.database_url:
        os.environ["COACHLINE_DATABASE_URL"] = args.database_url
    if args.threads is not None:
        os.environ["COACHLINE_THREADS"] = str(args.threads)
    else:  # leave a core to the processes acknowledging webhooks on this machine
        os.environ.setdefault("COACHLINE_THREADS", str(max(1, (os.cpu_count() or 2) - 1)))
    from app.main import create_app
    from app.settings import Settings

    # One model at a time (the PII tagger after the analysis, not beside it): a core stays free.
    settings = Settings(
        webhook_inbox=True, callback_dispatch=True, qa_jobs=True, demo=False, pii_tag_while_waiting=False
    )
    app = create_app(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with app.router.lifespan_context(app):  # the service's own start-up and shutdown
            print("coach worker: processing webhook events, callbacks and QA jobs (Ctrl-C stops)", file=sys.stderr)
            await stop.wait()

    asyncio.run(run())
    return 0


@contextmanager
def _database_session(args: argparse.Namespace) -> Iterator[Any]:
    """A session on --database-url (or the service's), migrated first: the admin commands' database."""
    from sqlalchemy.orm import sessionmaker

    from app.settings import get_settings
    from app.storage.database import make_engine, session_scope, upgrade

    url = args.database_url or get_settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def cmd_keys(args: argparse.Namespace) -> int:
    from app.settings import get_settings
    from app.tenants.service import create_key, revoke_key, set_origins, set_pii_mode

    with _database_session(args) as session:
        if args.action == "origins":
            try:
                origins = set_origins(session, args.tenant, args.add or [], args.remove or [])
            except (LookupError, ValueError) as exc:
                print(f"coach keys origins: {exc}", file=sys.stderr)
                return 2
            print(f"tenant {args.tenant}: pages may use its browser tokens from: {' '.join(origins) or '(none)'}")
            return 0
        if args.action == "pii":
            set_pii_mode(session, args.tenant, args.mode)
            print(f"tenant {args.tenant}: PII mode {args.mode} for turns stored from now on")
            return 0
        if args.action == "create":
            scope = "read" if args.read_only else "coach"
            key = create_key(session, args.tenant, args.pii_mode or get_settings().default_pii_mode, scope)
            if args.pii_mode:
                set_pii_mode(session, args.tenant, args.pii_mode)
            print(f"created {scope} key {key.key_id} for tenant {key.tenant}; it is shown once, store it now:")
            print(f"key: {key.secret}")
            return 0
        if revoke_key(session, args.key):
            print(f"revoked key {args.key}")
            return 0
    print(
        f"coach keys revoke: no live key {args.key!r} (give the key id printed by `coach keys create`)", file=sys.stderr
    )
    return 1


def cmd_integrations(args: argparse.Namespace) -> int:
    from app.webhooks.service import add_integration, list_integrations, remove_integration, rotate_secret

    if args.action == "callbacks":
        return _callbacks(args)
    with _database_session(args) as session:
        try:
            if args.action == "add":
                made = add_integration(session, args.tenant, args.platform, args.secret)
                print(f"integration {made.id}: {made.platform} -> tenant {made.tenant_id}")
                print(f"webhook URL: https://YOUR-HOST/v1/webhooks/{made.platform}?integration={made.id}")
                print(f"signing secret (shown once; paste it into {made.platform}): {made.secret}")
            elif args.action == "list":
                for item in list_integrations(session, args.tenant):
                    until = item.previous_valid_until
                    rotating = f", previous secret valid until {until}" if item.previous_secret else ""
                    since = f"{item.created_at:%Y-%m-%d}"
                    print(f"{item.id}  {item.platform:<9} tenant {item.tenant_id}  since {since}{rotating}")
            elif args.action == "rotate":
                rotated = rotate_secret(session, args.integration)
                print(f"integration {rotated.id}: the old secret stays valid until {rotated.previous_valid_until}")
                print(f"new signing secret: {rotated.secret}")
            else:
                remove_integration(session, args.integration)
                print(f"removed integration {args.integration}")
        except (LookupError, ValueError) as exc:
            print(f"coach integrations {args.action}: {exc}", file=sys.stderr)
            return 2
    return 0


def _callbacks(args: argparse.Namespace) -> int:
    from app.callbacks.service import add_callback, deliveries, list_callbacks, remove_callback, replay

    with _database_session(args) as session:
        try:
            if args.callback_action == "add":
                made = add_callback(session, args.tenant, args.url, args.filter)
                print(f"callback {made.id}: {made.filter} turns of tenant {made.tenant_id} -> {made.url}")
                print(f"signing secret (verify Coachline-Signature with it): {made.secret}")
            elif args.callback_action == "list":
                for item in list_callbacks(session, args.tenant):
                    print(f"{item.id}  {item.filter:<5} tenant {item.tenant_id}  {item.url}")
            elif args.callback_action == "remove":
                remove_callback(session, args.callback)
                print(f"removed callback {args.callback}")
            elif args.callback_action == "replay":
                print(f"{replay(session, args.callback)} dead events back in line")
            else:
                for d in deliveries(session, args.callback, args.limit):
                    outcome = d.status_code if d.status_code is not None else d.error
                    when = f"{d.at:%Y-%m-%d %H:%M:%S}"
                    print(f"{when}  event {d.outbox_id}  try {d.attempt}  {outcome}  {d.latency_ms:.0f} ms")
        except (LookupError, ValueError) as exc:
            print(f"coach integrations callbacks {args.callback_action}: {exc}", file=sys.stderr)
            return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    from eval.load import add_arguments as add_load_arguments

    parser = argparse.ArgumentParser(prog="coach", description="Coachline: an agent-assist conversation coach.")
    sub = parser.add_subparsers(dest="command", required=True)

    classify = sub.add_parser("classify", help="emotion, sentiment and customer state for each input text")
    classify.add_argument("file", nargs="?", default="-", help="text per line, or JSONL with a 'text' field; - = stdin")
    _add_model_options(classify)
    classify.set_defaults(func=cmd_classify)

    annotate = sub.add_parser("annotate", help="coach every turn of transcript JSONL conversations")
    annotate.add_argument("file", nargs="?", default="-", help='JSONL {"conversation_id", "turns": [...]}; - = stdin')
    annotate.add_argument("--tenant", default="default", help="whose macros the file's agent sentences are")
    annotate.add_argument(
        "--no-learn-macros", action="store_true", help="don't pre-read the file's agent sentences into the macro memory"
    )
    annotate.add_argument("--frameworks", action="append", help="extra (tenant) framework folder; repeatable")
    _add_model_options(annotate)
    annotate.set_defaults(func=cmd_annotate)

    score = sub.add_parser("score", help="QA-score finished transcripts (JSONL, CSV, vCon) into a folder, resumably")
    score.add_argument("files", nargs="+", type=Path, help="transcript JSONL, CSV or vCon JSON files")
    score.add_argument("-o", "--out", type=Path, required=True, help="output folder (a rerun resumes there)")
    score.add_argument("--format", choices=("jsonl", "csv", "vcon"), help="input format (default: told by each file)")
    score.add_argument("--rubric", default="default_qa", help="rubric id (frameworks/qa/rubric.yaml, or a tenant's)")
    score.add_argument("--frameworks", action="append", help="extra framework folder (a tenant's rubric or cues)")
    score.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: Ray Data (RAY_ADDRESS joins)")
    score.add_argument("--workers", type=int, default=2, help="Ray actors, each with its own coach (--engine ray)")
    score.add_argument("--no-report", action="store_true", help="skip report.html")
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_model_options(score)
    # One text per forward pass on every back end (ONNX int8 always runs so; fp32's padding would move
    # the last digits with the batch-mates): a score depends on its conversation only.
    score.set_defaults(func=cmd_score, batch_size=1)

    train = sub.add_parser("train", help="fine-tune the emotion model (see `coach train --help`)", add_help=False)
    train.add_argument("train_argv", nargs=argparse.REMAINDER)
    train.set_defaults(func=cmd_train)

    thresholds = sub.add_parser("thresholds", help="tune a quantised back end's own thresholds on dev (coach.json)")
    thresholds.add_argument("--backend", choices=("int8", "onnx-int8"), required=True)
    thresholds.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT)
    thresholds.add_argument("--dev", type=Path, default=SHARED_DATA / "goemotions" / "dev.tsv")
    thresholds.set_defaults(func=cmd_thresholds)

    evaluate = sub.add_parser("eval", help="accuracy figures as JSON")
    evaluate.add_argument(
        "dataset", choices=("goemotions", "maia", "templated", "coaching", "moves", "support", "pii", "qa")
    )
    evaluate.add_argument(
        "path",
        nargs="?",
        help="dataset file or folder (default: ../shared/data/..., eval/data/coaching/dev for coaching)",
    )
    evaluate.add_argument("--frameworks", action="append", help="extra framework folder (templated, coaching, moves)")
    evaluate.add_argument("--misses", action="store_true", help="coaching: list every missed key or quiet turn")
    evaluate.add_argument(
        "--setfit", action="store_true", help="moves: also a SetFit-style contrastively tuned encoder (minutes)"
    )
    _add_model_options(evaluate)
    evaluate.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="latency/throughput against a transformers pipeline peer")
    bench.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT)
    bench.add_argument("--threads", type=int, default=2)
    bench.add_argument(
        "--texts",
        type=Path,
        default=SHARED_DATA / "goemotions" / "dev.tsv",
        help="GoEmotions-style TSV to draw turns from (built-in examples if absent)",
    )
    bench.add_argument("--single", type=int, default=300, help="single-turn calls to time")
    bench.add_argument("--batch", type=int, default=2048, help="turns in the throughput run")
    bench.add_argument("--no-peer", action="store_true", help="skip the transformers pipeline peer")
    bench.add_argument("--annotate", action="store_true", help="time `coach annotate` against the classifier alone")
    bench.add_argument(
        "--process",
        action="store_true",
        help="only the whole-process timings: start-up and 1,000 texts, `coach classify` against the peer",
    )
    bench.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="back end for --annotate (the plain bench times every back end)",
    )
    bench.add_argument(
        "--transcripts",
        type=Path,
        default=SHARED_DATA / "maia-dqe" / "pt_br_client_02.json",
        help="conversations for --annotate: MAIA-DQE JSON or transcript JSONL (synthetic if absent)",
    )
    bench.set_defaults(func=cmd_bench)
    bench_kinds = bench.add_subparsers(dest="bench_kind", metavar="{load,qa,batching}")
    load = bench_kinds.add_parser("load", help="the live service under 50 concurrent conversations (loopback HTTP)")
    add_load_arguments(load)
    load.set_defaults(func=cmd_bench_load)
    qa_bench = bench_kinds.add_parser("qa", help="QA scoring throughput: in process and on Ray Data (2 workers)")
    qa_bench.add_argument("--transcripts", type=Path, help="transcript JSONL (default: our support chats, in pairs)")
    qa_bench.add_argument("--engine", choices=("local", "ray", "both"), default="both")
    qa_bench.add_argument("--workers", type=int, default=2, help="Ray actors")
    qa_bench.set_defaults(func=cmd_bench_qa)
    batching = bench_kinds.add_parser(
        "batching", help="ONNX int8: readings and speed of each text alone against batches of 64"
    )
    batching.add_argument("--transcripts", type=Path, default=SHARED_DATA / "maia-dqe" / "pt_br_client_02.json")
    batching.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT)
    batching.set_defaults(func=cmd_bench_batching)

    keys = sub.add_parser("keys", help="create or revoke tenant API keys; set a tenant's PII mode")
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="a new key for a tenant (printed once, last word of last line)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--pii-mode", choices=("off", "redact", "mask"), help="set the tenant's PII mode too")
    create.add_argument("--read-only", action="store_true", help="reads and drafts only; adding turns gets 403")
    revoke = key_actions.add_parser("revoke", help="revoke a key by its id (or the key itself)")
    revoke.add_argument("key")
    pii = key_actions.add_parser("pii", help="set a tenant's PII mode: off, redact (<EMAIL>) or mask (****)")
    pii.add_argument("--tenant", required=True)
    pii.add_argument("mode", choices=("off", "redact", "mask"))
    origins = key_actions.add_parser(
        "origins", help="web origins whose pages may use a tenant's browser tokens (CORS); none by default"
    )
    origins.add_argument("--tenant", required=True)
    origins.add_argument("--add", action="append", metavar="ORIGIN", help="e.g. https://chat.example.com; repeatable")
    origins.add_argument("--remove", action="append", metavar="ORIGIN")
    for action in (create, revoke, pii, origins):
        action.add_argument("--database-url", help="default: COACHLINE_DATABASE_URL or ./coachline.db")
    keys.set_defaults(func=cmd_keys)

    integrations = sub.add_parser("integrations", help="webhook integrations: add, list, rotate, remove")
    integration_actions = integrations.add_subparsers(dest="action", required=True)
    add = integration_actions.add_parser("add", help="a platform's webhooks into a tenant (prints the secret last)")
    add.add_argument("--tenant", required=True)
    add.add_argument("--platform", required=True, choices=("generic", "zendesk", "intercom", "twilio"))
    add.add_argument("--secret", help="the platform's own secret (Intercom client secret, Twilio auth token)")
    listing = integration_actions.add_parser("list", help="integrations, all or one tenant's")
    listing.add_argument("--tenant")
    rotate = integration_actions.add_parser("rotate", help="a new secret; the old one stays valid for 24 h")
    rotate.add_argument("integration")
    remove = integration_actions.add_parser("remove", help="stop accepting an integration's webhooks")
    remove.add_argument("integration")
    callbacks = integration_actions.add_parser("callbacks", help="outbound callbacks: add, list, remove, replay, log")
    callback_actions = callbacks.add_subparsers(dest="callback_action", required=True)
    cb_add = callback_actions.add_parser("add", help="POST each analysed turn to a URL (prints its secret last)")
    cb_add.add_argument("--tenant", required=True)
    cb_add.add_argument("--url", required=True)
    cb_add.add_argument("--filter", choices=("all", "flags", "cards"), default="all")
    cb_list = callback_actions.add_parser("list")
    cb_list.add_argument("--tenant")
    cb_remove = callback_actions.add_parser("remove")
    cb_remove.add_argument("callback")
    cb_replay = callback_actions.add_parser("replay", help="put dead-lettered events back in line")
    cb_replay.add_argument("--callback", help="only this callback's")
    cb_log = callback_actions.add_parser("log", help="the latest delivery attempts")
    cb_log.add_argument("callback")
    cb_log.add_argument("--limit", type=int, default=50)
    for action in (add, listing, rotate, remove, cb_add, cb_list, cb_remove, cb_replay, cb_log):
        action.add_argument("--database-url", help="default: COACHLINE_DATABASE_URL or ./coachline.db")
    integrations.set_defaults(func=cmd_integrations)

    serve = sub.add_parser("serve", help="serve the coach")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument("--database-url", help="default: COACHLINE_DATABASE_URL or ./coachline.db")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.add_argument("--model", type=Path, help="model artifact folder (default: COACHLINE_MODEL_PATH or shipped)")
    serve.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        help="default: COACHLINE_BACKEND or auto (onnx-int8 when onnxruntime is installed)",
    )
    serve.add_argument("--threads", type=int, help="torch threads per worker (default: COACHLINE_THREADS)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="background work without HTTP: webhook events, callbacks, QA jobs (beside coach serve)"
    )
    worker.add_argument("--database-url", help="default: COACHLINE_DATABASE_URL or ./coachline.db")
    worker.add_argument("--threads", type=int, help="model threads (default: COACHLINE_THREADS, else cores - 1)")
    worker.add_argument(
        "--nice",
        type=int,
        default=10,
        help="scheduling niceness added to the worker (default 10): where it shares cores with `coach serve`, "
        "acknowledging a webhook comes first; 0 leaves it as it is",
    )
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:  # argparse's REMAINDER drops a first "--option": hand the rest over whole
        from models import train

        return train.main(argv[1:])
    args = build_parser().parse_args(argv)
    from models.runtime import limit_blas_threads

    limit_blas_threads()  # numpy's products here are tiny; a spinning BLAS pool only steals cores
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
