"""The aiogram Bot and the one Dispatcher: every domain's `bot.router`, behind shared middleware.

Domains add commands in `goatedvips.<domain>.bot` (a `router = Router(name=...)`, optional
`COMMANDS` / `ADMIN_COMMANDS` lists of `(command, description)` for /help and the Telegram menu);
they are discovered like the web routers. Handlers receive, by parameter name:

- `session`: an `AsyncSession` opened for this update (services commit their own work);
- `settings`: the `Settings`;
- `tg_user`: the `TelegramUser` row of the sender (created/updated on every update);
- `user`: the linked, enabled site `User`, or None;
- `is_admin`: TELEGRAM_ADMIN_IDS, or a linked site admin.

A `DomainError` raised by a handler is answered in words (see `guard.py`), like any rate limit.
The Dispatcher holds no per-app state (the database and settings come with each update), so one
instance serves every app in the process.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser

from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.telegram.guard import GuardMiddleware
from goatedvips.telegram.users import is_telegram_admin, linked_site_user, touch_telegram_user

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
REQUEST_TIMEOUT_SECONDS = 15


def build_bot(settings: Settings) -> Bot:
    """A Bot for TELEGRAM_BOT_TOKEN, speaking to TELEGRAM_API_BASE_URL (a local fake in tests)."""
    if not settings.telegram_bot_token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    api = TelegramAPIServer.from_base(settings.telegram_api_base_url.rstrip("/"))
    session = AiohttpSession(api=api, timeout=REQUEST_TIMEOUT_SECONDS)
    return Bot(settings.telegram_bot_token, session=session)


def bot_modules() -> list[Any]:
    """Every `goatedvips.<domain>.bot` module, in the order of `app.DOMAINS`."""
    from goatedvips.app import DOMAINS

    modules = []
    for domain in DOMAINS:
        name = f"goatedvips.{domain}.bot"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"goatedvips.{domain}"):
                raise
    return modules


def command_list(*, admin: bool) -> list[tuple[str, str]]:
    """(command, description) of every domain, for /help and setMyCommands."""
    attribute = "ADMIN_COMMANDS" if admin else "COMMANDS"
    commands: list[tuple[str, str]] = []
    for module in bot_modules():
        commands.extend(getattr(module, attribute, []))
    return commands


class ContextMiddleware(BaseMiddleware):
    """Opens the update's DB session and injects who is talking (see the module docstring)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        db: Database = data["db"]
        settings: Settings = data["settings"]
        sender: TgUser | None = data.get("event_from_user")
        async with db.sessionmaker() as session:
            data["session"] = session
            data["tg_user"] = None
            data["user"] = None
            data["is_admin"] = False
            if sender is not None and not sender.is_bot:
                tg_user = await touch_telegram_user(
                    session, telegram_id=sender.id, username=sender.username
                )
                user = await linked_site_user(session, tg_user)
                data["tg_user"] = tg_user
                data["user"] = user
                data["is_admin"] = is_telegram_admin(settings, sender.id, user)
            return await handler(event, data)


def _fallback_router() -> Router:
    """Last in line: a private message no domain handled gets a pointer to /help."""
    from goatedvips.telegram.fallback import router

    return router


@lru_cache(maxsize=1)
def get_dispatcher() -> Dispatcher:
    """The process-wide Dispatcher (aiogram routers can only be attached once)."""
    dispatcher = Dispatcher(name="goatedvips")
    dispatcher.update.outer_middleware(ContextMiddleware())
    guard = GuardMiddleware()
    dispatcher.message.middleware(guard)
    dispatcher.callback_query.middleware(guard)
    for module in bot_modules():
        router = getattr(module, "router", None)
        if isinstance(router, Router):
            dispatcher.include_router(router)
    dispatcher.include_router(_fallback_router())
    return dispatcher


async def feed_update(
    bot: Bot, db: Database, settings: Settings, update: dict[str, Any], **extra: Any
) -> None:
    """Handle one raw Update (from the webhook or getUpdates) to the end."""
    parsed = Update.model_validate(update, context={"bot": bot})
    await get_dispatcher().feed_update(bot, parsed, db=db, settings=settings, **extra)
