"""Operations jobs: archiving verification history, JSON size gauges, the outbox backlog, /metrics."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from goatedvips.accounts.models import User
from goatedvips.admin.jobs import JOBS, archive_verification_history_job
from goatedvips.admin.maintenance import (
    archive_verification_history,
    measure_json_columns,
    measure_outbox,
)
from goatedvips.db import Database, utcnow
from goatedvips.jobs import JobContext, run_job
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.telegram.models import VerificationHistory
from tests.conftest import make_settings
from tests.support.audit import no_audit_record, one_audit_record
from tests.support.users import make_user

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


async def _history(db: Database, user_id: int, *ages_in_days: int) -> None:
    async with db.sessionmaker() as session:
        for age in ages_in_days:
            session.add(
                VerificationHistory(
                    user_id=user_id, status="approved", created_at=NOW - dt.timedelta(days=age)
                )
            )
        await session.commit()


async def _archived(db: Database) -> list[tuple[int, bool]]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(VerificationHistory.created_at, VerificationHistory.archived_at).order_by(
                VerificationHistory.created_at
            )
        )
        return [((NOW - created).days, archived is not None) for created, archived in rows]


async def test_archiving_marks_only_history_older_than_the_setting(clean_db: Database) -> None:
    user = await make_user(clean_db, "player1")
    await _history(clean_db, user.id, 400, 366, 364, 1)
    async with (
        one_audit_record(
            clean_db,
            action="verification_history.archive",
            actor="job:archive_verification_history",
            actor_user_id=None,
            after={"archived": 2, "createdBefore": (NOW - dt.timedelta(days=365)).isoformat()},
        ),
        clean_db.sessionmaker() as session,
    ):
        archived = await archive_verification_history(session, now=NOW, older_than_days=365)
    assert archived == 2
    assert await _archived(clean_db) == [(400, True), (366, True), (364, False), (1, False)]

    async with no_audit_record(clean_db), clean_db.sessionmaker() as session:
        assert await archive_verification_history(session, now=NOW, older_than_days=365) == 0


async def test_archive_job_uses_the_configured_age(database_url: str, clean_db: Database) -> None:
    user = await make_user(clean_db, "player1")
    now = utcnow()
    async with clean_db.sessionmaker() as session:
        for age in (40, 20):
            session.add(
                VerificationHistory(
                    user_id=user.id, status="rejected", created_at=now - dt.timedelta(days=age)
                )
            )
        await session.commit()
    settings = make_settings(database_url, verification_history_archive_days=30)
    assert await run_job(JOBS[0], JobContext(db=clean_db, settings=settings))
    assert JOBS[0].func is archive_verification_history_job
    async with clean_db.sessionmaker() as session:
        flags = (
            await session.scalars(
                select(VerificationHistory.archived_at).order_by(VerificationHistory.created_at)
            )
        ).all()
    assert [f is not None for f in flags] == [True, False]


async def test_json_column_gauges_measure_max_and_total(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    small = await make_user(clean_db, "small")
    async with clean_db.sessionmaker() as session:
        user = await session.get(User, small.id)
        assert user is not None
        user.ip_history = [{"ip": "192.0.2.1"}]
        await session.commit()
        sizes = {(s.table, s.column): s for s in await measure_json_columns(session)}
    one = sizes[("users", "ip_history")]
    assert one.rows == 1 and one.max_bytes == one.total_bytes > len('[{"ip":"192.0.2.1"}]') - 1

    big = await make_user(clean_db, "big")
    async with clean_db.sessionmaker() as session:
        user = await session.get(User, big.id)
        assert user is not None
        user.ip_history = [{"ip": f"198.51.100.{n}", "count": n} for n in range(20)]
        await session.commit()
        sizes = {(s.table, s.column): s for s in await measure_json_columns(session)}
    two = sizes[("users", "ip_history")]
    assert two.rows == 2 and two.max_bytes > one.max_bytes
    assert two.total_bytes == two.max_bytes + one.total_bytes
    assert ("wager_race_participants", "wager_history") in sizes

    metrics = (await client.get("/metrics")).text
    line = f'goatedvips_json_column_bytes{{column="ip_history",stat="max",table="users"}} {float(two.max_bytes)}'
    assert line in metrics


async def test_outbox_gauges_and_sync_figures_on_metrics(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    user = await make_user(clean_db, "player1")
    now = utcnow()
    async with clean_db.sessionmaker() as session:
        for n, status in enumerate(["pending", "pending", "failed", "sent"]):
            session.add(
                NotificationOutbox(
                    user_id=user.id,
                    kind="broadcast",
                    channel="email",
                    recipient="p@example.com",
                    body_text="hi",
                    status=status,
                    dedupe_key=f"k{n}",
                    created_at=now - dt.timedelta(minutes=5),
                )
            )
        await session.commit()
        backlog = await measure_outbox(session, now=now)
    assert (backlog.pending, backlog.failed, backlog.sending) == (2, 1, 0)
    assert 299 <= backlog.oldest_pending_age_seconds <= 301

    metrics = (await client.get("/metrics")).text
    assert 'goatedvips_outbox_messages{status="pending"} 2.0' in metrics
    assert 'goatedvips_outbox_messages{status="failed"} 1.0' in metrics
    assert "goatedvips_affiliate_sync_players" in metrics
    assert "goatedvips_affiliate_last_success_timestamp_seconds" in metrics
    assert "goatedvips_job_runs_total" in metrics or "goatedvips_jobs_leader" in metrics
