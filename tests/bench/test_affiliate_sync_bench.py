"""Benchmark: affiliate sync of 100k (and 200k, 400k; 1M with BENCH_SYNC_1M=1) players.

Run with `make bench` (or `.venv/bin/pytest tests/bench/test_affiliate_sync_bench.py -s
--override-ini=addopts=`); PostgreSQL too when TEST_DATABASE_URL is set. Each size syncs twice
against a simulator served over real HTTP (its body pre-built, so the figure is ours): the first
sync inserts every player and snapshot, the repeated one (one simulated hour later) updates the
players that moved. Printed: seconds per sync, the database part, players per second, and the
growth of the process's peak RSS during each sync (tracemalloc would slow it
several-fold) plus the final max RSS.
"""

from __future__ import annotations

import os
import resource
import time

import httpx
import pytest

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.db import Database
from tests.affiliate.conftest import SIM_TIME
from tests.conftest import empty_all_tables, make_settings
from tests.support.servers import run_asgi_server

SIZES = [100_000, 200_000, 400_000] + ([1_000_000] if os.environ.get("BENCH_SYNC_1M") else [])
LIMIT_100K_SECONDS = 5.0


async def timed_sync(db: Database, settings, base_url: str) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    async with GoatedClient(
        base_url, None, "BENCH", max_attempts=1, timeout=httpx.Timeout(120)
    ) as client:
        rss_before = _rss_mib()
        started = time.perf_counter()
        result = await sync_once(db, settings, client=client, run_hooks=False)
        elapsed = time.perf_counter() - started
    return elapsed, _rss_mib() - rss_before, result


def _rss_mib() -> float:
    # Peak resident memory of the process so far; the growth over a sync is its peak need.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("players", SIZES)
async def test_sync_speed(players: int, db: Database, database_url: str) -> None:
    settings = make_settings(database_url)
    sim = create_simulator_app(seed=11, players=players, clock=lambda: SIM_TIME)
    await empty_all_tables(db)
    async with (
        run_asgi_server(sim) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=120) as control,
    ):
        feed = f"{base_url}/affiliate/referral-leaderboard/BENCH"
        (
            await control.get(feed)
        ).raise_for_status()  # build the simulator's body outside the timing
        first, first_peak, first_result = await timed_sync(db, settings, base_url)
        (await control.post("/_sim/advance", json={"seconds": 3600})).raise_for_status()
        (await control.get(feed)).raise_for_status()
        again, again_peak, again_result = await timed_sync(db, settings, base_url)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nSYNC {db.dialect:10s} {players:>9,d} players | first {first:6.2f} s "
        f"({players / first:,.0f}/s, {first_result.changed:,d} rows, +{first_peak:,.0f} MiB peak RSS) | "
        f"repeated {again:6.2f} s ({again_result.changed:,d} changed, +{again_peak:,.0f} MiB) "
        f"| max RSS {rss:,.0f} MiB"
    )
    await empty_all_tables(db)
    if players == 100_000:
        assert first <= LIMIT_100K_SECONDS and again <= LIMIT_100K_SECONDS
