"""What every handler gets for free: a per-user rate limit and every failure answered in words.

Handlers raise; this middleware answers. `DomainError` -> its message; `PrivateChatRequired`
(from `ensure_private`) -> a deep link to the private chat; a user who blocked the bot -> marked in
`telegram_users.blocked_bot_at`; anything unexpected -> logged and apologised for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import CallbackQuery, Message, TelegramObject

from goatedvips.accounts.models import User
from goatedvips.errors import DomainError, NotAuthenticated, PermissionDenied
from goatedvips.logging import get_logger
from goatedvips.telegram.ratelimits import COMMAND_RATE, limit
from goatedvips.telegram.users import mark_blocked

log = get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
UNEXPECTED = "Something went wrong on our side. It has been logged; please try again later."


class PrivateChatRequired(Exception):
    """Raised by `ensure_private` in a group: the answer is a link to the private chat."""


def ensure_private(message: Message) -> None:
    """Account data is only shown in a private chat with the bot."""
    if message.chat.type != "private":
        raise PrivateChatRequired


def ensure_linked(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated(
            "Your Telegram is not linked to a GoatedVIPs account yet. On the site open "
            "Account → Telegram → Link Telegram, then tap the link it gives you."
        )
    return user


def ensure_admin(is_admin: bool) -> None:
    if not is_admin:
        raise PermissionDenied("This command is for admins only.")


async def private_chat_link(bot: Bot) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}"


class GuardMiddleware(BaseMiddleware):
    """Inner middleware on messages and button presses (runs only when a handler matched)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender = data.get("event_from_user")
        try:
            if sender is not None:
                await limit(f"cmd:{sender.id}", COMMAND_RATE, what="commands")
            return await handler(event, data)
        except PrivateChatRequired:
            link = await private_chat_link(data["bot"])
            await _answer(
                event, f"For your privacy I answer that only in a private chat: {link}", data
            )
        except DomainError as exc:
            await _answer(event, exc.message, data)
        except TelegramForbiddenError:
            if sender is not None:
                await _remember_blocked(data, sender.id)
        except Exception as exc:
            log.error("bot_handler_failed", exc_info=exc)
            await _answer(event, UNEXPECTED, data)
        return None


async def _answer(event: TelegramObject, text: str, data: dict[str, Any]) -> None:
    try:
        if isinstance(event, CallbackQuery):
            await event.answer(text[:200], show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
    except TelegramForbiddenError:
        sender = data.get("event_from_user")
        if sender is not None:
            await _remember_blocked(data, sender.id)


async def _remember_blocked(data: dict[str, Any], telegram_id: int) -> None:
    session = data["session"]
    await session.rollback()  # whatever the handler left uncommitted is abandoned
    await mark_blocked(session, telegram_id)
