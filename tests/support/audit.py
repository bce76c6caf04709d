"""Asserting the audit trail: every admin action leaves exactly one record, with the right content.

    async with one_audit_record(db, action="user.disable", actor_user_id=admin.id,
                                target=("user", user.id), before={"disabled": False},
                                after={"disabled": True}, ip="203.0.113.7") as audit:
        response = await client.patch(f"/api/admin/users/{user.id}", json={"disabled": True})
    assert audit.record.id  # the AuditLog row, for further checks

Fields left out are not checked. `no_audit_record(db)` asserts that nothing was recorded (refused
requests, reads).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from goatedvips.admin.models import AuditLog
from goatedvips.db import Database

_UNSET: Any = object()


async def _last_id(db: Database) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(func.coalesce(func.max(AuditLog.id), 0))) or 0


async def audit_records_after(db: Database, last_id: int) -> list[AuditLog]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id)
        )
        return list(rows.all())


@dataclass
class AuditExpectation:
    record: AuditLog | None = None


@asynccontextmanager
async def one_audit_record(
    db: Database,
    *,
    action: str,
    actor_user_id: Any = _UNSET,
    actor: Any = _UNSET,
    target: tuple[str, Any] | Any = _UNSET,
    before: Any = _UNSET,
    after: Any = _UNSET,
    ip: Any = _UNSET,
) -> AsyncIterator[AuditExpectation]:
    """The block must write exactly one audit record, matching every field given."""
    start = await _last_id(db)
    expectation = AuditExpectation()
    yield expectation
    records = await audit_records_after(db, start)
    described = [(r.action, r.actor, r.target_type, r.target_id) for r in records]
    assert len(records) == 1, f"expected exactly one audit record, got {described}"
    record = records[0]
    assert record.action == action, described
    expected: dict[str, Any] = {
        "actor_user_id": actor_user_id,
        "actor": actor,
        "before": before,
        "after": after,
        "ip": ip,
    }
    if target is not _UNSET:
        expected["target_type"], target_id = target
        expected["target_id"] = None if target_id is None else str(target_id)
    for field, value in expected.items():
        if value is not _UNSET:
            assert getattr(record, field) == value, (
                f"audit {field}: {getattr(record, field)!r} != {value!r}"
            )
    assert record.created_at is not None
    expectation.record = record


@asynccontextmanager
async def no_audit_record(db: Database) -> AsyncIterator[None]:
    """The block must write no audit record (a refused or read-only request)."""
    start = await _last_id(db)
    yield
    records = await audit_records_after(db, start)
    assert not records, f"unexpected audit records: {[(r.action, r.actor) for r in records]}"
