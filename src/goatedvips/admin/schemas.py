"""Admin JSON shapes: users as staff see them, the role/disable patch, audit records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import model_validator

from goatedvips.schemas import CamelModel


class AdminUserOut(CamelModel):
    """One row of the user list."""

    id: int
    username: str
    email: str
    is_admin: bool
    disabled: bool
    email_verified: bool
    telegram_id: int | None
    telegram_verified: bool
    goated_username: str | None
    goated_uid: str | None
    goated_verified: bool
    last_login_ip: str | None
    last_active: dt.datetime | None
    country: str | None
    city: str | None
    created_at: dt.datetime


class SessionOut(CamelModel):
    """A login session; its id (a token hash) is never shown."""

    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    ip: str | None
    user_agent: str | None
    active: bool


class TelegramAccountOut(CamelModel):
    telegram_id: int
    telegram_username: str | None
    is_verified: bool
    verified_at: dt.datetime | None
    notifications_enabled: bool


class VerificationEventOut(CamelModel):
    id: int
    status: str
    goated_username: str | None
    goated_uid: str | None
    verified_by: str | None
    verified_at: dt.datetime | None
    admin_notes: str | None
    created_at: dt.datetime
    archived_at: dt.datetime | None


class AdminUserDetail(AdminUserOut):
    """Everything staff need to judge an account: IPs, logins with location, sessions, links."""

    registration_ip: str | None
    telegram_verified_at: dt.datetime | None
    hide_name: bool
    ip_history: list[dict[str, Any]]
    login_history: list[dict[str, Any]]
    sessions: list[SessionOut]
    telegram: TelegramAccountOut | None
    verification_history: list[VerificationEventOut]


class UserPatchIn(CamelModel):
    """Role and access changes; omitted fields stay as they are."""

    is_admin: bool | None = None
    disabled: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserPatchIn:
        if self.is_admin is None and self.disabled is None:
            raise ValueError("send isAdmin and/or disabled")
        return self


class AuditEntryOut(CamelModel):
    id: int
    actor: str
    actor_user_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    before: Any
    after: Any
    ip: str | None
    created_at: dt.datetime
