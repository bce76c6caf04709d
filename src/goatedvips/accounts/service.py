"""Account rules: creating users and checking credentials. The only place that writes accounts."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.accounts.passwords import dummy_hash, hash_password, verify_password
from goatedvips.errors import Conflict, NotAuthenticated
from goatedvips.notifications.models import NotificationPreferences


async def find_by_login(session: AsyncSession, login: str) -> User | None:
    """A user by username or e-mail, in any letter case."""
    needle = login.strip().lower()
    return await session.scalar(
        select(User).where(
            or_(func.lower(User.username) == needle, func.lower(User.email) == needle)
        )
    )


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_admin: bool = False,
    email_verified: bool = False,
    registration_ip: str | None = None,
) -> User:
    """Create a user with its notification preferences (all on, promotional off); commits."""
    taken = await session.scalar(
        select(User.id).where(
            or_(
                func.lower(User.username) == username.lower(),
                func.lower(User.email) == email.lower(),
            )
        )
    )
    if taken is not None:
        raise Conflict("that username or e-mail is already registered", code="account_taken")
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password),
        is_admin=is_admin,
        email_verified=email_verified,
        registration_ip=registration_ip,
    )
    user.notification_preferences = NotificationPreferences()
    session.add(user)
    await session.commit()
    return user


async def authenticate(session: AsyncSession, *, login: str, password: str) -> User:
    """The user for these credentials; one error for every failure so accounts can't be probed."""
    user = await find_by_login(session, login)
    ok, new_hash = verify_password(password, user.password_hash if user else dummy_hash())
    if user is None or not ok or user.disabled:
        raise NotAuthenticated("wrong login or password", code="invalid_credentials")
    if new_hash:
        user.password_hash = new_hash
    return user
