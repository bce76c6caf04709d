"""Helpers shared by the support desk's HTML pages: form fields, notices, error rendering."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.errors import DomainError, RateLimited
from goatedvips.web import render

# Confirmation messages after a redirect, chosen by key so no user text travels in the URL.
NOTICES = {
    "opened": "Ticket opened. We'll answer here and let you know when we do.",
    "sent": "Message sent.",
    "updated": "Ticket updated.",
    "unchanged": "Nothing to change.",
}


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def notice(request: Request) -> list[tuple[str, str]]:
    key = request.query_params.get("notice", "")
    return [("ok", NOTICES[key])] if key in NOTICES else []


def form_error(
    request: Request, template: str, exc: DomainError, context: dict[str, Any]
) -> HTMLResponse:
    """Show the page again with the refusal, keeping what was typed, under the matching status."""
    response = render(
        request,
        template,
        {**context, "error": exc.message, "error_field": exc.field},
        status_code=exc.status_code,
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def discard_changes(session: AsyncSession, user: User) -> None:
    """Roll back a refused action, then reload the viewer the layout is about to render."""
    await session.rollback()
    await session.refresh(user)
