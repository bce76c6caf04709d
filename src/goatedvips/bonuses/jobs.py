"""Bonus code jobs: flag codes whose expiry has passed."""

from __future__ import annotations

from goatedvips.bonuses import service
from goatedvips.jobs import Job, JobContext
from goatedvips.logging import get_logger

log = get_logger(__name__)


async def expire_codes(ctx: JobContext) -> int:
    async with ctx.db.sessionmaker() as session:
        count = await service.mark_expired(session)
    if count:
        log.info("bonus_codes_expired", count=count)
    return count


JOBS = [Job(name="bonuses.expire_codes", func=expire_codes, interval=60)]
