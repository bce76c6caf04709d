"""Race JSON shapes (camelCase on the wire, amounts as decimal strings, times in UTC)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from goatedvips.schemas import CamelModel, MoneyStr

RaceType = Literal["monthly", "weekly", "custom"]
RaceStatus = Literal["upcoming", "live", "completed", "cancelled"]


class RaceCreate(CamelModel):
    title: str = Field(min_length=1, max_length=128)
    type: RaceType
    start_date: dt.datetime
    # Optional for monthly and weekly races: their window follows from the start.
    end_date: dt.datetime | None = None
    prize_pool: Decimal
    prize_distribution: dict[str, Any]
    min_wager: Decimal = Decimal("0")
    rules: str | None = Field(default=None, max_length=10_000)
    description: str | None = Field(default=None, max_length=10_000)


class RaceUpdate(CamelModel):
    title: str | None = Field(default=None, min_length=1, max_length=128)
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    prize_pool: Decimal | None = None
    prize_distribution: dict[str, Any] | None = None
    min_wager: Decimal | None = None
    rules: str | None = Field(default=None, max_length=10_000)
    description: str | None = Field(default=None, max_length=10_000)


class CorrectionIn(CamelModel):
    """A correction of a completed race: new totals per uid and/or disqualified uids."""

    totals: dict[str, Decimal] = Field(default_factory=dict)
    disqualified: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=3, max_length=1000)


class TemplateIn(CamelModel):
    title: str = Field(min_length=1, max_length=128)
    type: Literal["monthly", "weekly"]
    prize_pool: Decimal
    prize_distribution: dict[str, Any]
    min_wager: Decimal = Decimal("0")
    rules: str | None = Field(default=None, max_length=10_000)
    description: str | None = Field(default=None, max_length=10_000)
    active: bool = True


class StandingOut(CamelModel):
    rank: int
    uid: str
    name: str
    total_wager: MoneyStr
    prize: MoneyStr
    eligible: bool


class RaceOut(CamelModel):
    id: int
    title: str
    type: RaceType
    status: RaceStatus
    start_date: dt.datetime
    end_date: dt.datetime
    prize_pool: MoneyStr
    prize_distribution: dict[str, str]
    min_wager: MoneyStr
    rules: str | None
    description: str | None
    finalized_at: dt.datetime | None = None


class PrizeRow(CamelModel):
    position: int
    share: str
    amount: MoneyStr
    awarded: bool


class RaceDetailOut(RaceOut):
    standings: list[StandingOut]
    participants: int
    prizes: list[PrizeRow]
    unawarded: MoneyStr
    updated_at: dt.datetime | None = None


class RacePositionOut(CamelModel):
    race_id: int
    rank: int
    total_wager: MoneyStr
    gap_to_next: MoneyStr | None
    prize: MoneyStr
    eligible: bool


class TemplateOut(CamelModel):
    id: int
    title: str
    type: str
    prize_pool: MoneyStr
    prize_distribution: dict[str, str]
    min_wager: MoneyStr
    active: bool
