"""Called by the affiliate sync after every successful sync: live races follow the new data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from goatedvips import live
from goatedvips.jobs import JobContext
from goatedvips.races.lifecycle import refresh_standings
from goatedvips.races.models import WagerRace

RACES_CHANNEL = "races"


async def refresh_live_races(ctx: JobContext) -> list[int]:
    """Recompute every live race (each in its own transaction); the ids that were refreshed."""
    async with ctx.db.sessionmaker() as session:
        ids = list(await session.scalars(select(WagerRace.id).where(WagerRace.status == "live")))
        refreshed = [race_id for race_id in ids if await refresh_standings(session, race_id)]
    await live.publish(RACES_CHANNEL, {"type": "standings", "raceIds": refreshed})
    return refreshed


async def after_sync(ctx: JobContext, result: Any) -> None:
    await refresh_live_races(ctx)
