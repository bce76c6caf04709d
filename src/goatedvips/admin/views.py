"""Turning admin rows into the JSON shapes (shared by the API and the pages)."""

from __future__ import annotations

import datetime as dt

from goatedvips.accounts.models import User
from goatedvips.admin.schemas import (
    AdminUserDetail,
    AdminUserOut,
    SessionOut,
    TelegramAccountOut,
    VerificationEventOut,
)
from goatedvips.admin.user_search import newest_first


def user_out(user: User) -> AdminUserOut:
    return AdminUserOut.model_validate(user)


def user_detail(user: User, *, now: dt.datetime) -> AdminUserDetail:
    """`user` must come from `load_user_detail` (relationships loaded)."""
    sessions = sorted(user.sessions, key=lambda s: s.created_at, reverse=True)
    telegram = user.telegram_user
    summary = AdminUserOut.model_validate(user).model_dump()
    return AdminUserDetail(
        **summary,
        registration_ip=user.registration_ip,
        telegram_verified_at=user.telegram_verified_at,
        hide_name=user.hide_name,
        ip_history=list(user.ip_history or []),
        login_history=list(user.login_history or []),
        sessions=[
            SessionOut(
                created_at=s.created_at,
                last_seen_at=s.last_seen_at,
                expires_at=s.expires_at,
                revoked_at=s.revoked_at,
                ip=s.ip,
                user_agent=s.user_agent,
                active=s.revoked_at is None and s.expires_at > now,
            )
            for s in sessions
        ],
        telegram=TelegramAccountOut.model_validate(telegram) if telegram else None,
        verification_history=[
            VerificationEventOut.model_validate(e) for e in newest_first(user.verification_history)
        ],
    )
