"""Start and stop the bot with the app.

- No TELEGRAM_BOT_TOKEN: the bot is off (`app.state.telegram` is None; the webhook answers 404).
- Production: the webhook is set to BASE_URL + /telegram/webhook with TELEGRAM_WEBHOOK_SECRET
  (without a secret nothing is set and every webhook call is refused; the log says why).
- Development: with a webhook secret, the webhook is set as in production; without one, the bot
  long-polls inside this process (`goatedvips bot` does the same in a process of its own).
- Tests: nothing starts by itself; tests feed the webhook or call `runtime.poll()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from fastapi import FastAPI

from goatedvips.config import Settings
from goatedvips.logging import get_logger
from goatedvips.telegram.runtime import TelegramRuntime

log = get_logger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.telegram = None
    if not settings.telegram_bot_token:
        yield
        return
    runtime = TelegramRuntime(settings=settings, db=app.state.db)
    app.state.telegram = runtime
    stop = asyncio.Event()
    polling: asyncio.Task[None] | None = None
    try:
        if not settings.is_test:
            polling = await _connect(runtime, settings, stop)
        yield
    finally:
        stop.set()
        if polling is not None:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await polling
        await runtime.close()


async def _connect(
    runtime: TelegramRuntime, settings: Settings, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    try:
        await runtime.publish_commands()
        if settings.telegram_webhook_secret:
            await runtime.set_webhook()
            return None
    except (TelegramAPIError, TelegramNetworkError) as exc:
        log.error("telegram_start_failed", error=str(exc))
        return None
    if settings.is_production:
        log.error("telegram_webhook_secret_missing", hint="set TELEGRAM_WEBHOOK_SECRET")
        return None
    return asyncio.create_task(runtime.poll(stop=stop), name="telegram-polling")
