"""The public leaderboards: built once per sync, then served from memory with an ETag.

A `Snapshot` holds the four ranked boards (today, week, month, all time) of one successful sync
under the privacy rules of the moment (hidden names masked, excluded uids left out). A request
does no database work: at most once per `CHECK_SECONDS` a process asks the database for the latest
successful sync id and the privacy rules, and rebuilds only when they changed. The process that
ran a sync rebuilds at once (`leaderboards_changed`), so its own answers move immediately.

With REDIS_URL set, the player rows of each sync are shared through Redis, so the other processes
rebuild without reading every player from the database.

Rules: players with a zero amount for the period are left out of that board (all time included);
equal amounts share a rank (1, 2, 2, 4), ties listed by public name then uid; search matches the
*public* name (a hidden name can't be found by its real spelling).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, NamedTuple

import orjson
from sqlalchemy import select

from goatedvips.affiliate import store
from goatedvips.affiliate.models import SyncRun
from goatedvips.affiliate.privacy import PrivacyRules, load_privacy
from goatedvips.affiliate.tiers import tier_for
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.logging import get_logger

log = get_logger(__name__)
Period = Literal["today", "week", "month", "all_time"]
PERIODS: tuple[Period, ...] = ("today", "week", "month", "all_time")
PERIOD_LABELS = {
    "today": "Today",
    "week": "This week",
    "month": "This month",
    "all_time": "All time",
}
_COUNTER_INDEX = {"today": 1, "week": 2, "month": 3, "all_time": 4}  # in a store.State
CHECK_SECONDS = 1.0
RESPONSES_KEPT = 512
REDIS_TTL_SECONDS = 24 * 3600
MIN_STALE_SECONDS = 900


class Entry(NamedTuple):
    rank: int
    uid: str
    name: str  # public: masked when hidden
    wagered: str  # decimal string
    tier: str


@dataclass(slots=True)
class Board:
    """One period's ranking as parallel lists; `Entry`s are made only for the rows shown."""

    uids: list[str]
    cents: list[int]
    ranks: list[int]

    def entry(self, index: int, names: dict[str, str], all_time: dict[str, int]) -> Entry:
        uid, cents = self.uids[index], self.cents[index]
        tier = tier_for(Decimal(all_time[uid]).scaleb(-2)).name
        return Entry(self.ranks[index], uid, names[uid], store.cents_text(cents), tier)


def is_stale(last_success: dt.datetime | None, settings: Settings, now: dt.datetime) -> bool:
    """Same rule as /health: no success yet, or older than 3 sync intervals (at least 15 min)."""
    if last_success is None:
        return True
    limit = max(3 * settings.goated_sync_interval_seconds, MIN_STALE_SECONDS)
    return (now - last_success).total_seconds() > limit


@dataclass(slots=True)
class Snapshot:
    sync_run_id: int | None
    updated_at: dt.datetime | None
    fingerprint: str
    boards: dict[str, Board]
    names: dict[str, str]  # uid -> public name
    search: dict[str, str]  # uid -> lower-case public name
    all_time: dict[str, int]  # uid -> all-time cents (the tier)
    responses: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = field(default_factory=OrderedDict)

    def page(self, period: str, limit: int, offset: int, q: str = "") -> tuple[int, list[Entry]]:
        board = self.boards[period]
        needle = q.strip().lower()
        if needle:
            search = self.search
            matches = [i for i, uid in enumerate(board.uids) if needle in search[uid]]
            return len(matches), [
                board.entry(i, self.names, self.all_time) for i in matches[offset : offset + limit]
            ]
        stop = min(len(board.uids), offset + limit)
        return len(board.uids), [
            board.entry(i, self.names, self.all_time) for i in range(offset, stop)
        ]

    def json(self, period: str, limit: int, offset: int, q: str, stale: bool) -> tuple[bytes, str]:
        """The API body and its ETag, cached per query for the life of the snapshot."""
        key = (period, limit, offset, q.strip().lower(), stale)
        cached = self.responses.get(key)
        if cached is not None:
            return cached
        total, rows = self.page(period, limit, offset, q)
        body = orjson.dumps(
            {
                "period": period,
                "updatedAt": self.updated_at.isoformat() if self.updated_at else None,
                "stale": stale,
                "total": total,
                "entries": [
                    {
                        "rank": r.rank,
                        "uid": r.uid,
                        "name": r.name,
                        "wagered": r.wagered,
                        "tier": r.tier,
                    }
                    for r in rows
                ],
            }
        )
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        self.responses[key] = (body, etag)
        if len(self.responses) > RESPONSES_KEPT:
            self.responses.popitem(last=False)
        return body, etag


def build_boards(
    players: dict[str, store.State], privacy: PrivacyRules
) -> tuple[dict[str, Board], dict[str, str], dict[str, str]]:
    """The four boards, public names and search keys of one player set."""
    names = {
        uid: privacy.public_name(uid, state[0])
        for uid, state in players.items()
        if not privacy.is_excluded(uid)
    }
    search = {uid: name.lower() for uid, name in names.items()}
    # Ties are listed by public name, then uid: sort once by that, then stably by amount.
    base = sorted(names, key=lambda uid: (search[uid], uid))
    boards: dict[str, Board] = {}
    for period in PERIODS:
        index = _COUNTER_INDEX[period]
        amount = {uid: players[uid][index] for uid in base}
        uids = sorted(
            (uid for uid in base if amount[uid] > 0), key=amount.__getitem__, reverse=True
        )
        cents = [amount[uid] for uid in uids]
        ranks: list[int] = []
        rank, previous = 0, None
        for position, value in enumerate(cents, start=1):
            if value != previous:
                rank, previous = position, value
            ranks.append(rank)
        boards[period] = Board(uids, cents, ranks)
    return boards, names, search


class LeaderboardCache:
    """The snapshot of one database in this process."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.checked_at = 0.0
        self.lock = asyncio.Lock()

    def invalidate(self) -> None:
        self.checked_at = 0.0

    async def current(self, db: Database, settings: Settings) -> Snapshot:
        snapshot = self.snapshot
        if snapshot is not None and time.monotonic() - self.checked_at < CHECK_SECONDS:
            return snapshot
        async with self.lock:
            if self.snapshot is not None and time.monotonic() - self.checked_at < CHECK_SECONDS:
                return self.snapshot
            # Shielded: a client hanging up mid-build must not throw the build away for everyone.
            refresh = asyncio.ensure_future(self._refresh(db, settings, self.snapshot))
            self.snapshot = await asyncio.shield(refresh)
            self.checked_at = time.monotonic()
            return self.snapshot

    async def _refresh(self, db: Database, settings: Settings, old: Snapshot | None) -> Snapshot:
        async with db.sessionmaker() as session:
            latest = (
                await session.execute(
                    select(SyncRun.id, SyncRun.finished_at)
                    .where(SyncRun.status == "success")
                    .order_by(SyncRun.id.desc())
                    .limit(1)
                )
            ).first()
            privacy = await load_privacy(session)
        sync_id, finished_at = (latest.id, latest.finished_at) if latest else (None, None)
        if old is not None and (old.sync_run_id, old.updated_at, old.fingerprint) == (
            sync_id,
            finished_at,
            privacy.fingerprint,
        ):
            return old
        players = await _load_players(db, settings, sync_id)
        started = time.perf_counter()
        boards, names, search = build_boards(players, privacy)
        log.info(
            "leaderboards_built",
            sync_run_id=sync_id,
            players=len(players),
            ms=int((time.perf_counter() - started) * 1000),
        )
        all_time = {uid: state[4] for uid, state in players.items()}
        return Snapshot(sync_id, finished_at, privacy.fingerprint, boards, names, search, all_time)


async def _load_players(
    db: Database, settings: Settings, sync_id: int | None
) -> dict[str, store.State]:
    key = f"{_redis_prefix(db)}:players:{sync_id}"
    if settings.redis_url and sync_id is not None:
        cached = await _redis_get(settings.redis_url, key)
        if cached is not None:
            return {row[0]: tuple(row[1:]) for row in orjson.loads(cached)}  # type: ignore[misc]
    async with db.engine.connect() as conn:
        players = await store.load_state(conn)
    if settings.redis_url and sync_id is not None:
        rows = [[uid, *state] for uid, state in players.items()]
        await _redis_set(settings.redis_url, key, orjson.dumps(rows))
    return players


def _redis_prefix(db: Database) -> str:
    # One prefix per database, so sites (and test runs) sharing a Redis never mix their boards.
    return "goatedvips:" + hashlib.blake2b(db.url.encode(), digest_size=6).hexdigest() + ":lb"


async def _redis_get(url: str, key: str) -> bytes | None:
    import redis.asyncio as redis

    try:
        async with redis.from_url(url) as client:
            return await client.get(key)
    except Exception as exc:  # Redis is a cache: without it, read the database
        log.warning("leaderboard_redis_unavailable", error=str(exc))
        return None


async def _redis_set(url: str, key: str, value: bytes) -> None:
    import redis.asyncio as redis

    try:
        async with redis.from_url(url) as client:
            await client.set(key, value, ex=REDIS_TTL_SECONDS)
    except Exception as exc:
        log.warning("leaderboard_redis_unavailable", error=str(exc))


_caches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, LeaderboardCache]] = (
    weakref.WeakKeyDictionary()
)


def cache_for(db: Database) -> LeaderboardCache:
    per_loop = _caches.setdefault(asyncio.get_running_loop(), {})
    cache = per_loop.get(db.url)
    if cache is None:
        cache = per_loop[db.url] = LeaderboardCache()
    return cache


async def current_snapshot(db: Database, settings: Settings) -> Snapshot:
    return await cache_for(db).current(db, settings)


async def leaderboards_changed(db: Database, settings: Settings) -> None:
    """A sync or a privacy change happened here: rebuild now, so the next answer shows it."""
    cache = cache_for(db)
    cache.invalidate()
    try:
        await cache.current(db, settings)
    except Exception as exc:  # the next request retries; a sync must not fail for this
        log.error("leaderboard_rebuild_failed", error=str(exc), exc_info=exc)


def stale_now(snapshot: Snapshot, settings: Settings) -> bool:
    return is_stale(snapshot.updated_at, settings, utcnow())
