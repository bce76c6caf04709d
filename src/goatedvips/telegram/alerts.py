"""Telling admins in Telegram about a new verification request, with Approve / Reject buttons.

The buttons' callback data carry only the request id ("vr:approve:123"), never a username: the
request row says who it is about. Alerts are sent after the request is committed and are
best-effort: the web queue (/admin/verifications) and /pending always show every open request.
Messages are plain text (no parse mode), so names can't inject markup.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.ids import parse_row_id
from goatedvips.logging import get_logger
from goatedvips.telegram.models import VerificationRequest
from goatedvips.telegram.sender import TelegramBlocked, TelegramError, deliver
from goatedvips.telegram.users import admin_chat_ids, mark_blocked

log = get_logger(__name__)
CALLBACK_PREFIX = "vr"


def callback_data(action: str, request_id: int) -> str:
    return f"{CALLBACK_PREFIX}:{action}:{request_id}"


def parse_callback_data(data: str) -> tuple[str, int] | None:
    """("approve" | "reject", request id) from button data, or None when it isn't ours/valid."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != CALLBACK_PREFIX or parts[1] not in ("approve", "reject"):
        return None
    request_id = parse_row_id(parts[2], allow_hash=False)
    if request_id is None:
        return None
    return parts[1], request_id


def decision_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="✅ Approve", callback_data=callback_data("approve", request_id)
                ),
                InlineKeyboardButton(
                    text="❌ Reject", callback_data=callback_data("reject", request_id)
                ),
            ]
        ]
    )


def request_summary(request: VerificationRequest, user: User) -> str:
    telegram = f"@{request.telegram_username}" if request.telegram_username else "not linked"
    if request.telegram_id and not request.telegram_username:
        telegram = f"id {request.telegram_id}"
    return (
        f"Verification request #{request.id}\n"
        f"Site user: {user.username} (id {user.id})\n"
        f"Goated: {request.goated_username} (uid {request.goated_uid})\n"
        f"Telegram: {telegram}\n"
        f"Requested: {request.requested_at:%Y-%m-%d %H:%M} UTC"
    )


async def alert_admins(
    bot: Bot, session: AsyncSession, settings: Settings, request: VerificationRequest, user: User
) -> int:
    """Send the request with its buttons to every admin chat; returns how many got it."""
    text = request_summary(request, user)
    delivered = 0
    for chat_id in await admin_chat_ids(session, settings):
        try:
            await deliver(bot, chat_id, text, reply_markup=decision_keyboard(request.id))
            delivered += 1
        except TelegramBlocked:
            await mark_blocked(session, chat_id)
        except TelegramError as exc:
            log.warning("admin_alert_failed", chat_id=chat_id, error=str(exc))
    return delivered
