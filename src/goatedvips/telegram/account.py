"""The Telegram / Goated section of the /account page (and of /account/telegram)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.telegram.models import TelegramUser, VerificationHistory
from goatedvips.telegram.verification import open_request_for

TEMPLATE = "telegram/_account_section.html"


async def account_section(session: AsyncSession, user: User) -> dict[str, Any] | None:
    tg_user = await session.scalar(select(TelegramUser).where(TelegramUser.user_id == user.id))
    last_decision = await session.scalar(
        select(VerificationHistory)
        .where(VerificationHistory.user_id == user.id)
        .order_by(VerificationHistory.created_at.desc(), VerificationHistory.id.desc())
        .limit(1)
    )
    return {
        "template": TEMPLATE,
        "account": user,
        "tg_user": tg_user,
        "open_request": await open_request_for(session, user.id),
        "last_decision": last_decision,
    }
