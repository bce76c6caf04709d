"""The last router: private messages no domain handled get a pointer to /help (groups: silence)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

router = Router(name="fallback")


@router.message(F.chat.type == "private")
async def unknown_message(message: Message) -> None:
    text = (message.text or "").strip()
    if text.startswith("/"):
        command = text.split()[0].split("@")[0]
        await message.answer(f"I don't know the command {command}. Send /help for the list.")
    else:
        await message.answer("I only understand commands. Send /help for the list.")


@router.callback_query()
async def unknown_button(query: CallbackQuery) -> None:
    await query.answer("This button doesn't do anything any more.", show_alert=True)
