"""Downsampling keeps recent points, then the last point per player per hour, then per day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from goatedvips.affiliate.history import downsample_snapshots
from goatedvips.affiliate.models import WagerSnapshot
from goatedvips.db import Database
from tests.affiliate.conftest import snapshots

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


@pytest.mark.usefixtures("clean_db")
async def test_downsampling_policy(db: Database) -> None:
    points = (
        [
            NOW - dt.timedelta(days=1, minutes=m)
            for m in (50, 40, 30)  # recent: all kept
        ]
        + [
            dt.datetime(2026, 6, 1, 10, m, tzinfo=dt.UTC)
            for m in (5, 25, 55)  # one per hour
        ]
        + [
            dt.datetime(2026, 6, 1, 11, 5, tzinfo=dt.UTC),
        ]
        + [
            dt.datetime(2026, 1, 10, h, 0, tzinfo=dt.UTC)
            for h in (1, 9, 23)  # one per day
        ]
    )
    async with db.sessionmaker() as session:
        for uid in ("a", "b"):
            for i, when in enumerate(sorted(points)):
                value = Decimal(i)
                session.add(
                    WagerSnapshot(
                        uid=uid,
                        name=uid,
                        today=value,
                        this_week=value,
                        this_month=value,
                        all_time=value,
                        taken_at=when,
                    )
                )
        await session.commit()

    deleted = await downsample_snapshots(db, now=NOW)

    kept = await snapshots(db)
    assert deleted == 2 * (2 + 2)
    expected = sorted(
        [dt.datetime(2026, 1, 10, 23, 0, tzinfo=dt.UTC)]
        + [
            dt.datetime(2026, 6, 1, 10, 55, tzinfo=dt.UTC),
            dt.datetime(2026, 6, 1, 11, 5, tzinfo=dt.UTC),
        ]
        + [NOW - dt.timedelta(days=1, minutes=m) for m in (50, 40, 30)]
    )
    for uid in ("a", "b"):
        assert sorted(s.taken_at for s in kept if s.uid == uid) == expected
    assert await downsample_snapshots(db, now=NOW) == 0
