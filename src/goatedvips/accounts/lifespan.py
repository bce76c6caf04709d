"""Accounts start-up: the rate limiter and the session cache follow this app's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from goatedvips import ratelimit
from goatedvips.accounts import session_cache


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    ratelimit.configure(settings)
    cache = session_cache.configure(settings)
    try:
        yield
    finally:
        if cache is not None:
            await cache.close()
