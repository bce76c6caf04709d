"""Keeping the wager history bounded: snapshots are changes only, and old points are thinned.

Policy (`downsample_snapshots`, run hourly by the `affiliate-downsample` job):
- every point of the last `RAW_DAYS` (7) days is kept;
- older than that, one point per player per UTC hour (the last of the hour) up to `HOURLY_DAYS` (90);
- older than `HOURLY_DAYS`, one point per player per UTC day (the last of the day).

The last point of a bucket is kept because it is the player's state at the bucket's end, which is
what a race window starting at the next hour or day (00:00 UTC for weekly and monthly races) needs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from goatedvips.affiliate.store import _sqlite_time
from goatedvips.db import Database, utcnow

RAW_DAYS = 7
HOURLY_DAYS = 90
_BUCKETS = {
    ("postgresql", "hour"): "date_trunc('hour', taken_at AT TIME ZONE 'UTC')",
    ("postgresql", "day"): "date_trunc('day', taken_at AT TIME ZONE 'UTC')",
    ("sqlite", "hour"): "substr(taken_at, 1, 13)",
    ("sqlite", "day"): "substr(taken_at, 1, 10)",
}


async def _thin(
    conn: AsyncConnection, bucket: str, newer_than: dt.datetime | None, older_than: dt.datetime
) -> int:
    dialect = conn.dialect.name
    expr = _BUCKETS[(dialect, bucket)]
    bound = (lambda t: _sqlite_time(t)) if dialect == "sqlite" else (lambda t: t)
    window = "taken_at < :older" + (" AND taken_at >= :newer" if newer_than else "")
    params = {"older": bound(older_than)}
    if newer_than:
        params["newer"] = bound(newer_than)
    # Ids grow with time (syncs run one at a time), so max(id) is the last point of a bucket.
    result = await conn.execute(
        text(
            f"DELETE FROM wager_snapshots WHERE {window} AND id NOT IN ("
            f"SELECT max(id) FROM wager_snapshots WHERE {window} GROUP BY uid, {expr})"
        ),
        params,
    )
    return result.rowcount or 0


async def downsample_snapshots(
    db: Database,
    *,
    now: dt.datetime | None = None,
    raw_days: int = RAW_DAYS,
    hourly_days: int = HOURLY_DAYS,
) -> int:
    """Thin old snapshots by the policy above; returns the number of rows deleted."""
    now = now or utcnow()
    raw_limit = now - dt.timedelta(days=raw_days)
    hourly_limit = now - dt.timedelta(days=hourly_days)
    async with db.engine.begin() as conn:
        deleted = await _thin(conn, "hour", hourly_limit, raw_limit)
        deleted += await _thin(conn, "day", None, hourly_limit)
    return deleted
