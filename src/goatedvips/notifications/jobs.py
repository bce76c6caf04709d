"""Notification jobs: outbox delivery every few seconds and the monthly statements on the 1st."""

from __future__ import annotations

import datetime as dt

from goatedvips.jobs import Job, JobContext
from goatedvips.notifications.delivery import deliver_due
from goatedvips.notifications.statements import queue_due_statements

DELIVERY_INTERVAL_SECONDS = 5
STATEMENT_TIME = dt.time(0, 5, tzinfo=dt.UTC)


async def deliver(ctx: JobContext) -> None:
    await deliver_due(ctx.db, ctx.settings)


async def statements(ctx: JobContext) -> None:
    await queue_due_statements(ctx.db)


def next_statement_run(now: dt.datetime) -> dt.datetime:
    """The next 1st of a month at 00:05 UTC strictly after `now`."""
    this_month = dt.datetime.combine(now.date().replace(day=1), STATEMENT_TIME)
    if now < this_month:
        return this_month
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return dt.datetime.combine(dt.date(year, month, 1), STATEMENT_TIME)


JOBS = [
    Job("notifications.deliver", deliver, interval=DELIVERY_INTERVAL_SECONDS),
    # Also at start: a process that was down at 00:05 on the 1st catches up (idempotent).
    Job("notifications.monthly_statements", statements, next_run=next_statement_run),
]
