"""JSON shapes of the Telegram and verification endpoints (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from goatedvips.schemas import CamelModel


class LinkTokenOut(CamelModel):
    token: str
    deep_link: str
    expires_at: dt.datetime


class VerifyIn(CamelModel):
    goated_username: str = Field(min_length=1, max_length=64)


class VerifyOut(CamelModel):
    request_id: int
    status: str


class DecisionIn(CamelModel):
    notes: str | None = Field(default=None, max_length=1000)


class VerificationRequestOut(CamelModel):
    id: int
    user_id: int
    username: str
    telegram_id: int | None
    telegram_username: str | None
    goated_username: str
    goated_uid: str
    status: str
    requested_at: dt.datetime
    verified_at: dt.datetime | None
    verified_by: str | None
    admin_notes: str | None


class VerificationRequestPage(CamelModel):
    total: int
    limit: int
    offset: int
    items: list[VerificationRequestOut]
