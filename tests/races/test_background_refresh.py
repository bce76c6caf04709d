"""A scheduled sync leaves the live races' refresh to the background (goatedvips.affiliate.jobs):
the next sync doesn't wait for it, syncs that land meanwhile are refreshed once with the latest,
and a refresh that overlaps the freeze of its race never writes over the frozen result."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from goatedvips.affiliate import jobs as affiliate_jobs
from goatedvips.affiliate.service import SyncResult
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.jobs import JobContext
from goatedvips.races import lifecycle
from tests.conftest import make_settings
from tests.races.conftest import Feed, add_race, load_race, player, standings
from tests.support.servers import run_asgi_server

WAIT = 30.0


@pytest.fixture
def sim_url() -> Iterator[str]:
    with run_asgi_server(create_simulator_app(seed=5, players=40)) as base_url:
        yield base_url


async def test_a_scheduled_sync_returns_before_the_race_refresh_which_follows_it(
    clean_db: Database, database_url: str, sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    race_id = await add_race(
        clean_db, start_date=now - dt.timedelta(days=1), end_date=now + dt.timedelta(days=1)
    )
    settings = make_settings(database_url, goated_api_base_url=sim_url, goated_api_token="T")
    ctx = JobContext(db=clean_db, settings=settings)
    release = asyncio.Event()
    seen: list[int] = []
    real_hooks = affiliate_jobs.run_after_sync_hooks

    async def held_hooks(ctx: JobContext, result: SyncResult) -> None:
        await release.wait()  # the refresh is slow: the scheduled sync must not wait for it
        seen.append(result.sync_run_id)
        await real_hooks(ctx, result)

    monkeypatch.setattr(affiliate_jobs, "run_after_sync_hooks", held_hooks)
    runner = affiliate_jobs.HooksInBackground()
    monkeypatch.setattr(affiliate_jobs, "hooks", runner)

    before = (await load_race(clean_db, race_id)).updated_at
    for _ in range(3):  # three syncs land while the first refresh is held
        await asyncio.wait_for(affiliate_jobs.scheduled_sync(ctx), WAIT)
    assert (await load_race(clean_db, race_id)).updated_at == before  # not refreshed yet
    release.set()
    assert runner.task is not None
    await asyncio.wait_for(runner.task, WAIT)
    # The first sync's refresh, then one more with the latest sync only (the second is skipped).
    latest = await _latest_sync_id(clean_db)
    assert seen == [latest - 2, latest]
    assert (await load_race(clean_db, race_id)).updated_at > before  # the race followed


async def _latest_sync_id(db: Database) -> int:
    from sqlalchemy import func, select

    from goatedvips.affiliate.models import SyncRun

    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.max(SyncRun.id))) or 0)


async def test_a_refresh_overlapping_the_freeze_leaves_the_frozen_result_alone(
    clean_db: Database, feed: Feed, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    end = utcnow().replace(microsecond=0)
    race_id = await add_race(
        clean_db,
        start_date=end - dt.timedelta(hours=10),
        end_date=end,
        prize_distribution={"1": "100"},
    )
    await feed.sync_at(end - dt.timedelta(hours=11), [player("u1", "One"), player("u2", "Two")])
    await feed.sync_at(
        end - dt.timedelta(hours=1),
        [player("u1", "One", all_time=500), player("u2", "Two", all_time=900)],
    )
    real_compute = lifecycle.compute_result
    froze: list[bool] = []

    async def compute_then_freeze(session: Any, race: Any) -> Any:
        result = await real_compute(session, race)
        if not froze:  # the refresh has read its standings; now the freeze runs and commits
            froze.append(True)
            async with clean_db.sessionmaker() as other:
                after_end = end + dt.timedelta(minutes=1)
                assert await lifecycle.finalize_race(other, race_id, now=after_end)
            frozen.extend(await standings(clean_db, race_id))
        return result

    frozen: list[Any] = []
    monkeypatch.setattr(lifecycle, "compute_result", compute_then_freeze)
    refreshed = await _refresh_started_before_the_end(clean_db, race_id, end)
    assert refreshed is False and froze
    race = await load_race(clean_db, race_id)
    assert race.status == "completed" and race.finalized_at is not None
    assert await standings(clean_db, race_id) == frozen  # not one row rewritten by the refresh
    assert [(uid, prize) for _, uid, _, _, prize, _ in frozen] == [
        ("u2", Decimal("1000.00")),
        ("u1", Decimal("0.00")),
    ]


async def _refresh_started_before_the_end(db: Database, race_id: int, end: dt.datetime) -> bool:
    async with db.sessionmaker() as session:
        return await lifecycle.refresh_standings(
            session, race_id, now=end - dt.timedelta(minutes=5)
        )
