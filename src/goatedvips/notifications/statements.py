"""The monthly statement: last calendar month's wager, race results and bonus codes per player.

Figures come from stored data only, so a statement can be rebuilt for any past month:
- wager: the month's total by the races' rule for a calendar-month window (`races.totals`: the
  `this_month` counter of the player's last snapshot taken inside the month);
- races: every race that completed with its end in (month start, month end] (a monthly race
  ending at 00:00 on the 1st belongs to the month it covered), with the player's final rank,
  total and prize as frozen at completion;
- bonus codes: the codes the player claimed during the month, with their values.
Statements go to players with a verified Goated account who had any of these in the month (an
empty statement is not sent). One per user and month (`statement:<user>:<yyyy-mm>`), so running
the job again, or in two processes, queues nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.models import AppSetting
from goatedvips.bonuses.models import BonusCode
from goatedvips.db import Database, utcnow
from goatedvips.notifications.outbox import enqueue
from goatedvips.notifications.rendering import render_template
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from goatedvips.races.totals import window_totals

KIND = "monthly_statement"
DONE_SETTING = "notifications.statements_done_month"
# A process that was down on the 1st still sends the statement within this many days.
CATCH_UP_DAYS = 7
ZERO = Decimal("0.00")


@dataclass
class RaceLine:
    title: str
    rank: int | None
    total_wager: Decimal
    prize: Decimal


@dataclass
class Statement:
    month: dt.date
    wager: Decimal = ZERO
    races: list[RaceLine] = field(default_factory=list)
    codes: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def prizes_total(self) -> Decimal:
        return sum((race.prize for race in self.races), ZERO)

    @property
    def codes_total(self) -> Decimal:
        return sum((value for _, value in self.codes), ZERO)

    @property
    def is_empty(self) -> bool:
        return self.wager == ZERO and not self.races and not self.codes

    def payload(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"),
            "monthLabel": self.month.strftime("%B %Y"),
            "wager": str(self.wager),
            "races": [
                {
                    "title": r.title,
                    "rank": r.rank,
                    "totalWager": str(r.total_wager),
                    "prize": str(r.prize),
                }
                for r in self.races
            ],
            "prizesTotal": str(self.prizes_total),
            "codes": [{"code": code, "value": str(value)} for code, value in self.codes],
            "codesTotal": str(self.codes_total),
        }


def month_window(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def previous_month(now: dt.datetime) -> dt.date:
    first = now.date().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


async def build_statement(
    session: AsyncSession, user: User, month: dt.date, wagers: dict[str, Decimal]
) -> Statement:
    start, end = month_window(month)
    statement = Statement(month=month, wager=wagers.get(user.goated_uid or "", ZERO))
    conditions = [WagerRaceParticipant.user_id == user.id]
    if user.goated_uid:
        conditions.append(WagerRaceParticipant.goated_uid == user.goated_uid)
    races = await session.execute(
        select(WagerRace.title, WagerRaceParticipant)
        .join(WagerRace, WagerRace.id == WagerRaceParticipant.race_id)
        .where(
            WagerRace.status == "completed",
            WagerRace.end_date > start,
            WagerRace.end_date <= end,
            or_(*conditions),
        )
        .order_by(WagerRace.end_date, WagerRace.id)
    )
    statement.races = [
        RaceLine(title, p.rank, p.total_wager, p.prize or ZERO) for title, p in races.all()
    ]
    codes = await session.execute(
        select(BonusCode.code, BonusCode.value)
        .where(
            BonusCode.user_id == user.id,
            BonusCode.claimed_at >= start,
            BonusCode.claimed_at < end,
        )
        .order_by(BonusCode.claimed_at, BonusCode.id)
    )
    statement.codes = [(code, value) for code, value in codes.all()]
    return statement


async def queue_statements(session: AsyncSession, *, month: dt.date) -> int:
    """Queue `month`'s statement for every player who had activity in it; commits. Returns how
    many users got one queued."""
    month = month.replace(day=1)
    start, end = month_window(month)
    wagers = {t.uid: t.total for t in await window_totals(session, start=start, end=end)}
    users = await session.scalars(
        select(User).where(User.goated_uid.is_not(None), User.disabled.is_(False)).order_by(User.id)
    )
    queued = 0
    for user in list(users):
        statement = await build_statement(session, user, month, wagers)
        if statement.is_empty:
            continue
        context = {"s": statement.payload(), "username": user.username}
        rows = await enqueue(
            session,
            user=user,
            kind=KIND,
            subject=f"Your GoatedVIPs statement for {month.strftime('%B %Y')}",
            text=render_template("notifications/monthly_statement.txt", context),
            html=render_template("notifications/monthly_statement.html", context),
            payload=statement.payload(),
            dedupe_key=f"statement:{user.id}:{month.strftime('%Y-%m')}",
        )
        queued += bool(rows)
    await session.commit()
    return queued


async def queue_due_statements(db: Database, *, now: dt.datetime | None = None) -> int:
    """The job: last month's statements, once, in the first days of a month."""
    now = now or utcnow()
    if now.day > CATCH_UP_DAYS:
        return 0
    month = previous_month(now)
    label = month.strftime("%Y-%m")
    async with db.sessionmaker() as session:
        done = await session.get(AppSetting, DONE_SETTING)
        if done is not None and done.value == label:
            return 0
        queued = await queue_statements(session, month=month)
        marker = await session.get(AppSetting, DONE_SETTING)
        if marker is None:
            session.add(AppSetting(key=DONE_SETTING, value=label))
        else:
            marker.value = label
        await session.commit()
    return queued
