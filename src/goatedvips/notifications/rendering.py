"""Turning an outbox row into what a channel sends: an e-mail (text + HTML) or a Telegram text.

E-mails are rendered at delivery from `templates/emails/<kind>.{txt,html}` (falling back to
`emails/notification.*`), which extend the branded `emails/layout.*` and add the kind's call to
action. Optional kinds carry the List-Unsubscribe headers (RFC 2369 + RFC 8058 one-click) and a
footer link for their preference; transactional kinds carry neither. Telegram messages are plain
text (no parse mode), so nothing a user typed can turn into markup there either.
"""

from __future__ import annotations

from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from markupsafe import Markup

from goatedvips.config import Settings
from goatedvips.mail import Mail
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.notifications.outbox import KIND_PREFERENCE
from goatedvips.notifications.tokens import unsubscribe_url
from goatedvips.web import PACKAGE_DIR, _money

PREFERENCE_LABELS = {
    "wager_race_updates": "race updates",
    "vip_status_changes": "VIP status changes",
    "promotional_offers": "promotional offers",
    "monthly_statements": "monthly statements",
}

# HTML is escaped, text is not (a username must read the same in both).
_env = Environment(
    loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["money"] = _money


def render_template(name: str, context: dict[str, Any]) -> str:
    return _env.get_template(name).render(context)


def _kind_template(kind: str, extension: str) -> str:
    name = f"emails/{kind}.{extension}"
    try:
        _env.get_template(name)
    except TemplateNotFound:
        return f"emails/notification.{extension}"
    return name


def email_context(settings: Settings, row: NotificationOutbox) -> dict[str, Any]:
    preference = KIND_PREFERENCE.get(row.kind)
    unsubscribe = (
        unsubscribe_url(settings, user_id=row.user_id, preference=preference)
        if preference is not None and row.user_id is not None
        else None
    )
    return {
        "kind": row.kind,
        "subject": row.subject or "GoatedVIPs",
        "text": row.body_text,
        # body_html is only ever produced by our own autoescaping templates (see outbox.enqueue).
        "content_html": Markup(row.body_html) if row.body_html else None,
        "payload": row.payload or {},
        "site_url": settings.base_url.rstrip("/"),
        "unsubscribe_url": unsubscribe,
        "preference_label": PREFERENCE_LABELS.get(preference or ""),
    }


def compose_email(settings: Settings, row: NotificationOutbox) -> Mail:
    context = email_context(settings, row)
    headers = {}
    if context["unsubscribe_url"]:
        headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return Mail(
        to=row.recipient,
        subject=context["subject"],
        text=render_template(_kind_template(row.kind, "txt"), context),
        html=render_template(_kind_template(row.kind, "html"), context),
        headers=headers,
    )


def telegram_text(row: NotificationOutbox) -> str:
    return f"{row.subject}\n\n{row.body_text}" if row.subject else row.body_text


def paragraphs_html(text: str) -> Markup:
    """Plain text as escaped HTML paragraphs (blank lines split paragraphs, newlines break)."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(block.split("\n")))
        for block in blocks
        if block
    )


_env.filters["paragraphs"] = paragraphs_html
