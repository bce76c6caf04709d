"""Admin commands and the Approve / Reject buttons: /pending, /approve, /reject, /broadcast,
/userinfo. Admins are TELEGRAM_ADMIN_IDS or site admins with a linked Telegram."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.errors import InvalidInput
from goatedvips.ids import parse_row_id
from goatedvips.notifications.service import queue_broadcast
from goatedvips.telegram import verification
from goatedvips.telegram.alerts import (
    CALLBACK_PREFIX,
    decision_keyboard,
    parse_callback_data,
    request_summary,
)
from goatedvips.telegram.guard import ensure_admin, ensure_private
from goatedvips.telegram.userinfo import userinfo_text

router = Router(name="telegram-admin")
PENDING_SHOWN = 10


def _actor(telegram_id: int, user: User | None) -> Actor:
    return Actor.telegram(telegram_id, user=user, is_admin=True)


@router.message(Command("pending"))
async def pending(message: Message, session: AsyncSession, is_admin: bool) -> None:
    ensure_admin(is_admin)
    ensure_private(message)
    requests, total = await verification.list_requests(
        session, status="pending", limit=PENDING_SHOWN
    )
    if not requests:
        await message.answer("No verification requests are waiting.")
        return
    shown = f" (the oldest {len(requests)} below)" if total > len(requests) else ""
    await message.answer(f"{total} verification request(s) waiting{shown}.")
    for request in requests:
        owner = await session.get(User, request.user_id)
        assert owner is not None
        await message.answer(
            request_summary(request, owner), reply_markup=decision_keyboard(request.id)
        )


def _parse_decision_args(command: CommandObject) -> tuple[int, str | None]:
    parts = (command.args or "").strip().split(maxsplit=1)
    request_id = parse_row_id(parts[0]) if parts else None
    if request_id is None:
        raise InvalidInput(
            f"Usage: /{command.command} <request id> [notes], e.g. /{command.command} 12 "
            "name matches. /pending lists the ids."
        )
    return request_id, (parts[1] if len(parts) > 1 else None)


@router.message(Command("approve", "reject"))
async def decide_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User | None,
    is_admin: bool,
) -> None:
    ensure_admin(is_admin)
    ensure_private(message)
    request_id, notes = _parse_decision_args(command)
    sender = message.from_user
    assert sender is not None
    decision = await verification.decide(
        session,
        request_id=request_id,
        approve=command.command == "approve",
        actor=_actor(sender.id, user),
        notes=notes,
    )
    request = decision.request
    await message.answer(
        f"Request #{request.id} {request.status}: {decision.user.username} as Goated "
        f"{request.goated_username}. The player is being told."
    )


@router.callback_query(F.data.startswith(f"{CALLBACK_PREFIX}:"))
async def decide_button(
    query: CallbackQuery, session: AsyncSession, user: User | None, is_admin: bool
) -> None:
    ensure_admin(is_admin)
    parsed = parse_callback_data(query.data or "")
    if parsed is None:
        raise InvalidInput("This button is not valid any more.")
    action, request_id = parsed
    decision = await verification.decide(
        session,
        request_id=request_id,
        approve=action == "approve",
        actor=_actor(query.from_user.id, user),
    )
    request = decision.request
    who = f"@{query.from_user.username}" if query.from_user.username else query.from_user.full_name
    await query.answer(f"Request #{request.id} {request.status}.")
    if query.message is not None and hasattr(query.message, "edit_text"):
        # A message too old to edit is fine: the decision itself is done.
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(
                f"{request_summary(request, decision.user)}\n\n"
                f"{'✅' if request.status == 'approved' else '❌'} {request.status} by {who}",
                reply_markup=None,
            )


def _parse_broadcast(command: CommandObject) -> tuple[str, str]:
    """ "/broadcast <subject> | <message>" or the subject on the first line, the message below."""
    text = (command.args or "").strip()
    subject, sep, body = text.partition("|") if "|" in text else text.partition("\n")
    if not sep or not subject.strip() or not body.strip():
        raise InvalidInput(
            "Usage: /broadcast <subject> | <message>. It goes to every player who accepts "
            "promotional offers, by e-mail and Telegram."
        )
    return subject.strip(), body.strip()


@router.message(Command("broadcast"))
async def broadcast(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User | None,
    is_admin: bool,
) -> None:
    ensure_admin(is_admin)
    ensure_private(message)
    subject, body = _parse_broadcast(command)
    sender = message.from_user
    assert sender is not None
    result = await queue_broadcast(
        session, actor=_actor(sender.id, user), kind="promotional", subject=subject, body=body
    )
    await message.answer(
        f"Broadcast “{subject}” queued for {result.recipients} player(s) "
        f"({result.messages} message(s)); delivery runs in the background."
    )


@router.message(Command("userinfo"))
async def userinfo(
    message: Message, command: CommandObject, session: AsyncSession, is_admin: bool
) -> None:
    ensure_admin(is_admin)
    ensure_private(message)
    query = (command.args or "").strip()
    if not query:
        raise InvalidInput("Usage: /userinfo <site username | Telegram id | Goated name>")
    await message.answer(await userinfo_text(session, query))
