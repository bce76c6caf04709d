"""Redis cache of session lookups (only when REDIS_URL is set); the database stays the truth.

An entry maps the session id (the token's hash) to its user id, expiry and last-seen time, and
lives at most CACHE_TTL. Revoking a session deletes its entry in the same call, so a revoked cookie
stops working at once on every process. The user row itself is always read from the database, so
disabling an account takes effect immediately too.

Redis unreachable: lookups fall through to the database and writes are skipped (logged), so
nobody is logged out and no page fails. A revocation made while Redis is down can't drop the
cached entry; the database refuses a revoked session only once that entry expires (CACHE_TTL).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from redis.asyncio import Redis

from goatedvips.config import Settings, get_settings
from goatedvips.logging import get_logger

CACHE_TTL = dt.timedelta(minutes=5)
log = get_logger(__name__)


@dataclass(frozen=True)
class CachedSession:
    user_id: int
    expires_at: dt.datetime
    last_seen_at: dt.datetime


class SessionCache:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:session:"

    async def get(self, session_id: str) -> CachedSession | None:
        try:
            raw = await self.redis.get(self.prefix + session_id)
        except Exception as exc:  # a cache: without Redis, the database answers
            log.warning("session_cache_unavailable", op="get", error=str(exc))
            return None
        if raw is None:
            return None
        data = json.loads(raw)
        return CachedSession(
            user_id=int(data["u"]),
            expires_at=dt.datetime.fromisoformat(data["e"]),
            last_seen_at=dt.datetime.fromisoformat(data["s"]),
        )

    async def put(self, session_id: str, entry: CachedSession, now: dt.datetime) -> None:
        ttl = min(CACHE_TTL, entry.expires_at - now)
        if ttl.total_seconds() < 1:
            return
        payload = json.dumps(
            {
                "u": entry.user_id,
                "e": entry.expires_at.isoformat(),
                "s": entry.last_seen_at.isoformat(),
            }
        )
        try:
            await self.redis.set(self.prefix + session_id, payload, ex=int(ttl.total_seconds()))
        except Exception as exc:
            log.warning("session_cache_unavailable", op="put", error=str(exc))

    async def delete(self, *session_ids: str) -> None:
        if session_ids:
            try:
                await self.redis.delete(*(self.prefix + sid for sid in session_ids))
            except Exception as exc:
                log.error("session_cache_unavailable", op="delete", error=str(exc))

    async def close(self) -> None:
        await self.redis.aclose()


_configured = False
_cache: SessionCache | None = None


def configure(settings: Settings) -> SessionCache | None:
    """Set up (or switch off) the cache for this process; returns it."""
    global _configured, _cache
    _configured = True
    _cache = None
    if settings.redis_url:
        _cache = SessionCache(Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    return _cache


def current() -> SessionCache | None:
    """The cache of this process; a process that never configured one follows its settings."""
    if not _configured:
        configure(get_settings())
    return _cache
