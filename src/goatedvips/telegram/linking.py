"""Linking a Telegram account to a site account with one-time deep-link tokens, and unlinking.

The site hands out `t.me/<bot>?start=<token>`; only the token's sha256 is stored, it lives 15
minutes and works once. `/start <token>` in a private chat binds the sender. A Telegram id and a
site account are each linked at most once: relinking means unlinking first (site or /unlink).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, Gone, InvalidInput, NotFound
from goatedvips.notifications.outbox import enqueue
from goatedvips.security import hash_token, new_token
from goatedvips.telegram.models import TelegramLinkToken, TelegramUser

LINK_TOKEN_LIFETIME = dt.timedelta(minutes=15)
# Telegram allows at most 64 characters of [A-Za-z0-9_-] in a /start payload.
TOKEN_BYTES = 24


@dataclass(frozen=True)
class LinkToken:
    token: str
    expires_at: dt.datetime


async def create_link_token(
    session: AsyncSession, *, user: User, now: dt.datetime | None = None
) -> LinkToken:
    """A fresh one-time token for `user` (earlier unused tokens stop working); commits."""
    now = now or utcnow()
    if user.telegram_id is not None:
        raise Conflict(
            "your account is already linked to a Telegram account; unlink it first to link another",
            code="telegram_already_linked",
        )
    await session.execute(
        delete(TelegramLinkToken).where(
            TelegramLinkToken.user_id == user.id, TelegramLinkToken.used_at.is_(None)
        )
    )
    token = new_token(TOKEN_BYTES)
    expires_at = now + LINK_TOKEN_LIFETIME
    session.add(
        TelegramLinkToken(token_hash=hash_token(token), user_id=user.id, expires_at=expires_at)
    )
    await session.commit()
    return LinkToken(token=token, expires_at=expires_at)


async def redeem_link_token(
    session: AsyncSession,
    *,
    token: str,
    telegram_id: int,
    telegram_username: str | None,
    now: dt.datetime | None = None,
) -> User:
    """Bind the Telegram sender to the token's account, atomically; commits.

    Refused (nothing written, the token still usable) when this Telegram account is already linked
    to another site account or the site account to another Telegram account.
    """
    now = now or utcnow()
    token_hash = hash_token(token.strip())
    claimed = await session.execute(
        update(TelegramLinkToken)
        .where(
            TelegramLinkToken.token_hash == token_hash,
            TelegramLinkToken.used_at.is_(None),
            TelegramLinkToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        await _explain_unusable_token(session, token_hash)
    link = await session.scalar(
        select(TelegramLinkToken).where(TelegramLinkToken.token_hash == token_hash)
    )
    assert link is not None
    user = await session.get(User, link.user_id, populate_existing=True)
    if user is None or user.disabled:
        await session.rollback()
        raise Gone("This link belongs to an account that no longer exists.", code="token_invalid")
    tg_user = await session.scalar(
        select(TelegramUser).where(TelegramUser.telegram_id == telegram_id)
    )
    if tg_user is not None and tg_user.user_id not in (None, user.id):
        await session.rollback()
        raise Conflict(
            "This Telegram account is already linked to another GoatedVIPs account. "
            "Send /unlink first if you want to move it.",
            code="telegram_linked_elsewhere",
        )
    if user.telegram_id not in (None, telegram_id):
        await session.rollback()
        raise Conflict(
            "That GoatedVIPs account is already linked to another Telegram account. "
            "Unlink it on the site first.",
            code="account_linked_elsewhere",
        )
    if tg_user is None:
        tg_user = TelegramUser(telegram_id=telegram_id)
        session.add(tg_user)
    tg_user.telegram_username = telegram_username
    tg_user.user_id = user.id
    tg_user.is_verified = True
    tg_user.verified_at = now
    tg_user.verified_by = "link"
    tg_user.blocked_bot_at = None
    user.telegram_id = telegram_id
    user.telegram_verified = True
    user.telegram_verified_at = now
    record_audit(
        session,
        actor=Actor.telegram(telegram_id, user=user),
        action="telegram.link",
        target_type="user",
        target_id=user.id,
        after={"telegramId": telegram_id, "telegramUsername": telegram_username},
    )
    await enqueue(
        session,
        user=user,
        kind="telegram_linked",
        subject="Telegram linked to your GoatedVIPs account",
        text=(
            f"The Telegram account {_handle(telegram_username, telegram_id)} is now linked to "
            f"your GoatedVIPs account {user.username}. If this wasn't you, unlink it on your "
            "account page and change your password."
        ),
        dedupe_key=f"telegram_linked:{user.id}:{telegram_id}:{int(now.timestamp())}",
    )
    try:
        await session.commit()
    except IntegrityError as exc:
        # Two links racing for the same account or Telegram id: the unique columns decide.
        await session.rollback()
        raise Conflict(
            "This account was linked a moment ago from elsewhere; check your account page.",
            code="link_race",
        ) from exc
    return user


async def _explain_unusable_token(session: AsyncSession, token_hash: str) -> None:
    link = await session.scalar(
        select(TelegramLinkToken).where(TelegramLinkToken.token_hash == token_hash)
    )
    if link is None:
        raise InvalidInput(
            "This link is not valid. Open your account page on the site and tap "
            "“Link Telegram” to get a new one.",
            code="token_invalid",
        )
    if link.used_at is not None:
        raise Gone(
            "This link was already used. Each link works once; get a new one on the site.",
            code="token_used",
        )
    raise Gone(
        "This link has expired (links last 15 minutes). Get a new one on the site.",
        code="token_expired",
    )


async def unlink_telegram(
    session: AsyncSession, *, user: User | None = None, telegram_id: int | None = None, actor: Actor
) -> None:
    """Detach a site account from its Telegram account (by either side); commits."""
    if user is None and telegram_id is not None:
        tg_user = await session.scalar(
            select(TelegramUser).where(TelegramUser.telegram_id == telegram_id)
        )
        user = await session.get(User, tg_user.user_id) if tg_user and tg_user.user_id else None
    if user is None or user.telegram_id is None:
        raise NotFound("No Telegram account is linked.", code="not_linked")
    before = {"telegramId": user.telegram_id}
    await session.execute(
        update(TelegramUser)
        .where(TelegramUser.user_id == user.id)
        .values(user_id=None, is_verified=False, verified_at=None, verified_by=None)
    )
    user.telegram_id = None
    user.telegram_verified = False
    user.telegram_verified_at = None
    record_audit(
        session,
        actor=actor,
        action="telegram.unlink",
        target_type="user",
        target_id=user.id,
        before=before,
    )
    await session.commit()


def _handle(username: str | None, telegram_id: int) -> str:
    return f"@{username}" if username else f"id {telegram_id}"
