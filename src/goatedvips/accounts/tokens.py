"""E-mail verification and password-reset tokens: signed, expiring, single use.

Verification: the signed payload carries the user id, the address and a nonce; only the nonce's
hash is stored (`users.email_verification_token`) and it is cleared on use, so a used token, or
one replaced by a newer e-mail, is refused.

Reset: the signed payload carries the user id and a fingerprint of the current password hash.
Setting a password changes the hash, so the token dies once used, and every older reset link dies
with it; nothing needs storing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.errors import Gone, InvalidInput
from goatedvips.security import constant_time_equals, hash_token, new_token, sign, unsign

VERIFY_SALT = "accounts.verify-email"
RESET_SALT = "accounts.password-reset"
VERIFY_MAX_AGE = dt.timedelta(hours=48)
RESET_MAX_AGE = dt.timedelta(hours=1)


def new_verification_token(settings: Settings, user: User) -> str:
    """A fresh link token for `user`; stores its nonce hash on the user (the caller commits)."""
    nonce = new_token(16)
    user.email_verification_token = hash_token(nonce)
    return sign(settings, VERIFY_SALT, {"u": user.id, "e": user.email.lower(), "n": nonce})


def read_verification_token(settings: Settings, token: str) -> dict[str, Any]:
    payload = unsign(settings, VERIFY_SALT, token, max_age=int(VERIFY_MAX_AGE.total_seconds()))
    if not isinstance(payload, dict) or not {"u", "e", "n"} <= payload.keys():
        raise InvalidInput("this link is not valid", code="token_invalid", field="token")
    return payload


def verification_matches(user: User, payload: dict[str, Any]) -> None:
    """Raise Gone unless the token is the user's current, unused one for their current address."""
    stored = user.email_verification_token
    if (
        stored is None
        or user.email.lower() != payload["e"]
        or not constant_time_equals(stored, hash_token(str(payload["n"])))
    ):
        raise Gone("this link was already used or replaced by a newer one", code="token_used")


def _password_fingerprint(user: User) -> str:
    return hash_token(user.password_hash)[:24]


def new_reset_token(settings: Settings, user: User) -> str:
    return sign(settings, RESET_SALT, {"u": user.id, "p": _password_fingerprint(user)})


def read_reset_token(settings: Settings, token: str) -> dict[str, Any]:
    payload = unsign(settings, RESET_SALT, token, max_age=int(RESET_MAX_AGE.total_seconds()))
    if not isinstance(payload, dict) or not {"u", "p"} <= payload.keys():
        raise InvalidInput("this link is not valid", code="token_invalid", field="token")
    return payload


def reset_matches(user: User | None, payload: dict[str, Any]) -> User:
    if (
        user is None
        or user.disabled
        or not constant_time_equals(_password_fingerprint(user), str(payload["p"]))
    ):
        raise Gone("this reset link was already used or is no longer valid", code="token_used")
    return user
