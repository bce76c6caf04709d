"""Scheduled affiliate work: the periodic sync (with backoff after failures) and history thinning.

The after-sync hooks of a scheduled sync (the live races' refresh, tier-up notices) run in the
background, one run at a time: with 100,000 players and two live races they take several times
as long as the sync itself, and waiting for them held every next sync back (a sync every ~30 s
instead of every 5). When syncs land faster than the hooks finish, the hooks run once more with
the latest sync only, so races are never more than one refresh behind the boards.

After a failed scheduled sync the next attempt comes sooner: 15 s, 30 s, 60 s ... doubling up to
the normal interval; the first success restores the normal interval. (The client already retries
within one fetch.)
"""

from __future__ import annotations

import asyncio

from goatedvips.affiliate.history import downsample_snapshots
from goatedvips.affiliate.locking import SyncAlreadyRunning
from goatedvips.affiliate.service import SyncFailed, SyncResult, run_after_sync_hooks, sync_once
from goatedvips.affiliate.source import sync_interval
from goatedvips.config import Settings
from goatedvips.jobs import Job, JobContext
from goatedvips.logging import get_logger

log = get_logger(__name__)
FIRST_RETRY_SECONDS = 15.0


class Backoff:
    """Consecutive failures of the scheduled sync and the delay they call for."""

    def __init__(self) -> None:
        self.failures = 0

    def delay(self, normal: float) -> float:
        if self.failures == 0:
            return normal
        return min(normal, FIRST_RETRY_SECONDS * 2 ** (self.failures - 1))


backoff = Backoff()


class HooksInBackground:
    """Runs the after-sync hooks of the latest scheduled sync, one run at a time."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.latest: tuple[JobContext, SyncResult] | None = None

    def submit(self, ctx: JobContext, result: SyncResult) -> None:
        self.latest = (ctx, result)
        task = self.task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.create_task(self._drain(), name="after-sync-hooks")

    async def _drain(self) -> None:
        while self.latest is not None:
            (ctx, result), self.latest = self.latest, None
            await run_after_sync_hooks(ctx, result)  # each hook's failure is logged there


hooks = HooksInBackground()


async def scheduled_sync(ctx: JobContext) -> None:
    try:
        result = await sync_once(ctx.db, ctx.settings, lock_wait=0, run_hooks=False)
    except SyncAlreadyRunning:
        log.info("affiliate_sync_skipped", reason="another sync is running")
        return
    except SyncFailed:
        backoff.failures += 1
        return  # recorded, logged and counted by sync_once
    backoff.failures = 0
    hooks.submit(ctx, result)


def next_sync_delay(settings: Settings) -> float:
    return backoff.delay(sync_interval(settings))


async def thin_history(ctx: JobContext) -> None:
    deleted = await downsample_snapshots(ctx.db)
    log.info("wager_snapshots_downsampled", deleted=deleted)


JOBS = [
    Job("affiliate-sync", scheduled_sync, interval=next_sync_delay),
    Job("affiliate-downsample", thin_history, interval=3600, run_at_start=False),
]
