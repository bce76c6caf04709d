"""Benchmark: GET /api/leaderboard?period=month&limit=100 under wrk, next to nginx serving the same
bytes as a static file at the same path, measured side by side in one run.

`make bench`, or:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
      .venv/bin/pytest tests/bench/test_leaderboard_bench.py -s -p no:randomly --override-ini=addopts=

The database (PostgreSQL when TEST_DATABASE_URL is set, else SQLite) is synced from the simulator
(BENCH_LB_PLAYERS players, default 100k). The site runs as `goatedvips run --server S --workers N`
(production settings, jobs off) for each server S of BENCH_LB_SERVERS (default: uvicorn, and
granian when installed); nginx runs with the same number of worker processes N (BENCH_LB_WORKERS,
default 2 on PostgreSQL; SQLite serves one process, so 1 there). Every server is started here on
a free loopback port and checked to answer the very same body.

Each measurement is wrk with 2 threads and 64 connections: a warm-up (BENCH_WRK_WARMUP seconds,
default 2; it also makes every worker build its snapshot) then BENCH_WRK_SECONDS (default 10)
measured. nginx is measured first and last, the app servers between; the ratio is against the
mean of the two nginx runs. Printed: requests/s, p50 and p99 latency, errors, the ratio and the
load average. It prints figures and asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.db import Database
from goatedvips.migrate import upgrade
from tests.conftest import make_settings
from tests.support.databases import create_pg_database, drop_pg_database, pg_server_url

PLAYERS = int(os.environ.get("BENCH_LB_PLAYERS", "100000"))
WARMUP = os.environ.get("BENCH_WRK_WARMUP", "2")
DURATION = os.environ.get("BENCH_WRK_SECONDS", "10")
CONNECTIONS = 64
PATH = "/api/leaderboard?period=month&limit=100"
NGINX_CONF = """
{user}
worker_processes {workers};
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


@dataclass
class Figures:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self) -> str:
        errors = f", {self.errors} errors" if self.errors else ""
        return (
            f"{self.name:24s} {self.rps:>9,.0f} req/s  p50 {self.p50_ms:6.2f} ms  "
            f"p99 {self.p99_ms:6.2f} ms{errors}"
        )


def nginx_user() -> str:
    # As root nginx's workers drop to `nobody`, who can't read pytest's private tmp dirs.
    return "user root;" if os.geteuid() == 0 else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name: str, url: str, seconds: str) -> Figures:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(*re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups())  # type: ignore[union-attr]
    p99 = _ms(*re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups())  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Figures(name, rps, p50, p99, errors + (int(non_2xx.group(1)) if non_2xx else 0))


def measure(name: str, url: str) -> Figures:
    wrk(name, url, WARMUP)
    return wrk(name, url, DURATION)


async def seed(url: str) -> None:
    sim = create_simulator_app(seed=5, players=PLAYERS)
    db = Database(url)
    async with GoatedClient(
        "http://sim",
        None,
        "BENCH",
        transport=httpx.ASGITransport(app=sim),
        max_attempts=1,
        timeout=httpx.Timeout(300),
    ) as client:
        await sync_once(db, make_settings(url), client=client, run_hooks=False)
    await db.dispose()


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def servers() -> list[str]:
    default = "uvicorn,granian" if importlib.util.find_spec("granian") else "uvicorn"
    return [s for s in os.environ.get("BENCH_LB_SERVERS", default).split(",") if s]


@pytest.mark.timeout(1800)
def test_leaderboard_throughput_next_to_nginx(tmp_path: Path) -> None:
    if not (shutil.which("wrk") and Path("/usr/sbin/nginx").exists()):
        pytest.skip("needs wrk and nginx")
    server_url = pg_server_url()
    url = (
        create_pg_database(server_url, prefix="gv_bench")
        if server_url
        else f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    )
    workers = int(os.environ.get("BENCH_LB_WORKERS", "2" if server_url else "1"))
    results: list[Figures] = []
    try:
        upgrade(url)
        asyncio.run(seed(url))
        env = {
            **os.environ,
            "GOATEDVIPS_ENV": "production",
            "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": url,
            "GOATED_API_BASE_URL": "http://127.0.0.1:9/unused",
            "JOBS_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
        }
        (tmp_path / "www").mkdir()
        nginx_port = free_port()
        nginx_url = f"http://127.0.0.1:{nginx_port}{PATH}"
        (tmp_path / "nginx.conf").write_text(
            NGINX_CONF.format(tmp=tmp_path, port=nginx_port, user=nginx_user(), workers=workers)
        )
        body: bytes | None = None
        app_figures: list[Figures] = []
        nginx_runs: list[Figures] = []
        for server in servers():
            port = free_port()
            app_url = f"http://127.0.0.1:{port}{PATH}"
            goatedvips = str(Path(sys.executable).with_name("goatedvips"))
            command = [goatedvips, "run", "--server", server, "--workers", str(workers)]
            app = subprocess.Popen([*command, "--port", str(port)], env=env)
            try:
                wait_up(app_url, app)
                answer = httpx.get(app_url)
                assert answer.status_code == 200
                if body is None:
                    body = answer.content
                    (tmp_path / "www" / "board.json").write_bytes(body)
                    nginx = subprocess.Popen(
                        ["/usr/sbin/nginx", "-c", str(tmp_path / "nginx.conf")]
                    )
                    try:
                        wait_up(nginx_url, nginx)
                        assert httpx.get(nginx_url).content == body
                        nginx_runs.append(measure(f"nginx x{workers} (first)", nginx_url))
                    finally:
                        stop(nginx)
                assert answer.content == body, "every server must answer the same bytes"
                app_figures.append(measure(f"{server} x{workers}", app_url))
            finally:
                stop(app)
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(tmp_path / "nginx.conf")])
        try:
            wait_up(nginx_url, nginx)
            nginx_runs.append(measure(f"nginx x{workers} (last)", nginx_url))
        finally:
            stop(nginx)
        results = [nginx_runs[0], *app_figures, nginx_runs[-1]]
    finally:
        if server_url:
            drop_pg_database(url)
    assert body is not None
    nginx_rps = sum(f.rps for f in nginx_runs) / len(nginx_runs)
    database = "PostgreSQL" if server_url else "SQLite"
    print(
        f"\nLEADERBOARD {PLAYERS:,d} players ({database}), {len(body):,d} bytes, GET {PATH}, "
        f"wrk -t2 -c{CONNECTIONS} -d{DURATION}s after {WARMUP}s warm-up, "
        f"{workers} worker process(es) each"
    )
    for figures in results:
        ratio = f"  {figures.rps / nginx_rps:5.1%} of nginx" if "nginx" not in figures.name else ""
        print("  " + figures.line() + ratio)
    print("  load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
