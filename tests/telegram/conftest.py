"""Telegram tests: the bot fixtures (webhook <-> fake Bot API), the simulator feeding the affiliate
sync, and players who log in to the site and link their Telegram through the real flow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from goatedvips.accounts.models import User
from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.support.bot_fixtures import *  # noqa: F403
from tests.support.bot_fixtures import BotDriver
from tests.support.servers import run_asgi_server
from tests.support.users import login, make_user

FEED = [
    {
        "uid": "uid-alice",
        "name": "Alice_01",
        "wagered": {"today": 10, "this_week": 100, "this_month": 1000, "all_time": 50000},
    },
    {"uid": "uid-bob", "name": "bob_the_builder", "wagered": {"all_time": 500}},
    {"uid": "uid-carol", "name": "carol", "wagered": {"all_time": 12000}},
    {"uid": "uid-twin-1", "name": "Twin", "wagered": {"all_time": 1}},
    {"uid": "uid-twin-2", "name": "twin", "wagered": {"all_time": 2}},
]


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    with run_asgi_server(create_simulator_app(seed=3, players=10)) as base_url:
        yield base_url


@pytest.fixture
async def feed(clean_db: Database, telegram_settings: Settings, sim_url: str) -> None:
    """The simulator serves FEED; one affiliate sync stores it (the players /verify looks up)."""
    async with httpx.AsyncClient(base_url=sim_url) as control:
        (await control.post("/_sim/reset")).raise_for_status()
        (await control.post("/_sim/feed", json=FEED)).raise_for_status()
    async with GoatedClient(sim_url, None, "TESTCODE", max_attempts=1) as client:
        await sync_once(clean_db, telegram_settings, client=client, run_hooks=False)


@dataclass
class Player:
    """A site account with its own logged-in HTTP client, and the Telegram id it uses."""

    user: User
    http: httpx.AsyncClient
    telegram_id: int
    tg_username: str | None

    async def link(self, tg: BotDriver) -> str:
        """Link through the real flow: ask the site for a link, send /start <token>."""
        response = await self.http.post("/api/me/telegram/link", json={})
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        return await tg.reply(
            f"/start {token}", user_id=self.telegram_id, username=self.tg_username
        )

    async def say(self, tg: BotDriver, text: str, **kwargs: Any) -> str:
        return await tg.reply(text, user_id=self.telegram_id, username=self.tg_username, **kwargs)


@pytest.fixture
async def players(telegram_app: FastAPI, clean_db: Database) -> AsyncIterator[Any]:
    """`await players("alice", telegram_id=1001, is_admin=False)` -> a logged-in Player."""
    clients: list[httpx.AsyncClient] = []

    async def factory(
        username: str,
        *,
        telegram_id: int,
        tg_username: str | None = None,
        is_admin: bool = False,
    ) -> Player:
        user = await make_user(clean_db, username, is_admin=is_admin)
        transport = httpx.ASGITransport(
            app=telegram_app, client=(f"198.51.100.{len(clients) + 1}", 5000)
        )
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(http)
        await login(http, username)
        return Player(
            user, http, telegram_id, tg_username if tg_username is not None else f"{username}_tg"
        )

    yield factory
    for http in clients:
        await http.aclose()


async def reload_user(db: Database, user_id: int) -> User:
    async with db.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.id == user_id))
        assert user is not None
        return user
