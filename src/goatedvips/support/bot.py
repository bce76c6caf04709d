"""`/support <text>` in the bot: a linked player opens a ticket without leaving Telegram.

The first line of the text (shortened) becomes the subject and the whole text the description,
so the same limits apply as on the site. Staff answer on the site; the reply reaches the player
through the notifications outbox (Telegram when their account allows it).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.errors import InvalidInput
from goatedvips.support import service
from goatedvips.support.notify import player_ticket_url
from goatedvips.support.rules import SUBJECT_MIN
from goatedvips.telegram.guard import ensure_linked, ensure_private

router = Router(name="support")
COMMANDS = [("support", "ask our team for help: /support <what happened>")]
SUBJECT_FROM_TEXT = 80


def subject_from(text: str) -> str:
    """The first line, cut at a word boundary to SUBJECT_FROM_TEXT characters."""
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(first_line) <= SUBJECT_FROM_TEXT:
        return first_line
    cut = first_line[: SUBJECT_FROM_TEXT - 1].rsplit(" ", 1)[0] or first_line[:SUBJECT_FROM_TEXT]
    return cut.rstrip() + "…"


@router.message(Command("support"))
async def support_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    user: User | None,
) -> None:
    ensure_private(message)
    player = ensure_linked(user)
    text = (command.args or "").strip()
    site = f"{settings.base_url.rstrip('/')}/support"
    if not text:
        await message.answer(
            "Tell us what happened in the same message, for example:\n"
            "/support My weekly race prize has not arrived\n\n"
            f"Your tickets and our answers are on the site: {site}"
        )
        return
    subject = subject_from(text)
    if len(subject) < SUBJECT_MIN:
        raise InvalidInput("Please describe the problem in a few words: /support <what happened>")
    ticket = await service.open_ticket(session, user=player, subject=subject, description=text)
    await message.answer(
        f"Ticket #{ticket.id} opened: “{ticket.subject}”.\n"
        "Our team will answer soon; you'll get a message when they do.\n"
        f"Follow it on the site: {player_ticket_url(settings.base_url, ticket.id)}"
    )
