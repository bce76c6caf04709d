"""Checks every race definition passes, whoever writes it (admin API, admin pages, templates).

- Monthly races cover exactly one calendar month (UTC), weekly races exactly one Monday week
  (UTC); their end may be left out and follows from the start. Custom races take any window
  with the end after the start.
  Custom windows start and end on the hour: old snapshots are thinned to one per player per hour
  (the last of the hour), so an hour boundary is the finest moment whose state is always known.
- The pool and the minimum wager are non-negative amounts in whole cents.
- Two races of the same type (monthly, or weekly) that are not cancelled may not overlap; custom
  races may overlap anything (a weekend sprint inside the monthly race is fine).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.errors import InvalidInput
from goatedvips.races.models import WagerRace
from goatedvips.races.windows import as_utc, window_for

MAX_AMOUNT = Decimal("1000000000")


def check_window(
    race_type: str, start: dt.datetime, end: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    start = as_utc(start)
    if race_type in ("monthly", "weekly"):
        expected = window_for(race_type, start)
        if start != expected[0]:
            what = "the 1st of a month" if race_type == "monthly" else "a Monday"
            raise InvalidInput(
                f"startDate: a {race_type} race starts at 00:00 UTC on {what}", field="startDate"
            )
        if end is not None and as_utc(end) != expected[1]:
            raise InvalidInput(
                f"endDate: a {race_type} race ends at {expected[1].isoformat()} when it starts at "
                f"{start.isoformat()}",
                field="endDate",
            )
        return expected
    if end is None:
        raise InvalidInput("endDate: a custom race needs an end date", field="endDate")
    end = as_utc(end)
    if end <= start:
        raise InvalidInput("endDate: the race must end after it starts", field="endDate")
    for field, moment in (("startDate", start), ("endDate", end)):
        if moment != moment.replace(minute=0, second=0, microsecond=0):
            raise InvalidInput(f"{field}: races start and end on the hour (UTC)", field=field)
    return start, end


def check_amount(value: Decimal | None, field: str) -> Decimal:
    try:
        amount = Decimal(value if value is not None else "0")
    except (InvalidOperation, TypeError) as exc:
        raise InvalidInput(f"{field}: must be an amount", field=field) from exc
    if not amount.is_finite():
        raise InvalidInput(f"{field}: must be a finite amount", field=field)
    if amount < 0:
        raise InvalidInput(f"{field}: may not be negative", field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"{field}: may not exceed {MAX_AMOUNT}", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{field}: use whole cents (at most 2 decimal places)", field=field)
    return amount.quantize(Decimal("0.01"))


async def check_no_overlap(
    session: AsyncSession,
    *,
    race_type: str,
    start: dt.datetime,
    end: dt.datetime,
    ignore_id: int | None = None,
    include_cancelled: bool = False,
) -> None:
    if race_type == "custom":
        return
    query = select(WagerRace.id, WagerRace.title).where(
        WagerRace.type == race_type, WagerRace.start_date < end, WagerRace.end_date > start
    )
    if not include_cancelled:
        query = query.where(WagerRace.status != "cancelled")
    if ignore_id is not None:
        query = query.where(WagerRace.id != ignore_id)
    clash = (await session.execute(query.limit(1))).first()
    if clash is not None:
        raise InvalidInput(
            f"startDate: the {race_type} race #{clash.id} ({clash.title}) already covers part of this "
            "window; cancel it first",
            field="startDate",
        )
