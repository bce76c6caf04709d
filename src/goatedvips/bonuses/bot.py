"""Bot command for bonus codes: /bonus lists drops and your codes; /bonus claim <id> claims one."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.bonuses import service
from goatedvips.errors import InvalidInput
from goatedvips.ids import parse_row_id
from goatedvips.schemas import Paging
from goatedvips.telegram.guard import ensure_linked, ensure_private

router = Router(name="bonuses")
COMMANDS: list[tuple[str, str]] = [("bonus", "bonus drops and your codes; /bonus claim <id>")]
CLAIM_USAGE = "Send /bonus claim <drop id>, e.g. /bonus claim 12"


@router.message(Command("bonus"))
async def bonus(
    message: Message, command: CommandObject, session: AsyncSession, user: User | None
) -> None:
    ensure_private(message)
    parts = (command.args or "").split()
    if parts:
        code_id = parse_row_id(parts[1]) if len(parts) == 2 else None
        if code_id is None or parts[0].lower() != "claim":
            raise InvalidInput(CLAIM_USAGE)
        player = ensure_linked(user)
        code = await service.claim_code(session, user=player, code_id=code_id)
        await message.answer(f"It's yours: {code.code} (${code.value:,.2f}). Redeem it on Goated.")
        return
    _, drops = await service.active_drops(session, paging=Paging(limit=20))
    lines = ["Active drops:"] if drops else ["No drops right now."]
    lines += [f"#{d.id} ${d.value:,.2f} {d.description or 'bonus code'}" for d in drops]
    if drops:
        lines.append(CLAIM_USAGE)
    if user is not None:
        mine = await service.codes_of(session, user_id=user.id)
        if mine:
            lines.append("Your codes:")
            lines += [
                f"{c.code} ${c.value:,.2f}{' (expired)' if c.expired else ''}" for c in mine[:20]
            ]
    await message.answer("\n".join(lines))
