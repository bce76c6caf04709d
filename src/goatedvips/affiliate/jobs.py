"""Scheduled affiliate work: the periodic sync (with backoff after failures) and history thinning.

After a failed scheduled sync the next attempt comes sooner: 15 s, 30 s, 60 s ... doubling up to
the normal interval; the first success restores the normal interval. (The client already retries
within one fetch.)
"""

from __future__ import annotations

from goatedvips.affiliate.history import downsample_snapshots
from goatedvips.affiliate.locking import SyncAlreadyRunning
from goatedvips.affiliate.service import SyncFailed, sync_once
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


async def scheduled_sync(ctx: JobContext) -> None:
    try:
        await sync_once(ctx.db, ctx.settings, lock_wait=0)
    except SyncAlreadyRunning:
        log.info("affiliate_sync_skipped", reason="another sync is running")
        return
    except SyncFailed:
        backoff.failures += 1
        return  # recorded, logged and counted by sync_once
    backoff.failures = 0


def next_sync_delay(settings: Settings) -> float:
    return backoff.delay(sync_interval(settings))


async def thin_history(ctx: JobContext) -> None:
    deleted = await downsample_snapshots(ctx.db)
    log.info("wager_snapshots_downsampled", deleted=deleted)


JOBS = [
    Job("affiliate-sync", scheduled_sync, interval=next_sync_delay),
    Job("affiliate-downsample", thin_history, interval=3600, run_at_start=False),
]
