"""Fixtures for the sync tests: a simulator over real HTTP, a client for it, table dumps."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun, WagerSnapshot
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.db import Database
from tests.support.servers import run_asgi_server

SIM_TIME = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)
SIM_PLAYERS = 300


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    app = create_simulator_app(seed=7, players=SIM_PLAYERS, clock=lambda: SIM_TIME)
    with run_asgi_server(app) as base_url:
        yield base_url


@pytest.fixture
async def sim(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's control endpoints, reset for each test."""
    async with httpx.AsyncClient(base_url=sim_url) as control:
        (await control.post("/_sim/reset")).raise_for_status()
        yield control


def feed_client(base_url: str, **kwargs: Any) -> GoatedClient:
    """A client that doesn't retry (tests stay fast; retries are the client's own tests)."""
    kwargs.setdefault("max_attempts", 1)
    return GoatedClient(base_url, None, "TESTCODE", **kwargs)


async def script(sim: httpx.AsyncClient, players: list[dict[str, Any]]) -> None:
    (await sim.post("/_sim/feed", json=players)).raise_for_status()


async def set_mode(sim: httpx.AsyncClient, **change: Any) -> None:
    (await sim.post("/_sim/mode", json=change)).raise_for_status()


def player(
    uid: str,
    name: str,
    month: float = 0,
    *,
    today: float = 0,
    week: float = 0,
    all_time: float | None = None,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "name": name,
        "wagered": {
            "today": today,
            "this_week": week,
            "this_month": month,
            "all_time": month if all_time is None else all_time,
        },
    }


async def dump_players(db: Database) -> dict[str, tuple[Any, ...]]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(select(AffiliatePlayer))
        return {
            p.uid: (
                p.name,
                p.wagered_today,
                p.wagered_this_week,
                p.wagered_this_month,
                p.wagered_all_time,
                p.first_seen_at,
                p.last_seen_at,
            )
            for p in rows
        }


async def snapshots(db: Database) -> list[WagerSnapshot]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(WagerSnapshot).order_by(WagerSnapshot.id)))


async def runs(db: Database) -> list[SyncRun]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(SyncRun).order_by(SyncRun.id)))


@pytest.fixture(autouse=True)
def fresh_leaderboard_caches() -> Iterator[None]:
    """Tables are emptied between tests; the per-process snapshots must not outlive them."""
    from goatedvips.affiliate import leaderboard

    leaderboard._caches.clear()
    yield
    leaderboard._caches.clear()
