"""What every browser test shares: Debian's chromium, driven headless by Playwright, its artifacts
folder and axe-core. Without chromium the browser tests skip, or fail where COACHLINE_REQUIRE_BROWSER
is set (.ci/run sets it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("COACHLINE_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("COACHLINE_TEST_ARTIFACTS", "test-artifacts")) / "browser"


def require_browser():
    """The Playwright module, once chromium is known to be there (call at a test module's top)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("COACHLINE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install chromium)")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)", allow_module_level=True)
    return playwright_api


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()
