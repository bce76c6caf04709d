"""Race windows in UTC: calendar months, Monday weeks, and which feed counter matches a window.

Every window is half-open, `[start, end)`. A window "matches a feed period" when it is exactly one
of the periods Goated's own counters cover (a UTC day, a Monday week, a calendar month); such a
race can read the period counter directly instead of computing growth of `all_time`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

PeriodCounter = Literal["today", "this_week", "this_month"]


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (naive input is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def month_window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar month (UTC) holding `moment`: [1st 00:00, next 1st 00:00)."""
    moment = as_utc(moment)
    start = dt.datetime(moment.year, moment.month, 1, tzinfo=dt.UTC)
    if moment.month == 12:
        end = dt.datetime(moment.year + 1, 1, 1, tzinfo=dt.UTC)
    else:
        end = dt.datetime(moment.year, moment.month + 1, 1, tzinfo=dt.UTC)
    return start, end


def week_window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The week (UTC) holding `moment`: [Monday 00:00, next Monday 00:00)."""
    moment = as_utc(moment)
    day = dt.datetime(moment.year, moment.month, moment.day, tzinfo=dt.UTC)
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=7)


def day_window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    moment = as_utc(moment)
    start = dt.datetime(moment.year, moment.month, moment.day, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def window_for(race_type: str, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The monthly or weekly window holding `moment`."""
    if race_type == "monthly":
        return month_window(moment)
    if race_type == "weekly":
        return week_window(moment)
    raise ValueError(f"only monthly and weekly races have a fixed window, not {race_type!r}")


def next_window(race_type: str, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The window right after the one holding `moment`."""
    _, end = window_for(race_type, moment)
    return window_for(race_type, end)


def matching_counter(start: dt.datetime, end: dt.datetime) -> PeriodCounter | None:
    """The feed counter that covers exactly [start, end), or None when no counter does."""
    start, end = as_utc(start), as_utc(end)
    if (start, end) == month_window(start):
        return "this_month"
    if (start, end) == week_window(start):
        return "this_week"
    if (start, end) == day_window(start):
        return "today"
    return None
