"""Browser tests: the app served over real HTTP, driven by Playwright in Debian's Chromium.

Chromium comes from the system (`/usr/bin/chromium` or CHROMIUM_PATH); `playwright install` can't
download browsers here. A failing test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from goatedvips.app import create_app
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.support.servers import run_asgi_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured and Path(configured).exists():
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing; .ci/run installs it (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def live_server(settings: Settings, clean_db: Database) -> Iterator[str]:
    """The site on 127.0.0.1:<free port>, with its own engine: connections belong to the server's
    event loop, which is not the test's. Tables are emptied after the test (`clean_db`)."""
    with run_asgi_server(create_app(settings)) as base_url:
        yield base_url


@asynccontextmanager
async def browser_tab(
    browser: Any,
    base_url: str,
    request: pytest.FixtureRequest,
    artifacts_dir: Path,
    suffix: str = ".png",
) -> AsyncIterator[Any]:
    """A tab in a browser context of its own (own cookies); if the test failed, a full-page
    screenshot is kept as `<artifacts_dir>/<test id><suffix>`."""
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = await context.new_page()
    yield tab
    if request.node.stash.get(_FAILED, False):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-140:]
        await tab.screenshot(path=str(artifacts_dir / f"{name}{suffix}"), full_page=True)
    await context.close()


@pytest.fixture
async def page(
    browser: Any, live_server: str, request: pytest.FixtureRequest, artifacts_dir: Path
) -> AsyncIterator[Any]:
    async with browser_tab(browser, live_server, request, artifacts_dir) as tab:
        yield tab
