"""JSON shapes of the challenge API (camelCase on the wire, amounts as decimal strings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import AwareDatetime, Field

from goatedvips.schemas import CamelModel, MoneyStr


class ChallengeIn(CamelModel):
    game: str = Field(min_length=1, max_length=64)
    multiplier: Decimal = Field(ge=Decimal("1.01"), le=Decimal("1000000"), decimal_places=2)
    min_bet: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    prize_amount: Decimal = Field(gt=0, le=1_000_000, decimal_places=2)
    max_winners: int = Field(ge=1, le=1000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    description: str | None = Field(default=None, max_length=2000)
    timeframe: str | None = Field(default=None, max_length=64)


class ChallengePatch(CamelModel):
    game: str | None = Field(default=None, min_length=1, max_length=64)
    multiplier: Decimal | None = Field(default=None, ge=Decimal("1.01"), le=Decimal("1000000"))
    min_bet: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    prize_amount: Decimal | None = Field(default=None, gt=0, le=1_000_000, decimal_places=2)
    max_winners: int | None = Field(default=None, ge=1, le=1000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    description: str | None = Field(default=None, max_length=2000)
    timeframe: str | None = Field(default=None, max_length=64)


class ChallengeOut(CamelModel):
    id: int
    game: str
    multiplier: MoneyStr
    min_bet: MoneyStr
    prize_amount: MoneyStr
    max_winners: int
    winners: int
    places_left: int
    timeframe: str | None
    description: str | None
    status: str
    open: bool
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    time_left: int | None = Field(description="seconds until endsAt (0 once over)")
    starts_in: int | None = Field(description="seconds until startsAt (0 once started)")
    created_by: int | None
    created_at: dt.datetime


class EntryIn(CamelModel):
    bet_link: str = Field(min_length=1, max_length=2048)


class EntryOut(CamelModel):
    id: int
    challenge_id: int
    user_id: int
    username: str | None = None
    telegram_id: int | None
    bet_link: str
    status: str
    bonus_code: str | None
    submitted_at: dt.datetime
    verified_at: dt.datetime | None
    verified_by: str | None


class ApproveIn(CamelModel):
    bonus_code: str | None = Field(default=None, max_length=64)


class RejectIn(CamelModel):
    notes: str | None = Field(default=None, max_length=500)
