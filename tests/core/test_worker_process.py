"""The job process (`goatedvips worker`, which `goatedvips run` starts) publishes its live race
updates through Redis, so pages served by the web processes hear them."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import goatedvips.models  # noqa: F401  (every table mapped: this test writes a race directly)
from goatedvips import live
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.db import Database, utcnow
from tests.races.conftest import add_race
from tests.support.servers import run_asgi_server

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set"
)
WAIT = 60.0


@pytest.fixture
def sim_url() -> Iterator[str]:
    with run_asgi_server(create_simulator_app(seed=7, players=30)) as base_url:
        yield base_url


async def test_the_job_process_s_race_updates_reach_the_web_through_redis(
    tmp_path: Path, sim_url: str
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"
    prefix = f"test-worker-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "JOBS_ENABLED")}
    env |= {
        "GOATEDVIPS_ENV": "development",
        "DATABASE_URL": database_url,
        "DEMO_DATA": "false",
        "GOATED_API_BASE_URL": sim_url,
        "GOATED_API_TOKEN": "T",
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "REDIS_KEY_PREFIX": prefix,
    }
    command = [sys.executable, "-m", "goatedvips"]
    await asyncio.to_thread(
        subprocess.run,
        [*command, "migrate"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    db = Database(database_url)
    now = utcnow()
    race_id = await add_race(
        db, start_date=now - dt.timedelta(days=1), end_date=now + dt.timedelta(days=1)
    )
    await db.dispose()

    web = live.Broker(os.environ["TEST_REDIS_URL"], prefix)  # as a web process has it
    page = await web.open(f"race:{race_id}")
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = await asyncio.to_thread(
            subprocess.Popen,
            [*command, "worker"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        message = await asyncio.wait_for(page.next(), WAIT)
        assert f'"raceId": {race_id}' in message and '"standings"' in message
    except TimeoutError:
        tail = log.read_text()[-3000:]
        raise AssertionError(f"no update from the job process:\n{tail}") from None
    finally:
        page.close()
        await web.close()
        worker.terminate()
        assert await asyncio.to_thread(worker.wait, 30) == 0  # stops cleanly on SIGTERM
