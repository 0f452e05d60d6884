"""`coach serve` as its own process: killed without warning and restarted, it has lost no turn
it acknowledged, and coaching carries on from the stored conversation. Its log (info level)
never shows the PII planted in a turn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.api.conftest import auth, free_port, new_key, wait_ready

EMAIL, CARD = "dana.moss@example.org", "4111 1111 1111 1111"
NAME = "Oksana Bilyk"  # no pattern finds it here: the learned tagger does


@contextmanager
def coach_serve(database_url: str, model: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    command = [*serve, "--database-url", database_url, "--model", str(model), "--log-level", "info"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with log.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, seconds=120)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


MACRO = "Our billing team will review your request and reply within two business days."


def test_sigkill_and_restart_lose_no_accepted_turn(tiny_artifact: Path, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    log = tmp_path / "serve.log"
    with coach_serve(url, tiny_artifact, log) as (base, process):
        key = new_key(url, "acme")
        accepted = []
        for n in range(6):
            role = "customer" if n % 2 == 0 else "agent"
            response = httpx.post(
                f"{base}/v1/conversations/r-1/turns",
                headers=auth(key),
                json={"role": role, "text": f"message number {n}"},
            )
            assert response.status_code == 201, response.text
            accepted.append(f"message number {n}")
        planted = httpx.post(
            f"{base}/v1/conversations/r-2/turns",
            headers=auth(key),
            json={"role": "customer", "text": f"mail {EMAIL}, card {CARD}, the parcel for {NAME} went astray"},
        )
        assert planted.status_code == 201
        for conversation in ("m-1", "m-2"):  # the team's macro, used in two conversations
            macro = httpx.post(
                f"{base}/v1/conversations/{conversation}/turns",
                headers=auth(key),
                json={"role": "agent", "text": MACRO},
            )
            assert macro.status_code == 201
        process.send_signal(signal.SIGKILL)  # no shutdown hooks, no flushing: a crash
        process.wait(timeout=30)
    with coach_serve(url, tiny_artifact, log) as (base, _):
        stored = httpx.get(f"{base}/v1/conversations/r-1", headers=auth(key)).json()
        assert [t["text"] for t in stored["turns"]] == accepted
        assert [t["seq"] for t in stored["turns"]] == list(range(6))
        (redacted,) = httpx.get(f"{base}/v1/conversations/r-2", headers=auth(key)).json()["turns"]
        assert NAME not in redacted["text"] and "<PERSON>" in redacted["text"] and "went astray" in redacted["text"]
        after = httpx.post(
            f"{base}/v1/conversations/r-1/turns", headers=auth(key), json={"role": "customer", "text": "still there?"}
        )
        assert after.status_code == 201 and after.json()["index"] == 6  # state rebuilt from storage
        # The macro memory was taught again from the stored agent turns at start-up.
        reused = httpx.post(
            f"{base}/v1/conversations/m-3/turns", headers=auth(key), json={"role": "agent", "text": MACRO}
        )
        assert reused.json()["agent"]["sentences"][0]["templated"]["signals"]["macro"] > 0
    logged = log.read_text()
    assert "Traceback" not in logged and "POST /v1/conversations/r-1/turns" in logged  # the log is really there
    assert EMAIL not in logged and CARD not in logged and NAME not in logged
