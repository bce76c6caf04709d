"""Bot command /race: the live race (standings, prizes) and, in a private chat, your own place.

The board comes from `races.queries` (stored standings, excluded uids left out, hidden names
masked), so the bot shows exactly what the /races page shows. Personal data (your rank, total,
gap to the next rank) is only answered in a private chat; in a group the public board is followed
by a link to the private chat.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.db import utcnow
from goatedvips.races.models import WagerRace
from goatedvips.races.queries import Board, current_race, linked_uid, load_board, position_in
from goatedvips.telegram.guard import private_chat_link

router = Router(name="races")
COMMANDS: list[tuple[str, str]] = [
    ("race", "the live race: top 10, prizes and your position"),
]
TOP = 10
NO_RACE = "No race is running right now and none is scheduled. New races are announced here."


def usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def duration(seconds: float) -> str:
    """A countdown in words: "3d 4h", "5h 12m", "7m" (never negative)."""
    minutes = max(0, int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _utc(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def upcoming_text(race: WagerRace, now: dt.datetime) -> str:
    return (
        f"No race is live right now. Next: {race.title}, starts {_utc(race.start_date)} "
        f"(in {duration((race.start_date - now).total_seconds())}), "
        f"prize pool {usd(race.prize_pool)}."
    )


def board_text(board: Board, now: dt.datetime) -> str:
    """The public part: title, time left, pool and the top of the standings."""
    race = board.race
    lines = [
        race.title,
        f"Ends in {duration((race.end_date - now).total_seconds())} ({_utc(race.end_date)})",
        f"Prize pool: {usd(race.prize_pool)} · {len(board.standings)} players",
    ]
    if race.min_wager > 0:
        lines.append(f"Minimum wager for a prize: {usd(race.min_wager)}")
    if not board.standings:
        lines.append("No wager counted yet: standings appear after the next sync.")
        return "\n".join(lines)
    lines.append(f"Top {min(TOP, len(board.standings))}:")
    for s in board.standings[:TOP]:
        prize = f" · prize {usd(s.prize)}" if s.prize > 0 else ""
        lines.append(f"{s.rank}. {s.name} — {usd(s.total)}{prize}")
    return "\n".join(lines)


def my_position_text(board: Board, user: User | None) -> str:
    """The personal part (private chat only): where the linked, verified player stands."""
    if user is None:
        return "Link your Telegram to your site account to see your own position (send /start)."
    uid = linked_uid(user)
    if uid is None:
        return "Verify your Goated account with /verify <name> to see your own position."
    position = position_in(board, uid)
    if position is None:
        return "You have no wager in this race yet."
    text = f"You: #{position.rank} with {usd(position.total_wager)} wagered."
    if position.gap_to_next is None:
        text += " You lead the race!"
    else:
        text += f" {usd(position.gap_to_next)} more to draw level with the next place."
    if not position.eligible:
        text += f" Wager at least {usd(board.race.min_wager)} to qualify for a prize."
    elif position.prize > 0:
        text += f" On course for {usd(position.prize)}."
    return text


@router.message(Command("race"))
async def race(message: Message, bot: Bot, session: AsyncSession, user: User | None) -> None:
    now = utcnow()
    current = await current_race(session)
    if current is None:
        await message.answer(NO_RACE)
        return
    if current.status != "live":
        await message.answer(upcoming_text(current, now))
        return
    board = await load_board(session, current)
    if message.chat.type == "private":
        personal = my_position_text(board, user)
    else:
        personal = f"Your own position: ask me in a private chat: {await private_chat_link(bot)}"
    await message.answer(f"{board_text(board, now)}\n\n{personal}")
