"""One affiliate sync at a time, across processes.

PostgreSQL: a session-level advisory lock (`SYNC_LOCK_KEY`, not the job leader's key) held on a
dedicated connection for the whole sync, so it is released even if the process dies. SQLite: one
lock per database in the process, shared by its event loops (the web's, a job thread's), then an
exclusive `flock` on a file beside the database for the other processes (the web process and the
job process `goatedvips run` starts); the kernel releases it if the process dies.

A second sync *waits* for the running one (polling every `POLL_SECONDS`) up to `wait` seconds and
then runs its own fetch; past the wait it raises `SyncAlreadyRunning`. A lock connection lost
during the sync (a database restart) released the lock already; that is logged, not raised over
the sync's own outcome.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from goatedvips.db import Database
from goatedvips.errors import Conflict
from goatedvips.logging import get_logger

SYNC_LOCK_KEY = 0x60A75C  # differs from goatedvips.jobs.LEADER_LOCK_KEY
POLL_SECONDS = 0.05
log = get_logger(__name__)
# SQLite: one lock per database file for the whole process, whichever event loop (the web's, the
# job thread's) asks for it.
_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


class SyncAlreadyRunning(Conflict):
    """Another sync held the lock for longer than this one was willing to wait."""

    code = "sync_running"


def _local_lock(db: Database) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks.setdefault(db.url, threading.Lock())


@asynccontextmanager
async def _file_lock(db: Database, deadline: float) -> AsyncIterator[None]:
    """SQLite across processes (the web's "sync now" and the job process): an exclusive
    `flock` on `<database file>.sync-lock`, released by the kernel if the process dies."""
    database = make_url(db.url).database
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.sync-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SyncAlreadyRunning("an affiliate sync is already running") from None
                await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@asynccontextmanager
async def sync_lock(db: Database, *, wait: float) -> AsyncIterator[None]:
    if db.dialect != "postgresql":
        lock = _local_lock(db)
        deadline = time.monotonic() + wait
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise SyncAlreadyRunning("an affiliate sync is already running")
            await asyncio.sleep(POLL_SECONDS)
        try:
            async with _file_lock(db, deadline):
                yield
        finally:
            lock.release()
        return
    conn = await db.engine.connect()
    try:
        deadline = time.monotonic() + wait
        while True:
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": SYNC_LOCK_KEY})
            await conn.commit()
            if got:
                break
            if time.monotonic() >= deadline:
                raise SyncAlreadyRunning("an affiliate sync is already running")
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SYNC_LOCK_KEY})
                await conn.commit()
            except Exception as exc:  # the connection died, and the session lock with it
                log.warning("affiliate_sync_unlock_failed", error=str(exc))
                await conn.invalidate()
    finally:
        await conn.close()
