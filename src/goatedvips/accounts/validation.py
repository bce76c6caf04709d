"""The rules for usernames, e-mail addresses and passwords, shared by the web, the bot and the CLI."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from goatedvips.errors import InvalidInput

USERNAME_MIN, USERNAME_MAX = 3, 32
PASSWORD_MIN, PASSWORD_MAX = 10, 256
EMAIL_MAX = 254
_USERNAME = re.compile(r"[A-Za-z0-9_.\-]+")


def clean_username(value: str) -> str:
    username = value.strip()
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise InvalidInput(
            f"username must be {USERNAME_MIN} to {USERNAME_MAX} characters long", field="username"
        )
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "username may only contain letters, digits, underscores (_), hyphens (-) and dots (.)",
            field="username",
        )
    return username


def clean_email(value: str) -> str:
    """The normalised address (domain in lower case); no DNS lookup."""
    address = value.strip()
    if not address:
        raise InvalidInput("e-mail address is required", field="email")
    if len(address) > EMAIL_MAX:
        raise InvalidInput(f"e-mail address is longer than {EMAIL_MAX} characters", field="email")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"e-mail address is not valid: {exc}", field="email") from exc


def check_password(value: str, *, field: str = "password") -> str:
    if len(value) < PASSWORD_MIN:
        raise InvalidInput(f"password must be at least {PASSWORD_MIN} characters", field=field)
    if len(value) > PASSWORD_MAX:
        raise InvalidInput(f"password must be at most {PASSWORD_MAX} characters", field=field)
    return value
