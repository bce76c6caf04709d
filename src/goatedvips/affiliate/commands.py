"""`goatedvips sync`: one affiliate sync now, a summary on success, one line and exit 1 on failure."""

from __future__ import annotations

import asyncio

import typer

from goatedvips.affiliate.locking import SyncAlreadyRunning
from goatedvips.affiliate.service import SyncFailed, SyncResult, sync_once
from goatedvips.config import Settings
from goatedvips.db import Database


async def _run(settings: Settings) -> SyncResult:
    db = Database(settings.database_url)
    try:
        return await sync_once(db, settings)
    finally:
        await db.dispose()


def sync_command(settings: Settings) -> None:
    try:
        result = asyncio.run(_run(settings))
    except (SyncFailed, SyncAlreadyRunning) as exc:
        typer.echo(f"goatedvips: sync failed: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"sync {result.sync_run_id} ok: {result.players} players, {result.changed} changed "
        f"({result.new_players} new, {result.skipped} skipped) in {result.duration_ms} ms"
    )
