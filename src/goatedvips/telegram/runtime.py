"""The bot of one app: its Bot connection and the two ways updates arrive (webhook, polling).

`app.state.telegram` holds a `TelegramRuntime` when TELEGRAM_BOT_TOKEN is set (None otherwise).
The webhook calls `process(update)`; development runs `poll()` (long polling with getUpdates).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import BotCommand, BotCommandScopeDefault

from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.logging import get_logger
from goatedvips.telegram.dispatcher import build_bot, command_list, feed_update

log = get_logger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
POLL_TIMEOUT_SECONDS = 10
MAX_POLL_BACKOFF_SECONDS = 30.0
ALLOWED_UPDATES = ["message", "callback_query"]


@dataclass
class TelegramRuntime:
    settings: Settings
    db: Database
    bot: Bot = field(init=False)

    def __post_init__(self) -> None:
        self.bot = build_bot(self.settings)

    async def process(self, update: dict[str, Any]) -> None:
        """Handle one update to the end; a failing handler is logged, never raised."""
        try:
            await feed_update(self.bot, self.db, self.settings, update, runtime=self)
        except Exception as exc:
            log.error("telegram_update_failed", update_id=update.get("update_id"), exc_info=exc)

    async def username(self) -> str:
        """The bot's @username from getMe (cached), or TELEGRAM_BOT_USERNAME when unreachable."""
        try:
            me = await self.bot.me()
        except (TelegramAPIError, TelegramNetworkError):
            return self.settings.telegram_bot_username
        return me.username or self.settings.telegram_bot_username

    async def publish_commands(self) -> None:
        """The command menu Telegram shows (everyone's commands; admins see theirs in /help)."""
        commands = [BotCommand(command=c, description=d) for c, d in command_list(admin=False)]
        await self.bot.set_my_commands(commands, scope=BotCommandScopeDefault())

    async def set_webhook(self) -> None:
        url = self.settings.base_url.rstrip("/") + WEBHOOK_PATH
        await self.bot.set_webhook(
            url,
            secret_token=self.settings.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        log.info("telegram_webhook_set", url=url)

    async def poll(self, *, stop: asyncio.Event | None = None) -> None:
        """Long polling until `stop` is set (or the task is cancelled), with backoff on errors."""
        stop = stop or asyncio.Event()
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset = 0
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT_SECONDS,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=POLL_TIMEOUT_SECONDS + 5,
                )
            except TelegramRetryAfter as exc:
                await _wait(stop, exc.retry_after)
                continue
            except (TelegramAPIError, TelegramNetworkError) as exc:
                log.warning("telegram_poll_failed", error=str(exc), retry_in=backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, MAX_POLL_BACKOFF_SECONDS)
                continue
            backoff = 1.0
            for update in updates:
                offset = update.update_id + 1
                await self.process(update.model_dump(mode="json", exclude_none=True))

    async def close(self) -> None:
        await self.bot.session.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
