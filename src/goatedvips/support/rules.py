"""The limits of the support desk and the cleaning of what people type into it.

Every entry point (JSON, forms, the bot) goes through these functions, so a subject or message is
judged the same way wherever it comes from.
"""

from __future__ import annotations

import re

from goatedvips.errors import InvalidInput
from goatedvips.support.models import TICKET_PRIORITIES, TICKET_STATUSES

SUBJECT_MIN = 3
SUBJECT_MAX = 200
TEXT_MIN = 1
TEXT_MAX = 5000
DEFAULT_PRIORITY = "medium"
MAX_OPEN_TICKETS = 5
OPEN_TICKET_RATE = "8 per hour"
MESSAGE_RATE = "20 per 10 minutes"
# Ids above this can't exist (INTEGER keys); checking first keeps PostgreSQL from overflowing.
MAX_ID = 2**31 - 1
# A player's reply tells at most this many admins when nobody is assigned yet.
MAX_STAFF_NOTIFIED = 10

# Control characters other than tab and newlines: PostgreSQL refuses NUL outright, and the rest
# only ever arrive by accident or malice.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE_RUN = re.compile(r"\s+")


def _refuse_control_characters(value: str, field: str, label: str) -> None:
    if _CONTROL.search(value):
        raise InvalidInput(f"{label} contains control characters; remove them", field=field)


def clean_subject(value: str, *, field: str = "subject") -> str:
    """One line, 3–200 characters after trimming; inner whitespace runs become one space."""
    _refuse_control_characters(value, field, "the subject")
    subject = _WHITESPACE_RUN.sub(" ", value).strip()
    if len(subject) < SUBJECT_MIN:
        raise InvalidInput(
            f"the subject needs at least {SUBJECT_MIN} characters", field=field, code="too_short"
        )
    if len(subject) > SUBJECT_MAX:
        raise InvalidInput(
            f"the subject can have at most {SUBJECT_MAX} characters (it has {len(subject)})",
            field=field,
            code="too_long",
        )
    return subject


def clean_text(value: str, *, field: str, label: str) -> str:
    """A description or message: 1–5000 characters after trimming, line breaks kept."""
    _refuse_control_characters(value, field, label)
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) < TEXT_MIN:
        raise InvalidInput(f"{label} can't be empty", field=field, code="empty")
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            f"{label} can have at most {TEXT_MAX} characters (it has {len(text)})",
            field=field,
            code="too_long",
        )
    return text


def clean_priority(value: str | None) -> str:
    if value is None or value == "":
        return DEFAULT_PRIORITY
    priority = value.strip().lower()
    if priority not in TICKET_PRIORITIES:
        raise InvalidInput(
            f"priority must be one of {', '.join(TICKET_PRIORITIES)}", field="priority"
        )
    return priority


def clean_status(value: str) -> str:
    status = value.strip().lower()
    if status not in TICKET_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(TICKET_STATUSES)}", field="status")
    return status
