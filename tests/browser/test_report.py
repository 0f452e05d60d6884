"""The QA report in a real browser: Debian's chromium, headless, driven by Playwright, opening the
written file from disk. It must load nothing but itself, log no errors, draw its charts, pass axe's
WCAG 2 A/AA rules and fit a phone's width. Screenshots go to COACHLINE_TEST_ARTIFACTS (default
./test-artifacts/browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.qa.report import render_report
from app.qa.themes import Theme
from tests.browser.conftest import ARTIFACTS, AXE, require_browser
from tests.qa.test_report import many_scores

require_browser()  # skips (or fails under .ci/run) without chromium

THEMES = [
    Theme(
        name="refund / received / money",
        terms=["refund", "received", "money", "bank account", "weeks"],
        size=41,
        share=0.137,
        examples=["My refund still hasn't reached my card.", "Where is the money for the jacket I sent back?"],
    ),
    Theme(
        name="app / crashes / <script>",
        terms=["app", "crashes", "update"],
        size=23,
        share=0.077,
        examples=["The app crashes when I open it <script>alert(1)</script>", "Since the update it closes by itself."],
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = render_report(
        many_scores(300), THEMES, title="QA report: week 14", generated="2025-04-07 09:00 UTC", source="week-14.jsonl"
    )
    path = tmp_path_factory.mktemp("qa-report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


class Opened:
    """The report opened from disk, with every request and console error it caused recorded;
    anything but the file itself and data: URIs is also blocked, so a stray fetch fails loudly."""

    def __init__(self, browser, report: Path, width: int) -> None:
        self.url = report.as_uri()
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route(
            "**/*",
            lambda route: route.continue_() if self._allowed(route.request.url) else route.abort(),
        )
        self.page.goto(self.url, wait_until="load")

    def _allowed(self, url: str) -> bool:
        return url == self.url or url.startswith("data:")

    def outside(self) -> list[str]:
        return [url for url in self.requests if not self._allowed(url)]

    def close(self) -> None:
        self.context.close()


def test_the_report_opens_offline_with_its_charts_drawn(browser, report: Path):
    opened = Opened(browser, report, width=1280)
    page = opened.page
    assert page.title() == "QA report: week 14"
    charts = page.locator("figure svg[role=img]")
    assert charts.count() == 4
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, box
        assert chart.locator("text").count() > 5  # labels are text (svg.fonttype none), not outlines
    assert page.get_by_role("heading", name="Lowest-scoring conversations").is_visible()
    assert page.locator("table.agents tbody tr").count() == 7  # everyone, then six agents
    assert "<script>" in page.get_by_role("heading", name="2. app / crashes / <script>").inner_text()
    assert page.evaluate("document.scripts.length") == 0  # the customer's <script> stayed text
    page.screenshot(path=str(ARTIFACTS / "qa-report.png"), full_page=True)
    assert opened.requests == [opened.url], opened.requests  # the document, and nothing else
    assert not opened.outside()
    assert not opened.errors, opened.errors
    opened.close()


def test_the_report_passes_axe_and_reads_at_390_px(browser, report: Path):
    opened = Opened(browser, report, width=390)
    page = opened.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables and charts scroll inside
    page.screenshot(path=str(ARTIFACTS / "qa-report-390px.png"), full_page=True)
    assert not opened.outside(), opened.outside()
    page.add_script_tag(path=str(AXE))  # injected inline by Playwright: no request
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not violations, violations
    assert not opened.errors, opened.errors
    opened.close()
