"""Queueing notifications: one outbox row per channel, in the caller's transaction.

The preferences decide: the kind must be switched on (transactional kinds always are), and each
channel must be allowed (e-mail needs a verified address; Telegram needs a linked account with
notifications on). Delivery is a job (`notifications/jobs.py`); nothing here sends anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.db import utcnow
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.telegram.models import TelegramUser

# kind -> the preference that switches it (None: transactional, always delivered).
KIND_PREFERENCE: dict[str, str | None] = {
    "race_start": "wager_race_updates",
    "race_prize_position": "wager_race_updates",
    "race_result": "wager_race_updates",
    "vip_tier_up": "vip_status_changes",
    "broadcast": "promotional_offers",
    "new_bonus_code": "promotional_offers",
    "new_challenge": "promotional_offers",
    "monthly_statement": "monthly_statements",
    "support_reply": None,
    "verification_decision": None,
    "challenge_entry_decision": None,
    "telegram_linked": None,
}


def wants(prefs: NotificationPreferences | None, kind: str) -> bool:
    if kind not in KIND_PREFERENCE:
        raise ValueError(f"unknown notification kind {kind!r}")
    field = KIND_PREFERENCE[kind]
    if field is None:
        return True
    return bool(getattr(prefs, field, False)) if prefs is not None else False


async def channels_for(session: AsyncSession, user: User) -> dict[str, str]:
    """channel -> recipient for the channels this user allows."""
    prefs = await session.scalar(
        select(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
    )
    channels: dict[str, str] = {}
    if (prefs is None or prefs.email_notifications) and user.email_verified and not user.disabled:
        channels["email"] = user.email
    if prefs is None or prefs.push_notifications:
        tg = await session.scalar(select(TelegramUser).where(TelegramUser.user_id == user.id))
        if tg is not None and tg.notifications_enabled and tg.blocked_bot_at is None:
            channels["telegram"] = str(tg.telegram_id)
    return channels


async def enqueue(
    session: AsyncSession,
    *,
    user: User,
    kind: str,
    subject: str,
    text: str,
    html: str | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> list[NotificationOutbox]:
    """Queue `kind` for `user` on every allowed channel; the caller's commit makes it real.

    `text` is plain text (user input is fine: it is escaped in HTML and sent without a parse mode
    to Telegram). `html`, when given, replaces the text in the e-mail's HTML part and must come
    from an autoescaping template. The e-mail itself (layout, call to action, unsubscribe) is
    rendered at delivery from `templates/emails/<kind>.*`.
    `dedupe_key` makes the event idempotent: the same key never queues twice per channel.
    """
    if user.disabled:
        return []
    prefs = await session.scalar(
        select(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
    )
    if not wants(prefs, kind):
        return []
    rows = []
    for channel, recipient in (await channels_for(session, user)).items():
        key = f"{dedupe_key}:{channel}" if dedupe_key else None
        if key and await session.scalar(
            select(NotificationOutbox.id).where(NotificationOutbox.dedupe_key == key)
        ):
            continue
        row = NotificationOutbox(
            user_id=user.id,
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject=subject[:200],
            body_text=text,
            body_html=html,
            payload=payload,
            status="pending",
            next_attempt_at=not_before or utcnow(),
            dedupe_key=key,
        )
        session.add(row)
        rows.append(row)
    return rows
