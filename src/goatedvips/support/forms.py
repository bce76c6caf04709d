"""Helpers shared by the support desk's HTML pages: notices and recovering from a refusal."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips import forms
from goatedvips.accounts.models import User

# Confirmation messages after a redirect, chosen by key so no user text travels in the URL.
NOTICES = {
    "opened": "Ticket opened. We'll answer here and let you know when we do.",
    "sent": "Message sent.",
    "updated": "Ticket updated.",
    "unchanged": "Nothing to change.",
}


def notice(request: Request) -> list[tuple[str, str]]:
    return forms.notice(request, NOTICES)


async def discard_changes(session: AsyncSession, user: User) -> None:
    """Roll back a refused action, then reload the viewer the layout is about to render."""
    await session.rollback()
    await session.refresh(user)
