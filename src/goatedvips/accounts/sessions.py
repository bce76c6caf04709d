"""Server-side sessions: an opaque cookie token, stored only as its hash, revocable at any time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User, UserSession
from goatedvips.db import utcnow
from goatedvips.security import hash_token, new_token

SESSION_COOKIE = "gv_session"
SESSION_LIFETIME = dt.timedelta(days=14)
# last_seen_at is refreshed at most this often, so browsing is not a write per request.
TOUCH_INTERVAL = dt.timedelta(minutes=5)


async def create_session(session: AsyncSession, *, user: User, ip: str, user_agent: str) -> str:
    """Open a session for `user` and return the cookie token (the caller commits)."""
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            id=hash_token(token),
            user_id=user.id,
            csrf_token=new_token(24),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            ip=ip[:45],
            user_agent=user_agent[:512],
        )
    )
    return token


async def resolve_session(session: AsyncSession, token: str) -> tuple[UserSession, User] | None:
    """The live session and its enabled user for a cookie token, or None."""
    now = utcnow()
    row = (
        await session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(
                UserSession.id == hash_token(token),
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                User.disabled.is_(False),
            )
        )
    ).first()
    if row is None:
        return None
    user_session, user = row
    if now - user_session.last_seen_at > TOUCH_INTERVAL:
        user_session.last_seen_at = now
        user.last_active = now
        await session.commit()
    return user_session, user


async def revoke_session(session: AsyncSession, token: str) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.id == hash_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_all_sessions(
    session: AsyncSession, *, user_id: int, except_token: str | None = None
) -> int:
    """Revoke every live session of a user (password change, disable); returns how many."""
    stmt = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if except_token:
        stmt = stmt.where(UserSession.id != hash_token(except_token))
    result = await session.execute(stmt.values(revoked_at=utcnow()))
    return result.rowcount or 0
