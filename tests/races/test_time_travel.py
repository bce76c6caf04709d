"""Race totals across real syncs and month/week rollovers; the freeze equals the standings just
before the end even after the feed rolled over; a crash while freezing loses and doubles nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select, update

from goatedvips.accounts.models import User
from goatedvips.db import Database
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.races import lifecycle
from tests.races.conftest import Feed, add_race, at, load_race, player, standings
from tests.support.users import make_user

D = Decimal
pytestmark = pytest.mark.usefixtures("clean_db")


async def finalize_at(db: Database, moment) -> list[int]:
    with time_machine.travel(moment, tick=False):
        async with db.sessionmaker() as session:
            return await lifecycle.finalize_due_races(session)


async def test_monthly_race_freezes_the_month_counter_from_before_the_rollover(
    db: Database, feed: Feed
) -> None:
    race_id = await add_race(
        db, type="monthly", start_date=at(2026, 3, 1), end_date=at(2026, 4, 1), status="live"
    )
    # February: counters of the previous month, including Dave who then leaves the feed.
    await feed.sync_at(
        at(2026, 2, 28, 23, 50),
        [
            player("alice", "Alice", month=5000, all_time=10000),
            player("bob", "Bob", month=100, all_time=100),
            player("dave", "Dave", month=9000, all_time=9000),
        ],
    )
    await feed.sync_at(
        at(2026, 3, 1, 0, 10),
        [
            player("alice", "Alice", month=200, all_time=10200),
            player("bob", "Bob", month=50, all_time=150),
        ],
    )
    await feed.sync_at(
        at(2026, 3, 31, 23, 58),
        [
            player("alice", "Alice", month=3000, all_time=13000),
            player("bob", "Bobby", month=3500, all_time=3600),  # renamed: the uid is the identity
            player("carol", "Carol", month=100, all_time=100),  # first seen mid-race
        ],
    )
    before_end = await standings(db, race_id)
    assert before_end == [
        (1, "bob", "Bobby", D("3500.00"), D("500.00"), True),
        (2, "alice", "Alice", D("3000.00"), D("300.00"), True),
        (3, "carol", "Carol", D("100.00"), D("200.00"), True),
    ]
    # The feed rolls over: April's counters start again, all_time keeps growing.
    await feed.sync_at(
        at(2026, 4, 1, 0, 5),
        [
            player("alice", "Alice", month=10, all_time=13010),
            player("bob", "Bob", month=0, all_time=3600),
            player("carol", "Carol", month=999, all_time=1099),
        ],
    )
    assert await standings(db, race_id) == before_end  # the late sync doesn't touch it
    assert await finalize_at(db, at(2026, 4, 1, 0, 6)) == [race_id]
    race = await load_race(db, race_id)
    assert (race.status, race.finalized_at) == ("completed", at(2026, 4, 1, 0, 6))
    assert await standings(db, race_id) == before_end

    # Later syncs and finalize runs never recompute a completed race.
    await feed.sync_at(at(2026, 4, 2), [player("alice", "Alice", month=99999, all_time=99999)])
    assert await finalize_at(db, at(2026, 4, 3)) == []
    assert await standings(db, race_id) == before_end


async def test_weekly_race_uses_the_week_counter_inside_the_window_only(
    db: Database, feed: Feed
) -> None:
    race_id = await add_race(
        db,
        type="weekly",
        start_date=at(2026, 3, 16),
        end_date=at(2026, 3, 23),
        status="live",
        prize_pool=D("100.00"),
        prize_distribution={"1": "70", "2": "30"},
    )
    await feed.sync_at(
        at(2026, 3, 15, 23, 59), [player("a", "A", week=800), player("b", "B", week=5)]
    )
    await feed.sync_at(at(2026, 3, 16, 0, 1), [player("a", "A", week=0), player("b", "B", week=20)])
    await feed.sync_at(
        at(2026, 3, 22, 23, 59), [player("a", "A", week=40), player("b", "B", week=40)]
    )
    expected = [
        (1, "a", "A", D("40.00"), D("50.00"), True),
        (1, "b", "B", D("40.00"), D("50.00"), True),
    ]
    assert await standings(db, race_id) == expected
    await feed.sync_at(
        at(2026, 3, 23, 0, 0, 30), [player("a", "A", week=7), player("b", "B", week=0)]
    )
    assert await finalize_at(db, at(2026, 3, 23, 0, 1)) == [race_id]
    assert await standings(db, race_id) == expected


async def test_custom_window_counts_growth_of_all_time(db: Database, feed: Feed) -> None:
    race_id = await add_race(
        db,
        start_date=at(2026, 3, 10, 12),
        end_date=at(2026, 3, 12, 12),
        status="live",
        prize_pool=D("10.00"),
        prize_distribution={"1": "100"},
        min_wager=D("60"),
    )
    await feed.sync_at(
        at(2026, 3, 10, 11), [player("a", "A", all_time=1000), player("b", "B", all_time=50)]
    )
    await feed.sync_at(
        at(2026, 3, 11),
        [
            player("a", "A", all_time=1100),
            player("b", "B", all_time=60),
            player("n", "New", all_time=5000),
        ],
    )
    await feed.sync_at(
        at(2026, 3, 12, 11, 59),
        [
            player("a", "A2", all_time=1150),
            player("b", "B", all_time=70),
            player("n", "New", all_time=5075),
        ],
    )
    await feed.sync_at(at(2026, 3, 12, 12), [player("a", "A2", all_time=99999)])  # at the end: out
    assert await finalize_at(db, at(2026, 3, 12, 12, 1)) == [race_id]
    assert await standings(db, race_id) == [
        (1, "a", "A2", D("150.00"), D("10.00"), True),
        (2, "n", "New", D("75.00"), D("0.00"), True),  # growth since first seen
        (3, "b", "B", D("20.00"), D("0.00"), False),  # below the minimum wager
    ]


async def link(db: Database, username: str, uid: str) -> User:
    user = await make_user(db, username)
    async with db.sessionmaker() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(goated_uid=uid, goated_verified=True)
        )
        await session.commit()
    return user


async def outbox(db: Database, kind: str) -> list[tuple[int, str | None]]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(NotificationOutbox.user_id, NotificationOutbox.dedupe_key)
            .where(NotificationOutbox.kind == kind)
            .order_by(NotificationOutbox.id)
        )
        return [tuple(r) for r in rows]


async def test_a_crash_while_freezing_neither_loses_nor_doubles_anything(
    db: Database, feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await link(db, "alice", "alice")
    race_id = await add_race(db, start_date=at(2026, 5, 1), end_date=at(2026, 5, 3), status="live")
    await feed.sync_at(
        at(2026, 4, 30), [player("alice", "Alice", all_time=0), player("bob", "Bob")]
    )
    await feed.sync_at(
        at(2026, 5, 1, 23),
        [player("alice", "Alice", all_time=300), player("bob", "Bob", all_time=500)],
    )
    live_rows = await standings(db, race_id)
    assert [r[1] for r in live_rows] == ["bob", "alice"]
    assert len(await outbox(db, "race_prize_position")) == 1  # alice entered the prizes

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut while telling the winners")

    monkeypatch.setattr(lifecycle, "_announce_results", crash)
    with pytest.raises(RuntimeError):
        await finalize_at(db, at(2026, 5, 3, 0, 1))
    race = await load_race(db, race_id)
    assert (race.status, race.finalized_at) == ("live", None)
    assert await standings(db, race_id) == live_rows
    assert await outbox(db, "race_result") == []

    monkeypatch.undo()
    assert await finalize_at(db, at(2026, 5, 3, 0, 2)) == [race_id]
    assert await finalize_at(db, at(2026, 5, 3, 0, 3)) == []
    async with db.sessionmaker() as session:
        assert await lifecycle.finalize_race(session, race_id) is False
    race = await load_race(db, race_id)
    assert (race.status, race.finalized_at) == ("completed", at(2026, 5, 3, 0, 2))
    assert [r[:5] for r in await standings(db, race_id)] == [r[:5] for r in live_rows]
    assert await outbox(db, "race_result") == [
        (alice.id, f"race:{race_id}:result:user:{alice.id}:email")
    ]
    async with db.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(NotificationOutbox))
    assert count == 2  # one prize-position notice, one result: nothing doubled
