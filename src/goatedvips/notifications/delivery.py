"""Delivering the outbox: claim due rows, send each once, record what happened.

A run (1) gives up on rows left in 'sending' by a run that died, (2) claims the next due
'pending' row atomically (PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent runs never share a
row; SQLite: one writer at a time) and commits the claim, (3) sends it and records the outcome
under its claim token, and repeats (2)-(3) up to `limit` rows. Claiming one row at a time means
a process killed mid-run leaves only the row it was sending in doubt.

Exactly once, or visibly not at all: a row is only ever sent by the run that claimed it, and a
row found still 'sending' after STALE_AFTER (its run crashed between send and record, or before
sending) is never resent automatically: neither SMTP nor Telegram can tell us whether it arrived,
so it is marked failed as "interrupted" for an admin to look at and retry by hand. That trades a
rare, visible miss for never sending twice. Rows not yet reached when a run stops were never
claimed, so the next run sends them.

Temporary failures (SMTP down, Telegram 429 or network) retry with exponential backoff (429 waits
the `retry_after` Telegram asks for) up to MAX_ATTEMPTS; permanent ones (recipient refused, bot
blocked: 403 also marks the Telegram user blocked) fail at once. Each row is re-checked before
sending: a deleted user's rows are gone (FK cascade), and a user who switched the kind or the
channel off, or was disabled, since the row was queued gets it cancelled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.logging import get_logger
from goatedvips.mail import MailError, send_mail
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.notifications.outbox import channels_for, wants
from goatedvips.notifications.rendering import compose_email, telegram_text
from goatedvips.security import new_token
from goatedvips.telegram.sender import (
    SendFunc,
    TelegramBlocked,
    TelegramError,
    TelegramRetryLater,
    telegram_sender,
)
from goatedvips.telegram.users import mark_blocked

log = get_logger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=1)
# Longer than any send can take (SMTP and Bot API calls time out well before this).
STALE_AFTER = dt.timedelta(minutes=10)
INTERRUPTED = (
    "delivery interrupted between claim and record: it may or may not have arrived, so it is "
    "not resent automatically; retry it if the recipient did not get it"
)


@dataclass
class DeliverySummary:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    vanished: int = 0
    interrupted: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after `attempts` tries: 1, 2, 4 ... minutes, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(0, attempts - 1), BACKOFF_CAP)


class _Channels:
    """Sends rows; the Telegram connection is opened only when a push is due."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = contextlib.AsyncExitStack()
        self._telegram: SendFunc | None = None
        self.telegram_paused_until: dt.datetime | None = None

    async def __aenter__(self) -> _Channels:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def send(self, row: NotificationOutbox) -> None:
        if row.channel == "email":
            await send_mail(self.settings, compose_email(self.settings, row))
            return
        if self._telegram is None:
            self._telegram = await self._stack.enter_async_context(telegram_sender(self.settings))
        await self._telegram(int(row.recipient), telegram_text(row))


async def deliver_due(
    db: Database, settings: Settings, *, now: dt.datetime | None = None, limit: int = 100
) -> DeliverySummary:
    """Deliver up to `limit` due rows once; safe to run in several processes at the same time."""
    now = now or utcnow()
    summary = DeliverySummary()
    token = new_token(12)[:32]
    async with db.sessionmaker() as session:
        summary.interrupted = await _give_up_interrupted(session, now)
    async with _Channels(settings) as channels:
        while summary.claimed < limit:
            # One row at a time: a process killed mid-send leaves only the row being sent in
            # doubt; the rows it had not reached are still pending for the next run.
            async with db.sessionmaker() as session:
                rows = await _claim(session, db.dialect, now=now, limit=1, token=token)
            if not rows:
                break
            summary.claimed += 1
            outcome = await _deliver_one(db, settings, channels, rows[0], now)
            setattr(summary, outcome, getattr(summary, outcome) + 1)
    if summary.claimed or summary.interrupted:
        log.info("notifications_delivered", **vars(summary))
    return summary


async def _give_up_interrupted(session: AsyncSession, now: dt.datetime) -> int:
    result = await session.execute(
        update(NotificationOutbox)
        .where(
            NotificationOutbox.status == "sending",
            NotificationOutbox.claimed_at < now - STALE_AFTER,
        )
        .values(status="failed", last_error=INTERRUPTED, claim_token=None)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _claim(
    session: AsyncSession, dialect: str, *, now: dt.datetime, limit: int, token: str
) -> list[NotificationOutbox]:
    due = (
        select(NotificationOutbox.id)
        .where(
            NotificationOutbox.status == "pending",
            or_(
                NotificationOutbox.next_attempt_at.is_(None),
                NotificationOutbox.next_attempt_at <= now,
            ),
        )
        .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
        .limit(limit)
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # Two statements in one transaction: as a subquery of the UPDATE, PostgreSQL may evaluate the
    # LIMIT ... SKIP LOCKED select more than once and claim more than `limit` rows.
    ids = list(await session.scalars(due))
    if not ids:
        await session.commit()
        return []
    claimed = await session.scalars(
        update(NotificationOutbox)
        # Re-checking the status makes the claim conditional: a row another run took is skipped.
        .where(NotificationOutbox.id.in_(ids), NotificationOutbox.status == "pending")
        .values(
            status="sending",
            claimed_at=now,
            claim_token=token,
            attempts=NotificationOutbox.attempts + 1,
        )
        .returning(NotificationOutbox)
        .execution_options(synchronize_session=False)
    )
    rows = list(claimed)
    await session.commit()
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: (r.next_attempt_at or epoch, r.id))


async def _deliver_one(
    db: Database,
    settings: Settings,
    channels: _Channels,
    row: NotificationOutbox,
    now: dt.datetime,
) -> str:
    token = row.claim_token or ""
    async with db.sessionmaker() as session:
        if row.channel == "telegram" and channels.telegram_paused_until is not None:
            await _release(session, [row.id], token, not_before=channels.telegram_paused_until)
            return "retrying"
        refusal = await _refusal(session, row)
        if refusal == "vanished":
            return "vanished"
        if refusal is not None:
            return await _record(session, row, "cancelled", error=refusal, outcome="cancelled")
    try:
        await channels.send(row)
    except MailError as exc:
        return await _record_failure(db, row, now, str(exc), permanent=exc.permanent)
    except TelegramBlocked as exc:
        async with db.sessionmaker() as session:
            await mark_blocked(session, int(row.recipient))
        return await _record_failure(db, row, now, f"bot blocked: {exc}", permanent=True)
    except TelegramRetryLater as exc:
        wait_until = now + dt.timedelta(seconds=max(1, exc.retry_after))
        channels.telegram_paused_until = wait_until
        return await _record_failure(
            db, row, now, f"Telegram rate limit: {exc}", permanent=False, not_before=wait_until
        )
    except TelegramError as exc:
        return await _record_failure(db, row, now, f"Telegram: {exc}", permanent=False)
    return await record_sent(db, row, now)


async def _refusal(session: AsyncSession, row: NotificationOutbox) -> str | None:
    """Why this row must not go out now ("vanished" when it no longer exists), or None."""
    if await session.get(NotificationOutbox, row.id) is None or row.user_id is None:
        return "vanished"
    user = await session.get(User, row.user_id)
    if user is None:
        return "vanished"
    if user.disabled:
        return "the account was disabled before delivery"
    prefs = await session.scalar(
        select(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
    )
    if not wants(prefs, row.kind):
        return "the user switched this kind of notification off before delivery"
    allowed = await channels_for(session, user)
    if row.channel not in allowed:
        return f"the {row.channel} channel was switched off or became unreachable before delivery"
    row.recipient = allowed[row.channel]  # an address changed since queueing gets the message
    return None


async def record_sent(db: Database, row: NotificationOutbox, now: dt.datetime) -> str:
    async with db.sessionmaker() as session:
        return await _record(session, row, "sent", sent_at=now, outcome="sent")


async def _record_failure(
    db: Database,
    row: NotificationOutbox,
    now: dt.datetime,
    error: str,
    *,
    permanent: bool,
    not_before: dt.datetime | None = None,
) -> str:
    async with db.sessionmaker() as session:
        if permanent or row.attempts >= MAX_ATTEMPTS:
            reason = error if permanent else f"gave up after {row.attempts} attempts: {error}"
            return await _record(session, row, "failed", error=reason, outcome="failed")
        return await _record(
            session,
            row,
            "pending",
            error=error,
            next_attempt_at=not_before or now + backoff(row.attempts),
            outcome="retrying",
        )


async def _record(
    session: AsyncSession,
    row: NotificationOutbox,
    status: str,
    *,
    outcome: str,
    error: str | None = None,
    **values: Any,
) -> str:
    """Write the outcome while our claim still holds; a row deleted meanwhile is "vanished"."""
    result = await session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.id == row.id, NotificationOutbox.claim_token == row.claim_token)
        .values(
            status=status,
            last_error=error[:2000] if error else None,
            recipient=row.recipient,
            claim_token=None,
            **values,
        )
    )
    await session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        log.info("notification_vanished", id=row.id, status=status)
        return "vanished"
    if status == "failed":
        log.warning(
            "notification_failed", id=row.id, kind=row.kind, channel=row.channel, error=error
        )
    return outcome


async def _release(
    session: AsyncSession, ids: list[int], token: str, *, not_before: dt.datetime | None
) -> None:
    """Hand claimed rows back unsent (their attempt never happened)."""
    values: dict[str, Any] = {
        "status": "pending",
        "claim_token": None,
        "claimed_at": None,
        "attempts": NotificationOutbox.attempts - 1,
    }
    if not_before is not None:
        values["next_attempt_at"] = not_before
    await session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.id.in_(ids), NotificationOutbox.claim_token == token)
        .values(**values)
    )
    await session.commit()
