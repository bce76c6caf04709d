"""The Goated API down, slow, answering garbage, an empty list or 401 for an hour of simulated time.

One good sync, then a failed sync every 10 simulated minutes for an hour, then recovery. Through
all of it: no player row or snapshot changes, every failure is recorded once, the site keeps
serving the last good boards and race standings marked stale (/health degraded with the age), and
the first good sync afterwards recovers without anyone touching anything.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
import time_machine

from goatedvips.affiliate.service import SyncFailed, sync_once
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.races.models import WagerRace
from tests.faults.conftest import (
    SIM_PLAYERS,
    at,
    dump_players,
    dump_snapshots,
    duplicate_snapshots,
    feed_client,
    run_statuses,
)

T0 = at(2026, 3, 18, 12, 0)
STEP = dt.timedelta(minutes=10)
OUTAGE = dt.timedelta(hours=1)

# simulator mode -> (extra /_sim/mode fields, the failure reason the sync records)
FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "outage": ({"status": 503}, "unavailable"),
    "slow": ({"slowSeconds": 2.0}, "unavailable"),  # longer than the client's read timeout
    "unauthorized": ({}, "token"),
    "malformed": ({}, "malformed"),
    "empty": ({}, "empty"),
}


async def sync_at(
    db: Database, settings: Settings, sim_url: str, moment: dt.datetime, *, tick: bool = False
) -> Any:
    # time-machine also freezes time.monotonic, which asyncio's timers run on: a sync whose
    # client must time out runs with the clock ticking from `moment` (its failed run's
    # timestamps are a few ms later than `moment`, and no assertion depends on them).
    with time_machine.travel(moment, tick=tick):
        async with feed_client(sim_url) as client:
            return await sync_once(db, settings, client=client, lock_wait=5)


async def get_at(client: httpx.AsyncClient, moment: dt.datetime, path: str) -> httpx.Response:
    with time_machine.travel(moment, tick=False):
        return await client.get(path)


async def add_live_race(db: Database) -> int:
    async with db.sessionmaker() as session:
        race = WagerRace(
            title="Fault race",
            type="custom",
            status="live",
            prize_pool=Decimal("1000.00"),
            prize_distribution={"1": "50", "2": "30", "3": "20"},
            start_date=T0 - dt.timedelta(hours=1),
            end_date=T0 + dt.timedelta(days=1),
        )
        session.add(race)
        await session.commit()
        return race.id


@pytest.mark.parametrize("mode", sorted(FAULTS))
async def test_an_hour_of_feed_failures_loses_nothing_serves_stale_and_recovers(
    clean_db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    sim: httpx.AsyncClient,
    sim_url: str,
    mode: str,
) -> None:
    race_id = await add_live_race(clean_db)
    # A first sync before the race window, so the race counts growth from then on.
    await sync_at(clean_db, settings, sim_url, T0 - dt.timedelta(hours=2))
    good = await sync_at(clean_db, settings, sim_url, T0)
    assert good.players == SIM_PLAYERS

    players = await dump_players(clean_db)
    snapshots = await dump_snapshots(clean_db)
    board = (await get_at(client, T0, "/api/leaderboard?period=month&limit=500")).json()
    race = (await get_at(client, T0, "/api/races/current")).json()
    assert board["stale"] is False and board["total"] > 0
    assert race["id"] == race_id and race["standings"]
    health = (await get_at(client, T0, "/health")).json()
    assert health["status"] == "ok" and health["affiliate"]["ageSeconds"] == 0

    extra, reason = FAULTS[mode]
    (await sim.post("/_sim/mode", json={"mode": mode, **extra})).raise_for_status()
    failures = 0
    moment = T0
    while moment < T0 + OUTAGE:
        moment += STEP
        with pytest.raises(SyncFailed) as failed:
            await sync_at(clean_db, settings, sim_url, moment, tick=True)
        failures += 1
        assert failed.value.reason == reason
        # Nothing stored moved; the failure is one recorded run, nothing else.
        assert await dump_players(clean_db) == players
        assert await dump_snapshots(clean_db) == snapshots
        assert await run_statuses(clean_db) == ["success"] * 2 + ["failed"] * failures

    # An hour later the site still answers with the last good data, marked stale.
    late = T0 + OUTAGE
    health_resp = await get_at(client, late, "/health")
    assert health_resp.status_code == 200
    health = health_resp.json()
    assert health["status"] == "degraded"
    assert health["database"] == "ok"
    assert health["affiliate"] == {
        "lastSuccessAt": good.finished_at.isoformat(),
        "ageSeconds": int(OUTAGE.total_seconds()),
        "stale": True,
    }
    stale_board = (await get_at(client, late, "/api/leaderboard?period=month&limit=500")).json()
    assert stale_board["stale"] is True
    assert stale_board["updatedAt"] == board["updatedAt"]
    assert stale_board["entries"] == board["entries"] and stale_board["total"] == board["total"]
    page = await get_at(client, late, "/leaderboard")
    assert page.status_code == 200 and "has not been refreshed for a while" in page.text
    assert (await get_at(client, late, "/api/races/current")).json() == race
    assert (await get_at(client, late, "/races")).status_code == 200

    # The feed comes back: the next sync recovers by itself.
    (await sim.post("/_sim/mode", json={"mode": "normal"})).raise_for_status()
    back = T0 + OUTAGE + dt.timedelta(minutes=1)
    recovered = await sync_at(clean_db, settings, sim_url, back)
    assert recovered.players == SIM_PLAYERS and recovered.changed > 0
    assert await run_statuses(clean_db) == ["success"] * 2 + ["failed"] * failures + ["success"]
    assert await duplicate_snapshots(clean_db) == 0
    after = await dump_snapshots(clean_db)
    assert after[: len(snapshots)] == snapshots  # history kept as it was
    assert len(after) == len(snapshots) + recovered.changed  # one new point per change, no more
    stored = await dump_players(clean_db)
    assert stored.keys() == players.keys()
    assert sum(1 for uid in stored if stored[uid][:5] != players[uid][:5]) == recovered.changed

    health = (await get_at(client, back, "/health")).json()
    assert health["status"] == "ok" and health["affiliate"]["stale"] is False
    assert health["affiliate"]["lastSuccessAt"] == recovered.finished_at.isoformat()
    fresh = (await get_at(client, back, "/api/leaderboard?period=month&limit=500")).json()
    assert fresh["stale"] is False
    assert fresh["updatedAt"] == recovered.finished_at.isoformat()
    assert fresh["entries"] != board["entries"]  # an hour of wagering is visible
    page = await get_at(client, back, "/leaderboard")
    assert "has not been refreshed for a while" not in page.text
    new_race = (await get_at(client, back, "/api/races/current")).json()
    assert new_race["updatedAt"] != race["updatedAt"]
    assert new_race["standings"] != race["standings"]
