"""JSON shapes of the accounts API (camelCase on the wire)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from goatedvips.schemas import CamelModel

# Loose bounds only, so oversized bodies stop here; the real rules live in accounts.validation
# and answer with their own messages.


class RegisterIn(CamelModel):
    username: str = Field(max_length=200)
    email: str = Field(max_length=500)
    password: str = Field(max_length=1000)


class RegisterOut(CamelModel):
    id: int
    username: str
    email: str
    email_verified: bool


class LoginIn(CamelModel):
    login: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1000)


class LoginOut(CamelModel):
    id: int
    username: str
    is_admin: bool


class MeOut(CamelModel):
    id: int
    username: str
    email: str
    email_verified: bool
    is_admin: bool
    hide_name: bool
    telegram_verified: bool
    goated_username: str | None
    goated_verified: bool


class TokenIn(CamelModel):
    token: str = Field(min_length=1, max_length=2000)


class EmailIn(CamelModel):
    email: str = Field(max_length=500)


class ResendIn(CamelModel):
    email: str | None = Field(default=None, max_length=500)


class ResetConfirmIn(CamelModel):
    token: str = Field(min_length=1, max_length=2000)
    password: str = Field(max_length=1000)


class PasswordChangeIn(CamelModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class MessageOut(CamelModel):
    message: str


class PreferencesBody(CamelModel):
    wager_race_updates: StrictBool
    vip_status_changes: StrictBool
    promotional_offers: StrictBool
    monthly_statements: StrictBool
    email_notifications: StrictBool
    push_notifications: StrictBool


class MePatchIn(CamelModel):
    hide_name: StrictBool
