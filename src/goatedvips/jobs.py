"""The job scheduler, its leader lock, and the thread it runs in when the app runs its own jobs.

Every job process may run the scheduler; only the one holding the leader lock runs jobs. On
PostgreSQL the lock is a session-level advisory lock on a dedicated connection, so it is released
when the process dies; on SQLite one process runs jobs and the lock is local. Each domain lists
its jobs in `<domain>/jobs.py` as `JOBS: list[Job]`.

`goatedvips run` runs the scheduler in a job process of its own (`goatedvips worker`) and the
web processes run none (JOBS_ENABLED=false). An app started some other way with jobs enabled
(`uvicorn goatedvips.asgi:app`) runs them on an event loop and database engine of their own, in
a thread (`JobThread`): on the web server's loop every await of a job (a sync of 100,000 players
awaits hundreds of times) queued behind every request ready at that moment, and while a job
computed, pages waited. What jobs and pages then share in memory (race boards, the leaderboard
snapshot, the page cache's generation, live updates) is safe across threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.logging import get_logger
from goatedvips.metrics import IS_LEADER, JOB_DURATION, JOB_RUNS

log = get_logger(__name__)
LEADER_LOCK_KEY = 0x60A7ED  # arbitrary, fixed: every process must use the same key
JOB_THREAD_STOP_SECONDS = 30.0
# False in a process that serves no pages (`goatedvips worker`): work whose only use is a fast
# next page view in this process (building boards in memory) is skipped there.
_serves_pages = True


def serves_pages() -> bool:
    return _serves_pages


def serve_no_pages() -> None:
    global _serves_pages
    _serves_pages = False


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings


JobFunc = Callable[[JobContext], Awaitable[Any]]


@dataclass
class Job:
    """A job runs every `interval` seconds, or at the times `next_run(now)` gives."""

    name: str
    func: JobFunc
    interval: float | Callable[[Settings], float] | None = None
    next_run: Callable[[dt.datetime], dt.datetime] | None = None
    run_at_start: bool = True
    _due: float = field(default=0.0, repr=False)

    def seconds(self, settings: Settings) -> float:
        if callable(self.interval):
            return float(self.interval(settings))
        return float(self.interval or 60)

    def schedule_next(self, settings: Settings, now_monotonic: float) -> None:
        if self.next_run is not None:
            wall = utcnow()
            self._due = now_monotonic + max(1.0, (self.next_run(wall) - wall).total_seconds())
        else:
            self._due = now_monotonic + self.seconds(settings)


def discover_jobs() -> list[Job]:
    from goatedvips.app import DOMAINS

    jobs: list[Job] = []
    for domain in DOMAINS:
        name = f"goatedvips.{domain}.jobs"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"goatedvips.{domain}"):
                raise
            continue
        jobs.extend(getattr(module, "JOBS", []))
    return jobs


async def run_job(job: Job, ctx: JobContext) -> bool:
    """Run one job once; a failing job is logged and counted, never fatal to the scheduler."""
    start = time.perf_counter()
    try:
        await job.func(ctx)
    except Exception as exc:
        JOB_RUNS.labels(job.name, "error").inc()
        log.error("job_failed", job=job.name, error=str(exc), exc_info=exc)
        return False
    finally:
        JOB_DURATION.labels(job.name).observe(time.perf_counter() - start)
    JOB_RUNS.labels(job.name, "ok").inc()
    return True


class LeaderLock:
    """Holds the PostgreSQL advisory lock while this process is the job leader."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self.db.dialect != "postgresql":
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died, and the lock with it
                await self.release()
        conn = await self.db.engine.connect()
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY})
        await conn.commit()
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY}
                )
                await self._conn.commit()
            except Exception:
                pass
            finally:
                await self._conn.close()
                self._conn = None


class Scheduler:
    """Runs due jobs one after another while this process holds the leader lock."""

    def __init__(self, ctx: JobContext, jobs: list[Job] | None = None, tick: float = 1.0) -> None:
        self.ctx = ctx
        self.jobs = jobs if jobs is not None else discover_jobs()
        self.tick = tick
        self.lock = LeaderLock(ctx.db)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            if job.run_at_start:
                job._due = now
            else:
                job.schedule_next(self.ctx.settings, now)
        self._task = asyncio.create_task(self._loop(), name="goatedvips-scheduler")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.lock.release()
        IS_LEADER.set(0)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                leader = await self.lock.try_acquire()
            except Exception as exc:
                log.warning("leader_lock_unavailable", error=str(exc))
                leader = False
            IS_LEADER.set(1 if leader else 0)
            if leader:
                for job in self.jobs:
                    if time.monotonic() >= job._due:
                        await run_job(job, self.ctx)
                        job.schedule_next(self.ctx.settings, time.monotonic())
            await asyncio.sleep(self.tick)


class JobThread:
    """The scheduler on its own event loop and database engine, in a daemon thread."""

    def __init__(self, settings: Settings, jobs: list[Job] | None = None) -> None:
        self.settings = settings
        self.jobs = jobs
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="goatedvips-jobs", daemon=True)
        self._thread.start()
        self._started.wait(timeout=30)

    async def stop(self) -> None:
        """Stop the scheduler (a running job is cancelled) and wait for the thread."""
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            await asyncio.to_thread(thread.join, JOB_THREAD_STOP_SECONDS)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # the web goes on without jobs; say so loudly
            log.error("job_thread_failed", error=str(exc), exc_info=exc)
        finally:
            self._started.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        db = Database(self.settings.database_url)
        scheduler = Scheduler(JobContext(db=db, settings=self.settings), self.jobs)
        scheduler.start()
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await scheduler.stop()
            await db.dispose()
