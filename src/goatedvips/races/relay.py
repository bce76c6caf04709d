"""Live race updates for a web process whose jobs run in another process, without Redis.

`goatedvips run` runs the jobs in a process of its own; what they publish (new standings after a
sync, a frozen result) goes through Redis when `REDIS_URL` is set. Without Redis it would reach
nobody, so each web process that doesn't run the jobs watches the races itself: once a second it
reads the id, status and `updated_at` of the races (every refresh, freeze or admin change moves
`updated_at`) and publishes on `race:{id}`, for each one that changed, what the job would have.
A page treats any message as "fetch again", so a message twice (an admin change made here) costs
one refresh.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy import select

from goatedvips import live
from goatedvips.db import Database
from goatedvips.logging import get_logger
from goatedvips.races.models import WagerRace

log = get_logger(__name__)
RELAY_SECONDS = 1.0

Seen = dict[int, tuple[str, dt.datetime]]  # race id -> (status, updated_at)


async def read_races(db: Database) -> Seen:
    """Status and `updated_at` of every race (a few per month: all of them, every time, rather
    than those changed "since": a transaction that commits late may carry an earlier time)."""
    query = select(WagerRace.id, WagerRace.status, WagerRace.updated_at)
    async with db.sessionmaker() as session:
        return {race_id: (status, at) for race_id, status, at in await session.execute(query)}


async def relay_once(db: Database, seen: Seen) -> list[int]:
    """Publish one message per race changed since `seen` (the last look); the ids published."""
    changed = []
    for race_id, (status, updated_at) in (await read_races(db)).items():
        if seen.get(race_id) == (status, updated_at):
            continue
        seen[race_id] = (status, updated_at)
        kind = "completed" if status == "completed" else "standings"
        await live.publish(f"race:{race_id}", {"type": kind, "raceId": race_id})
        changed.append(race_id)
    return changed


async def relay_forever(db: Database) -> None:
    seen: Seen | None = None
    while True:
        try:
            if seen is None:
                seen = await read_races(db)  # the state at start-up: nothing happened yet
            else:
                await relay_once(db, seen)
        except Exception as exc:  # the database is away for a moment: look again later
            log.warning("race_relay_failed", error=str(exc))
        await asyncio.sleep(RELAY_SECONDS)


@asynccontextmanager
async def race_relay(db: Database) -> AsyncIterator[None]:
    task = asyncio.create_task(relay_forever(db), name="race-live-relay")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
