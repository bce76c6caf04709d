"""Demo data: what `seed_demo` creates, that a second run creates nothing, and that `goatedvips
run` in development serves a synced leaderboard and a live race with standings within a minute."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from goatedvips.accounts.models import User
from goatedvips.admin.models import AppSetting, AuditLog
from goatedvips.affiliate.privacy import load_privacy
from goatedvips.bonuses import service as bonuses
from goatedvips.bonuses.models import BonusCode
from goatedvips.challenges import service as challenges
from goatedvips.db import Base, Database, utcnow
from goatedvips.demo import MARKER_KEY, seed_demo
from goatedvips.races.models import WagerRace
from goatedvips.races.windows import window_for
from goatedvips.schemas import Paging
from tests.conftest import make_settings

STARTUP_DEADLINE_SECONDS = 60.0


async def row_counts(db: Database) -> dict[str, int]:
    """Rows per table: a second run must leave every one of them unchanged."""
    async with db.sessionmaker() as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


async def test_seed_creates_the_demo_once(database_url: str, clean_db: Database) -> None:
    settings = make_settings(database_url)
    assert await seed_demo(settings) is True
    seeded = await row_counts(clean_db)
    assert await seed_demo(settings) is False
    assert await row_counts(clean_db) == seeded

    now = utcnow()
    async with clean_db.sessionmaker() as session:
        assert await session.get(AppSetting, MARKER_KEY) is not None
        live = {
            r.type: r
            for r in await session.scalars(select(WagerRace).where(WagerRace.status == "live"))
        }
        assert set(live) == {"monthly", "weekly"}
        for race_type, race in live.items():
            assert (race.start_date, race.end_date) == window_for(race_type, now)
        upcoming = await session.scalar(select(func.count()).where(WagerRace.status == "upcoming"))
        assert upcoming == 2  # next month's and next week's, from the templates

        _, active = await challenges.list_challenges(session, status="active", paging=Paging())
        assert active and all(v.places_left > 0 and v.is_open for v in active)
        _, coming = await challenges.list_challenges(session, status="upcoming", paging=Paging())
        assert [v.challenge.game for v in coming] == ["Mines"]

        open_drops, _ = await bonuses.active_drops(session, paging=Paging())
        assert open_drops == 3
        expired = list(await session.scalars(select(BonusCode).where(BonusCode.expired)))
        assert [c.code for c in expired] == ["DEMO-OLD5"]
        prize_values = await session.scalars(
            select(BonusCode.value).where(BonusCode.purpose == "prize")
        )
        # The prize pool pays the active challenges' prizes.
        assert {v.challenge.prize_amount for v in active} <= set(prize_values)

        assert await session.scalar(select(func.count()).select_from(User)) == 0
        assert (await load_privacy(session)).excluded == frozenset()
        actors = set(await session.scalars(select(AuditLog.actor)))
        assert "demo" in actors and all(a in ("demo", "races.templates") for a in actors)


async def test_a_run_cut_short_is_completed_without_duplicates(
    database_url: str, clean_db: Database
) -> None:
    settings = make_settings(database_url)
    await seed_demo(settings)
    complete = await row_counts(clean_db)
    async with clean_db.sessionmaker() as session:  # as if it had stopped before the marker
        marker = await session.get(AppSetting, MARKER_KEY)
        await session.delete(marker)
        await session.commit()
    assert await seed_demo(settings) is True
    assert await row_counts(clean_db) == complete


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    jobs_metrics_url: str

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


@pytest.fixture
def running_site(tmp_path: Path) -> Iterator[Site]:
    """`goatedvips run` as `make run` starts it: development, SQLite, built-in simulator."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEMO_DATA", "JOBS_ENABLED", "GOATED_SYNC_INTERVAL_SECONDS")
    }
    env |= {
        "GOATEDVIPS_ENV": "development",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
    }
    jobs_metrics_port = free_port()
    env["JOBS_METRICS_PORT"] = str(jobs_metrics_port)
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "goatedvips", "run", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Site(
            f"http://127.0.0.1:{port}",
            log_path,
            process,
            f"http://127.0.0.1:{jobs_metrics_port}/metrics",
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(site: Site, what: str, ready: Callable[[], Any]) -> Any:
    """Poll until `ready()` returns something truthy (connection errors mean not yet)."""
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            raise AssertionError(
                f"goatedvips run exited while waiting for {what}:\n{site.log_tail()}"
            )
        try:
            result = ready()
        except httpx.TransportError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(
        f"{what} not ready within {STARTUP_DEADLINE_SECONDS:.0f} s; log:\n{site.log_tail()}"
    )


def test_run_serves_synced_demo_data_within_a_minute(running_site: Site) -> None:
    with httpx.Client(base_url=running_site.base_url, timeout=10) as http:

        def synced() -> bool:
            body = http.get("/health").json()
            return body["affiliate"]["lastSuccessAt"] is not None and not body["affiliate"]["stale"]

        def race_with_standings() -> dict[str, Any] | None:
            response = http.get("/api/races/current")
            body = response.json() if response.status_code == 200 else {}
            return body if body.get("standings") else None

        wait_for(running_site, "the first affiliate sync", synced)
        board = http.get("/api/leaderboard", params={"period": "all_time"}).json()
        assert board["total"] > 0 and board["entries"][0]["rank"] == 1
        race = wait_for(running_site, "the live race's standings", race_with_standings)
        assert (race["type"], race["status"]) == ("monthly", "live")
        assert race["standings"][0]["rank"] == 1
        drops = http.get("/api/bonus-codes").json()
        assert drops["total"] == 3

        # The jobs ran in the job process `run` started, not in the web process.
        jobs = http.get(running_site.jobs_metrics_url).text
        assert "goatedvips_jobs_leader 1.0" in jobs
        assert 'goatedvips_job_runs_total{job="affiliate-sync",outcome="ok"}' in jobs
        web = http.get("/metrics").text
        assert "goatedvips_jobs_leader 0.0" in web and 'job="affiliate-sync"' not in web

    # Stopping `run` stops its job process too.
    running_site.process.terminate()
    running_site.process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(running_site.jobs_metrics_url, timeout=1)
        except httpx.TransportError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the job process outlived `goatedvips run`")
