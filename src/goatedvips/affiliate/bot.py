"""Bot command /leaderboard [today|week|month|all]: the top 10 of a period.

Read from the per-sync leaderboard snapshot (`affiliate.leaderboard`), the same one the site and
`GET /api/leaderboard` serve: excluded uids are left out and hidden names masked there, and an
answer costs no database work beyond the snapshot's freshness check.
"""

from __future__ import annotations

from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from goatedvips.affiliate.leaderboard import (
    PERIOD_LABELS,
    Period,
    Snapshot,
    current_snapshot,
    stale_now,
)
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.errors import InvalidInput

router = Router(name="affiliate")
COMMANDS: list[tuple[str, str]] = [
    ("leaderboard", "top 10 wagerers: /leaderboard [today|week|month|all]"),
]
TOP = 10
DEFAULT_PERIOD: Period = "month"
PERIOD_WORDS: dict[str, Period] = {
    "today": "today",
    "day": "today",
    "week": "week",
    "month": "month",
    "all": "all_time",
    "alltime": "all_time",
    "all_time": "all_time",
    "all-time": "all_time",
}
USAGE = "Use /leaderboard today, /leaderboard week, /leaderboard month or /leaderboard all."


def parse_period(args: str | None) -> Period:
    word = (args or "").strip().lower()
    if not word:
        return DEFAULT_PERIOD
    period = PERIOD_WORDS.get(word)
    if period is None:
        # Echo at most a short piece of what was sent: it is the user's own text, in plain text.
        raise InvalidInput(f"I don't know the period “{word[:20]}”. {USAGE}", field="period")
    return period


def leaderboard_text(snapshot: Snapshot, period: Period, *, stale: bool) -> str:
    label = PERIOD_LABELS[period]
    if snapshot.sync_run_id is None:
        return (
            "No leaderboard data yet: the first sync of the Goated feed hasn't finished. "
            "Try again in a minute."
        )
    total, entries = snapshot.page(period, TOP, 0)
    if not entries:
        return f"Leaderboard — {label}: nobody has wagered in this period yet."
    players = "1 player" if total == 1 else f"{total:,} players"
    lines = [f"Leaderboard — {label} ({players})"]
    lines += [f"{e.rank}. {e.name} — ${Decimal(e.wagered):,.2f} ({e.tier})" for e in entries]
    if snapshot.updated_at is not None:
        note = " (the feed is late; this may be out of date)" if stale else ""
        lines.append(f"Updated {snapshot.updated_at:%Y-%m-%d %H:%M} UTC{note}")
    return "\n".join(lines)


@router.message(Command("leaderboard"))
async def leaderboard(
    message: Message, command: CommandObject, db: Database, settings: Settings
) -> None:
    period = parse_period(command.args)
    snapshot = await current_snapshot(db, settings)
    await message.answer(leaderboard_text(snapshot, period, stale=stale_now(snapshot, settings)))
