"""Start-up of the races domain: the live-update broker follows the settings (Redis or local),
and a web process whose jobs run elsewhere, without Redis, relays race changes itself."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from goatedvips import live
from goatedvips.races.relay import race_relay


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    broker = live.configure(settings.redis_url, settings.redis_key_prefix)
    relayed = not settings.jobs_enabled and not settings.redis_url and not settings.is_test
    try:
        async with race_relay(app.state.db) if relayed else contextlib.nullcontext():
            yield
    finally:
        await broker.close()
