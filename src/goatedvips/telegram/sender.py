"""Sending Telegram messages outside a handler (notification delivery, admin alerts).

    await send_message(settings, chat_id, "text")            # one message, its own connection
    async with telegram_sender(settings) as send:             # many messages, one connection
        await send(chat_id, "text", reply_markup=keyboard)

Failures are typed so callers can act on them: `TelegramBlocked` (403: the user blocked the bot or
never started it — mark `telegram_users.blocked_bot_at`, see `users.mark_blocked`),
`TelegramRetryLater` (429, with `retry_after` seconds), `TelegramError` (anything else, including
"the bot is not configured").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup, LinkPreviewOptions

from goatedvips.config import Settings

# Telegram's hard limit on a message's text.
MAX_TEXT_LENGTH = 4096


class TelegramError(Exception):
    """A message could not be sent."""


class TelegramBlocked(TelegramError):
    """403: the user blocked the bot (or never started a chat with it)."""


class TelegramRetryLater(TelegramError):
    """429: Telegram asks us to wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


SendFunc = Callable[..., Awaitable[int]]


async def deliver(
    bot: Bot,
    chat_id: int | str,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    parse_mode: str | None = None,
    link_preview: bool = False,
) -> int:
    """Send with an existing Bot; returns the message id or raises one of the typed errors."""
    try:
        message = await bot.send_message(
            chat_id,
            text[:MAX_TEXT_LENGTH],
            reply_markup=reply_markup,
            parse_mode=parse_mode,
            link_preview_options=LinkPreviewOptions(is_disabled=not link_preview),
        )
    except TelegramForbiddenError as exc:
        raise TelegramBlocked(exc.message) from exc
    except TelegramRetryAfter as exc:
        raise TelegramRetryLater(exc.message, exc.retry_after) from exc
    except (TelegramAPIError, TelegramNetworkError) as exc:
        raise TelegramError(str(exc)) from exc
    return message.message_id


@asynccontextmanager
async def telegram_sender(settings: Settings) -> AsyncIterator[SendFunc]:
    """A `send(chat_id, text, **options)` function sharing one Bot connection."""
    from goatedvips.telegram.dispatcher import build_bot

    if not settings.telegram_bot_token:
        raise TelegramError("the Telegram bot is not configured (TELEGRAM_BOT_TOKEN is unset)")
    bot = build_bot(settings)
    try:

        async def send(chat_id: int | str, text: str, **options: Any) -> int:
            return await deliver(bot, chat_id, text, **options)

        yield send
    finally:
        await bot.session.close()


async def send_message(settings: Settings, chat_id: int | str, text: str, **options: Any) -> int:
    """Send one message (see the module docstring for the errors)."""
    async with telegram_sender(settings) as send:
        return await send(chat_id, text, **options)
