"""Finding accounts for staff: one search box over names, e-mail, IPs, Telegram and Goated names.

A query that looks like an IP address (or the start of one, e.g. `203.0.113.`) is matched
against every IP we keep: registration, last login, the `ip_history` JSON and session IPs. A
number also matches user ids and Telegram ids. Text matches usernames, e-mails, Telegram and
Goated names anywhere, in any letter case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Text, cast, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from goatedvips.accounts.models import User, UserSession
from goatedvips.deps import MAX_ROW_ID
from goatedvips.errors import NotFound
from goatedvips.telegram.models import TelegramUser, VerificationHistory

SEARCH_MAX_LENGTH = 100
_IP_LIKE = re.compile(r"^[0-9a-fA-F.:]+$")
# Telegram ids fit in a signed 64-bit integer; anything longer is just text.
_MAX_BIGINT = 2**63 - 1


def looks_like_ip(query: str) -> bool:
    return bool(_IP_LIKE.match(query)) and ("." in query or ":" in query)


def _ip_conditions(query: str) -> list[ColumnElement[bool]]:
    """Exact or prefix matches on every stored IP (the JSON is matched as text: a quoted value)."""
    pattern_in_json = f'%"{_escape_like(query)}%'
    session_users = select(UserSession.user_id).where(
        UserSession.ip.startswith(query, autoescape=True)
    )
    return [
        User.last_login_ip.startswith(query, autoescape=True),
        User.registration_ip.startswith(query, autoescape=True),
        cast(User.ip_history, Text).like(pattern_in_json, escape="/"),
        User.id.in_(session_users),
    ]


def _escape_like(value: str) -> str:
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _text_conditions(query: str) -> list[ColumnElement[bool]]:
    needle = query.lower().removeprefix("@")
    telegram_users = select(TelegramUser.user_id).where(
        TelegramUser.user_id.is_not(None),
        func.lower(TelegramUser.telegram_username).contains(needle, autoescape=True),
    )
    return [
        func.lower(User.username).contains(needle, autoescape=True),
        func.lower(User.email).contains(needle, autoescape=True),
        func.lower(User.goated_username).contains(needle, autoescape=True),
        User.goated_uid == query,
        User.id.in_(telegram_users),
    ]


def _number_conditions(query: str) -> list[ColumnElement[bool]]:
    # ASCII only: "²".isdigit() is true but int("²") fails.
    if not (query.isascii() and query.isdigit()) or int(query) > _MAX_BIGINT:
        return []
    number = int(query)
    linked = select(TelegramUser.user_id).where(TelegramUser.telegram_id == number)
    conditions = [User.telegram_id == number, User.id.in_(linked)]
    # users.id is INTEGER: a bigger number can only be a Telegram id (PostgreSQL would overflow).
    return [User.id == number, *conditions] if number <= MAX_ROW_ID else conditions


def search_condition(query: str) -> ColumnElement[bool]:
    conditions = _text_conditions(query) + _number_conditions(query)
    if looks_like_ip(query):
        conditions += _ip_conditions(query)
    return or_(false(), *conditions)


@dataclass(frozen=True)
class UserPage:
    total: int
    users: list[User]


async def search_users(
    session: AsyncSession, *, query: str = "", limit: int = 50, offset: int = 0
) -> UserPage:
    """Users matching `query` (all users when blank), newest first."""
    query = query.strip()
    where = search_condition(query) if query else None
    count = select(func.count()).select_from(User)
    rows = select(User).order_by(User.id.desc()).limit(limit).offset(offset)
    if where is not None:
        count = count.where(where)
        rows = rows.where(where)
    total = await session.scalar(count) or 0
    users = list((await session.scalars(rows)).all())
    return UserPage(total=total, users=users)


async def load_user_detail(session: AsyncSession, user_id: int) -> User:
    """A user with sessions, Telegram account and verification history loaded."""
    user = await session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(
            selectinload(User.sessions),
            selectinload(User.telegram_user),
            selectinload(User.verification_history),
        )
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    return user


def newest_first(events: list[VerificationHistory]) -> list[VerificationHistory]:
    return sorted(events, key=lambda e: (e.created_at, e.id), reverse=True)
