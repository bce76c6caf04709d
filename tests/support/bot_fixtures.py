"""Fixtures for testing bot commands end to end: the app's webhook <-> the fake Bot API server.

Import them in a test package's conftest.py:

    from tests.support.bot_fixtures import *  # noqa: F403

    async def test_race(tg, telegram_db):
        calls = await tg.send("/race", user_id=1001)
        assert "live race" in calls[-1].text

- `fake_telegram`: the `FakeTelegram` (one server per test run, reset for each test).
- `telegram_settings`: settings with the bot on (token, fake API URL, webhook secret, admin id
  `ADMIN_TELEGRAM_ID`); `telegram_app` / `telegram_client`: the app with those settings.
- `tg`: a `BotDriver` that posts Updates to /telegram/webhook (with the secret) and returns the
  Bot API calls the bot made while handling them.
- `await link_telegram(db, user.id, telegram_id)`: a linked player without the HTTP round trip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from goatedvips.app import create_app
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.conftest import make_settings
from tests.support.fake_telegram import Call, FakeTelegram, callback_update, message_update
from tests.support.servers import run_asgi_server

BOT_TOKEN = "123456:TEST-goatedvips-token"
WEBHOOK_SECRET = "test-webhook-secret-value"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADMIN_TELEGRAM_ID = 900001

__all__ = [
    "ADMIN_TELEGRAM_ID",
    "BOT_TOKEN",
    "WEBHOOK_SECRET",
    "BotDriver",
    "fake_telegram",
    "fake_telegram_server",
    "link_telegram",
    "telegram_app",
    "telegram_client",
    "telegram_settings",
    "tg",
]


@pytest.fixture(scope="session")
def fake_telegram_server() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    with run_asgi_server(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def fake_telegram(fake_telegram_server: tuple[FakeTelegram, str]) -> Iterator[FakeTelegram]:
    fake, _ = fake_telegram_server
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def telegram_settings(
    database_url: str, fake_telegram_server: tuple[FakeTelegram, str]
) -> Settings:
    return make_settings(
        database_url,
        telegram_bot_token=BOT_TOKEN,
        telegram_api_base_url=fake_telegram_server[1],
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_admin_ids=str(ADMIN_TELEGRAM_ID),
    )


@pytest.fixture
async def telegram_app(
    telegram_settings: Settings, clean_db: Database, fake_telegram: FakeTelegram
) -> AsyncIterator[FastAPI]:
    application = create_app(telegram_settings, database=clean_db)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def telegram_client(telegram_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=telegram_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class BotDriver:
    """Talks to the bot the way Telegram does: Updates posted to the webhook."""

    def __init__(self, http: httpx.AsyncClient, fake: FakeTelegram) -> None:
        self.http = http
        self.fake = fake

    async def post(
        self, update: dict[str, Any], *, secret: str | None = WEBHOOK_SECRET
    ) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.http.post("/telegram/webhook", json=update, headers=headers)

    async def _calls_during(self, update: dict[str, Any]) -> list[Call]:
        before = len(self.fake.calls())
        response = await self.post(update)
        assert response.status_code == 200, response.text
        return self.fake.calls()[before:]

    async def send(
        self,
        text: str,
        *,
        user_id: int,
        username: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> list[Call]:
        """Send a message; returns the sendMessage calls the bot made in answer."""
        update = message_update(
            text, user_id=user_id, username=username, chat_type=chat_type, chat_id=chat_id
        )
        return [c for c in await self._calls_during(update) if c.method == "sendMessage"]

    async def reply(self, text: str, **kwargs: Any) -> str:
        """The text of the bot's last answer to `text` (fails when it said nothing)."""
        answers = await self.send(text, **kwargs)
        assert answers, f"the bot did not answer {text!r}"
        return answers[-1].text

    async def press(
        self, data: str, *, user_id: int, username: str | None = None, message_id: int = 1
    ) -> list[Call]:
        """Press an inline button; returns every call the bot made (answerCallbackQuery, ...)."""
        update = callback_update(data, user_id=user_id, username=username, message_id=message_id)
        return await self._calls_during(update)


async def link_telegram(
    db: Database, user_id: int, telegram_id: int, username: str | None = None
) -> None:
    """Link a site account to a Telegram id through the real services (token, then redeem)."""
    from goatedvips.accounts.models import User
    from goatedvips.telegram.linking import create_link_token, redeem_link_token

    async with db.sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        token = await create_link_token(session, user=user)
        await redeem_link_token(
            session, token=token.token, telegram_id=telegram_id, telegram_username=username
        )


@pytest.fixture
def tg(telegram_client: httpx.AsyncClient, fake_telegram: FakeTelegram) -> BotDriver:
    return BotDriver(telegram_client, fake_telegram)
