"""Bulk reads and writes of the affiliate tables for the sync (no ORM per row: 100k rows in a second).

Amounts travel as integer cents between the feed, the comparison and the database; the database
divides by 100 (`NUMERIC(18, 2)` on PostgreSQL; on SQLite the double nearest the cents, the value
SQLite itself parses from their decimal text, read back with `round()`).

One sync, inside the caller's transaction, on the driver connection under SQLAlchemy's:

- the changed (new or different) players go into a temporary table: PostgreSQL `COPY ... FROM
  STDIN` (psycopg), SQLite one `executemany`;
- from there, one set-based statement each upserts `affiliate_players` and appends the
  `wager_snapshots` rows;
- the unchanged players' uids go the same way into a second temporary table, and one `UPDATE`
  moves their `last_seen_at`.

The temporary tables are dropped at the end of the transaction (PostgreSQL `ON COMMIT DROP`; SQLite
explicitly, and a rollback undoes their creation).
"""

from __future__ import annotations

import datetime as dt
import operator
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from goatedvips.affiliate.bulk import gc_paused, without_gc
from goatedvips.affiliate.feed import State, record_state, to_cents

__all__ = [
    "Diff",
    "State",
    "cents_text",
    "diff",
    "load_state",
    "record_state",
    "to_cents",
    "write_changes",
]

COPY_CHUNK_BYTES = 4 << 20
SQLITE_SYNC_CACHE_KIB = 256 * 1024


def cents_text(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


@dataclass(slots=True)
class Diff:
    """The players of one feed split by what the sync must write for them."""

    changed: list[tuple[str, State]]  # new or different: upsert + snapshot
    unchanged: list[str]  # only last_seen_at moves
    new: int


@without_gc
def diff(players: Mapping[str, State], current: dict[str, State]) -> Diff:
    """Compare a feed's states with the stored ones (both uid -> `State`)."""
    changed: list[tuple[str, State]] = []
    unchanged: list[str] = []
    get = current.get
    for uid, state in players.items():
        if get(uid) == state:
            unchanged.append(uid)
        else:
            changed.append((uid, state))
    new = sum(1 for uid, _ in changed if uid not in current)
    return Diff(changed, unchanged, new)


# --- reading -------------------------------------------------------------------------------------

_LOAD_SQL = {
    "postgresql": (
        "SELECT uid, name, (wagered_today * 100)::bigint, (wagered_this_week * 100)::bigint, "
        "(wagered_this_month * 100)::bigint, (wagered_all_time * 100)::bigint "
        "FROM affiliate_players"
    ),
    "sqlite": (
        "SELECT uid, name, CAST(round(wagered_today * 100) AS INTEGER), "
        "CAST(round(wagered_this_week * 100) AS INTEGER), "
        "CAST(round(wagered_this_month * 100) AS INTEGER), "
        "CAST(round(wagered_all_time * 100) AS INTEGER) FROM affiliate_players"
    ),
}


async def load_state(conn: AsyncConnection) -> dict[str, State]:
    """Every stored player's name and counters, in one query (plain driver tuples, no Row)."""
    sql = _LOAD_SQL[conn.dialect.name]
    driver = await _driver(conn)
    if conn.dialect.name == "postgresql":
        async with driver.cursor() as cursor:
            await cursor.execute(sql)
            rows = await cursor.fetchall()
    else:
        cursor = await driver.execute(sql)
        try:
            rows = await cursor.fetchall()
        finally:
            await cursor.close()
    with gc_paused():
        return {row[0]: row[1:] for row in rows}


async def _driver(conn: AsyncConnection) -> Any:
    """The DBAPI driver's own connection (psycopg `AsyncConnection`, `aiosqlite.Connection`) in
    the transaction SQLAlchemy has open on `conn`."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


# --- writing -------------------------------------------------------------------------------------


async def write_changes(
    conn: AsyncConnection,
    result: Diff,
    taken_at: dt.datetime,
    *,
    loaded: Callable[[], object] | None = None,
    timings: dict[str, float] | None = None,
) -> None:
    """Upsert changed players, add their snapshots, move last_seen_at of the unchanged ones.

    `loaded` is called once every row has reached the database (in its temporary tables) and
    only the database's own work remains: the sync starts ranking the boards in a thread then
    (any earlier and the thread would hold the GIL while the rows are being sent).
    `timings`, when given, receives the seconds of each step (for the sync's phase log)."""
    step = _Steps(timings)
    # Primary-key order: the uid index is filled page by page rather than at random.
    result.changed.sort(key=operator.itemgetter(0))
    result.unchanged.sort()
    write = _write_postgresql if conn.dialect.name == "postgresql" else _write_sqlite
    await write(conn, result, taken_at, step, loaded or (lambda: None))


class _Steps:
    """Records the seconds since the previous step under each name (when asked to)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.clock
            self.clock = now


_PG_TEMP = """
CREATE TEMPORARY TABLE affiliate_sync_changed (
    uid text, name text, t bigint, w bigint, m bigint, a bigint, name_lower text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE affiliate_sync_seen (uid text) ON COMMIT DROP
"""
_PG_UPSERT = """
INSERT INTO affiliate_players (uid, name, name_lower, wagered_today, wagered_this_week,
    wagered_this_month, wagered_all_time, first_seen_at, last_seen_at, updated_at)
SELECT uid, name, name_lower, t / 100.0, w / 100.0, m / 100.0, a / 100.0,
    %(now)s, %(now)s, %(now)s
FROM affiliate_sync_changed
ON CONFLICT (uid) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower,
    wagered_today = excluded.wagered_today, wagered_this_week = excluded.wagered_this_week,
    wagered_this_month = excluded.wagered_this_month, wagered_all_time = excluded.wagered_all_time,
    last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
"""
_PG_SNAPSHOTS = """
INSERT INTO wager_snapshots (uid, name, today, this_week, this_month, all_time, taken_at)
SELECT uid, name, t / 100.0, w / 100.0, m / 100.0, a / 100.0, %(now)s FROM affiliate_sync_changed
"""
_PG_SEEN = """
UPDATE affiliate_players AS p SET last_seen_at = %(now)s
FROM affiliate_sync_seen AS s WHERE p.uid = s.uid
"""
# COPY's text format: backslash, tab, newline and carriage return are escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = ("\\", "\t", "\n", "\r")


def _copy_safe(texts: Iterable[str]) -> bool:
    joined = "".join(texts)
    return not any(char in joined for char in _COPY_SPECIAL)


def _copy_chunks(lines: Iterable[str]) -> Iterable[bytes]:
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= COPY_CHUNK_BYTES:
            yield "".join(batch).encode()
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode()


def _changed_lines(rows: list[tuple[str, State]]) -> Iterable[str]:
    # name_lower is Python's str.lower() (full Unicode case mapping), the spelling every lookup
    # uses; lower-casing maps letters to letters, so it never makes a character COPY escapes.
    if _copy_safe(uid for uid, _ in rows) and _copy_safe(s[0] for _, s in rows):
        return (
            f"{uid}\t{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}\t{s[0].lower()}\n" for uid, s in rows
        )
    esc = _COPY_ESCAPES
    return (
        f"{uid.translate(esc)}\t{s[0].translate(esc)}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}"
        f"\t{s[0].lower().translate(esc)}\n"
        for uid, s in rows
    )


def _seen_lines(uids: list[str]) -> Iterable[str]:
    if _copy_safe(uids):
        return (f"{uid}\n" for uid in uids)
    return (uid.translate(_COPY_ESCAPES) + "\n" for uid in uids)


async def _copy(cursor: Any, table: str, lines: Iterable[str]) -> None:
    async with cursor.copy(f"COPY {table} FROM STDIN") as copy:
        for chunk in _copy_chunks(lines):
            await copy.write(chunk)


async def _write_postgresql(
    conn: AsyncConnection,
    result: Diff,
    now: dt.datetime,
    step: _Steps,
    loaded: Callable[[], object],
) -> None:
    driver = await _driver(conn)
    params = {"now": now}
    async with driver.cursor() as cursor:
        await cursor.execute(_PG_TEMP)
        if result.changed:
            await _copy(cursor, "affiliate_sync_changed", _changed_lines(result.changed))
        if result.unchanged:
            await _copy(cursor, "affiliate_sync_seen", _seen_lines(result.unchanged))
        step("write_copy")
        loaded()
        if result.changed:
            await cursor.execute(_PG_UPSERT, params)
            step("write_players")
            await cursor.execute(_PG_SNAPSHOTS, params)
            step("write_snapshots")
        if result.unchanged:
            await cursor.execute(_PG_SEEN, params)
            step("write_seen")


_SQLITE_TEMP = (
    "CREATE TEMPORARY TABLE affiliate_sync_changed ("
    "uid TEXT, name TEXT, t INTEGER, w INTEGER, m INTEGER, a INTEGER, name_lower TEXT)",
    "CREATE TEMPORARY TABLE affiliate_sync_seen (uid TEXT PRIMARY KEY) WITHOUT ROWID",
)
_SQLITE_DROP = (
    "DROP TABLE IF EXISTS temp.affiliate_sync_changed",
    "DROP TABLE IF EXISTS temp.affiliate_sync_seen",
)
# `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
_SQLITE_UPSERT = """
INSERT INTO affiliate_players (uid, name, name_lower, wagered_today, wagered_this_week,
    wagered_this_month, wagered_all_time, first_seen_at, last_seen_at, updated_at)
SELECT uid, name, name_lower, t / 100.0, w / 100.0, m / 100.0, a / 100.0, ?1, ?1, ?1
FROM temp.affiliate_sync_changed WHERE true
ON CONFLICT (uid) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower,
    wagered_today = excluded.wagered_today, wagered_this_week = excluded.wagered_this_week,
    wagered_this_month = excluded.wagered_this_month, wagered_all_time = excluded.wagered_all_time,
    last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
"""
_SQLITE_SNAPSHOTS = """
INSERT INTO wager_snapshots (uid, name, today, this_week, this_month, all_time, taken_at)
SELECT uid, name, t / 100.0, w / 100.0, m / 100.0, a / 100.0, ?1 FROM temp.affiliate_sync_changed
"""
_SQLITE_SEEN = """
UPDATE affiliate_players SET last_seen_at = ?1
WHERE uid IN (SELECT uid FROM temp.affiliate_sync_seen)
"""


def _sqlite_time(value: dt.datetime) -> str:
    # The text form SQLAlchemy's SQLite DateTime writes (naive UTC), so ORM reads stay correct.
    return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


async def _write_sqlite(
    conn: AsyncConnection,
    result: Diff,
    now: dt.datetime,
    step: _Steps,
    loaded: Callable[[], object],
) -> None:
    driver = await _driver(conn)

    async def run(sql: str, params: Any = (), *, many: bool = False) -> None:
        cursor = await (driver.executemany if many else driver.execute)(sql, params)
        await cursor.close()

    stamp = (_sqlite_time(now),)
    # The default 2 MiB page cache thrashes on 100k rows; give the sync room, in memory.
    await run(f"PRAGMA cache_size = -{SQLITE_SYNC_CACHE_KIB}")
    await run("PRAGMA temp_store = MEMORY")
    try:
        for sql in (*_SQLITE_DROP, *_SQLITE_TEMP):
            await run(sql)
        if result.changed:
            await run(
                "INSERT INTO temp.affiliate_sync_changed VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(uid, *state, state[0].lower()) for uid, state in result.changed],
                many=True,
            )
        if result.unchanged:
            await run(
                "INSERT INTO temp.affiliate_sync_seen VALUES (?)",
                [(uid,) for uid in result.unchanged],
                many=True,
            )
        step("write_copy")
        loaded()
        if result.changed:
            await run(_SQLITE_UPSERT, stamp)
            step("write_players")
            await run(_SQLITE_SNAPSHOTS, stamp)
            step("write_snapshots")
        if result.unchanged:
            await run(_SQLITE_SEEN, stamp)
            step("write_seen")
        for sql in _SQLITE_DROP:
            await run(sql)
    finally:
        await run("PRAGMA cache_size = -2000")
