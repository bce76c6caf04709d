"""Notification actions: admin broadcasts, retrying a failed message, one-click unsubscribe.

Broadcasts are promotional offers (domain §7): they reach only users with promotional offers on,
on the channels they allow, through the outbox like everything else. One broadcast is one audit
record, written in the transaction that queues its rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, InvalidInput, NotFound
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.notifications.outbox import enqueue
from goatedvips.notifications.tokens import UnsubscribeRequest
from goatedvips.security import new_token
from goatedvips.telegram.models import TelegramUser

BROADCAST_KINDS = {"promotional": "broadcast"}  # API kind -> outbox kind
SUBJECT_MAX = 150
BODY_MAX = 5000
BATCH_SIZE = 500


@dataclass(frozen=True)
class BroadcastResult:
    id: str
    kind: str
    recipients: int
    messages: int


def _audience_query() -> Select[tuple[User]]:
    """Users a promotional broadcast reaches: the same rules `outbox.channels_for` applies."""
    email_ok = and_(NotificationPreferences.email_notifications, User.email_verified)
    push_ok = and_(
        NotificationPreferences.push_notifications,
        TelegramUser.id.is_not(None),
        TelegramUser.notifications_enabled,
        TelegramUser.blocked_bot_at.is_(None),
    )
    return (
        select(User)
        .join(NotificationPreferences, NotificationPreferences.user_id == User.id)
        .outerjoin(TelegramUser, TelegramUser.user_id == User.id)
        .where(
            User.disabled.is_(False),
            NotificationPreferences.promotional_offers.is_(True),
            or_(email_ok, push_ok),
        )
    )


async def broadcast_audience(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(_audience_query().subquery())) or 0
    )


def validate_broadcast(kind: str, subject: str, body: str) -> tuple[str, str, str]:
    """(outbox kind, subject, body) cleaned, or InvalidInput naming the field."""
    if kind not in BROADCAST_KINDS:
        raise InvalidInput(
            'kind must be "promotional" (broadcasts are promotional offers)', field="kind"
        )
    subject, body = subject.strip(), body.strip()
    if not subject or len(subject) > SUBJECT_MAX or "\n" in subject:
        raise InvalidInput(
            f"the subject must be one line of 1 to {SUBJECT_MAX} characters", field="subject"
        )
    if not body or len(body) > BODY_MAX:
        raise InvalidInput(f"the message must be 1 to {BODY_MAX} characters", field="body")
    return BROADCAST_KINDS[kind], subject, body


async def queue_broadcast(
    session: AsyncSession, *, actor: Actor, kind: str, subject: str, body: str
) -> BroadcastResult:
    """Queue a broadcast to its whole audience with one audit record; commits.

    (The Telegram /broadcast command calls this too; `result.recipients` is the user count.)
    """
    outbox_kind, subject, body = validate_broadcast(kind, subject, body)
    broadcast_id = new_token(9)
    recipients = messages = 0
    last_id = 0
    while True:
        batch = list(
            await session.scalars(
                _audience_query().where(User.id > last_id).order_by(User.id).limit(BATCH_SIZE)
            )
        )
        if not batch:
            break
        for user in batch:
            rows = await enqueue(
                session,
                user=user,
                kind=outbox_kind,
                subject=subject,
                text=body,
                payload={"broadcastId": broadcast_id},
                dedupe_key=f"broadcast:{broadcast_id}:{user.id}",
            )
            recipients += bool(rows)
            messages += len(rows)
        last_id = batch[-1].id
        await session.flush()
    result = BroadcastResult(broadcast_id, kind, recipients, messages)
    record_audit(
        session,
        actor=actor,
        action="notifications.broadcast",
        target_type="broadcast",
        target_id=broadcast_id,
        after={
            "kind": kind,
            "subject": subject,
            "body": body,
            "recipients": recipients,
            "messages": messages,
        },
    )
    await session.commit()
    return result


async def retry_message(
    session: AsyncSession, *, actor: Actor, outbox_id: int
) -> NotificationOutbox:
    """Put a failed or cancelled message back in the queue with fresh attempts; audited."""
    row = await session.get(NotificationOutbox, outbox_id)
    if row is None:
        raise NotFound("message not found")
    if row.status not in ("failed", "cancelled"):
        raise Conflict(
            f"only failed or cancelled messages can be retried; this one is {row.status}"
        )
    before = {"status": row.status, "attempts": row.attempts, "lastError": row.last_error}
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.claimed_at = None
    record_audit(
        session,
        actor=actor,
        action="notifications.retry",
        target_type="notification",
        target_id=row.id,
        before=before,
        after={"status": "pending", "attempts": 0},
    )
    await session.commit()
    return row


async def unsubscribe(session: AsyncSession, request: UnsubscribeRequest) -> str:
    """Switch the preference off: "unsubscribed", "already" (a reused link) or "no_account"."""
    prefs = await session.scalar(
        select(NotificationPreferences).where(NotificationPreferences.user_id == request.user_id)
    )
    if prefs is None:
        return "no_account"
    if not getattr(prefs, request.preference):
        return "already"
    setattr(prefs, request.preference, False)
    await session.commit()
    return "unsubscribed"


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]
    failures: list[NotificationOutbox]
    oldest_pending: dt.datetime | None


async def outbox_overview(session: AsyncSession, *, failures: int = 25) -> OutboxOverview:
    counts: dict[str, int] = {s: 0 for s in ("pending", "sending", "sent", "failed", "cancelled")}
    for status, count in await session.execute(
        select(NotificationOutbox.status, func.count()).group_by(NotificationOutbox.status)
    ):
        counts[status] = int(count)
    recent = await session.scalars(
        select(NotificationOutbox)
        .where(NotificationOutbox.status.in_(("failed", "cancelled")))
        .order_by(NotificationOutbox.updated_at.desc(), NotificationOutbox.id.desc())
        .limit(failures)
    )
    oldest = await session.scalar(
        select(func.min(NotificationOutbox.next_attempt_at)).where(
            NotificationOutbox.status == "pending"
        )
    )
    return OutboxOverview(counts, list(recent), oldest)


def outbox_row_json(row: NotificationOutbox) -> dict[str, Any]:
    return {
        "id": row.id,
        "userId": row.user_id,
        "kind": row.kind,
        "channel": row.channel,
        "recipient": row.recipient,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "nextAttemptAt": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "lastError": row.last_error,
        "sentAt": row.sent_at.isoformat() if row.sent_at else None,
        "createdAt": row.created_at.isoformat() if row.created_at else None,
    }
