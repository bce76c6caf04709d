"""Called by the affiliate sync after every successful sync: live races follow the new data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips import live
from goatedvips.jobs import JobContext, serves_pages
from goatedvips.logging import get_logger
from goatedvips.races import queries
from goatedvips.races.lifecycle import refresh_standings
from goatedvips.races.models import WagerRace

log = get_logger(__name__)
RACES_CHANNEL = "races"


async def refresh_live_races(ctx: JobContext) -> list[int]:
    """Recompute every live race (each in its own transaction); the ids that were refreshed."""
    async with ctx.db.sessionmaker() as session:
        ids = list(await session.scalars(select(WagerRace.id).where(WagerRace.status == "live")))
        refreshed = [race_id for race_id in ids if await refresh_standings(session, race_id)]
        if serves_pages():
            await _warm_boards(session, refreshed)
    await live.publish(RACES_CHANNEL, {"type": "standings", "raceIds": refreshed})
    return refreshed


async def _warm_boards(session: AsyncSession, race_ids: list[int]) -> None:
    """Build the public board of each refreshed race now, in the job, so the first page view
    after a sync doesn't pay for it (other processes build theirs at their first read; a job
    process that serves no pages skips this)."""
    for race_id in race_ids:
        try:
            race = await session.get(WagerRace, race_id, populate_existing=True)
            if race is not None:
                await queries.load_board(session, race)
        except Exception as exc:  # a cache: the next read builds it; the sync must not fail
            log.error("race_board_warm_failed", race_id=race_id, error=str(exc), exc_info=exc)


async def after_sync(ctx: JobContext, result: Any) -> None:
    await refresh_live_races(ctx)
