"""One rate limiter for every domain, on the `limits` library.

Counters live in memory by default (per process) and in Redis when REDIS_URL is set, so several
processes share them. Rates use the `limits` notation: "5/minute", "10 per 15 minutes".

    await hit("login:ip:203.0.113.7", "20 per 15 minutes")   # counts, raises RateLimited when over
    await check("login:ip:203.0.113.7", "20 per 15 minutes") # raises when no room left, counts nothing

The app's lifespan calls `configure(settings)`; a process that never does (a CLI command) gets
the configuration of `get_settings()` on first use. Configuring again starts from empty counters
in memory, which is what each test app wants.

Redis unreachable: each call is logged and counted in this process's memory instead, so limits
still apply (per process) and no request fails because the counter store is down.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from goatedvips.config import Settings, get_settings
from goatedvips.errors import RateLimited
from goatedvips.logging import get_logger

DEFAULT_MESSAGE = "too many attempts; wait a moment and try again"
log = get_logger(__name__)


@dataclass
class _Limiter:
    storage: Storage
    strategy: MovingWindowRateLimiter
    fallback: _Limiter | None = None  # in-memory counters used while Redis is unreachable


_current: _Limiter | None = None


def configure(settings: Settings) -> None:
    """Use Redis when `settings.redis_url` is set, otherwise fresh in-memory counters."""
    global _current
    storage: Storage
    if settings.redis_url:
        storage = RedisStorage(
            _async_redis_uri(settings.redis_url),
            implementation="redispy",
            key_prefix=f"{settings.redis_key_prefix}:ratelimit",
        )
    else:
        storage = MemoryStorage()
    _current = _Limiter(storage, MovingWindowRateLimiter(storage))
    if settings.redis_url:
        memory = MemoryStorage()
        _current.fallback = _Limiter(memory, MovingWindowRateLimiter(memory))


def _async_redis_uri(url: str) -> str:
    for scheme in ("redis://", "rediss://", "redis+unix://"):
        if url.startswith(scheme):
            return "async+" + url
    return url


def _limiter() -> _Limiter:
    if _current is None:
        configure(get_settings())
    assert _current is not None
    return _current


def _item(rate: str) -> RateLimitItem:
    return parse(rate)


async def _retry_after(limiter: _Limiter, item: RateLimitItem, key: str) -> int:
    stats = await limiter.strategy.get_window_stats(item, key)
    return max(1, math.ceil(stats.reset_time - time.time()))


async def _allowed(key: str, item: RateLimitItem, *, count: bool) -> tuple[bool, _Limiter]:
    """Hit (or test) `key` in Redis, or in memory while Redis is unreachable."""
    limiter = _limiter()
    try:
        strategy = limiter.strategy
        return await (strategy.hit if count else strategy.test)(item, key), limiter
    except Exception as exc:
        if limiter.fallback is None:
            raise
        log.warning("ratelimit_redis_unavailable", error=str(exc))
        limiter = limiter.fallback
        return await (limiter.strategy.hit if count else limiter.strategy.test)(item, key), limiter


async def hit(key: str, rate: str, *, message: str = DEFAULT_MESSAGE) -> None:
    """Count one attempt for `key`; raise RateLimited (with retry_after) once `rate` is exceeded."""
    item = _item(rate)
    allowed, limiter = await _allowed(key, item, count=True)
    if not allowed:
        raise RateLimited(message, retry_after=await _retry_after(limiter, item, key))


async def check(key: str, rate: str, *, message: str = DEFAULT_MESSAGE) -> None:
    """Raise RateLimited when `key` has used up `rate`, without counting this call."""
    item = _item(rate)
    allowed, limiter = await _allowed(key, item, count=False)
    if not allowed:
        raise RateLimited(message, retry_after=await _retry_after(limiter, item, key))


async def clear(key: str, rate: str) -> None:
    """Forget the attempts counted for `key` under `rate` (a successful login, for one)."""
    limiter = _limiter()
    try:
        await limiter.strategy.clear(_item(rate), key)
    except Exception as exc:
        if limiter.fallback is None:
            raise
        log.warning("ratelimit_redis_unavailable", error=str(exc))
    if limiter.fallback is not None:
        await limiter.fallback.strategy.clear(_item(rate), key)


async def reset() -> None:
    """Forget every counter (memory) or every counter under this key prefix (Redis)."""
    await _limiter().storage.reset()
