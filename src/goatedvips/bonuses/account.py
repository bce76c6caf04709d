"""The player's bonus codes as a section of the /account page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.bonuses import service
from goatedvips.db import utcnow


async def account_section(session: AsyncSession, user: User) -> dict[str, Any] | None:
    codes = await service.codes_of(session, user_id=user.id)
    return {
        "template": "bonuses/_account_section.html",
        "title": "Your bonus codes",
        "codes": codes,
        "now": utcnow(),
    }
