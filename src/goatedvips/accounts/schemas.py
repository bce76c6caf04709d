"""JSON shapes of the accounts API."""

from __future__ import annotations

from pydantic import Field

from goatedvips.schemas import CamelModel


class LoginIn(CamelModel):
    login: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


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
