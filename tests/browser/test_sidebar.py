"""The agent's sidebar in a real browser: Debian's chromium, headless, driven by Playwright, against
the real service (shipped model) on loopback. Screenshots and the measured time to the first card
are written to COACHLINE_TEST_ARTIFACTS (default ./test-artifacts/browser)."""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from app.api.pages import STATIC
from app.main import create_app
from app.settings import Settings
from models.artifact import DEFAULT_ARTIFACT
from tests.api.conftest import free_port, wait_ready
from tests.browser.conftest import ARTIFACTS, AXE, require_browser

# The sidebar's status line, null-safe: the widget may not have rendered it yet when polling starts.
STATUS = "(document.querySelector('[data-testid=coachline-status]')?.innerText ?? '')"
ANGRY = "I cancelled my subscription on May 2nd and you STILL charged me! This is a joke, I want my money back."
ROBOTIC = "We apologize for any inconvenience. Unfortunately it is against our policy to refund after the billing date."

require_browser()  # skips (or fails under .ci/run) without chromium


class Service:
    """The real service on a fixed loopback port, which the test can stop and start again."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(create_app(self.settings), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_ready(self.base, seconds=120)

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=20)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    database = tmp_path_factory.mktemp("browser-db") / "coachline.db"
    running = Service(Settings(database_url=f"sqlite:///{database}", model_path=DEFAULT_ARTIFACT, backend="auto"))
    running.start()
    yield running
    running.stop()


class Watched:
    """A page that records console errors, page errors and any request that leaves the host."""

    def __init__(self, browser, service: Service, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        host = urlsplit(service.base).netloc

        def only_this_host(route) -> None:
            netloc = urlsplit(route.request.url).netloc
            if netloc and netloc != host:
                self.outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        self.context.route("**/*", only_this_host)
        self.page.goto(f"{service.base}/demo")
        self.sidebar = self.page.get_by_role("complementary", name="Coachline")

    def send(self, label: str, button: str, text: str) -> None:
        self.page.get_by_label(label, exact=True).fill(text)
        self.page.get_by_role("button", name=button).click()

    def check_clean(self) -> None:
        assert not self.errors, f"console errors: {self.errors}"
        assert not self.outside, f"requests that left the host: {self.outside}"

    def shot(self, name: str) -> None:
        # Finished animations: a card caught mid fade-in reads as greyed out.
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, animations="disabled")

    def close(self) -> None:
        self.context.close()


def _card_steps(watched: Watched) -> list[str]:
    return [c.inner_text() for c in watched.sidebar.get_by_test_id("coachline-card").all()]


def test_angry_turn_card_draft_flags_idea_and_clearing(browser, service: Service):
    watched = Watched(browser, service)
    page, sidebar = watched.page, watched.sidebar
    page.get_by_label("Customer message", exact=True).fill(ANGRY)
    started = time.perf_counter()
    page.get_by_role("button", name="Send as customer").click()
    card = (
        sidebar.get_by_test_id("coachline-card")
        .filter(has_text="Empathize")
        .or_(sidebar.get_by_test_id("coachline-card").filter(has_text="Apologize"))
    )
    card.first.wait_for(state="visible", timeout=20_000)
    first_card_ms = round((time.perf_counter() - started) * 1000)
    (ARTIFACTS / "first_card_ms.json").write_text(
        json.dumps({"first_card_ms": first_card_ms, "how": "click 'Send as customer' -> first card visible"}) + "\n"
    )
    print(f"first card visible {first_card_ms} ms after the customer's turn was sent")
    cues = sidebar.get_by_test_id("coachline-cues")
    assert cues.locator("mark").count() >= 1  # the evidence is highlighted in the customer's words
    watched.shot("angry-turn")

    # A robotic draft is flagged while the agent types, before anything is sent.
    reply = page.get_by_label("Agent reply", exact=True)
    reply.press_sequentially(ROBOTIC[:40], delay=5)
    reply.fill(ROBOTIC)
    flags = sidebar.get_by_test_id("coachline-draft-flag")
    flags.first.wait_for(state="visible", timeout=10_000)
    assert any(word in " ".join(f.inner_text().lower() for f in flags.all()) for word in ("robotic", "policy"))
    watched.shot("robotic-draft")

    # One click puts an idea into the reply box.
    reply.fill("")
    idea = sidebar.get_by_test_id("coachline-idea").first
    idea_text = idea.inner_text().strip()
    idea.click()
    quoted = re.search(r':\s*"(.+)"\s*$', idea_text)  # 'principle: "phrasing"': the phrasing goes in
    inserted = quoted.group(1) if quoted else idea_text
    assert inserted and inserted in reply.input_value() and ': "' not in reply.input_value()

    # Sending an acknowledgement and apology clears the Empathize / Apologize cards.
    before = _card_steps(watched)
    assert any("Empathize" in c or "Apologize" in c for c in before)
    watched.send(
        "Agent reply",
        "Send as agent",
        "I'm so sorry — you cancelled on May 2nd and we still charged you, that's on us. "
        "I've refunded the charge to your card today.",
    )
    page.wait_for_function(
        """() => ![...document.querySelectorAll('[data-testid="coachline-card"]')]
            .some(c => /Empathize|Apologize/.test(c.innerText))""",
        timeout=20_000,
    )
    watched.shot("after-reply")
    watched.check_clean()
    watched.close()


def test_the_demo_passes_axe_and_reads_at_360_px(browser, service: Service):
    watched = Watched(browser, service, width=360)
    watched.send("Customer message", "Send as customer", ANGRY)
    watched.sidebar.get_by_test_id("coachline-card").first.wait_for(state="visible", timeout=20_000)
    page = watched.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the screen
    watched.shot("demo-360px")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    violations = [(v["id"], v["help"], len(v["nodes"])) for v in result["violations"]]
    assert not violations, violations
    # Keyboard: the idea buttons are reachable and focusable.
    idea = watched.sidebar.get_by_test_id("coachline-idea").first
    idea.focus()
    assert page.evaluate("document.activeElement.dataset.testid") == "coachline-idea"
    watched.check_clean()
    watched.close()


def test_the_sidebar_reconnects_after_the_server_restarts(browser, service: Service):
    watched = Watched(browser, service)
    status = watched.sidebar.get_by_test_id("coachline-status")
    watched.page.wait_for_function(
        f"() => /live/i.test({STATUS})",
        timeout=20_000,
    )
    service.stop()
    watched.page.wait_for_function(
        f"() => /offline|reconnect/i.test({STATUS})",
        timeout=20_000,
    )
    watched.shot("offline")
    service.start()
    watched.page.wait_for_function(
        f"() => /live/i.test({STATUS})",
        timeout=30_000,
    )
    watched.send("Customer message", "Send as customer", ANGRY)
    watched.sidebar.get_by_test_id("coachline-card").first.wait_for(state="visible", timeout=20_000)
    assert "live" in status.inner_text().lower()
    # The browser logs failed requests and socket errors while the server is down; those are expected.
    watched.errors = [e for e in watched.errors if "ERR_CONNECTION_REFUSED" not in e and "WebSocket" not in e]
    watched.check_clean()
    watched.close()


def test_the_widget_is_small():
    script = (STATIC / "coachline.js").read_bytes()
    size = len(gzip.compress(script, 9))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "widget_size.json").write_text(json.dumps({"gzipped_bytes": size, "raw_bytes": len(script)}) + "\n")
    assert 1000 < size <= 30 * 1024, f"coachline.js is {size} bytes gzipped; the budget is 30 KB"


def test_a_cross_origin_embed_works_once_the_tenant_allows_its_origin(browser, service: Service, tmp_path: Path):
    import functools
    import http.server

    import httpx
    from sqlalchemy.orm import sessionmaker

    from app.storage.database import make_engine, session_scope
    from app.tenants.service import set_origins
    from tests.api.conftest import auth, new_key

    key = new_key(service.settings.database_url, "embedder")
    said = httpx.post(
        f"{service.base}/v1/conversations/embed-1/turns", headers=auth(key), json={"role": "customer", "text": ANGRY}
    )
    assert said.status_code == 201
    token = httpx.post(f"{service.base}/v1/tokens", headers=auth(key), json={"conversation_id": "embed-1"}).json()
    (tmp_path / "index.html").write_text(
        f"""<!doctype html><html lang="en"><head><title>Host chat tool</title></head><body><main>
<label for="reply">Agent reply</label><textarea id="reply"></textarea><div id="side"></div></main>
<script src="{service.base}/widget/coachline.js"></script>
<script>Coachline.mount(document.getElementById("side"), {{baseUrl: "{service.base}", conversationId: "embed-1",
  token: "{token["token"]}", expiresAt: "{token["expires_at"]}",
  draftInput: document.getElementById("reply")}});</script>
</body></html>"""
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    page_origin = f"http://127.0.0.1:{host.server_address[1]}"
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{page_origin}/index.html")  # not allowed yet: the service says so, and shows nothing
        status = page.get_by_test_id("coachline-status")
        page.wait_for_function(
            f"() => /not allowed/i.test({STATUS})",
            timeout=20_000,
        )
        assert "origin" in status.inner_text().lower() or "not allowed" in status.inner_text().lower()
        engine = make_engine(service.settings.database_url)
        with session_scope(sessionmaker(engine)) as session:
            set_origins(session, "embedder", [page_origin], [])
        engine.dispose()
        time.sleep(service.settings.key_cache_seconds + 0.2)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.reload()
        page.get_by_test_id("coachline-card").first.wait_for(state="visible", timeout=20_000)
        page.get_by_label("Agent reply").fill(ROBOTIC)  # the draft check is a cross-origin POST (preflighted)
        page.get_by_test_id("coachline-draft-flag").first.wait_for(state="visible", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "cross-origin-embed.png"), full_page=True, animations="disabled")
        assert not errors, errors
    finally:
        context.close()
        host.shutdown()
