"""Promotional fan-out: tell every opted-in player about a new drop or challenge.

The rows are queued in the caller's transaction (so an offer and its announcements land together),
walking the audience in id order in fixed-size batches and flushing each batch, so a large
audience never sits in memory at once (clean ORM rows are only weakly held by the session).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.notifications.models import NotificationPreferences
from goatedvips.notifications.outbox import enqueue

BATCH_SIZE = 500


async def announce_to_opted_in(
    session: AsyncSession,
    *,
    kind: str,
    subject: str,
    text: str,
    dedupe_key: str,
    payload: dict[str, object] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Queue `kind` for every enabled user with promotional offers on; returns how many users."""
    last_id = 0
    told = 0
    while True:
        users = list(
            (
                await session.scalars(
                    select(User)
                    .join(NotificationPreferences, NotificationPreferences.user_id == User.id)
                    .where(
                        NotificationPreferences.promotional_offers.is_(True),
                        User.disabled.is_(False),
                        User.id > last_id,
                    )
                    .order_by(User.id)
                    .limit(batch_size)
                )
            ).all()
        )
        if not users:
            return told
        for user in users:
            rows = await enqueue(
                session,
                user=user,
                kind=kind,
                subject=subject,
                text=text,
                payload=dict(payload or {}),
                dedupe_key=f"{dedupe_key}:user:{user.id}",
            )
            told += 1 if rows else 0
        last_id = users[-1].id
        await session.flush()
