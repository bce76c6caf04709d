"""Fault-injection fixtures: a simulator over real HTTP, a feed client that fails fast, table
dumps, and a way to cut the database connections of this process from the outside.

Every fault test runs on SQLite and (with TEST_DATABASE_URL) PostgreSQL, is bounded (no waits
except short polls with deadlines) and deterministic (the clock is moved with time-machine and
every job is called with the moment it runs at).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun, WagerSnapshot
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.db import Database
from tests.support.servers import run_asgi_server

SIM_PLAYERS = 300


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    """The simulator on a real port; its clock is the (time-machine'd) wall clock."""
    app = create_simulator_app(seed=11, players=SIM_PLAYERS)
    with run_asgi_server(app) as base_url:
        yield base_url


@pytest.fixture
async def sim(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's /_sim controls, reset before and after each test."""
    async with httpx.AsyncClient(base_url=sim_url, timeout=10) as control:
        (await control.post("/_sim/reset")).raise_for_status()
        yield control
        (await control.post("/_sim/reset")).raise_for_status()


def feed_client(base_url: str) -> GoatedClient:
    """Two attempts per fetch (the retry path runs), no real backoff, a short read timeout."""
    return GoatedClient(
        base_url,
        None,
        "FAULTS",
        max_attempts=2,
        sleep=_no_sleep,
        timeout=httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0),
    )


@pytest.fixture(autouse=True)
def fresh_leaderboard_caches() -> Iterator[None]:
    """Tables are emptied between tests; the per-process board snapshots must not outlive them."""
    from goatedvips.affiliate import leaderboard

    leaderboard._caches.clear()
    yield
    leaderboard._caches.clear()


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


async def dump_snapshots(db: Database) -> list[tuple[Any, ...]]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(select(WagerSnapshot).order_by(WagerSnapshot.id))
        return [(s.uid, s.taken_at, s.name, s.all_time, s.this_month) for s in rows]


async def run_statuses(db: Database) -> list[str]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(SyncRun.status).order_by(SyncRun.id)))


async def duplicate_snapshots(db: Database) -> int:
    """Snapshot rows beyond one per (uid, taken_at): a doubled write shows up here."""
    async with db.sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(WagerSnapshot)) or 0
        distinct = (
            await session.scalar(
                select(func.count()).select_from(
                    select(WagerSnapshot.uid, WagerSnapshot.taken_at).distinct().subquery()
                )
            )
            or 0
        )
    return int(total) - int(distinct)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def cut_connections(db: Database, conn: AsyncConnection | None = None) -> int:
    """The database connection is lost under this process.

    PostgreSQL: every other backend of this database is terminated from a separate connection
    (what a server restart does to the app, without disturbing anyone else's databases).
    SQLite has no server to lose: the connection in use (`conn`) is invalidated instead, so its
    transaction is gone and the next statement on it fails the same way.
    """
    if db.dialect == "postgresql":
        with psycopg.connect(_libpq(db.url), autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return len(rows)
    if conn is not None:
        await conn.invalidate()
        return 1
    return 0


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
