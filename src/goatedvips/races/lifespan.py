"""Start-up of the races domain: the live-update broker follows the settings (Redis or local)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from goatedvips import live


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    broker = live.configure(settings.redis_url, settings.redis_key_prefix)
    try:
        yield
    finally:
        await broker.close()
