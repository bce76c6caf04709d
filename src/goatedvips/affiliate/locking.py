"""One affiliate sync at a time, across processes.

PostgreSQL: a session-level advisory lock (`SYNC_LOCK_KEY`, not the job leader's key) held on a
dedicated connection for the whole sync, so it is released even if the process dies. SQLite: one
asyncio lock per event loop (SQLite deployments run one process; its write lock covers the rest).

A second sync *waits* for the running one (polling every `POLL_SECONDS`) up to `wait` seconds and
then runs its own fetch; past the wait it raises `SyncAlreadyRunning`. A lock connection lost
during the sync (a database restart) released the lock already; that is logged, not raised over
the sync's own outcome.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from goatedvips.db import Database
from goatedvips.errors import Conflict
from goatedvips.logging import get_logger

SYNC_LOCK_KEY = 0x60A75C  # differs from goatedvips.jobs.LEADER_LOCK_KEY
POLL_SECONDS = 0.05
log = get_logger(__name__)
_local_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


class SyncAlreadyRunning(Conflict):
    """Another sync held the lock for longer than this one was willing to wait."""

    code = "sync_running"


def _local_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _local_locks.get(loop)
    if lock is None:
        lock = _local_locks[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def sync_lock(db: Database, *, wait: float) -> AsyncIterator[None]:
    if db.dialect != "postgresql":
        lock = _local_lock()
        try:
            await asyncio.wait_for(lock.acquire(), timeout=max(wait, 0.001))
        except TimeoutError:
            raise SyncAlreadyRunning("an affiliate sync is already running") from None
        try:
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
