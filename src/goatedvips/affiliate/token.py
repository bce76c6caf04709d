"""Reading the expiry of the Goated API token, so admins see it coming before it lapses.

The token is a JWT (`uid`, `session`, `iat`, `exp`) signed by Goated with a key we don't have, so
the payload is only decoded, never verified: the result is for display and alerts, not for trust.
Nothing here logs or returns the token itself.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson

EXPIRING_SOON = dt.timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class TokenStatus:
    """What admins are shown about the configured token."""

    state: str  # "missing" | "unknown" (not a JWT / no exp) | "valid" | "expiring_soon" | "expired"
    expires_at: dt.datetime | None
    seconds_left: float | None

    @property
    def expired(self) -> bool:
        return self.state == "expired"

    @property
    def expiring_soon(self) -> bool:
        return self.state == "expiring_soon"


def token_payload(token: str) -> dict[str, Any] | None:
    """The decoded JWT payload, or None when the token is not a JWT."""
    parts = token.strip().removeprefix("Bearer ").strip().split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    segment = parts[1]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def token_expiry(token: str) -> dt.datetime | None:
    """The token's `exp` as an aware UTC datetime, or None (not a JWT, or no usable `exp`)."""
    payload = token_payload(token)
    exp = payload.get("exp") if payload else None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(exp, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def token_status(
    token: str | None,
    now: dt.datetime | None = None,
    *,
    warn_before: dt.timedelta = EXPIRING_SOON,
) -> TokenStatus:
    """Expiry, time left and state of a token at `now` (aware; default: the current UTC time)."""
    if now is None:
        now = dt.datetime.now(dt.UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not token or not token.strip():
        return TokenStatus(state="missing", expires_at=None, seconds_left=None)
    expires_at = token_expiry(token)
    if expires_at is None:
        return TokenStatus(state="unknown", expires_at=None, seconds_left=None)
    seconds_left = (expires_at - now).total_seconds()
    if seconds_left <= 0:
        state = "expired"
    elif seconds_left < warn_before.total_seconds():
        state = "expiring_soon"
    else:
        state = "valid"
    return TokenStatus(state=state, expires_at=expires_at, seconds_left=seconds_left)
