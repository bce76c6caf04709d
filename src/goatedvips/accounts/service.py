"""Account rules: registration, login, e-mail verification, password reset and change, settings.

The only place that writes accounts. Every function validates before it writes and commits its
own unit of work. Failures that could tell an attacker whether an account exists (login, reset,
resend) answer the same way for existing and missing accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips import geo, ratelimit
from goatedvips.accounts import emails, tokens
from goatedvips.accounts.models import User
from goatedvips.accounts.passwords import dummy_hash, hash_password, verify_password
from goatedvips.accounts.sessions import create_session, revoke_all_sessions
from goatedvips.accounts.tracking import record_visit
from goatedvips.accounts.validation import check_password, clean_email, clean_username
from goatedvips.config import Settings
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, Gone, InvalidInput, NotAuthenticated, PermissionDenied
from goatedvips.logging import get_logger
from goatedvips.mail import MailError
from goatedvips.notifications.models import NotificationPreferences

log = get_logger(__name__)

# Rates in `limits` notation. Login counts failures only; the others count every request.
LOGIN_PER_IP = "30 per 15 minutes"
LOGIN_PER_ACCOUNT = "5 per 15 minutes"
REGISTER_PER_IP = "20 per hour"
REGISTER_PER_EMAIL = "3 per hour"
RESET_PER_IP = "10 per hour"
RESET_PER_ACCOUNT = "3 per hour"
RESEND_PER_IP = "10 per hour"
RESEND_PER_ACCOUNT = "3 per hour"
PASSWORD_CHANGE_FAILURES = "5 per 15 minutes"

TAKEN_MESSAGE = "that username or e-mail is already registered"
BAD_CREDENTIALS = "wrong login or password"

PREFERENCE_FIELDS = (
    "wager_race_updates",
    "vip_status_changes",
    "promotional_offers",
    "monthly_statements",
    "email_notifications",
    "push_notifications",
)


@dataclass(frozen=True)
class OutgoingMail:
    """An account e-mail decided by the service, delivered by the caller off the request path."""

    kind: str  # "verify" | "reset"
    user: User
    token: str

    async def send(self, settings: Settings) -> None:
        if self.kind == "verify":
            await emails.send_verification_email(settings, self.user, self.token)
        else:
            await emails.send_reset_email(settings, self.user, self.token)

    async def send_quietly(self, settings: Settings) -> None:
        """Send, logging a failure: the user can ask again, and the request has been answered."""
        try:
            await self.send(settings)
        except MailError as exc:
            log.warning("account_mail_failed", kind=self.kind, user_id=self.user.id, error=str(exc))


async def find_by_login(session: AsyncSession, login: str) -> User | None:
    """A user by username or e-mail, in any letter case."""
    needle = login.strip().lower()
    return await session.scalar(
        select(User).where(
            or_(func.lower(User.username) == needle, func.lower(User.email) == needle)
        )
    )


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_admin: bool = False,
    email_verified: bool = False,
    registration_ip: str | None = None,
    user_agent: str = "",
    location: geo.Location | None = None,
) -> User:
    """Create a user with its notification preferences (all on, promotional off); commits.

    Validates everything first, so the CLI's create-admin obeys the same rules as the web.
    """
    username = clean_username(username)
    email = clean_email(email)
    check_password(password)
    taken = await session.scalar(
        select(User.id).where(
            or_(
                func.lower(User.username) == username.lower(),
                func.lower(User.email) == email.lower(),
            )
        )
    )
    if taken is not None:
        raise Conflict(TAKEN_MESSAGE, code="account_taken")
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password),
        is_admin=is_admin,
        email_verified=email_verified,
        registration_ip=registration_ip,
        ip_history=[],
        login_history=[],
    )
    if registration_ip:
        record_visit(
            user,
            event="register",
            ip=registration_ip,
            user_agent=user_agent,
            location=location,
            now=utcnow(),
        )
    user.notification_preferences = NotificationPreferences()
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent registration won the race
        await session.rollback()
        raise Conflict(TAKEN_MESSAGE, code="account_taken") from exc
    return user


async def register(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    email: str,
    password: str,
    ip: str,
    user_agent: str,
) -> tuple[User, OutgoingMail]:
    """A new, unverified account and the verification e-mail to send."""
    clean_username(username)
    address = clean_email(email)
    check_password(password)
    await ratelimit.hit(f"register:ip:{ip}", REGISTER_PER_IP)
    await ratelimit.hit(f"register:email:{address.lower()}", REGISTER_PER_EMAIL)
    user = await create_user(
        session,
        username=username,
        email=address,
        password=password,
        registration_ip=ip,
        user_agent=user_agent,
        location=geo.lookup(settings, ip),
    )
    token = tokens.new_verification_token(settings, user)
    await session.commit()
    return user, OutgoingMail("verify", user, token)


async def authenticate(session: AsyncSession, *, login: str, password: str, ip: str) -> User:
    """The user for these credentials; one error for every failure so accounts can't be probed.

    Failed attempts count per IP and per login name (existing or not), and a login name or IP
    over its limit is refused before the password is even checked.
    """
    account_key = f"login:account:{login.strip().lower()}"
    ip_key = f"login:ip:{ip}"
    await ratelimit.check(ip_key, LOGIN_PER_IP)
    await ratelimit.check(account_key, LOGIN_PER_ACCOUNT)
    user = await find_by_login(session, login)
    ok, new_hash = verify_password(password, user.password_hash if user else dummy_hash())
    if user is None or not ok:
        await ratelimit.hit(ip_key, LOGIN_PER_IP)
        await ratelimit.hit(account_key, LOGIN_PER_ACCOUNT)
        raise NotAuthenticated(BAD_CREDENTIALS, code="invalid_credentials")
    if user.disabled:
        # Only someone holding the password learns this, so it reveals nothing to a prober.
        raise PermissionDenied("this account is disabled; contact support", code="account_disabled")
    await ratelimit.clear(account_key, LOGIN_PER_ACCOUNT)
    if new_hash:
        user.password_hash = new_hash
    return user


async def log_in(
    session: AsyncSession,
    settings: Settings,
    *,
    login: str,
    password: str,
    ip: str,
    user_agent: str,
) -> tuple[User, str]:
    """Check the credentials, record the login and open a session; returns (user, cookie token)."""
    user = await authenticate(session, login=login, password=password, ip=ip)
    record_visit(
        user,
        event="login",
        ip=ip,
        user_agent=user_agent,
        location=geo.lookup(settings, ip),
        now=utcnow(),
    )
    token = await create_session(session, user=user, ip=ip, user_agent=user_agent)
    await session.commit()
    return user, token


async def start_session(session: AsyncSession, *, user: User, ip: str, user_agent: str) -> str:
    """Open a session for a user who just proved who they are (registration); the cookie token."""
    token = await create_session(session, user=user, ip=ip, user_agent=user_agent)
    await session.commit()
    return token


async def resend_verification(
    session: AsyncSession,
    settings: Settings,
    *,
    ip: str,
    user: User | None = None,
    email: str | None = None,
) -> OutgoingMail | None:
    """A new verification link for `user`, or for the account with `email` (if there is one).

    Each new link replaces the previous one. Answers alike whether or not the address is known.
    """
    if user is None:
        if not email or not email.strip():
            raise InvalidInput("e-mail address is required", field="email")
        address = clean_email(email)
        account_key = f"resend:email:{address.lower()}"
    else:
        account_key = f"resend:user:{user.id}"
    await ratelimit.hit(f"resend:ip:{ip}", RESEND_PER_IP)
    await ratelimit.hit(account_key, RESEND_PER_ACCOUNT)
    if user is None:
        user = await find_by_email(session, address)
    if user is None or user.disabled or user.email_verified:
        return None
    token = tokens.new_verification_token(settings, user)
    await session.commit()
    return OutgoingMail("verify", user, token)


async def verify_email(session: AsyncSession, settings: Settings, *, token: str) -> User:
    """Mark the address verified; the token is used up (422 forged, 410 expired or used)."""
    payload = tokens.read_verification_token(settings, token)
    user = await session.get(User, int(payload["u"]))
    if user is None:
        raise Gone("this link was already used or replaced by a newer one", code="token_used")
    tokens.verification_matches(user, payload)
    user.email_verified = True
    user.email_verification_token = None
    await session.commit()
    return user


async def request_password_reset(
    session: AsyncSession, settings: Settings, *, email: str, ip: str
) -> OutgoingMail | None:
    """The reset e-mail for the account using `email`, if any; the caller answers 202 either way."""
    address = clean_email(email)
    await ratelimit.hit(f"reset:ip:{ip}", RESET_PER_IP)
    await ratelimit.hit(f"reset:email:{address.lower()}", RESET_PER_ACCOUNT)
    user = await find_by_email(session, address)
    if user is None or user.disabled:
        return None
    return OutgoingMail("reset", user, tokens.new_reset_token(settings, user))


async def check_reset_token(session: AsyncSession, settings: Settings, *, token: str) -> User:
    """The user a reset token is for, if it is still usable (for showing the form)."""
    payload = tokens.read_reset_token(settings, token)
    return tokens.reset_matches(await session.get(User, int(payload["u"])), payload)


async def reset_password(
    session: AsyncSession, settings: Settings, *, token: str, password: str
) -> User:
    """Set a new password from a reset link; every session of the account is revoked.

    Following the link proves the mailbox, so the address counts as verified afterwards.
    """
    check_password(password)
    user = await check_reset_token(session, settings, token=token)
    _set_password(user, password)
    user.email_verified = True
    user.email_verification_token = None
    await revoke_all_sessions(session, user_id=user.id)  # commits the new password with it
    return user


async def change_password(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_id: str | None,
) -> int:
    """Change the password of a logged-in user; revokes their other sessions (returns how many)."""
    check_password(new_password, field="new_password")
    failures_key = f"password-change:user:{user.id}"
    await ratelimit.check(failures_key, PASSWORD_CHANGE_FAILURES)
    ok, _ = verify_password(current_password, user.password_hash)
    if not ok:
        await ratelimit.hit(failures_key, PASSWORD_CHANGE_FAILURES)
        raise InvalidInput("the current password is wrong", field="current_password")
    _set_password(user, new_password)
    return await revoke_all_sessions(session, user_id=user.id, except_session_id=keep_session_id)


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


async def preferences_of(session: AsyncSession, user: User) -> NotificationPreferences:
    """The user's preferences row (created with defaults if an old account lacks one)."""
    prefs = await session.scalar(
        select(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
    )
    if prefs is None:
        prefs = NotificationPreferences(user_id=user.id)
        session.add(prefs)
        await session.flush()
    return prefs


async def update_preferences(
    session: AsyncSession, *, user: User, values: dict[str, Any]
) -> NotificationPreferences:
    """Set any of the six switches (snake_case names); unknown names or non-booleans are refused."""
    for name, value in values.items():
        if name not in PREFERENCE_FIELDS:
            raise InvalidInput(f"unknown notification preference {name!r}", field=name)
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true or false", field=name)
    prefs = await preferences_of(session, user)
    for name, value in values.items():
        setattr(prefs, name, value)
    await session.commit()
    return prefs


async def set_hide_name(session: AsyncSession, *, user: User, hide: bool) -> User:
    user.hide_name = hide
    await session.commit()
    return user
