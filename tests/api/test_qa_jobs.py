"""/v1/qa/jobs over real HTTP: upload, progress, results; limits and refusals; a job stored by one
process is scored by the next after a restart, each conversation once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from app.api.qa import SPOOL_WRITE_BYTES
from app.qa.jobs import UPLOAD, job_dir
from app.settings import Settings
from tests.api.conftest import auth, new_key, running_server
from tests.conftest import migrated_database

CHATS = Path(__file__).parents[1] / "fixtures" / "qa" / "scored_chats.jsonl"
CSV = Path(__file__).parents[1] / "fixtures" / "qa" / "turns.csv"


def settings_for(url: str, tiny_artifact: Path, qa_dir: Path, **options) -> Settings:
    return Settings(
        database_url=url, model_path=tiny_artifact, backend="fp32", qa_dir=qa_dir, macro_warmup_turns=0, **options
    )


def upload(base: str, key: str, body: bytes, content_type: str = "application/x-ndjson", **params) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/qa/jobs", headers={**auth(key), "Content-Type": content_type}, content=body, params=params
    )


def wait_done(base: str, key: str, job_id: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = httpx.get(f"{base}/v1/qa/jobs/{job_id}", headers=auth(key)).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} not done after {seconds} s")


def test_upload_progress_and_results(tiny_artifact: Path, tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path) as url:
        key, other = new_key(url, "acme"), new_key(url, "globex")
        with running_server(settings_for(url, tiny_artifact, tmp_path / "qa")) as base:
            created = upload(base, key, CHATS.read_bytes(), filename="week-48.jsonl")
            assert created.status_code == 202, created.text
            job = created.json()
            assert job["status"] in ("queued", "running") and job["filename"] == "week-48.jsonl"
            assert job["rubric"] == "default_qa"
            done = wait_done(base, key, job["id"])
            assert done["status"] == "done", done
            assert done["progress"]["scored"] == 4 and done["progress"]["bad_records"] == 0
            scores = httpx.get(base + done["results"]["conversations.jsonl"], headers=auth(key))
            assert scores.status_code == 200 and scores.headers["content-type"].startswith("application/x-ndjson")
            ids = [json.loads(line)["conversation_id"] for line in scores.text.splitlines()]
            assert ids == ["good-1", "poor-1", "calm-1", "unresolved-1"]
            report = httpx.get(base + done["results"]["report.html"], headers=auth(key))
            assert report.headers["content-type"].startswith("text/html") and "<svg" in report.text
            agents = httpx.get(base + done["results"]["agents.csv"], headers=auth(key)).text
            assert agents.splitlines()[0].startswith("agent_id,") and "ana" in agents
            # CSV too, told by its Content-Type; its bad rows are counted, the rest scored
            csv_job = upload(base, key, CSV.read_bytes(), content_type="text/csv").json()
            finished = wait_done(base, key, csv_job["id"])
            assert finished["status"] == "done" and finished["progress"]["bad_records"] > 0
            # a file with nothing readable becomes a failed job that says why
            garbage = upload(base, key, b"this is not a transcript\n").json()
            failed = wait_done(base, key, garbage["id"])
            assert failed["status"] == "failed" and "line 1" in failed["error"] and "JSON" in failed["error"]
            # another tenant sees none of it
            assert httpx.get(f"{base}/v1/qa/jobs/{job['id']}", headers=auth(other)).status_code == 404
            assert httpx.get(base + done["results"]["report.html"], headers=auth(other)).status_code == 404
            assert [j["id"] for j in httpx.get(f"{base}/v1/qa/jobs", headers=auth(other)).json()] == []
            # a body of several megabytes is spooled in parts, every byte kept in order
            large = b"".join(line + b"\n" * 1_000_000 for line in CHATS.read_bytes().splitlines())
            spooled = upload(base, key, large).json()
            stored = job_dir(tmp_path / "qa", spooled["id"]) / UPLOAD["jsonl"]
            assert spooled["size_bytes"] == len(large) > 3 * SPOOL_WRITE_BYTES
            assert stored.read_bytes() == large and wait_done(base, key, spooled["id"])["progress"]["scored"] == 4
            listed = httpx.get(f"{base}/v1/qa/jobs", headers=auth(key)).json()
            assert {j["id"] for j in listed} == {job["id"], csv_job["id"], garbage["id"], spooled["id"]}


def test_refusals_say_what_to_fix(tiny_artifact: Path, tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path) as url:
        key = new_key(url, "acme")
        settings = settings_for(url, tiny_artifact, tmp_path / "qa", qa_max_upload_mb=1, qa_jobs=False)
        with running_server(settings) as base:
            big = upload(base, key, b"x" * (1024 * 1024 + 1))
            assert big.status_code == 413 and "1 MB" in big.json()["error"]["message"]
            # without a Content-Length (chunked), the size is counted as it arrives
            chunks = (b"y" * 65536 for _ in range(20))
            streamed = httpx.post(
                f"{base}/v1/qa/jobs",
                headers={**auth(key), "Content-Type": "application/x-ndjson"},
                content=chunks,
            )
            assert streamed.status_code == 413
            assert list((tmp_path / "qa" / "incoming").iterdir()) == []  # nothing half-stored
            wrong = upload(base, key, b"hello", content_type="text/plain")
            assert wrong.status_code == 415 and "format=" in wrong.json()["error"]["message"]
            assert upload(base, key, b"  \n", content_type="text/csv").status_code == 400
            unknown = upload(base, key, CHATS.read_bytes(), rubric="acme_qa")
            assert unknown.status_code == 404 and "default_qa" in unknown.json()["error"]["message"]
            queued = upload(base, key, CHATS.read_bytes()).json()
            early = httpx.get(f"{base}/v1/qa/jobs/{queued['id']}/results/report.html", headers=auth(key))
            assert early.status_code == 409 and "queued" in early.json()["error"]["message"]
            assert httpx.post(f"{base}/v1/qa/jobs", content=CHATS.read_bytes()).status_code == 401


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_stored_job_is_scored_after_a_restart_once(kind: str, tiny_artifact: Path, tmp_path: Path) -> None:
    with migrated_database(kind, tmp_path) as url:
        key = new_key(url, "acme")
        qa_dir = tmp_path / "qa"
        with running_server(settings_for(url, tiny_artifact, qa_dir, qa_jobs=False)) as base:
            job = upload(base, key, CHATS.read_bytes()).json()
            assert httpx.get(f"{base}/v1/qa/jobs/{job['id']}", headers=auth(key)).json()["status"] == "queued"
        with running_server(settings_for(url, tiny_artifact, qa_dir)) as base:  # the next process
            done = wait_done(base, key, job["id"])
            assert done["status"] == "done"
            lines = httpx.get(base + done["results"]["conversations.jsonl"], headers=auth(key)).text.splitlines()
            ids = [json.loads(line)["conversation_id"] for line in lines]
            assert sorted(ids) == sorted(set(ids)) and len(ids) == 4
