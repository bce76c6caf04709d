"""Bot commands for challenges: /challenges lists what is open, /enter sends a bet link."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.challenges import service
from goatedvips.errors import InvalidInput
from goatedvips.ids import parse_row_id
from goatedvips.schemas import Paging
from goatedvips.telegram.guard import ensure_linked, ensure_private

router = Router(name="challenges")
COMMANDS: list[tuple[str, str]] = [
    ("challenges", "open challenges and places left"),
    ("enter", "enter a challenge: /enter <id> <bet link>"),
]
ENTER_USAGE = (
    "Send /enter <challenge id> <bet link>, e.g. /enter 3 https://www.goated.com/bet/123456"
)


def _time_left(seconds: int | None) -> str:
    if seconds is None:
        return "no end date"
    hours, rest = divmod(seconds, 3600)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h left" if days else f"{hours}h {rest // 60}m left"


@router.message(Command("challenges"))
async def challenges(message: Message, session: AsyncSession) -> None:
    _, views = await service.list_challenges(session, status="active", paging=Paging(limit=20))
    if not views:
        await message.answer("No challenge is open right now. New ones are announced here.")
        return
    lines = ["Open challenges:"]
    for v in views:
        c = v.challenge
        lines.append(
            f"#{c.id} {service.describe(c)}: ${c.prize_amount:,.2f} each, "
            f"{v.places_left}/{c.max_winners} places left, {_time_left(v.time_left)}"
        )
    lines.append(ENTER_USAGE)
    await message.answer("\n".join(lines))


@router.message(Command("enter"))
async def enter(
    message: Message, command: CommandObject, session: AsyncSession, user: User | None
) -> None:
    ensure_private(message)
    player = ensure_linked(user)
    parts = (command.args or "").split()
    challenge_id = parse_row_id(parts[0]) if len(parts) == 2 else None
    if challenge_id is None:
        raise InvalidInput(ENTER_USAGE)
    entry = await service.enter_challenge(
        session, user=player, challenge_id=challenge_id, bet_link=parts[1]
    )
    await message.answer(
        f"Entry #{entry.id} received for challenge #{entry.challenge_id}. An admin checks your bet "
        "soon; you'll get a message with the result (and your code if you win)."
    )
