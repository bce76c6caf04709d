"""Players' race totals for a window, read from the stored wager snapshots.

Snapshots hold a player's four counters at every sync where something changed, so the latest
snapshot at or before a moment is the player's state at that moment. For a window [start, end):

- Window matching a feed period (a calendar month, a Monday week, a UTC day): the period counter
  from the player's latest snapshot taken inside the window (start <= taken_at < end). A snapshot
  from before the start holds the counter of a previous period and is never used; no snapshot in
  the window means no wager in it.
- Any other window: all_time at the latest snapshot before the end minus all_time at the latest
  snapshot at or before the start. A player first seen after the start counts the growth from
  their first snapshot (what they wagered before we first saw them is unknown).
- Only snapshots taken before the end count, so a total never changes once the window is over.
- The uid is the identity; the name shown is the one in the latest snapshot before the end.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.affiliate.models import WagerSnapshot
from goatedvips.races.standings import PlayerTotal
from goatedvips.races.windows import matching_counter


def _ranked(where: list[object], column: str, *, latest: bool) -> Select[tuple[object, ...]]:
    """(uid, name, `column`) of one snapshot per uid among those matching `where`: the latest or
    the earliest. Only the three columns are read (a row per player, no ORM objects)."""
    order = (
        (WagerSnapshot.taken_at.desc(), WagerSnapshot.id.desc())
        if latest
        else (WagerSnapshot.taken_at.asc(), WagerSnapshot.id.asc())
    )
    position = func.row_number().over(partition_by=WagerSnapshot.uid, order_by=order)
    inner = (
        select(
            WagerSnapshot.uid,
            WagerSnapshot.name,
            getattr(WagerSnapshot, column).label("amount"),
            position.label("position"),
        )
        .where(*where)
        .subquery()
    )
    return select(inner.c.uid, inner.c.name, inner.c.amount).where(inner.c.position == 1)


async def _points(
    session: AsyncSession, where: list[object], column: str, *, latest: bool
) -> dict[str, tuple[str, Decimal]]:
    """uid -> (name, amount of `column`) at the chosen snapshot."""
    rows = await session.execute(_ranked(where, column, latest=latest))
    return {uid: (name, amount) for uid, name, amount in rows}


async def window_totals(
    session: AsyncSession, *, start: dt.datetime, end: dt.datetime
) -> list[PlayerTotal]:
    """Every player's total for [start, end) from snapshots taken before `end`."""
    in_window = [and_(WagerSnapshot.taken_at >= start, WagerSnapshot.taken_at < end)]
    counter = matching_counter(start, end)
    if counter is not None:
        last = await _points(session, in_window, counter, latest=True)
        return [PlayerTotal(uid, name, _money(amount)) for uid, (name, amount) in last.items()]
    last_in_window = await _points(session, in_window, "all_time", latest=True)
    at_start = await _points(session, [WagerSnapshot.taken_at <= start], "all_time", latest=True)
    first_in_window = await _points(session, in_window, "all_time", latest=False)
    totals = []
    for uid, (name, last) in last_in_window.items():
        baseline = (at_start.get(uid) or first_in_window[uid])[1]
        growth = last - baseline
        # all_time only grows; a smaller value is a feed correction, not negative wager.
        totals.append(PlayerTotal(uid, name, _money(max(growth, Decimal(0)))))
    return totals


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
