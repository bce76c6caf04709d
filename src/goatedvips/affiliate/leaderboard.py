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
import bisect
import datetime as dt
import hashlib
import itertools
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, NamedTuple

import orjson
from sqlalchemy import select

from goatedvips.affiliate import store
from goatedvips.affiliate.bulk import without_gc
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
REVALIDATE_AFTER = 0.75 * CHECK_SECONDS
SERVE_WHILE_CHECKING = 30.0
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
    """One period's ranking. `base` is every shown uid in name order (shared by the four boards),
    `amounts` their cents for this period, `order` the positions in `base` of the players on the
    board, highest amount first. `Entry`s are made only for the rows shown, and so are ranks:
    equal amounts share the rank of the first of them."""

    base: list[str]
    amounts: list[int]
    order: list[int]

    def __len__(self) -> int:
        return len(self.order)

    @property
    def uids(self) -> list[str]:
        return [self.base[i] for i in self.order]

    @property
    def cents(self) -> list[int]:
        return [self.amounts[i] for i in self.order]

    def rank(self, index: int) -> int:
        # Amounts descend along `order`: the first row with this amount is a bisection.
        amounts = self.amounts
        target = -amounts[self.order[index]]
        return bisect.bisect_left(self.order, target, key=lambda i: -amounts[i]) + 1

    @property
    def ranks(self) -> list[int]:
        """Every row's rank (for tests and small boards; pages use `rank`)."""
        ranks: list[int] = []
        rank, previous = 0, None
        for position, value in enumerate(self.cents, start=1):
            if value != previous:
                rank, previous = position, value
            ranks.append(rank)
        return ranks

    def entry(self, index: int, names: dict[str, str], all_time: dict[str, int]) -> Entry:
        position = self.order[index]
        uid, cents = self.base[position], self.amounts[position]
        tier = tier_for(Decimal(all_time[uid]).scaleb(-2)).name
        return Entry(self.rank(index), uid, names[uid], store.cents_text(cents), tier)


@dataclass(slots=True)
class Ranking:
    """The four boards of one player set under one set of privacy rules (`fingerprint`)."""

    fingerprint: str
    boards: dict[str, Board]
    names: dict[str, str]  # uid -> public name
    search: dict[str, str]  # uid -> lower-case public name
    all_time: dict[str, int]  # uid -> all-time cents (the tier)


class KnownPlayers(NamedTuple):
    """Every stored player's state right after the commit of sync `sync_run_id`, and their
    ranking when the sync already made it (used only if the privacy rules are still the same)."""

    sync_run_id: int | None
    players: dict[str, store.State]
    ranking: Ranking | None = None


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
    # Whole answers of the ASGI fast path (affiliate/fastpaths.py) by raw query string and staleness.
    fast: dict[tuple[bytes, bool], Any] = field(default_factory=dict)

    @property
    def updated_ts(self) -> float | None:
        return self.updated_at.timestamp() if self.updated_at else None

    def page(self, period: str, limit: int, offset: int, q: str = "") -> tuple[int, list[Entry]]:
        board = self.boards[period]
        needle = q.strip().lower()
        if needle:
            search, base = self.search, board.base
            matches = [
                row for row, position in enumerate(board.order) if needle in search[base[position]]
            ]
            return len(matches), [
                board.entry(i, self.names, self.all_time) for i in matches[offset : offset + limit]
            ]
        stop = min(len(board), offset + limit)
        return len(board), [board.entry(i, self.names, self.all_time) for i in range(offset, stop)]

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


def public_names(players: dict[str, store.State], privacy: PrivacyRules) -> dict[str, str]:
    """uid -> public name of every player who may be shown (`privacy.public_name` of each)."""
    names = {uid: state[0] for uid, state in players.items()}
    for uid in privacy.excluded:
        names.pop(uid, None)
    # Only the few hidden or nameless players need `public_name`; the rest keep their name.
    for uid in [uid for uid, name in names.items() if not name] + list(privacy.hidden):
        if uid in names:
            names[uid] = privacy.public_name(uid, players[uid][0])
    return names


@without_gc
def rank_players(players: dict[str, store.State], privacy: PrivacyRules) -> Ranking:
    """The four boards, public names, search keys and tiers of one player set.

    CPU only, no I/O: the sync runs it in a worker thread while the database writes.
    """
    names = public_names(players, privacy)
    search = {uid: name.lower() for uid, name in names.items()}
    # Ties are listed by public name, then uid: sort by uid, then stably by the lower-case name
    # (this order), then stably by amount, highest first, for each board.
    base = sorted(sorted(names), key=search.__getitem__)
    rows: list[Any] = list(map(players.__getitem__, base))
    boards: dict[str, Board] = {}
    for period in PERIODS:
        index = _COUNTER_INDEX[period]
        amounts = [row[index] for row in rows]
        # A stable sort keeps the name order among equal amounts (reverse=True stays stable);
        # compress() leaves out the zero amounts.
        order = sorted(
            itertools.compress(range(len(base)), amounts),
            key=amounts.__getitem__,
            reverse=True,
        )
        boards[period] = Board(base, amounts, order)
    all_time = {uid: state[4] for uid, state in players.items()}
    return Ranking(privacy.fingerprint, boards, names, search, all_time)


def build_boards(
    players: dict[str, store.State], privacy: PrivacyRules
) -> tuple[dict[str, Board], dict[str, str], dict[str, str]]:
    """The four boards, public names and search keys of one player set."""
    ranking = rank_players(players, privacy)
    return ranking.boards, ranking.names, ranking.search


class LeaderboardCache:
    """The snapshot of one database in this process."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.checked_at = 0.0
        self.lock = asyncio.Lock()
        self._background: asyncio.Future[None] | None = None

    def invalidate(self) -> None:
        self.checked_at = -SERVE_WHILE_CHECKING  # never served around (see `fresh`)

    async def current(
        self, db: Database, settings: Settings, known: KnownPlayers | None = None
    ) -> Snapshot:
        snapshot = self.snapshot
        if snapshot is not None and time.monotonic() - self.checked_at < CHECK_SECONDS:
            return snapshot
        async with self.lock:
            if self.snapshot is not None and time.monotonic() - self.checked_at < CHECK_SECONDS:
                return self.snapshot
            return await self._check(db, settings, known)

    def fresh(self, db: Database, settings: Settings) -> Snapshot | None:
        """The snapshot if it was checked less than `CHECK_SECONDS` ago, or while a check is
        under way (up to `SERVE_WHILE_CHECKING`), else None (the caller then awaits `current`).
        Never waits: for the ASGI fast path. Past `REVALIDATE_AFTER` the next check starts in the
        background, so under steady traffic no request waits for it, even while a new sync's
        100,000 players are read and ranked. An invalidation (a change made in this process)
        is never served around: the next request waits for the new snapshot."""
        snapshot = self.snapshot
        if snapshot is None:
            return None
        age = time.monotonic() - self.checked_at
        checking = self._background is not None or self.lock.locked()
        if age >= REVALIDATE_AFTER and not checking:
            self._background = asyncio.ensure_future(self._revalidate(db, settings))
            checking = True
        if age < CHECK_SECONDS or (checking and age < SERVE_WHILE_CHECKING):
            return snapshot
        return None

    async def _revalidate(self, db: Database, settings: Settings) -> None:
        try:
            async with self.lock:
                if time.monotonic() - self.checked_at >= REVALIDATE_AFTER:
                    await self._check(db, settings, None)
        except Exception as exc:  # the next request that must wait retries it
            log.error("leaderboard_refresh_failed", error=str(exc), exc_info=exc)
        finally:
            self._background = None

    async def _check(
        self, db: Database, settings: Settings, known: KnownPlayers | None
    ) -> Snapshot:
        # Shielded: a client hanging up mid-build must not throw the build away for everyone.
        old = self.snapshot
        refresh = asyncio.ensure_future(self._refresh(db, settings, old, known))
        snapshot = await asyncio.shield(refresh)
        self.snapshot, self.checked_at = snapshot, time.monotonic()
        if snapshot is not old:
            _share(db.url, snapshot, self)
        return snapshot

    def adopt(self, snapshot: Snapshot) -> None:
        """Take a snapshot another loop of this process built (the job thread, after a sync) when
        it holds a newer sync. Not after an invalidation here (a privacy change): this loop then
        reads the database itself, so the change can't be hidden by an older build."""
        current = self.snapshot
        if self.checked_at < 0:
            return
        if current is None or (snapshot.sync_run_id or 0) > (current.sync_run_id or 0):
            self.snapshot, self.checked_at = snapshot, time.monotonic()

    async def _refresh(
        self,
        db: Database,
        settings: Settings,
        old: Snapshot | None,
        known: KnownPlayers | None = None,
    ) -> Snapshot:
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
        ranking = None
        if known is not None and known.sync_run_id == sync_id:
            players = known.players  # the sync that just committed them: no need to read them
            await _publish_players(db, settings, sync_id, players)
            if known.ranking is not None and known.ranking.fingerprint == privacy.fingerprint:
                ranking = known.ranking
        else:
            players = await _load_players(db, settings, sync_id)
        started = time.perf_counter()
        if ranking is None:
            # In a worker thread: the event loop keeps answering (from the old snapshot) meanwhile.
            ranking = await asyncio.to_thread(rank_players, players, privacy)
        log.info(
            "leaderboards_built",
            sync_run_id=sync_id,
            players=len(players),
            ms=int((time.perf_counter() - started) * 1000),
        )
        return Snapshot(
            sync_id,
            finished_at,
            ranking.fingerprint,
            ranking.boards,
            ranking.names,
            ranking.search,
            ranking.all_time,
        )


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
    await _publish_players(db, settings, sync_id, players)
    return players


async def _publish_players(
    db: Database, settings: Settings, sync_id: int | None, players: dict[str, store.State]
) -> None:
    """Share the rows of a sync with the other processes (with REDIS_URL set)."""
    if settings.redis_url and sync_id is not None:
        key = f"{_redis_prefix(db)}:players:{sync_id}"
        rows = [[uid, *state] for uid, state in players.items()]
        await _redis_set(settings.redis_url, key, orjson.dumps(rows))


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


_caches_lock = threading.Lock()


def cache_for(db: Database) -> LeaderboardCache:
    loop = asyncio.get_running_loop()
    with _caches_lock:
        per_loop = _caches.setdefault(loop, {})
        cache = per_loop.get(db.url)
        if cache is None:
            cache = per_loop[db.url] = LeaderboardCache()
    return cache


def _share(url: str, snapshot: Snapshot, source: LeaderboardCache) -> None:
    """Hand a snapshot just built to the caches of the same database on the process's other
    loops: after a sync in the job thread, the web's loop serves it without reading 100,000
    players again."""
    with _caches_lock:
        siblings = [per_loop.get(url) for per_loop in _caches.values()]
    for cache in siblings:
        if cache is not None and cache is not source:
            cache.adopt(snapshot)


async def current_snapshot(db: Database, settings: Settings) -> Snapshot:
    return await cache_for(db).current(db, settings)


async def leaderboards_changed(
    db: Database,
    settings: Settings,
    *,
    players: dict[str, store.State] | None = None,
    sync_run_id: int | None = None,
    ranking: Ranking | None = None,
) -> None:
    """A sync or a privacy change happened here: rebuild now, so the next answer shows it.

    A sync hands over every stored player's state as it committed it (`players`, with its
    `sync_run_id`, and the `ranking` it made of them while writing), so the rebuild reads no
    player from the database; they are used only while that sync is still the latest successful
    one (and the ranking only under the same privacy rules).
    """
    cache = cache_for(db)
    cache.invalidate()
    known = KnownPlayers(sync_run_id, players, ranking) if players is not None else None
    try:
        await cache.current(db, settings, known)
    except Exception as exc:  # the next request retries; a sync must not fail for this
        log.error("leaderboard_rebuild_failed", error=str(exc), exc_info=exc)


def stale_now(snapshot: Snapshot, settings: Settings) -> bool:
    return is_stale(snapshot.updated_at, settings, utcnow())
