"""`goatedvips sync` as operators run it: a real process against the simulator over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.affiliate.conftest import SIM_PLAYERS, set_mode


def run_sync(database_url: str, sim_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GOATEDVIPS_ENV": "development",
        "DATABASE_URL": database_url,
        "GOATED_API_BASE_URL": sim_url,
        "GOATED_API_TOKEN": "test-token",
        "DEMO_DATA": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "goatedvips", "sync"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


async def test_cli_sync_prints_a_summary_or_one_line_on_failure(
    tmp_path: Path, sim: httpx.AsyncClient, sim_url: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    done = run_sync(url, sim_url)
    assert done.returncode == 0, done.stderr
    assert f"{SIM_PLAYERS} players, {SIM_PLAYERS} changed" in done.stdout

    await set_mode(sim, mode="unauthorized")
    failed = run_sync(url, sim_url)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert lines[-1].startswith("goatedvips: sync failed: Goated API token rejected (HTTP 401)")
    assert "Traceback" not in failed.stderr
    assert "test-token" not in failed.stderr + failed.stdout


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set")
async def test_cli_sync_on_postgresql(
    database_url: str, sim: httpx.AsyncClient, sim_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL run of this test")
    done = run_sync(database_url, sim_url)
    assert done.returncode == 0, done.stderr
    assert "players" in done.stdout
    from goatedvips.db import Database
    from tests.conftest import empty_all_tables

    db = Database(database_url)
    await empty_all_tables(db)
    await db.dispose()
