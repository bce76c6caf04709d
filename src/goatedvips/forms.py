"""Helpers for HTML form routes, shared by every domain's pages."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from goatedvips.errors import DomainError, RateLimited
from goatedvips.web import render


async def form_fields(request: Request, *, strip: bool = False) -> dict[str, str]:
    """The text fields of a posted form (uploads are left out), trimmed when `strip` is set."""
    form = await request.form()
    return {
        key: value.strip() if strip else value
        for key, value in form.items()
        if isinstance(value, str)
    }


def notice(request: Request, notices: dict[str, str]) -> list[tuple[str, str]]:
    """The confirmation named by `?notice=` after a redirect: a key, so no user text rides the URL."""
    key = request.query_params.get("notice", "")
    return [("ok", notices[key])] if key in notices else []


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
