"""Benchmark: GET /api/leaderboard?period=month&limit=100 under wrk, next to nginx serving the same
bytes as a static file, measured side by side in one run.

`make bench` (or `.venv/bin/pytest tests/bench/test_leaderboard_bench.py -s --override-ini=addopts=`).
The app runs as `uvicorn goatedvips.asgi:app` (one worker, jobs off) on a SQLite database synced
from the simulator (BENCH_LB_PLAYERS players, default 100k); nginx runs with one worker process.
Printed: requests/s of both, the ratio, and p99 latency of both (wrk --latency, 64 connections).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.db import Database
from goatedvips.migrate import upgrade
from tests.conftest import make_settings

PLAYERS = int(os.environ.get("BENCH_LB_PLAYERS", "100000"))
DURATION = os.environ.get("BENCH_WRK_SECONDS", "10")
PATH = "/api/leaderboard?period=month&limit=100"
NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {tmp}/www; default_type application/json; try_files /board.json =404; }}
  }}
}}
"""


def nginx_user() -> str:
    # As root nginx's workers drop to `nobody`, who can't read pytest's private tmp dirs.
    return "user root;" if os.geteuid() == 0 else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{DURATION}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99_ms


async def seed(url: str) -> None:
    sim = create_simulator_app(seed=5, players=PLAYERS)
    db = Database(url)
    async with GoatedClient(
        "http://sim", None, "BENCH", transport=httpx.ASGITransport(app=sim), max_attempts=1
    ) as client:
        await sync_once(db, make_settings(url), client=client, run_hooks=False)
    await db.dispose()


@pytest.mark.timeout(900)
def test_leaderboard_throughput_next_to_nginx(tmp_path: Path) -> None:
    if not (shutil.which("wrk") and Path("/usr/sbin/nginx").exists()):
        pytest.skip("needs wrk and nginx")
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    asyncio.run(seed(url))
    app_port, nginx_port = free_port(), free_port()
    env = {
        **os.environ,
        "GOATEDVIPS_ENV": "production",
        "SECRET_KEY": "bench-" + "x" * 40,
        "DATABASE_URL": url,
        "GOATED_API_BASE_URL": "http://127.0.0.1:9/unused",
        "JOBS_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "goatedvips.asgi:app",
            "--port",
            str(app_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    nginx = None
    try:
        app_url = f"http://127.0.0.1:{app_port}{PATH}"
        wait_up(app_url)
        body = httpx.get(app_url).content
        (tmp_path / "www").mkdir()
        (tmp_path / "www" / "board.json").write_bytes(body)
        (tmp_path / "nginx.conf").write_text(
            NGINX_CONF.format(tmp=tmp_path, port=nginx_port, user=nginx_user())
        )
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(tmp_path / "nginx.conf")])
        nginx_url = f"http://127.0.0.1:{nginx_port}{PATH}"
        wait_up(nginx_url)
        assert httpx.get(nginx_url).content == body
        wrk(app_url)  # warm-up
        app_rps, app_p99 = wrk(app_url)
        nginx_rps, nginx_p99 = wrk(nginx_url)
    finally:
        app.terminate()
        app.wait(10)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
    ratio = app_rps / nginx_rps
    print(
        f"\nLEADERBOARD {PLAYERS:,d} players, {len(body):,d} bytes, 64 connections: "
        f"app {app_rps:,.0f} req/s p99 {app_p99:.2f} ms | nginx {nginx_rps:,.0f} req/s "
        f"p99 {nginx_p99:.2f} ms | ratio {ratio:.0%}"
    )
    assert ratio >= 0.25 and app_p99 <= 20
