"""Challenge jobs: open scheduled challenges and complete those past their window."""

from __future__ import annotations

from goatedvips.challenges import service
from goatedvips.jobs import Job, JobContext
from goatedvips.logging import get_logger

log = get_logger(__name__)


async def advance_challenges(ctx: JobContext) -> dict[str, int]:
    async with ctx.db.sessionmaker() as session:
        changed = await service.advance_statuses(session)
    if any(changed.values()):
        log.info("challenges_advanced", **changed)
    return changed


JOBS = [Job(name="challenges.advance", func=advance_challenges, interval=30)]
