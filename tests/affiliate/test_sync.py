"""The sync over real HTTP: what it stores, what it refuses, and one sync at a time."""

from __future__ import annotations

import asyncio
import sys
import types
from decimal import Decimal

import httpx
import pytest

from goatedvips.affiliate.locking import SyncAlreadyRunning
from goatedvips.affiliate.service import SyncFailed, SyncResult, sync_once
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.affiliate.conftest import (
    SIM_PLAYERS,
    dump_players,
    feed_client,
    player,
    runs,
    script,
    set_mode,
    snapshots,
)

pytestmark = pytest.mark.usefixtures("clean_db")


async def sync(db: Database, settings: Settings, url: str, **kwargs: object) -> SyncResult:
    timeout = kwargs.pop("timeout", None)
    client_kwargs = {"timeout": httpx.Timeout(timeout)} if timeout else {}
    async with feed_client(url, **client_kwargs) as client:
        return await sync_once(db, settings, client=client, **kwargs)  # type: ignore[arg-type]


async def test_first_sync_stores_every_player_and_one_snapshot_each(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    result = await sync(db, settings, sim_url)

    stored = await dump_players(db)
    assert result.players == len(stored) == SIM_PLAYERS
    assert result.changed == result.new_players == SIM_PLAYERS
    assert len(await snapshots(db)) == SIM_PLAYERS
    run = (await runs(db))[-1]
    assert (run.id, run.status, run.players, run.changed) == (
        result.sync_run_id,
        "success",
        SIM_PLAYERS,
        SIM_PLAYERS,
    )
    assert all(p[5] == p[6] == result.taken_at for p in stored.values())


async def test_repeated_sync_writes_snapshots_only_for_changes(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    first = await sync(db, settings, sim_url)
    same = await sync(db, settings, sim_url)
    assert (same.players, same.changed, same.new_players) == (SIM_PLAYERS, 0, 0)
    assert len(await snapshots(db)) == SIM_PLAYERS
    stored = await dump_players(db)
    assert all(p[5] == first.taken_at and p[6] == same.taken_at for p in stored.values())

    before = stored
    (await sim.post("/_sim/advance", json={"seconds": 3600})).raise_for_status()
    later = await sync(db, settings, sim_url)
    after = await dump_players(db)
    moved = {uid for uid in after if after[uid][:5] != before[uid][:5]}
    assert 0 < later.changed == len(moved) < SIM_PLAYERS
    rows = await snapshots(db)
    assert len(rows) == SIM_PLAYERS + len(moved)
    assert {s.uid for s in rows if s.taken_at == later.taken_at} == moved
    assert all(after[uid][5] == first.taken_at for uid in after)  # first seen never moves


async def test_feed_quirks_are_stored_as_plain_cents(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    await set_mode(sim, shape="results")
    await script(
        sim,
        [
            {"uid": "u1", "name": "Yels789", "wagered": {"today": "12.5", "this_month": None}},
            {"uid": "u2", "name": None, "wagered": {"all_time": 1e3}},
            {"uid": "u3", "name": "dup", "wagered": {"all_time": 1}},
            {"uid": "u3", "name": "dup-last", "wagered": {"all_time": 2}},
            {"uid": None, "name": "nobody"},
            {"uid": "u4", "name": "bad", "wagered": {"all_time": "1,000"}},
            {"uid": "u5", "name": "  Zoë  "},
        ],
    )
    result = await sync(db, settings, sim_url)
    stored = await dump_players(db)
    assert result.players == 4 and result.skipped == 3
    assert stored["u1"][:5] == ("Yels789", Decimal("12.50"), 0, 0, 0)
    assert stored["u2"][:5] == ("", 0, 0, 0, Decimal("1000.00"))
    assert stored["u3"][0] == "dup-last" and stored["u3"][4] == Decimal("2.00")
    assert stored["u5"][0] == "Zoë"

    await set_mode(sim, shape="bare")
    await script(sim, [player("u1", "Renamed", 20), player("u2", "", all_time=1000)])
    renamed = await sync(db, settings, sim_url)
    assert renamed.changed == 1
    latest = [s for s in await snapshots(db) if s.taken_at == renamed.taken_at]
    assert [(s.uid, s.name, s.this_month) for s in latest] == [("u1", "Renamed", Decimal("20.00"))]
    stored = await dump_players(db)
    assert set(stored) == {"u1", "u2", "u3", "u4", "u5"} - {"u4"}  # absent players are kept
    assert stored["u3"][6] < renamed.taken_at == stored["u1"][6]


@pytest.mark.parametrize(
    ("mode", "reason", "words"),
    [
        ({"mode": "outage", "status": 503}, "unavailable", "unavailable"),
        ({"mode": "unauthorized"}, "token", "GOATED_API_TOKEN"),
        ({"mode": "malformed"}, "malformed", "malformed"),
        ({"mode": "slow", "slowSeconds": 2}, "unavailable", "timeout"),
        ({"mode": "empty"}, "empty", "no players"),
        ({"mode": "normal", "shape": "data"}, "malformed", "none of the"),
    ],
)
async def test_a_failed_sync_changes_no_data_and_is_reported(
    db: Database,
    settings: Settings,
    sim: httpx.AsyncClient,
    sim_url: str,
    mode: dict[str, object],
    reason: str,
    words: str,
) -> None:
    good = await sync(db, settings, sim_url)
    players, history = await dump_players(db), await snapshots(db)
    (await sim.post("/_sim/advance", json={"seconds": 3600})).raise_for_status()
    await set_mode(sim, **mode)
    if mode == {"mode": "normal", "shape": "data"}:
        await script(sim, [{"uid": "x", "wagered": {"all_time": "lots"}}])

    with pytest.raises(SyncFailed) as failure:
        await sync(db, settings, sim_url, timeout=0.3)

    assert failure.value.reason == reason
    assert words in failure.value.message
    assert await dump_players(db) == players
    assert [s.id for s in await snapshots(db)] == [s.id for s in history]
    last = (await runs(db))[-1]
    assert (last.status, last.id) == ("failed", failure.value.sync_run_id)
    assert words in (last.error or "")
    assert last.id > good.sync_run_id


async def test_an_empty_feed_is_fine_before_any_player_is_known(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    await set_mode(sim, mode="empty")
    result = await sync(db, settings, sim_url)
    assert (result.players, result.changed) == (0, 0)


async def test_two_concurrent_syncs_run_one_after_the_other(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    await set_mode(sim, mode="slow", slowSeconds=0.3, count=1)
    first, second = await asyncio.gather(sync(db, settings, sim_url), sync(db, settings, sim_url))
    done = sorted([first, second], key=lambda r: r.started_at)
    assert done[0].finished_at <= done[1].started_at  # never overlapping
    assert sorted([first.new_players, second.new_players]) == [0, SIM_PLAYERS]
    assert len(await snapshots(db)) == SIM_PLAYERS


async def test_a_sync_that_will_not_wait_is_refused_while_one_runs(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    await set_mode(sim, mode="slow", slowSeconds=0.3, count=1)
    running = asyncio.create_task(sync(db, settings, sim_url))
    while (await sim.get("/_sim/state")).json()["requests"] == 0:  # noqa: ASYNC110 (another server)
        await asyncio.sleep(0.01)
    with pytest.raises(SyncAlreadyRunning):
        await sync(db, settings, sim_url, lock_wait=0)
    assert (await running).players == SIM_PLAYERS
    assert [r.status for r in await runs(db)] == ["success"]


async def test_after_sync_hooks_run_and_a_failing_one_breaks_nothing(
    db: Database,
    settings: Settings,
    sim: httpx.AsyncClient,
    sim_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[SyncResult] = []

    def broken(ctx: object, result: SyncResult) -> None:
        raise RuntimeError("hook bug")

    async def recorder(ctx: object, result: SyncResult) -> None:
        seen.append(result)

    monkeypatch.setitem(
        sys.modules,
        "goatedvips.support.hooks",
        types.SimpleNamespace(after_sync=broken, __name__="a"),
    )
    monkeypatch.setitem(
        sys.modules,
        "goatedvips.notifications.hooks",
        types.SimpleNamespace(after_sync=recorder, __name__="b"),
    )
    result = await sync(db, settings, sim_url)
    assert seen == [result]


async def test_without_a_base_url_the_builtin_simulator_is_the_feed(
    db: Database, settings: Settings
) -> None:
    assert settings.uses_simulator
    result = await sync_once(db, settings)
    assert result.players == result.new_players == 2000


async def test_a_nul_in_a_feed_name_is_dropped_not_a_failed_sync(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    # PostgreSQL text can't hold NUL: kept as is, one such name would fail every sync.
    await script(sim, [player("uid-a", "ev\x00il", 10), player("uid-b\x00", "bad", 5)])
    result = await sync(db, settings, sim_url)
    assert (result.players, result.skipped) == (1, 1)
    assert (await dump_players(db))["uid-a"][0] == "evil"
