"""Where the feed comes from: the real Goated API, or the built-in simulator in development.

Without GOATED_API_BASE_URL outside production (`settings.uses_simulator`) the client talks to a
simulator app in the same process through `httpx.ASGITransport` — no port, no second process. The
simulator is a closed-form function of the clock (seed `BUILTIN_SEED`, `BUILTIN_PLAYERS` players),
so every process of the site sees the same, steadily moving population.
"""

from __future__ import annotations

from functools import lru_cache

import httpx
from fastapi import FastAPI

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.config import ConfigError, Settings

BUILTIN_SEED = 1
BUILTIN_PLAYERS = 2000
BUILTIN_BASE_URL = "http://goated-simulator.internal"
# The demo moves while you watch: sync every 30 s unless GOATED_SYNC_INTERVAL_SECONDS is set.
SIMULATOR_SYNC_INTERVAL_SECONDS = 30


@lru_cache(maxsize=1)
def builtin_simulator() -> FastAPI:
    return create_simulator_app(seed=BUILTIN_SEED, players=BUILTIN_PLAYERS)


def open_client(settings: Settings) -> GoatedClient:
    """A client for the configured feed; close it (or use `async with`) when done."""
    if settings.goated_api_base_url:
        return GoatedClient(
            settings.goated_api_base_url, settings.goated_api_token, settings.goated_affiliate_code
        )
    if not settings.uses_simulator:
        raise ConfigError("GOATED_API_BASE_URL is not set; the affiliate feed has no source")
    return GoatedClient(
        BUILTIN_BASE_URL,
        None,
        settings.goated_affiliate_code,
        transport=httpx.ASGITransport(app=builtin_simulator()),
    )


def sync_interval(settings: Settings) -> float:
    """Seconds between scheduled syncs (shorter for the built-in simulator's demo)."""
    explicit = "goated_sync_interval_seconds" in settings.model_fields_set
    if settings.uses_simulator and not explicit:
        return SIMULATOR_SYNC_INTERVAL_SECONDS
    return settings.goated_sync_interval_seconds
