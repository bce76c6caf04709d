"""Reading the audit trail: filters by actor, action, target and time, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.models import AuditLog
from goatedvips.deps import MAX_ROW_ID
from goatedvips.errors import InvalidInput


@dataclass(frozen=True)
class AuditFilters:
    """`actor`: an actor label (`user:12`, `telegram:5`, `system`), a user id or a username.
    `action`: an exact action (`user.disable`) or a domain (`user` = every `user.*`)."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def normalised(self) -> AuditFilters:
        since, until = _aware(self.since), _aware(self.until)
        if since and until and since > until:
            raise InvalidInput("since must be before until", field="since")
        return AuditFilters(
            actor=(self.actor or "").strip() or None,
            action=(self.action or "").strip() or None,
            target_type=(self.target_type or "").strip() or None,
            target_id=(self.target_id or "").strip() or None,
            since=since,
            until=until,
        )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Times without an offset are read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _actor_condition(actor: str) -> ColumnElement[bool]:
    # An ASCII user id within the INTEGER key range ("²".isdigit() is true, and PostgreSQL would
    # overflow on a bigger number); anything else is a label or a username.
    if actor.isascii() and actor.isdigit() and int(actor) <= MAX_ROW_ID:
        return AuditLog.actor_user_id == int(actor)
    by_username = select(User.id).where(func.lower(User.username) == actor.lower())
    return or_(AuditLog.actor == actor, AuditLog.actor_user_id.in_(by_username))


def _conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.actor:
        conditions.append(_actor_condition(filters.actor))
    if filters.action:
        conditions.append(
            or_(
                AuditLog.action == filters.action,
                AuditLog.action.startswith(filters.action + ".", autoescape=True),
            )
        )
    if filters.target_type:
        conditions.append(AuditLog.target_type == filters.target_type)
    if filters.target_id:
        conditions.append(AuditLog.target_id == filters.target_id)
    if filters.since:
        conditions.append(AuditLog.created_at >= filters.since)
    if filters.until:
        conditions.append(AuditLog.created_at < filters.until)
    return conditions


@dataclass(frozen=True)
class AuditPage:
    total: int
    entries: list[AuditLog]


async def list_audit(
    session: AsyncSession, filters: AuditFilters, *, limit: int = 50, offset: int = 0
) -> AuditPage:
    conditions = _conditions(filters.normalised())
    total = await session.scalar(select(func.count()).select_from(AuditLog).where(*conditions))
    entries = await session.scalars(
        select(AuditLog)
        .where(*conditions)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return AuditPage(total=total or 0, entries=list(entries.all()))


async def distinct_actions(session: AsyncSession) -> list[str]:
    """Every action recorded so far, for the filter menu."""
    rows = await session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
    return list(rows.all())
