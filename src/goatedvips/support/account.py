"""The support section of /account: how many tickets are waiting and how many have news."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.support.queries import player_summary


async def account_section(session: AsyncSession, user: User) -> dict[str, Any] | None:
    waiting, unread = await player_summary(session, user=user)
    return {"template": "support/_account_section.html", "waiting": waiting, "unread": unread}
