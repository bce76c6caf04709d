"""Server-side sessions: an opaque cookie token, stored only as its hash, revocable at any time.

With REDIS_URL the lookup of a session goes through `session_cache` first; every revocation
deletes the cached entry, so it takes effect on the next request of every process.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts import session_cache
from goatedvips.accounts.models import User, UserSession
from goatedvips.accounts.session_cache import CachedSession
from goatedvips.db import utcnow
from goatedvips.security import SESSION_COOKIE as SESSION_COOKIE
from goatedvips.security import hash_token, new_token

SESSION_LIFETIME = dt.timedelta(days=14)
# last_seen_at / last_active are refreshed at most this often, so browsing is not a write per request.
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


async def _lookup(session: AsyncSession, session_id: str, now: dt.datetime) -> CachedSession | None:
    cache = session_cache.current()
    if cache is not None:
        cached = await cache.get(session_id)
        if cached is not None:
            return cached if cached.expires_at > now else None
    row = await session.scalar(
        select(UserSession).where(
            UserSession.id == session_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
    )
    if row is None:
        return None
    found = CachedSession(row.user_id, row.expires_at, row.last_seen_at)
    if cache is not None:
        await cache.put(session_id, found, now)
    return found


async def resolve_session(session: AsyncSession, token: str) -> tuple[str, User] | None:
    """(session id, enabled user) for a live cookie token, or None."""
    now = utcnow()
    session_id = hash_token(token)
    found = await _lookup(session, session_id, now)
    if found is None:
        return None
    user = await session.get(User, found.user_id)
    if user is None or user.disabled:
        return None
    if now - found.last_seen_at > TOUCH_INTERVAL:
        await session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )
        user.last_active = now
        await session.commit()
        cache = session_cache.current()
        if cache is not None:
            await cache.put(session_id, CachedSession(user.id, found.expires_at, now), now)
    return session_id, user


async def revoke_session(session: AsyncSession, token: str) -> None:
    """Revoke one session by its cookie token; commits (with whatever the caller has pending)."""
    session_id = hash_token(token)
    await session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await session.commit()
    # After the commit, so no request can re-cache the session from a not-yet-committed row.
    cache = session_cache.current()
    if cache is not None:
        await cache.delete(session_id)


async def revoke_all_sessions(
    session: AsyncSession, *, user_id: int, except_session_id: str | None = None
) -> int:
    """Revoke every live session of a user (password change, reset, disable); returns how many.

    Commits (with whatever the caller has pending, so a password change and the revocation land
    together), then drops the cached entries.
    """
    query = select(UserSession.id).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if except_session_id:
        query = query.where(UserSession.id != except_session_id)
    session_ids = list((await session.scalars(query)).all())
    if session_ids:
        await session.execute(
            update(UserSession).where(UserSession.id.in_(session_ids)).values(revoked_at=utcnow())
        )
    await session.commit()
    cache = session_cache.current()
    if cache is not None and session_ids:
        await cache.delete(*session_ids)
    return len(session_ids)
