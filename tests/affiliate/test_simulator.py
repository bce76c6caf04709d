"""The simulator: deterministic population, monotone all-time, exact UTC rollovers, controls, speed.

Feeds are read over real HTTP with the real client, so these tests also cover what the sync sees.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.feed import ParsedFeed, PlayerRecord, parse_feed
from goatedvips.affiliate.simulator import create_simulator_app, generate_population, period_starts
from tests.support.servers import run_asgi_server

SUNDAY_MONTH_END = dt.datetime(2026, 5, 31, 23, 59, tzinfo=dt.UTC)
MONDAY_MONTH_END = dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC)
SUNDAY_MID_MONTH = dt.datetime(2026, 11, 29, 23, 59, tzinfo=dt.UTC)
FEED_PATH = "/affiliate/referral-leaderboard/ANYCODE"


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    app = create_simulator_app(seed=3, players=400, clock=lambda: SUNDAY_MONTH_END)
    with run_asgi_server(app) as base_url:
        yield base_url


@pytest.fixture
async def sim(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim_url) as control:
        (await control.post("/_sim/reset")).raise_for_status()
        yield control


async def fetch(base_url: str) -> dict[str, PlayerRecord]:
    async with GoatedClient(base_url, None, "ANYCODE", max_attempts=1) as api:
        return (await api.fetch()).by_uid()


async def move_to(sim: httpx.AsyncClient, when: dt.datetime) -> None:
    (await sim.post("/_sim/advance", json={"to": when.isoformat()})).raise_for_status()


async def advance(sim: httpx.AsyncClient, seconds: float) -> None:
    (await sim.post("/_sim/advance", json={"seconds": seconds})).raise_for_status()


def counters(player: PlayerRecord) -> tuple[Decimal, Decimal, Decimal]:
    return player.today, player.this_week, player.this_month


# --- determinism and population ----------------------------------------------------------------


def test_same_seed_same_players_other_seed_other_players() -> None:
    first, again, other = (generate_population(seed, 500) for seed in (5, 5, 6))
    assert first.uids == again.uids and first.names == again.names
    assert first.cents_at(SUNDAY_MONTH_END.timestamp()) == again.cents_at(
        SUNDAY_MONTH_END.timestamp()
    )
    assert not set(first.uids) & set(other.uids)


async def test_same_seed_serves_identical_bytes_over_http() -> None:
    bodies = []
    for _ in range(2):
        app = create_simulator_app(seed=9, players=250, clock=lambda: MONDAY_MONTH_END)
        async with run_asgi_server(app) as base_url, httpx.AsyncClient() as http:
            bodies.append((await http.get(base_url + FEED_PATH)).content)
    assert bodies[0] == bodies[1] and len(parse_feed(bodies[0])) == 250


async def test_population_has_the_quirks_of_the_real_feed(sim_url: str, sim) -> None:
    players = await fetch(sim_url)
    names = Counter(p.name for p in players.values())
    assert len(players) == 400
    assert all(len(uid) == 20 and uid.isascii() and uid.isalnum() for uid in players)
    assert any(count > 1 for count in names.values()), "some names are shared"
    assert any(not name.isascii() for name in names), "some names are non-ASCII"
    assert any(p.all_time == 0 for p in players.values()), "some never wagered"
    assert any(p.all_time > 0 and p.today == 0 for p in players.values()), "some are dormant"
    assert any(p.today > 0 for p in players.values())


async def test_names_change_over_time_but_uids_stay(sim_url: str, sim) -> None:
    before = await fetch(sim_url)
    await advance(sim, 30 * 86400)
    after = await fetch(sim_url)
    renamed = [uid for uid in before if before[uid].name != after[uid].name]
    assert set(before) == set(after)
    assert 0 < len(renamed) < len(before) * 0.1


async def test_all_time_never_decreases(sim_url: str, sim) -> None:
    previous = await fetch(sim_url)
    for seconds in (1, 59, 3600, 86400 * 3, 86400 * 40):
        await advance(sim, seconds)
        current = await fetch(sim_url)
        assert all(current[uid].all_time >= previous[uid].all_time for uid in previous)
        previous = current


# --- rollovers on Goated's clock (UTC) ---------------------------------------------------------


async def test_day_week_and_month_roll_over_together_on_a_sunday_month_end(
    sim_url: str, sim: httpx.AsyncClient
) -> None:
    before = await fetch(sim_url)  # Sunday 2026-05-31 23:59:00
    assert any(p.today > 0 for p in before.values())
    assert any(p.this_month > p.this_week > p.today for p in before.values())
    await advance(sim, 60)
    midnight = await fetch(sim_url)  # Monday 2026-06-01 00:00:00
    assert all(counters(p) == (0, 0, 0) for p in midnight.values())
    assert all(midnight[uid].all_time >= before[uid].all_time for uid in before)
    assert sum(p.all_time for p in midnight.values()) > sum(p.all_time for p in before.values())
    await advance(sim, 60)
    after = await fetch(sim_url)  # 00:01:00: everything since midnight
    for uid, player in after.items():
        grown = player.all_time - midnight[uid].all_time
        assert counters(player) == (grown, grown, grown)
    assert any(p.today > 0 for p in after.values())


async def test_month_end_on_a_monday_keeps_the_week(sim_url: str, sim: httpx.AsyncClient) -> None:
    await move_to(sim, MONDAY_MONTH_END)
    before = await fetch(sim_url)
    await advance(sim, 120)  # Tuesday 2026-12-01 00:01:00
    after = await fetch(sim_url)
    for uid, player in after.items():
        grown = player.all_time - before[uid].all_time
        assert player.this_week == before[uid].this_week + grown
        assert player.today == player.this_month <= grown
    assert any(p.this_week > p.today for p in after.values())


async def test_sunday_mid_month_resets_day_and_week_not_month(
    sim_url: str, sim: httpx.AsyncClient
) -> None:
    await move_to(sim, SUNDAY_MID_MONTH)
    before = await fetch(sim_url)
    await advance(sim, 120)  # Monday 2026-11-30 00:01:00
    after = await fetch(sim_url)
    for uid, player in after.items():
        grown = player.all_time - before[uid].all_time
        assert player.this_month == before[uid].this_month + grown
        assert player.today == player.this_week <= grown
    assert any(p.this_month > p.this_week for p in after.values())


def test_period_starts_are_utc_midnight_monday_and_first_of_month() -> None:
    t = dt.datetime(2026, 11, 26, 13, 5, 7, tzinfo=dt.UTC).timestamp()  # a Thursday
    day, week, month = (dt.datetime.fromtimestamp(s, tz=dt.UTC) for s in period_starts(t))
    assert day == dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    assert week == dt.datetime(2026, 11, 23, tzinfo=dt.UTC) and week.weekday() == 0
    assert month == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


# --- controls ----------------------------------------------------------------------------------


async def test_state_reports_time_mode_and_counts(sim_url: str, sim: httpx.AsyncClient) -> None:
    await advance(sim, 90)
    await sim.post("/_sim/mode", json={"mode": "outage", "count": 1, "shape": "results"})
    await sim.get(FEED_PATH)
    state: dict[str, Any] = (await sim.get("/_sim/state")).json()
    assert state["simulatedTime"] == "2026-06-01T00:00:30+00:00"
    assert state["mode"] == "normal" and state["shape"] == "results"
    assert state["requests"] == 1 and state["responses"] == {"503": 1}
    assert state["seed"] == 3 and state["players"] == 400 and state["tokenRequired"] is False


async def test_scripted_feed_and_back_to_generated(sim_url: str, sim: httpx.AsyncClient) -> None:
    rows = [{"uid": "S1", "name": "scripted", "wagered": {"all_time": 1.5}}]
    await sim.post("/_sim/feed", json=rows)
    await sim.post("/_sim/mode", json={"shape": "bare"})
    assert (await sim.get(FEED_PATH)).json() == rows
    await sim.delete("/_sim/feed")
    assert len((await sim.get(FEED_PATH)).json()) == 400


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/_sim/advance", {"seconds": -5}),
        ("/_sim/advance", {}),
        ("/_sim/advance", {"to": "2020-01-01T00:00:00+00:00"}),
        ("/_sim/advance", {"to": "2030-01-01T00:00:00"}),
        ("/_sim/mode", {"mode": "sideways"}),
        ("/_sim/mode", {"shape": "xml"}),
        ("/_sim/feed", {"nothing": True}),
    ],
)
async def test_bad_control_requests_are_refused(
    sim: httpx.AsyncClient, path: str, payload: dict[str, Any]
) -> None:
    response = await sim.post(path, json=payload)
    assert response.status_code == 422


async def test_token_is_checked_when_set() -> None:
    app = create_simulator_app(players=5, token="sekret")
    async with run_asgi_server(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        missing = await http.get(FEED_PATH)
        wrong = await http.get(FEED_PATH, headers={"Authorization": "Bearer nope"})
        right = await http.get(FEED_PATH, headers={"Authorization": "Bearer sekret"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.json() == {"success": False, "message": "Unauthorized"}
    assert right.status_code == 200 and len(right.json()["data"]) == 5


# --- speed -------------------------------------------------------------------------------------


async def test_100k_players_are_served_whole_and_cached_per_time_step() -> None:
    """Speed is measured by the benchmarks (tests/bench); here only the behaviour at that size."""
    app = create_simulator_app(seed=1, players=100_000, clock=lambda: SUNDAY_MID_MONTH)
    async with run_asgi_server(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        await http.get(FEED_PATH)  # warm-up: the period-start baselines
        await http.post("/_sim/advance", json={"seconds": 5})
        new_step = await http.get(FEED_PATH)
        cached = await http.get(FEED_PATH)
    feed: ParsedFeed = parse_feed(cached.content)
    assert len(feed) == 100_000 and cached.content == new_step.content
