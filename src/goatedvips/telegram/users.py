"""Telegram users as the bot sees them: the row per sender, the linked account, who is an admin."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.db import utcnow
from goatedvips.telegram.models import TelegramUser


async def touch_telegram_user(
    session: AsyncSession, *, telegram_id: int, username: str | None
) -> TelegramUser:
    """The sender's row, created on first contact; keeps the username fresh and, since they are
    talking to us again, clears `blocked_bot_at`. Commits."""
    for _attempt in range(2):
        row = await session.scalar(
            select(TelegramUser).where(TelegramUser.telegram_id == telegram_id)
        )
        if row is None:
            row = TelegramUser(telegram_id=telegram_id, telegram_username=username)
            session.add(row)
        elif row.telegram_username == username and row.blocked_bot_at is None:
            return row
        else:
            row.telegram_username = username
            row.blocked_bot_at = None
        try:
            await session.commit()
            return row
        except IntegrityError:
            # Two first updates from one person at once: the other one created the row.
            await session.rollback()
    raise RuntimeError(f"could not record Telegram user {telegram_id}")


async def linked_site_user(session: AsyncSession, tg_user: TelegramUser) -> User | None:
    """The enabled site account linked to this Telegram user, or None."""
    if tg_user.user_id is None:
        return None
    user = await session.get(User, tg_user.user_id)
    return user if user is not None and not user.disabled else None


def is_telegram_admin(settings: Settings, telegram_id: int, user: User | None) -> bool:
    return telegram_id in settings.admin_telegram_ids or bool(user and user.is_admin)


async def admin_chat_ids(session: AsyncSession, settings: Settings) -> list[int]:
    """Every chat admins are told in: TELEGRAM_ADMIN_IDS plus site admins with a linked Telegram."""
    linked = await session.scalars(
        select(User.telegram_id).where(
            User.is_admin.is_(True), User.disabled.is_(False), User.telegram_id.is_not(None)
        )
    )
    ids = set(settings.admin_telegram_ids) | {tid for tid in linked if tid is not None}
    return sorted(ids)


async def mark_blocked(session: AsyncSession, telegram_id: int) -> None:
    """Remember that this user blocked the bot (Telegram answered 403); commits."""
    await session.execute(
        update(TelegramUser)
        .where(TelegramUser.telegram_id == telegram_id, TelegramUser.blocked_bot_at.is_(None))
        .values(blocked_bot_at=utcnow())
    )
    await session.commit()
