#!/usr/bin/env python3
"""Load test: many concurrent viewers while the affiliate sync runs every few seconds.

Starts, on loopback only:
  1. the Goated simulator with `--players` players (`goatedvips simulator`),
  2. the site (`goatedvips run`: `--workers` web processes and the job process it starts,
     GOATED_SYNC_INTERVAL_SECONDS=5, demo races seeded) on a fresh SQLite file (one web process)
     or a fresh PostgreSQL database,
then, once the first sync has landed and a race is live, runs wrk with `--connections`
connections for `--duration` seconds rotating /races, /api/races/current, /leaderboard and
/api/leaderboard?period=month (bench/load/rotate.lua), and reports throughput, p50/p99 latency,
errors (non-2xx and socket errors), the syncs that completed during the run and the job process's
job runs and mean durations since start (its /metrics on JOBS_METRICS_PORT). Everything it
started is stopped and the PostgreSQL database dropped at the end.

    .venv/bin/python bench/load/run_load.py --db sqlite
    .venv/bin/python bench/load/run_load.py --db postgresql --workers 2 \\
        --pg postgresql://postgres@127.0.0.1:5432/test

Not part of the test suite; see docs/load-and-faults.md for the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
LUA = Path(__file__).with_name("rotate.lua")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def wait_for(what: str, check: Any, deadline_s: float, procs: list[subprocess.Popen[bytes]]) -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"{what}: a child process exited with {proc.returncode}")
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"{what}: not ready after {deadline_s:.0f} s")


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM this child's own process group (uvicorn and its workers), then SIGKILL."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class Runs:
    """Reads sync_runs straight from the database (sqlite3 / psycopg, no app code)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[1]
            with sqlite3.connect(path, timeout=30) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo) as conn:
            return conn.execute(sql, params).fetchall()

    def max_id(self) -> int:
        return int(self._rows("SELECT coalesce(max(id), 0) FROM sync_runs")[0][0])

    def since(self, run_id: int) -> list[tuple[Any, ...]]:
        return self._rows(
            "SELECT id, status, started_at, finished_at, duration_ms, changed FROM sync_runs "
            "WHERE id > %s ORDER BY id",
            (run_id,),
        )


def as_utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    result: dict[str, Any] = {"statuses": {}}
    if m := re.search(r"(\d+) requests in ([\d.]+)(\w+),", out):
        result["requests"] = int(m.group(1))
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+\w+)", out, re.M):
            result[f"p{pct}_ms"] = round(ms(m.group(1)), 1)
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        keys = ("connect", "read", "write", "timeout")
        result["socket_errors"] = dict(zip(keys, map(int, m.groups()), strict=True))
    else:
        result["socket_errors"] = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx_3xx"] = int(m.group(1)) if m else 0
    for status, count in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M):
        result["statuses"][status] = int(count)
    return result


def job_durations(metrics_url: str) -> dict[str, dict[str, float]]:
    """Runs and mean seconds of each scheduled job since the job process started."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=30) as response:
            text = response.read().decode()
    except OSError:
        return {}
    found: dict[str, dict[str, float]] = {}
    pattern = r'^goatedvips_job_duration_seconds_(sum|count)\{job="([^"]+)"\} ([\d.e+-]+)$'
    for kind, job, value in re.findall(pattern, text, re.M):
        found.setdefault(job, {})[kind] = float(value)
    return {
        job: {"runs": v.get("count", 0), "mean_s": round(v["sum"] / v["count"], 2)}
        for job, v in found.items()
        if v.get("count")
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--workers", type=int, default=None, help="default: 1 on SQLite, 2 on PG")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--timeout", default="5s", help="wrk's per-request timeout")
    parser.add_argument("--redis", default="", help="REDIS_URL for the app (default: none)")
    parser.add_argument(
        "--settle", type=int, default=0, help="seconds to wait after the first sync before wrk"
    )
    parser.add_argument("--json-out", default="")
    args = parser.parse_args()
    workers = args.workers or (1 if args.db == "sqlite" else 2)

    work = Path(tempfile.mkdtemp(prefix="gv-load-"))
    pg_url = ""
    if args.db == "sqlite":
        db_url = f"sqlite:///{work / 'load.db'}"
    else:
        from tests.support.databases import create_pg_database, pg_server_url

        if not args.pg:
            raise SystemExit("--pg (or TEST_DATABASE_URL) is needed for --db postgresql")
        os.environ["TEST_DATABASE_URL"] = args.pg
        pg_url = create_pg_database(pg_server_url() or args.pg, prefix="gv_load")
        db_url = pg_url
    sim_port, app_port, jobs_port = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GOATED", "REDIS", "SMTP"))},
        "GOATEDVIPS_ENV": "development",
        "DATABASE_URL": db_url,
        "SECRET_KEY": "load-test-secret-key-" + "x" * 32,
        "GOATED_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
        "GOATED_SYNC_INTERVAL_SECONDS": "5",
        "DEMO_DATA": "true",
        "LOG_LEVEL": "WARNING",
        "BASE_URL": f"http://127.0.0.1:{app_port}",
        "JOBS_METRICS_PORT": str(jobs_port),
    }
    if args.redis:
        env["REDIS_URL"] = args.redis
        env["REDIS_KEY_PREFIX"] = f"gv-load-{os.getpid()}"
    cli = str(VENV_BIN / "goatedvips")
    procs: list[subprocess.Popen[bytes]] = []
    base = f"http://127.0.0.1:{app_port}"
    try:
        t = time.monotonic()
        procs.append(
            start(
                [cli, "simulator", "--players", str(args.players), "--port", str(sim_port)],
                env,
                work / "simulator.log",
            )
        )
        wait_for(
            "simulator",
            lambda: get_json(f"http://127.0.0.1:{sim_port}/_sim/state")[0] == 200,
            300,
            procs,
        )
        print(f"simulator up ({args.players} players) in {time.monotonic() - t:.1f} s", flush=True)
        t = time.monotonic()
        procs.append(
            start(
                [
                    cli,
                    "run",
                    "--port",
                    str(app_port),
                    "--workers",
                    str(workers),
                    "--server",
                    args.server,
                ],
                env,
                work / "app.log",
            )
        )

        def first_sync() -> bool:
            status, body = get_json(f"{base}/health")
            return bool(status == 200 and body["affiliate"]["lastSuccessAt"])

        wait_for("first sync", first_sync, 300, procs)
        wait_for("a live race", lambda: get_json(f"{base}/api/races/current")[0] == 200, 120, procs)
        print(f"app up, first sync done, race live in {time.monotonic() - t:.1f} s", flush=True)

        if args.settle:
            time.sleep(args.settle)  # let the after-sync work of the first sync finish
        runs = Runs(db_url)
        before = runs.max_id()
        started = dt.datetime.now(dt.UTC)
        wrk = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--timeout",
                args.timeout,
                "--latency",
                "-s",
                str(LUA),
                base,
            ],
            capture_output=True,
            text=True,
            timeout=args.duration + 120,
        )
        ended = dt.datetime.now(dt.UTC)
        jobs = job_durations(f"http://127.0.0.1:{jobs_port}/metrics")
        print(wrk.stdout, flush=True)
        result = parse_wrk(wrk.stdout)
        rows = runs.since(before)
        done = [r for r in rows if (f := as_utc(r[3])) is not None and f <= ended]
        ok = [r for r in done if r[1] == "success"]
        result.update(
            database=args.db,
            workers=workers,
            server=args.server,
            players=args.players,
            connections=args.connections,
            duration_s=args.duration,
            redis=bool(args.redis),
            settle_s=args.settle,
            syncs_completed=len(ok),
            syncs_failed=len(done) - len(ok),
            sync_duration_ms=[r[4] for r in ok],
            sync_errors=sorted({str(r[1]) for r in done if r[1] != "success"}),
            jobs_since_start=jobs,
            window=[started.isoformat(), ended.isoformat()],
            load_average=os.getloadavg(),
        )
        errors = sum(result["socket_errors"].values())
        print(
            f"{args.db} x{workers} ({args.server}): {result.get('rps', 0):.0f} req/s, "
            f"p50 {result.get('p50_ms')} ms, p99 {result.get('p99_ms')} ms, "
            f"non-2xx {result['non_2xx_3xx']}, socket errors {errors} {result['socket_errors']}, "
            f"syncs completed {len(ok)} (failed {len(done) - len(ok)}), "
            f"durations {result['sync_duration_ms']} ms",
            flush=True,
        )
        print(json.dumps(result), flush=True)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result, indent=2))
    finally:
        for proc in reversed(procs):
            stop(proc)
        if pg_url:
            from tests.support.databases import drop_pg_database

            drop_pg_database(pg_url)
        print(f"logs: {work}", flush=True)


if __name__ == "__main__":
    main()
