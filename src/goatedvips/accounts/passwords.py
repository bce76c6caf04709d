"""Argon2 password hashing (pwdlib); cheaper parameters only in the test environment."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from goatedvips.config import get_settings


@lru_cache(maxsize=2)
def _hasher(test: bool) -> PasswordHash:
    if test:
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    return PasswordHash((Argon2Hasher(),))


def password_hasher() -> PasswordHash:
    return _hasher(get_settings().is_test)


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """(matches, new hash when the parameters changed and the hash should be replaced)."""
    try:
        return password_hasher().verify_and_update(password, stored_hash)
    except Exception:  # a malformed stored hash is a failed login, never a 500
        return False, None


# A hash to verify against when the account doesn't exist, so timing reveals nothing.
def dummy_hash() -> str:
    return _dummy(get_settings().is_test)


@lru_cache(maxsize=2)
def _dummy(test: bool) -> str:
    return _hasher(test).hash("not-a-real-password-just-for-timing")
