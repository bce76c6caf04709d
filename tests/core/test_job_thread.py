"""The scheduler of a web process runs in a thread of its own (goatedvips.jobs.JobThread): a job
that keeps its loop busy doesn't hold up pages, it has its own database engine, it stops with
the app, and one affiliate sync at a time still holds across the two loops."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from goatedvips.affiliate.locking import SyncAlreadyRunning, sync_lock
from goatedvips.app import create_app
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.jobs import Job, JobContext, JobThread

WAIT = 20.0  # generous: only reached when something is wrong


class BusyJob:
    """A job that holds its loop (no await) until the test lets it go, then writes a row."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.runs: list[dict[str, Any]] = []

    async def __call__(self, ctx: JobContext) -> None:
        self.started.set()
        self.release.wait(WAIT)  # blocks this thread and its event loop on purpose
        async with ctx.db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO app_settings (key, value) VALUES ('busy', '1')"))
        self.runs.append({"thread": threading.get_ident(), "db": ctx.db})
        self.finished.set()


async def test_a_busy_job_does_not_hold_up_pages_and_stops_with_the_thread(
    settings: Settings, clean_db: Database
) -> None:
    job = BusyJob()
    jobs = JobThread(settings, [Job("busy", job, interval=3600)])
    app = create_app(settings, database=clean_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        jobs.start()
        try:
            assert await asyncio.to_thread(job.started.wait, WAIT)
            # The job holds its own loop; this loop (the web's) still answers.
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/leaderboard")).status_code == 200
            assert not job.finished.is_set()
            job.release.set()
            assert await asyncio.to_thread(job.finished.wait, WAIT)
        finally:
            job.release.set()
            await jobs.stop()
    [run] = job.runs
    assert run["thread"] != threading.get_ident()
    assert run["db"] is not clean_db and run["db"].url == clean_db.url  # an engine of its own
    async with clean_db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM app_settings WHERE key = 'busy'")) == 1
    assert not jobs._thread or not jobs._thread.is_alive()


async def test_one_sync_at_a_time_across_the_web_and_job_loops(clean_db: Database) -> None:
    held, release = threading.Event(), threading.Event()

    async def hold_in_another_loop() -> None:
        other = Database(clean_db.url)
        try:
            async with sync_lock(other, wait=0):
                held.set()
                await asyncio.to_thread(release.wait, WAIT)
        finally:
            await other.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(hold_in_another_loop()))
    thread.start()
    try:
        assert await asyncio.to_thread(held.wait, WAIT)
        with pytest.raises(SyncAlreadyRunning):
            async with sync_lock(clean_db, wait=0.2):
                pass
    finally:
        release.set()
        await asyncio.to_thread(thread.join, WAIT)
    async with sync_lock(clean_db, wait=1):  # free again once the other loop let go
        pass


HOLD_SYNC_LOCK = """
import asyncio, sys
from goatedvips.affiliate.locking import sync_lock
from goatedvips.db import Database

async def main():
    db = Database(sys.argv[1])
    async with sync_lock(db, wait=0):
        print("held", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the test closes our stdin
    await db.dispose()

asyncio.run(main())
"""


async def test_one_sync_at_a_time_across_processes(clean_db: Database) -> None:
    """The web process's "sync now" and the job process's scheduled sync (SQLite: a file lock)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD_SYNC_LOCK,
        clean_db.url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert await asyncio.wait_for(child.stdout.readline(), WAIT) == b"held\n"
        with pytest.raises(SyncAlreadyRunning):
            async with sync_lock(clean_db, wait=0.2):
                pass
    finally:
        child.stdin.close()
        assert await asyncio.wait_for(child.wait(), WAIT) == 0
    async with sync_lock(clean_db, wait=1):  # free again once the other process let go
        pass
