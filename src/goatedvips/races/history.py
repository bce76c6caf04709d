"""A participant's `wagerHistory`: the race total over time, kept small whatever the sync rate.

Points are `{"t": ISO time, "w": "1234.50"}`. At most one point per hour (a newer point in the same
hour replaces the older one) and at most `MAX_POINTS` in all: when the list overflows, every other
point of its older half is dropped, so recent movement stays detailed and old movement coarse.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

MAX_POINTS = 200


def _hour(point: dict[str, Any]) -> str:
    return str(point.get("t", ""))[:13]  # "YYYY-MM-DDTHH"


def add_point(
    history: list[dict[str, Any]] | None,
    *,
    at: dt.datetime,
    total: Decimal,
    limit: int = MAX_POINTS,
) -> list[dict[str, Any]]:
    """A new list with the point for `at` added (unchanged totals add nothing)."""
    points = list(history or [])
    value = f"{total:.2f}"
    if points and points[-1].get("w") == value:
        return points
    point = {"t": at.astimezone(dt.UTC).isoformat(timespec="seconds"), "w": value}
    if points and _hour(points[-1]) == _hour(point):
        points[-1] = point
    else:
        points.append(point)
    while len(points) > limit:
        half = len(points) // 2
        points = points[:half][::2] + points[half:]
    return points
