"""The database connection lost in the middle of a sync and of a race freeze.

PostgreSQL: every backend of the test database is terminated from a separate connection at the
chosen moment (what a server restart does to the app; restarting the shared server itself would
disturb everyone else). SQLite: the connection in use is invalidated at the same moment.
Afterwards nothing half-written is visible, and the next run completes exactly once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from goatedvips.accounts.models import User
from goatedvips.affiliate import store
from goatedvips.affiliate.service import SyncFailed, SyncResult, sync_once
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.jobs import JobContext
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.races import jobs as race_jobs
from goatedvips.races import lifecycle
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from tests.faults.conftest import (
    at,
    cut_connections,
    dump_players,
    dump_snapshots,
    duplicate_snapshots,
    feed_client,
    run_statuses,
)
from tests.support.users import make_user

T0 = at(2026, 6, 10, 12, 0)


async def sync_at(db: Database, settings: Settings, sim_url: str, moment: dt.datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        async with feed_client(sim_url) as client:
            return await sync_once(db, settings, client=client, lock_wait=5)


@pytest.mark.parametrize("when", ["before_write", "after_write"])
async def test_connection_lost_during_a_sync_leaves_no_partial_write_and_the_next_sync_runs_once(
    clean_db: Database,
    settings: Settings,
    sim: httpx.AsyncClient,
    sim_url: str,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    first = await sync_at(clean_db, settings, sim_url, T0)
    players, snapshots = await dump_players(clean_db), await dump_snapshots(clean_db)
    assert len(snapshots) == first.players

    original = store.write_changes
    cuts: list[int] = []

    async def write_with_a_cut(conn: AsyncConnection, *args: Any, **kwargs: Any) -> Any:
        if when == "before_write":
            cuts.append(await cut_connections(clean_db, conn))
            return await original(conn, *args, **kwargs)
        written = await original(conn, *args, **kwargs)  # every row sent, not yet committed
        cuts.append(await cut_connections(clean_db, conn))
        return written

    monkeypatch.setattr(store, "write_changes", write_with_a_cut)
    with pytest.raises(SyncFailed) as failed:
        await sync_at(clean_db, settings, sim_url, T0 + dt.timedelta(minutes=10))
    monkeypatch.undo()
    assert cuts and cuts[0] >= 1
    assert failed.value.reason == "database"

    # Nothing of the interrupted sync is visible: no player moved, no snapshot, no 'running' run.
    assert await dump_players(clean_db) == players
    assert await dump_snapshots(clean_db) == snapshots
    assert await run_statuses(clean_db) == ["success", "failed"]

    # The next run (same feed moment) stores everything exactly once.
    again: SyncResult = await sync_at(clean_db, settings, sim_url, T0 + dt.timedelta(minutes=10))
    assert again.changed > 0
    assert await run_statuses(clean_db) == ["success", "failed", "success"]
    assert len(await dump_snapshots(clean_db)) == len(snapshots) + again.changed
    assert await duplicate_snapshots(clean_db) == 0
    # A third sync of the same feed moment finds nothing new to write.
    same = await sync_at(clean_db, settings, sim_url, T0 + dt.timedelta(minutes=10))
    assert same.changed == 0
    assert len(await dump_snapshots(clean_db)) == len(snapshots) + again.changed


def player(uid: str, all_time: float) -> dict[str, Any]:
    wagered = {"today": 0, "this_week": 0, "this_month": 0, "all_time": all_time}
    return {"uid": uid, "name": uid.capitalize(), "wagered": wagered}


async def scripted_sync(
    db: Database,
    settings: Settings,
    sim: httpx.AsyncClient,
    sim_url: str,
    moment: dt.datetime,
    players: list[dict[str, Any]],
) -> None:
    (await sim.post("/_sim/feed", json=players)).raise_for_status()
    await sync_at(db, settings, sim_url, moment)


async def standings(db: Database, race_id: int) -> list[tuple[Any, ...]]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(WagerRaceParticipant)
            .where(WagerRaceParticipant.race_id == race_id)
            .order_by(WagerRaceParticipant.rank, WagerRaceParticipant.goated_uid)
        )
        return [(r.rank, r.goated_uid, r.total_wager, r.prize, r.eligible) for r in rows]


async def race_state(db: Database, race_id: int) -> tuple[str, dt.datetime | None]:
    async with db.sessionmaker() as session:
        race = await session.get(WagerRace, race_id)
        assert race is not None
        return race.status, race.finalized_at


async def results_queued(db: Database) -> list[str | None]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(
                select(NotificationOutbox.dedupe_key)
                .where(NotificationOutbox.kind == "race_result")
                .order_by(NotificationOutbox.id)
            )
        )


@pytest.mark.parametrize("when", ["after_claim", "before_commit"])
async def test_connection_lost_while_freezing_a_race_then_the_next_run_freezes_it_once(
    clean_db: Database,
    settings: Settings,
    sim: httpx.AsyncClient,
    sim_url: str,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    alice = await make_user(clean_db, "alice")
    async with clean_db.sessionmaker() as session:
        await session.execute(
            update(User).where(User.id == alice.id).values(goated_uid="alice", goated_verified=True)
        )
        race = WagerRace(
            title="Freeze under fire",
            type="custom",
            status="live",
            prize_pool=Decimal("100.00"),
            prize_distribution={"1": "60", "2": "40"},
            start_date=at(2026, 6, 10, 0),
            end_date=at(2026, 6, 11, 12),  # not a feed period: all-time growth
        )
        session.add(race)
        await session.commit()
        race_id = race.id
    feed = [player("alice", 100), player("bob", 100), player("carol", 100)]
    await scripted_sync(clean_db, settings, sim, sim_url, at(2026, 6, 9, 23), feed)
    feed = [player("alice", 400), player("bob", 900), player("carol", 150)]
    await scripted_sync(clean_db, settings, sim, sim_url, at(2026, 6, 11, 11, 59), feed)
    live = await standings(clean_db, race_id)
    assert [row[1] for row in live] == ["bob", "alice", "carol"]
    # After the end the feed moves on; the freeze must not use it.
    feed = [player("alice", 5000), player("bob", 900), player("carol", 150)]
    await scripted_sync(clean_db, settings, sim, sim_url, at(2026, 6, 11, 12, 0, 30), feed)

    ctx = JobContext(db=clean_db, settings=settings)
    if when == "after_claim":
        target, original = "write_participants", lifecycle.write_participants

        async def with_a_cut(session: Any, *args: Any, **kwargs: Any) -> Any:
            await cut_connections(clean_db, await session.connection())
            return await original(session, *args, **kwargs)
    else:
        target, original = "_announce_results", lifecycle._announce_results

        async def with_a_cut(session: Any, *args: Any, **kwargs: Any) -> Any:
            await original(session, *args, **kwargs)  # results and notices written, no commit
            await session.flush()
            await cut_connections(clean_db, await session.connection())

    monkeypatch.setattr(lifecycle, target, with_a_cut)
    with pytest.raises(Exception) as lost:  # whatever the driver raises
        await race_jobs.run_lifecycle(ctx, now=at(2026, 6, 11, 12, 1))
    monkeypatch.undo()
    assert "sqlalchemy" in type(lost.value).__module__ or "psycopg" in type(lost.value).__module__

    # Nothing of the interrupted freeze is visible.
    assert await race_state(clean_db, race_id) == ("live", None)
    assert await standings(clean_db, race_id) == live
    assert await results_queued(clean_db) == []

    # The next run freezes it once; later runs find nothing to do.
    await race_jobs.run_lifecycle(ctx, now=at(2026, 6, 11, 12, 2))
    await race_jobs.run_lifecycle(ctx, now=at(2026, 6, 11, 12, 3))
    assert await race_state(clean_db, race_id) == ("completed", at(2026, 6, 11, 12, 2))
    final = await standings(clean_db, race_id)
    assert final == live  # from the snapshots before the end, as the live board showed
    assert final[0][2:4] == (Decimal("800.00"), Decimal("60.00"))
    assert await results_queued(clean_db) == [f"race:{race_id}:result:user:{alice.id}:email"]
