"""Account e-mails (verification, password reset), sent at once through `goatedvips.mail`.

These are not outbox notifications: the user is waiting for them and can ask again, so a failed
delivery is reported to the caller instead of being retried later.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from goatedvips.accounts.models import User
from goatedvips.accounts.tokens import RESET_MAX_AGE, VERIFY_MAX_AGE
from goatedvips.config import Settings
from goatedvips.mail import Mail, send_mail
from goatedvips.web import PACKAGE_DIR

# HTML bodies are escaped, text bodies are not (a username must read the same in both).
_env = Environment(
    loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def _render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    text = _env.get_template(f"emails/{name}.txt").render(context)
    html = _env.get_template(f"emails/{name}.html").render(context)
    return text, html


async def send_verification_email(settings: Settings, user: User, token: str) -> None:
    context = {
        "username": user.username,
        "link": _link(settings, "/verify-email", token),
        "hours": int(VERIFY_MAX_AGE.total_seconds() // 3600),
    }
    text, html = _render("account_verify", context)
    await send_mail(
        settings,
        Mail(to=user.email, subject="Confirm your GoatedVIPs e-mail", text=text, html=html),
    )


async def send_reset_email(settings: Settings, user: User, token: str) -> None:
    context = {
        "username": user.username,
        "link": _link(settings, "/reset-password", token),
        "minutes": int(RESET_MAX_AGE.total_seconds() // 60),
    }
    text, html = _render("account_reset", context)
    await send_mail(
        settings,
        Mail(to=user.email, subject="Reset your GoatedVIPs password", text=text, html=html),
    )
