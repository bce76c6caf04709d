"""The race lifecycle job: template races, start, the sync just before an end, the freeze.

Every `LIFECYCLE_SECONDS` the job
1. creates missing template races (current and next period),
2. moves upcoming races whose start has come to live (and announces them),
3. runs one affiliate sync when a live race ends within `PRESYNC_LEAD` and no sync has succeeded
   since that lead began, so the freeze uses data taken as late as possible before the end,
4. freezes every race whose end has passed, from snapshots taken before the end. It never waits
   for a later sync: anything read after the end would hold wager from after it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from goatedvips.affiliate.models import SyncRun
from goatedvips.db import utcnow
from goatedvips.jobs import Job, JobContext
from goatedvips.logging import get_logger
from goatedvips.races import lifecycle
from goatedvips.races.models import WagerRace

log = get_logger(__name__)
LIFECYCLE_SECONDS = 15.0
PRESYNC_LEAD = dt.timedelta(seconds=90)


async def presync_due(ctx: JobContext, now: dt.datetime) -> bool:
    """True when a live race ends within the lead and no sync has succeeded inside that lead."""
    async with ctx.db.sessionmaker() as session:
        next_end = await session.scalar(
            select(func.min(WagerRace.end_date)).where(
                WagerRace.status == "live",
                WagerRace.end_date > now,
                WagerRace.end_date <= now + PRESYNC_LEAD,
            )
        )
        if next_end is None:
            return False
        last_success = await session.scalar(
            select(func.max(SyncRun.finished_at)).where(SyncRun.status == "success")
        )
    return last_success is None or last_success < next_end - PRESYNC_LEAD


async def sync_before_end(ctx: JobContext) -> None:
    from goatedvips.affiliate.locking import SyncAlreadyRunning
    from goatedvips.affiliate.service import SyncFailed, sync_once

    try:
        await sync_once(ctx.db, ctx.settings, lock_wait=30)
    except (SyncFailed, SyncAlreadyRunning) as exc:
        log.warning("race_presync_failed", error=str(exc))


async def run_lifecycle(ctx: JobContext, *, now: dt.datetime | None = None) -> None:
    def clock() -> dt.datetime:
        return now or utcnow()  # the presync takes a while: read the time at every step

    async with ctx.db.sessionmaker() as session:
        await lifecycle.ensure_template_races(session, now=clock())
        await lifecycle.start_due_races(session, now=clock())
    if await presync_due(ctx, clock()):
        await sync_before_end(ctx)
    async with ctx.db.sessionmaker() as session:
        frozen = await lifecycle.finalize_due_races(session, now=clock())
    if frozen:
        log.info("races_finalized", race_ids=frozen)


async def lifecycle_job(ctx: JobContext) -> None:
    await run_lifecycle(ctx)


JOBS = [Job("races-lifecycle", lifecycle_job, interval=LIFECYCLE_SECONDS)]
