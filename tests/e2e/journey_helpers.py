"""Shared by the browser journeys (tests/e2e/test_journey_*.py): the whole site over HTTP, wired to
real outside parts, and the steps people take in it.

The site (uvicorn in a thread, its own engine) runs with:

- a real SMTP sink (aiosmtpd) for account e-mails and notification e-mails (`MailSink`),
- the fake Telegram Bot API server (`tests/support/fake_telegram.py`) for the bot; updates reach
  the site's `/telegram/webhook` over HTTP with the secret header, as Telegram sends them,
- the Goated affiliate simulator over HTTP (`create_simulator_app`), its feed scripted player by
  player (`GoatedFeed.script`); syncs are started by an admin in the browser.

`BASE_URL` is the server's own address, so the links in e-mails open in the browser as they are.

A journey module imports the fixtures by name:

    from tests.e2e.journey_helpers import (  # noqa: F401  (fixtures, by their names below)
        goated_feed_fixture, journey_fixture, live_server_fixture, mail_sink_fixture,
        staff_page_fixture, telegram_api_fixture,
    )

`live_server` overrides the e2e one for that module, so the shared `page` fixture (and its
screenshot on failure) drives this site; `staff_page` is a second browser context (another person,
another cookie jar) with the same screenshot on failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Page, expect

from goatedvips import live
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.app import create_app
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications.delivery import DeliverySummary, deliver_due
from tests.conftest import make_settings
from tests.e2e.conftest import browser_tab
from tests.support.fake_telegram import Call, FakeTelegram, message_update
from tests.support.servers import run_asgi_server
from tests.support.smtp import SmtpSink, free_port

BOT_TOKEN = "123456:JOURNEY-goatedvips-token"
WEBHOOK_SECRET = "journey-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADMIN_TELEGRAM_ID = 900777
WAIT_SECONDS = 10.0
LIVE_UPDATE_MS = 10_000  # a sync reaching an open page: SSE message, then an htmx re-fetch


# ---- outside parts ------------------------------------------------------------------------------


@dataclass
class MailSink(SmtpSink):
    """The SMTP sink, plus waiting for a message without polling."""

    url: str = ""
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        with self._arrived:
            self._arrived.notify_all()
        return answer

    def _wait(self, address: str, subject: str, timeout: float) -> EmailMessage:
        def found() -> list[EmailMessage]:
            return [m for m in self.to(address) if subject in str(m["Subject"])]

        with self._arrived:
            if not self._arrived.wait_for(found, timeout):
                seen = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                raise AssertionError(f"no mail {subject!r} to {address} in {timeout}s: {seen}")
            return found()[-1]

    async def mail_to(
        self, address: str, *, subject: str = "", within: float = WAIT_SECONDS
    ) -> EmailMessage:
        """The newest message to `address` whose subject contains `subject`, once it arrived."""
        return await asyncio.to_thread(self._wait, address, subject, within)


@pytest.fixture(name="mail_sink")
def mail_sink_fixture() -> Iterator[MailSink]:
    port = free_port()
    sink = MailSink(url=f"smtp://127.0.0.1:{port}")
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class TelegramApi:
    fake: FakeTelegram
    url: str


@pytest.fixture(name="telegram_api")
def telegram_api_fixture() -> Iterator[TelegramApi]:
    fake = FakeTelegram()
    with run_asgi_server(fake.app) as url:
        yield TelegramApi(fake, url)


def goated_player(uid: str, name: str, *, all_time: float, month: float = 0.0) -> dict[str, Any]:
    """One row of the Goated referral list (amounts in USD)."""
    return {
        "uid": uid,
        "name": name,
        "wagered": {"today": 0, "this_week": 0, "this_month": month, "all_time": all_time},
    }


@dataclass
class GoatedFeed:
    """The affiliate simulator serving over HTTP; `script` fixes exactly who is in the feed."""

    url: str

    async def script(self, players: list[dict[str, Any]]) -> None:
        async with httpx.AsyncClient(base_url=self.url) as control:
            (await control.post("/_sim/feed", json=players)).raise_for_status()


@pytest.fixture(name="goated_feed")
def goated_feed_fixture() -> Iterator[GoatedFeed]:
    with run_asgi_server(create_simulator_app(seed=11, players=5)) as url:
        yield GoatedFeed(url)


# ---- the site -----------------------------------------------------------------------------------


class _AppSetLater:
    """An ASGI app filled in once the server's port (and so BASE_URL) is known."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class Journey:
    """Everything a journey talks to besides the browser."""

    base_url: str
    settings: Settings
    db: Database  # the test's own engine on the same database (setup, the jobs' side)
    mail: MailSink
    telegram: FakeTelegram
    feed: GoatedFeed


@pytest.fixture(name="journey")
def journey_fixture(
    database_url: str,
    clean_db: Database,
    mail_sink: MailSink,
    telegram_api: TelegramApi,
    goated_feed: GoatedFeed,
) -> Iterator[Journey]:
    late = _AppSetLater()
    server = run_asgi_server(late)
    settings = make_settings(
        database_url,
        base_url=server.base_url,
        smtp_url=mail_sink.url,
        telegram_bot_token=BOT_TOKEN,
        telegram_api_base_url=telegram_api.url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_admin_ids=str(ADMIN_TELEGRAM_ID),
        goated_api_base_url=goated_feed.url,
    )
    late.app = create_app(settings)
    with server as base_url:
        yield Journey(base_url, settings, clean_db, mail_sink, telegram_api.fake, goated_feed)


@pytest.fixture(name="live_server")
def live_server_fixture(journey: Journey) -> str:
    return journey.base_url


@pytest.fixture(name="staff_page")
async def staff_page_fixture(
    browser: Any, live_server: str, request: pytest.FixtureRequest, artifacts_dir: Path
) -> AsyncIterator[Page]:
    """A second person at a second browser (own cookies), screenshot kept on failure."""
    async with browser_tab(browser, live_server, request, artifacts_dir, ".staff.png") as tab:
        yield tab


# ---- steps --------------------------------------------------------------------------------------


async def log_in(page: Page, login: str, password: str) -> None:
    await page.goto("/login")
    await page.fill("#login", login)
    await page.fill("#password", password)
    await page.locator("form.card").get_by_role("button", name="Log in").click()
    await expect(page.locator("nav.nav")).to_contain_text(login)


async def sync_the_feed(staff: Page, *, players_stored: int) -> None:
    """The admin presses "Sync now" on the affiliate feed page and sees it succeed."""
    await staff.goto("/admin/affiliate")
    await staff.get_by_role("button", name="Sync now").click()
    await expect(staff.locator(".flash.ok")).to_have_text(
        "Sync finished: the boards show the new data."
    )
    facts = staff.locator("dl.kv").first
    await expect(facts.locator("dt:has-text('Players stored') + dd")).to_have_text(
        str(players_stored)
    )


async def send_to_bot(
    journey: Journey, text: str, *, user_id: int, username: str | None = None
) -> list[Call]:
    """A private message to the bot, delivered as Telegram does (webhook + secret header);
    returns what the bot sent back."""
    before = len(journey.telegram.calls())
    update = message_update(text, user_id=user_id, username=username)
    async with httpx.AsyncClient(base_url=journey.base_url) as http:
        response = await http.post(
            "/telegram/webhook", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
        )
    assert response.status_code == 200, response.text
    return [c for c in journey.telegram.calls()[before:] if c.method == "sendMessage"]


async def deliver_notifications(journey: Journey) -> DeliverySummary:
    """One run of the notifications job (the worker's side: outbox -> SMTP / Telegram)."""
    return await deliver_due(journey.db, journey.settings)


SSE_OPEN_MARKER = """
document.addEventListener("htmx:sseOpen", (event) => { event.target.dataset.sseOpen = "yes"; });
"""


async def watch_live_updates(page: Page) -> None:
    """Mark elements whose live-update stream (htmx SSE) is open; call before opening the page."""
    await page.add_init_script(SSE_OPEN_MARKER)


async def expect_listening(page: Page, race_id: int) -> None:
    """The open race page's stream is connected, so the next sync reaches it.

    The stream's subscription is made by a task already scheduled when the response headers go
    out, so it exists before the browser sees the stream open; the broker (same process: the
    server runs in a thread) confirms it.
    """
    await expect(page.locator(f'[sse-connect="/races/{race_id}/stream"]')).to_have_attribute(
        "data-sse-open", "yes"
    )
    assert live.broker().hub.subscriber_count(f"race:{race_id}") >= 1


def this_hour() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
