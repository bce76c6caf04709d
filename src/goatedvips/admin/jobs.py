"""Admin jobs: archive old verification history daily; refresh the size and backlog gauges.

The gauges are set in the process that runs the jobs (the leader); scrape every process and read
them where `goatedvips_jobs_leader` is 1.
"""

from __future__ import annotations

from goatedvips.admin.maintenance import (
    archive_verification_history,
    measure_json_columns,
    measure_outbox,
)
from goatedvips.db import utcnow
from goatedvips.jobs import Job, JobContext


async def archive_verification_history_job(ctx: JobContext) -> None:
    async with ctx.db.sessionmaker() as session:
        await archive_verification_history(
            session, now=utcnow(), older_than_days=ctx.settings.verification_history_archive_days
        )


async def json_column_sizes_job(ctx: JobContext) -> None:
    # Scans whole tables, hence the long interval.
    async with ctx.db.sessionmaker() as session:
        await measure_json_columns(session)


async def outbox_backlog_job(ctx: JobContext) -> None:
    async with ctx.db.sessionmaker() as session:
        await measure_outbox(session, now=utcnow())


JOBS = [
    Job("archive_verification_history", archive_verification_history_job, interval=24 * 3600),
    Job("json_column_sizes", json_column_sizes_job, interval=15 * 60),
    Job("outbox_backlog", outbox_backlog_job, interval=60),
]
