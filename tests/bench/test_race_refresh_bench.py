"""Benchmark: the after-sync refresh of a live monthly race with ~100k players, and its reads.

Run with `.venv/bin/pytest tests/bench/test_race_refresh_bench.py -s -p no:randomly
--override-ini=addopts=` (PostgreSQL too when TEST_DATABASE_URL is set; `BENCH_RACE_PLAYERS`
picks the size, default 100000).

100k players are synced from the simulator over real HTTP with the real affiliate sync (hooks off,
so the refresh is timed on its own), one monthly race over the current month is live. Printed:
the refresh after the first sync (every participant inserted) and after a second sync one
simulated hour later (the movers updated), then cold and warm times of `GET /api/races/current`,
`GET /api/races/{id}?offset=50000`, `GET /races` and the standings fragment, through the
in-process app. It prints figures and asserts nothing about time.
"""

from __future__ import annotations

import os
import statistics
import time
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.races import lifecycle
from goatedvips.races.models import WagerRaceParticipant
from goatedvips.races.windows import window_for
from tests.affiliate.conftest import SIM_TIME
from tests.races.conftest import add_race
from tests.support.servers import run_asgi_server

PLAYERS = int(os.environ.get("BENCH_RACE_PLAYERS", "100000"))


async def _sync(db: Database, settings: Settings, base_url: str) -> float:
    async with GoatedClient(
        base_url, None, "BENCH", max_attempts=1, timeout=httpx.Timeout(300)
    ) as client:
        started = time.perf_counter()
        await sync_once(db, settings, client=client, run_hooks=False)
        return time.perf_counter() - started


async def _refresh(db: Database, race_id: int) -> float:
    async with db.sessionmaker() as session:
        started = time.perf_counter()
        assert await lifecycle.refresh_standings(session, race_id)
        return time.perf_counter() - started


async def _get(client: httpx.AsyncClient, path: str, times: int = 5) -> tuple[float, float]:
    """(first request ms, median of the next ones ms)."""
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        response = await client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:200]
    return spent[0], statistics.median(spent[1:])


@pytest.mark.timeout(3600)
async def test_race_refresh_and_reads(
    db: Database, settings: Settings, client: httpx.AsyncClient
) -> None:
    start, end = window_for("monthly", utcnow())
    race_id = await add_race(
        db,
        title="Bench monthly",
        type="monthly",
        status="live",
        start_date=start,
        end_date=end,
        prize_pool=Decimal("10000.00"),
        prize_distribution={str(i): "10" for i in range(1, 11)},
        min_wager=Decimal("100.00"),
    )
    sim = create_simulator_app(seed=11, players=PLAYERS, clock=lambda: SIM_TIME)
    print(f"\nRACE {db.dialect} {PLAYERS:,d} players, load {os.getloadavg()[0]:.2f}")
    async with (
        run_asgi_server(sim) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=300) as control,
    ):
        feed = f"{base_url}/affiliate/referral-leaderboard/BENCH"
        (await control.get(feed)).raise_for_status()
        sync1 = await _sync(db, settings, base_url)
        first = await _refresh(db, race_id)
        async with db.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).where(WagerRaceParticipant.race_id == race_id)
            )
        print(f"  sync {sync1:6.2f} s; refresh (all inserted): {first:6.2f} s, {count:,d} rows")
        again = await _refresh(db, race_id)
        print(f"  refresh, nothing changed:              {again:6.2f} s")
        (await control.post("/_sim/advance", json={"seconds": 3600})).raise_for_status()
        (await control.get(feed)).raise_for_status()
        sync2 = await _sync(db, settings, base_url)
        moved = await _refresh(db, race_id)
        print(f"  sync {sync2:6.2f} s; refresh after an hour of wagers: {moved:6.2f} s")
    for path in (
        "/api/races/current",
        f"/api/races/{race_id}?offset=50000&limit=100",
        "/races",
        f"/races/{race_id}/standings",
    ):
        cold, warm = await _get(client, path)
        print(f"  GET {path:40s} first {cold:8.1f} ms, then median {warm:8.1f} ms")
