"""Benchmark: affiliate sync of 100k (and 200k, 400k; 1M with BENCH_SYNC_1M=1) players.

Run with `make bench` (or `.venv/bin/pytest tests/bench/test_affiliate_sync_bench.py -s
-p no:randomly --override-ini=addopts=`); PostgreSQL too when TEST_DATABASE_URL is set.

Each size syncs twice against a simulator served over real HTTP (its body pre-built, so the figure
is ours): the first sync inserts every player and snapshot into empty tables, the repeated one (one
simulated hour later) updates the players that moved and moves `last_seen_at` of the others.
`BENCH_SYNC_ROUNDS=N` (default 1) repeats the pair on emptied tables and reports every round and
the median; `BENCH_SYNC_SIZES=100000,200000` picks the sizes.

Printed per sync: wall seconds end to end (`sync_once`: download, parse, load, diff, write and
commit, leaderboard rebuild), players per second, the CPU seconds of this process (the rest of the
wall time is the database server, or waiting for a CPU on a loaded machine), the seconds of each
phase, and the growth of the process's peak RSS (tracemalloc would slow it several-fold); plus
the load average, since the machine is shared. It prints figures and asserts nothing about time.
"""

from __future__ import annotations

import os
import resource
import statistics
import time

import httpx
import pytest

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import SyncResult, sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.affiliate.conftest import SIM_TIME
from tests.conftest import empty_all_tables, make_settings
from tests.support.servers import run_asgi_server

DEFAULT_SIZES = [100_000, 200_000, 400_000] + (
    [1_000_000] if os.environ.get("BENCH_SYNC_1M") else []
)
SIZES = [int(n) for n in os.environ.get("BENCH_SYNC_SIZES", "").split(",") if n] or DEFAULT_SIZES
ROUNDS = int(os.environ.get("BENCH_SYNC_ROUNDS", "1"))


class Timed:
    def __init__(self, wall: float, cpu: float, rss_growth: float, result: SyncResult) -> None:
        self.wall, self.cpu, self.rss_growth, self.result = wall, cpu, rss_growth, result

    def line(self, label: str) -> str:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in self.result.phases.items())
        return (
            f"  {label:9s} {self.wall:6.2f} s wall, {self.cpu:5.2f} s CPU here, "
            f"{self.result.changed:>9,d} rows, +{self.rss_growth:4.0f} MiB peak RSS | {phases}"
        )


async def timed_sync(db: Database, settings: Settings, base_url: str) -> Timed:
    async with GoatedClient(
        base_url, None, "BENCH", max_attempts=1, timeout=httpx.Timeout(300)
    ) as client:
        rss_before = _rss_mib()
        cpu, started = time.process_time(), time.perf_counter()
        result = await sync_once(db, settings, client=client, run_hooks=False)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timed(elapsed, cpu, _rss_mib() - rss_before, result)


def _rss_mib() -> float:
    # Peak resident memory of the process so far; the growth over a sync is its peak need.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("players", SIZES)
async def test_sync_speed(players: int, db: Database, database_url: str) -> None:
    settings = make_settings(database_url)
    sim = create_simulator_app(seed=11, players=players, clock=lambda: SIM_TIME)
    firsts: list[Timed] = []
    repeats: list[Timed] = []
    print(f"\nSYNC {db.dialect} {players:,d} players, {_load()}")
    async with (
        run_asgi_server(sim) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=300) as control,
    ):
        feed = f"{base_url}/affiliate/referral-leaderboard/BENCH"
        for round_ in range(1, ROUNDS + 1):
            await empty_all_tables(db)
            (await control.post("/_sim/reset")).raise_for_status()
            # Build the simulator's body outside the timing.
            (await control.get(feed)).raise_for_status()
            firsts.append(await timed_sync(db, settings, base_url))
            (await control.post("/_sim/advance", json={"seconds": 3600})).raise_for_status()
            (await control.get(feed)).raise_for_status()
            repeats.append(await timed_sync(db, settings, base_url))
            print(firsts[-1].line(f"first #{round_}"))
            print(repeats[-1].line(f"again #{round_}"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = statistics.median(t.wall for t in firsts)
    again = statistics.median(t.wall for t in repeats)
    print(
        f"SYNC {db.dialect:10s} {players:>9,d} players | median of {ROUNDS}: first {first:6.2f} s "
        f"({players / first:,.0f}/s), repeated {again:6.2f} s "
        f"({repeats[-1].result.changed:,d} changed) | peak RSS growth "
        f"+{max(t.rss_growth for t in firsts + repeats):,.0f} MiB, max RSS {rss:,.0f} MiB | "
        f"{_load()}"
    )
    await empty_all_tables(db)
