"""JSON shapes of the bonus code API (camelCase on the wire, values as decimal strings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from goatedvips.schemas import CamelModel, MoneyStr

Purpose = Literal["drop", "prize"]


class BonusCodeIn(CamelModel):
    code: str = Field(min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=500)
    value: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    expires_at: AwareDatetime
    purpose: Purpose = "drop"


class DropOut(CamelModel):
    """A public drop: everything but the code itself."""

    id: int
    description: str | None
    value: MoneyStr
    expires_at: dt.datetime | None


class MyCodeOut(CamelModel):
    id: int
    code: str
    description: str | None
    value: MoneyStr
    expires_at: dt.datetime | None
    claimed_at: dt.datetime | None
    expired: bool


class ClaimOut(MyCodeOut):
    pass


class AdminCodeOut(CamelModel):
    id: int
    code: str
    description: str | None
    value: MoneyStr
    purpose: str
    expires_at: dt.datetime | None
    expired: bool
    created_by: int | None
    claimed_by: int | None = Field(validation_alias="user_id")
    claimed_at: dt.datetime | None
    created_at: dt.datetime


class ImportLineError(CamelModel):
    line: int
    message: str


class ImportOut(CamelModel):
    created: int
