"""Sending e-mail: SMTP when SMTP_URL is set, otherwise .eml files in the outbox folder.

SMTP_URL forms: smtp://host:port (plain, STARTTLS when offered), smtp+starttls://user:pass@host:587,
smtps://user:pass@host:465 (implicit TLS). In development without SMTP_URL every message is written
to MAIL_OUTBOX_DIR (default var/mail/) so you can open it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlparse

import aiosmtplib

from goatedvips.config import Settings


class MailError(Exception):
    """Delivery failed; `permanent` says whether retrying can help (a refused recipient can't)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain="goatedvips")
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Deliver one message now; raises MailError on failure."""
    message = build_message(settings, mail)
    if not settings.smtp_url:
        _write_to_outbox(settings.mail_outbox_dir, message)
        return
    url = urlparse(settings.smtp_url)
    implicit_tls = url.scheme == "smtps"
    try:
        await aiosmtplib.send(
            message,
            hostname=url.hostname or "127.0.0.1",
            port=url.port or (465 if implicit_tls else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=implicit_tls,
            start_tls=True if url.scheme == "smtp+starttls" else None,
            timeout=20,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"recipient refused: {exc}", permanent=True) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise MailError(
            f"SMTP error {exc.code}: {exc.message}", permanent=500 <= exc.code < 600
        ) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise MailError(f"SMTP unavailable: {exc}") from exc


def _write_to_outbox(directory: Path, message: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    to = re.sub(r"[^A-Za-z0-9@._-]+", "_", str(message["To"]))[:60]
    path = directory / f"{stamp}-{to}-{uuid.uuid4().hex[:6]}.eml"
    path.write_bytes(bytes(message))
    return path
