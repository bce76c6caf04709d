"""The shared limiter (memory and Redis) and the Redis session cache."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from goatedvips import ratelimit
from goatedvips.accounts import session_cache
from goatedvips.app import create_app
from goatedvips.db import Database
from goatedvips.errors import RateLimited
from tests.accounts.helpers import login_api, register_api
from tests.conftest import make_settings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip()
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")


async def test_memory_limiter_hit_check_clear_reset(database_url: str) -> None:
    ratelimit.configure(make_settings(database_url))
    await ratelimit.hit("k", "2/minute")
    await ratelimit.hit("k", "2/minute")
    await ratelimit.check("other", "2/minute")
    with pytest.raises(RateLimited) as caught:
        await ratelimit.check("k", "2/minute")
    assert 1 <= caught.value.retry_after <= 60
    with pytest.raises(RateLimited):
        await ratelimit.hit("k", "2/minute")
    await ratelimit.clear("k", "2/minute")
    await ratelimit.hit("k", "2/minute")
    await ratelimit.reset()
    await ratelimit.hit("k", "1/minute")


@needs_redis
async def test_redis_limiter_is_shared_between_configurations(database_url: str) -> None:
    settings = make_settings(
        database_url, redis_url=REDIS_URL, redis_key_prefix=f"gvtest-{uuid.uuid4().hex}"
    )
    ratelimit.configure(settings)
    await ratelimit.hit("shared", "1/minute")
    ratelimit.configure(settings)  # another process, same Redis: the count is still there
    with pytest.raises(RateLimited):
        await ratelimit.hit("shared", "1/minute")
    await ratelimit.reset()


@pytest.fixture
async def redis_app(database_url: str, clean_db: Database) -> AsyncIterator[FastAPI]:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    settings = make_settings(
        database_url, redis_url=REDIS_URL, redis_key_prefix=f"gvtest-{uuid.uuid4().hex}"
    )
    application = create_app(settings, database=clean_db)
    async with application.router.lifespan_context(application):
        yield application
        await ratelimit.reset()
    ratelimit.configure(make_settings(database_url))
    session_cache.configure(make_settings(database_url))


def client_for(app: FastAPI, ip: str = "192.0.2.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 1)), base_url="http://testserver"
    )


async def test_cached_sessions_are_revoked_at_once(redis_app: FastAPI, clean_db: Database) -> None:
    cache = session_cache.current()
    assert cache is not None
    async with client_for(redis_app) as phone, client_for(redis_app) as laptop:
        await register_api(phone, "cached")
        await login_api(phone, "cached")
        await login_api(laptop, "cached")
        assert (await phone.get("/api/auth/me")).status_code == 200
        assert (await laptop.get("/api/auth/me")).status_code == 200
        keys: list[Any] = await cache.redis.keys(cache.prefix + "*")
        assert len(keys) == 2  # both lookups are cached now
        changed = await phone.post(
            "/api/me/password",
            json={
                "currentPassword": "a long enough password",
                "newPassword": "a new long password",
            },
        )
        assert changed.status_code == 200
        assert (await laptop.get("/api/auth/me")).status_code == 401
        assert (await phone.get("/api/auth/me")).status_code == 200
        assert (await phone.post("/api/auth/logout", json={})).status_code == 204
        assert await cache.redis.keys(cache.prefix + "*") == []
