"""Redis gone (REDIS_URL names a port nobody listens on): the site degrades to in-process.

Leaderboard player cache, live updates, the session cache and rate limits all use Redis when it
is configured. Without it every page and API still answers: caches fall through to the database,
live updates are delivered in this process, rate limits count in this process's memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import time_machine
from fastapi import FastAPI

from goatedvips import live
from goatedvips.affiliate.service import sync_once
from goatedvips.app import create_app
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.conftest import make_settings
from tests.faults.conftest import SIM_PLAYERS, at, feed_client
from tests.support.users import DEFAULT_PASSWORD, login, make_user

T0 = at(2026, 3, 18, 12, 0)


def closed_port() -> int:
    """A port that was free a moment ago and that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        redis_url=f"redis://127.0.0.1:{closed_port()}/0",
        redis_key_prefix="faults-redis-gone",
    )


@pytest.fixture
async def app(settings: Settings, clean_db: Database) -> AsyncIterator[FastAPI]:
    application = create_app(settings, database=clean_db)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: a crash must show up as the 500 a browser would get.
    transport = httpx.ASGITransport(
        app=app, client=("203.0.113.7", 50000), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_pages_and_api_are_served_from_the_database_and_memory(
    clean_db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    sim: httpx.AsyncClient,
    sim_url: str,
) -> None:
    with time_machine.travel(T0, tick=False):
        async with feed_client(sim_url) as feed:
            result = await sync_once(clean_db, settings, client=feed, lock_wait=5)
        assert result.players == SIM_PLAYERS
        for path in ("/", "/leaderboard", "/races", "/login", "/register", "/health"):
            response = await client.get(path, headers={"accept": "text/html"})
            assert response.status_code == 200, (path, response.text[:300])
        board = await client.get("/api/leaderboard?period=month&limit=10")
        assert board.status_code == 200
        assert board.json()["total"] > 0 and board.json()["stale"] is False
        assert (await client.get("/api/races/current")).status_code == 404  # no race: not a 500
        assert (await client.get("/health")).json()["status"] == "ok"


async def test_accounts_work_and_rate_limits_still_apply_per_process(
    clean_db: Database, client: httpx.AsyncClient, new_client: object
) -> None:
    registered = await client.post(
        "/api/auth/register",
        json={"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    await make_user(clean_db, "bob")
    await login(client, "bob")
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "bob"
    assert (await client.get("/account", headers={"accept": "text/html"})).status_code == 200
    assert (await client.post("/api/auth/logout", json={})).status_code == 204
    assert (await client.get("/api/auth/me")).status_code == 401

    # Wrong passwords: the per-account limit (5 per 15 minutes) still holds without Redis.
    statuses = []
    for _ in range(7):
        response = await client.post(
            "/api/auth/login", json={"login": "bob", "password": "not the password"}
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]


async def test_live_updates_fall_back_to_this_process(app: FastAPI) -> None:
    broker = live.broker()
    assert broker.redis_url  # configured for Redis, which is not there
    subscription = await asyncio.wait_for(broker.open("race:1"), timeout=10)
    try:
        await live.publish("race:1", {"type": "standings", "raceId": 1})
        message = await asyncio.wait_for(subscription.next(), timeout=5)
    finally:
        subscription.close()
    assert '"raceId": 1' in message


async def test_a_sync_with_redis_gone_still_rebuilds_the_boards(
    clean_db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    sim: httpx.AsyncClient,
    sim_url: str,
) -> None:
    for minutes in (0, 30):
        with time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False):
            async with feed_client(sim_url) as feed:
                result = await sync_once(clean_db, settings, client=feed, lock_wait=5)
            body = (await client.get("/api/leaderboard?period=today&limit=5")).json()
            assert body["updatedAt"] == result.finished_at.isoformat()
