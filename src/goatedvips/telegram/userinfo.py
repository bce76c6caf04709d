"""/userinfo: find a site account by username, Telegram id or Goated name and describe it."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.errors import NotFound
from goatedvips.telegram.models import TelegramUser
from goatedvips.telegram.verification import open_request_for

MAX_MATCHES = 5


async def find_users(session: AsyncSession, query: str) -> list[User]:
    needle = query.strip().lstrip("@")
    conditions = [
        func.lower(User.username) == needle.lower(),
        func.lower(User.goated_username) == needle.lower(),
        User.goated_uid == needle,
    ]
    if needle.lstrip("-").isdigit() and len(needle) < 19:
        conditions.append(User.telegram_id == int(needle))
    linked_by_tg_name = select(TelegramUser.user_id).where(
        func.lower(TelegramUser.telegram_username) == needle.lower(),
        TelegramUser.user_id.is_not(None),
    )
    conditions.append(User.id.in_(linked_by_tg_name))
    rows = await session.scalars(
        select(User).where(or_(*conditions)).order_by(User.id).limit(MAX_MATCHES)
    )
    return list(rows)


async def userinfo_text(session: AsyncSession, query: str) -> str:
    users = await find_users(session, query)
    if not users:
        raise NotFound(f"No site account matches “{query}” (username, Telegram id or Goated name).")
    return "\n\n".join([await _describe(session, user) for user in users])


async def _describe(session: AsyncSession, user: User) -> str:
    tg = await session.scalar(select(TelegramUser).where(TelegramUser.user_id == user.id))
    pending = await open_request_for(session, user.id)
    telegram = "not linked"
    if user.telegram_id is not None:
        name = f"@{tg.telegram_username}" if tg and tg.telegram_username else "no username"
        telegram = f"{name} (id {user.telegram_id})"
        if tg and tg.blocked_bot_at:
            telegram += ", has blocked the bot"
    goated = "not verified"
    if user.goated_verified:
        goated = f"{user.goated_username} (uid {user.goated_uid}), verified"
    lines = [
        f"User {user.username} (id {user.id}){' — ADMIN' if user.is_admin else ''}"
        f"{' — DISABLED' if user.disabled else ''}",
        f"E-mail: {user.email} ({'verified' if user.email_verified else 'unverified'})",
        f"Telegram: {telegram}",
        f"Goated: {goated}",
        f"Joined: {user.created_at:%Y-%m-%d}; last active: "
        + (f"{user.last_active:%Y-%m-%d %H:%M} UTC" if user.last_active else "never"),
    ]
    if pending is not None:
        lines.append(f"Open verification request #{pending.id} for {pending.goated_username}")
    return "\n".join(lines)
