"""`goatedvips bot`: the bot alone, long polling (development, or a host without a public URL)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from goatedvips.config import Settings
from goatedvips.db import Database


def bot_command(settings: Settings) -> None:
    import typer

    if not settings.telegram_bot_token:
        typer.echo("goatedvips: set TELEGRAM_BOT_TOKEN to run the bot", err=True)
        raise typer.Exit(2)
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    from goatedvips.logging import configure_logging
    from goatedvips.telegram.runtime import TelegramRuntime

    configure_logging(level=settings.log_level, json=settings.is_production)
    db = Database(settings.database_url)
    runtime = TelegramRuntime(settings=settings, db=db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        me = await runtime.bot.me()
        print(f"@{me.username} is polling {settings.telegram_api_base_url} (Ctrl+C stops)")
        await runtime.publish_commands()
        await runtime.poll(stop=stop)
    finally:
        await runtime.close()
        await db.dispose()
