"""Signed one-click unsubscribe tokens: a user id and the preference to switch off.

Nothing is stored: the signature is the proof, so a link can be used any number of times and
using it again only finds the preference already off. Links stay valid for a year, because people
unsubscribe from old mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from goatedvips.config import Settings
from goatedvips.errors import InvalidInput
from goatedvips.notifications.outbox import KIND_PREFERENCE
from goatedvips.security import sign, unsign

SALT = "notifications.unsubscribe"
MAX_AGE_SECONDS = 365 * 24 * 3600
OPTIONAL_PREFERENCES = frozenset(p for p in KIND_PREFERENCE.values() if p is not None)


@dataclass(frozen=True)
class UnsubscribeRequest:
    user_id: int
    preference: str


def unsubscribe_token(settings: Settings, *, user_id: int, preference: str) -> str:
    if preference not in OPTIONAL_PREFERENCES:
        raise ValueError(f"{preference!r} can't be unsubscribed from")
    return sign(settings, SALT, {"u": user_id, "p": preference})


def unsubscribe_url(settings: Settings, *, user_id: int, preference: str) -> str:
    token = unsubscribe_token(settings, user_id=user_id, preference=preference)
    return f"{settings.base_url.rstrip('/')}/unsubscribe?{urlencode({'token': token})}"


def read_unsubscribe_token(settings: Settings, token: str) -> UnsubscribeRequest:
    """The request a token carries; forged or altered tokens raise InvalidInput, old ones Gone."""
    data = unsign(settings, SALT, token.strip(), max_age=MAX_AGE_SECONDS)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("u"), int)
        or data.get("p") not in OPTIONAL_PREFERENCES
    ):
        raise InvalidInput("this unsubscribe link is not valid", code="token_invalid")
    return UnsubscribeRequest(user_id=data["u"], preference=data["p"])
