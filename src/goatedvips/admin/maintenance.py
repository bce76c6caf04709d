"""Housekeeping the spec asks for: archive old verification history, watch JSON sizes, outbox.

Archiving marks rows (`verification_history.archived_at`) instead of moving them: the record
stays append-only and backed up, while pages and the bot list only live history by default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, LargeBinary, Text, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.admin.metrics import (
    JSON_COLUMN_BYTES,
    JSON_COLUMN_ROWS,
    OUTBOX_MESSAGES,
    OUTBOX_OLDEST_PENDING_SECONDS,
    VERIFICATION_HISTORY_ARCHIVED,
)
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.races.models import WagerRaceParticipant
from goatedvips.telegram.models import VerificationHistory

# The JSON columns that grow with use (spec: "Monitor jsonb field sizes").
WATCHED_JSON_COLUMNS = (
    User.__table__.c.ip_history,
    User.__table__.c.login_history,
    WagerRaceParticipant.__table__.c.wager_history,
)


async def archive_verification_history(
    session: AsyncSession, *, now: dt.datetime, older_than_days: int
) -> int:
    """Mark history older than the cut-off as archived; commits; returns how many rows."""
    cutoff = now - dt.timedelta(days=older_than_days)
    result = await session.execute(
        update(VerificationHistory)
        .where(VerificationHistory.archived_at.is_(None), VerificationHistory.created_at < cutoff)
        .values(archived_at=now)
        .execution_options(synchronize_session=False)
    )
    archived = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if archived:
        record_audit(
            session,
            actor=Actor.system("job:archive_verification_history"),
            action="verification_history.archive",
            target_type="verification_history",
            after={"archived": archived, "createdBefore": cutoff},
        )
    await session.commit()
    VERIFICATION_HISTORY_ARCHIVED.inc(archived)
    return archived


@dataclass(frozen=True)
class JsonColumnSize:
    table: str
    column: str
    rows: int
    max_bytes: int
    total_bytes: int


def _byte_length(column: ColumnElement[object], dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return func.octet_length(cast(column, Text))
    return func.length(cast(column, LargeBinary))


async def measure_json_columns(session: AsyncSession) -> list[JsonColumnSize]:
    """Max and total serialised size of each watched JSON column; also sets the gauges."""
    dialect = session.get_bind().dialect.name
    sizes = []
    for column in WATCHED_JSON_COLUMNS:
        length = _byte_length(column, dialect)
        rows, largest, total = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.max(length), 0),
                    cast(func.coalesce(func.sum(length), 0), Integer),
                ).select_from(column.table)
            )
        ).one()
        size = JsonColumnSize(column.table.name, column.name, rows, int(largest), int(total))
        JSON_COLUMN_BYTES.labels(size.table, size.column, "max").set(size.max_bytes)
        JSON_COLUMN_BYTES.labels(size.table, size.column, "total").set(size.total_bytes)
        JSON_COLUMN_ROWS.labels(size.table).set(rows)
        sizes.append(size)
    return sizes


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    sending: int
    failed: int
    oldest_pending_age_seconds: float


async def measure_outbox(session: AsyncSession, *, now: dt.datetime) -> OutboxBacklog:
    """Undelivered and failed notification counts; also sets the gauges."""
    counts = dict(
        (
            await session.execute(
                select(NotificationOutbox.status, func.count())
                .where(NotificationOutbox.status.in_(("pending", "sending", "failed")))
                .group_by(NotificationOutbox.status)
            )
        )
        .tuples()
        .all()
    )
    oldest = await session.scalar(
        select(func.min(NotificationOutbox.created_at)).where(
            NotificationOutbox.status.in_(("pending", "sending"))
        )
    )
    age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    backlog = OutboxBacklog(
        pending=counts.get("pending", 0),
        sending=counts.get("sending", 0),
        failed=counts.get("failed", 0),
        oldest_pending_age_seconds=age,
    )
    for status in ("pending", "sending", "failed"):
        OUTBOX_MESSAGES.labels(status).set(getattr(backlog, status))
    OUTBOX_OLDEST_PENDING_SECONDS.set(age)
    return backlog
