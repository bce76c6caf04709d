"""Shortcuts for notification tests: users with chosen preferences and a linked Telegram."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from goatedvips.accounts.models import User
from goatedvips.db import Database
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.notifications.outbox import enqueue
from goatedvips.telegram.models import TelegramUser
from tests.support.users import make_user

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


async def player(
    db: Database,
    username: str,
    *,
    telegram_id: int | None = None,
    email_verified: bool = True,
    **prefs: bool,
) -> User:
    """A user with the given preference overrides and, when `telegram_id` is set, a linked bot."""
    user = await make_user(db, username, email_verified=email_verified)
    async with db.sessionmaker() as session:
        row = await session.scalar(
            select(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
        )
        assert row is not None
        for name, value in prefs.items():
            setattr(row, name, value)
        if telegram_id is not None:
            session.add(TelegramUser(telegram_id=telegram_id, user_id=user.id, is_verified=True))
            db_user = await session.get(User, user.id)
            assert db_user is not None
            db_user.telegram_id = telegram_id
            db_user.telegram_verified = True
        await session.commit()
    return user


async def queue(db: Database, user: User, kind: str = "race_start", **kwargs: Any) -> list[int]:
    async with db.sessionmaker() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None
        rows = await enqueue(
            session,
            user=fresh,
            kind=kind,
            subject=kwargs.pop("subject", f"{kind} subject"),
            text=kwargs.pop("text", f"{kind} body"),
            not_before=kwargs.pop("not_before", NOW),
            **kwargs,
        )
        await session.commit()
        return [row.id for row in rows]


async def outbox(db: Database, **where: Any) -> list[NotificationOutbox]:
    async with db.sessionmaker() as session:
        query = select(NotificationOutbox).order_by(NotificationOutbox.id)
        for name, value in where.items():
            query = query.where(getattr(NotificationOutbox, name) == value)
        return list(await session.scalars(query))


async def count_rows(db: Database, **where: Any) -> int:
    async with db.sessionmaker() as session:
        query = select(func.count()).select_from(NotificationOutbox)
        for name, value in where.items():
            query = query.where(getattr(NotificationOutbox, name) == value)
        return int(await session.scalar(query) or 0)
