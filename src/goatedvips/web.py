"""Page rendering: the Jinja environment, the base context and the HTML error pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from goatedvips.security import CSRF_FIELD, csrf_token_for

PACKAGE_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))

NAV = [
    ("/", "Home"),
    ("/leaderboard", "Leaderboard"),
    ("/races", "Races"),
    ("/challenges", "Challenges"),
    ("/bonus-codes", "Bonus codes"),
    ("/support", "Support"),
]


def _money(value: Decimal | int | str | None) -> str:
    if value is None:
        return "—"
    return f"${Decimal(value):,.2f}"


def _iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat() if value else ""


templates.env.filters["money"] = _money
templates.env.filters["iso"] = _iso
templates.env.globals["nav"] = NAV
templates.env.globals["csrf_field"] = CSRF_FIELD


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the values every layout needs (user, CSRF token, settings)."""
    ctx: dict[str, Any] = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token_for(request),
        "settings": request.app.state.settings,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)
