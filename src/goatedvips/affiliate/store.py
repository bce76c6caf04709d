"""Bulk reads and writes of the affiliate tables for the sync (no ORM per row: 100k rows in seconds).

Amounts travel as integer cents between the feed, the comparison and the database. PostgreSQL gets
one statement per chunk with `unnest` arrays; SQLite gets `executemany` (a C loop in sqlite3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from goatedvips.affiliate.feed import PlayerRecord

CHUNK = 20_000
Counters = tuple[int, int, int, int]  # today, this_week, this_month, all_time in cents
State = tuple[str, int, int, int, int]  # name + counters


def to_cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def cents_text(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def record_state(player: PlayerRecord) -> State:
    return (
        player.name,
        to_cents(player.today),
        to_cents(player.this_week),
        to_cents(player.this_month),
        to_cents(player.all_time),
    )


@dataclass(slots=True)
class Diff:
    """The players of one feed split by what the sync must write for them."""

    changed: list[tuple[str, State]]  # new or different: upsert + snapshot
    unchanged: list[str]  # only last_seen_at moves
    new: int


def diff(players: Sequence[PlayerRecord], current: dict[str, State]) -> Diff:
    changed: list[tuple[str, State]] = []
    unchanged: list[str] = []
    new = 0
    get = current.get
    for player in players:
        state = record_state(player)
        before = get(player.uid)
        if before is None:
            new += 1
            changed.append((player.uid, state))
        elif before != state:
            changed.append((player.uid, state))
        else:
            unchanged.append(player.uid)
    return Diff(changed, unchanged, new)


_CENTS_COLUMNS = {
    "postgresql": "(wagered_{c} * 100)::bigint",
    "sqlite": "CAST(round(wagered_{c} * 100) AS INTEGER)",
}


async def load_state(conn: AsyncConnection) -> dict[str, State]:
    """Every stored player's name and counters, in one query."""
    template = _CENTS_COLUMNS[conn.dialect.name]
    columns = ", ".join(
        template.format(c=c) for c in ("today", "this_week", "this_month", "all_time")
    )
    result = await conn.exec_driver_sql(f"SELECT uid, name, {columns} FROM affiliate_players")
    return {uid: (name, t, w, m, a) for uid, name, t, w, m, a in result.all()}


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_time(value: dt.datetime) -> str:
    # The text form SQLAlchemy's SQLite DateTime writes (naive UTC), so ORM reads stay correct.
    return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


async def write_changes(conn: AsyncConnection, result: Diff, taken_at: dt.datetime) -> None:
    """Upsert changed players, add their snapshots, move last_seen_at of the unchanged ones."""
    result.changed.sort()  # primary-key order: B-tree pages are filled in sequence
    if conn.dialect.name == "postgresql":
        await _write_postgresql(conn, result, taken_at)
    else:
        await _write_sqlite(conn, result, taken_at)


_PG_ROWS = """unnest(%(uid)s::text[], %(name)s::text[], %(t)s::bigint[], %(w)s::bigint[],
                     %(m)s::bigint[], %(a)s::bigint[]) AS x(uid, name, t, w, m, a)"""
_PG_UPSERT = """
INSERT INTO affiliate_players (uid, name, name_lower, wagered_today, wagered_this_week,
    wagered_this_month, wagered_all_time, first_seen_at, last_seen_at, updated_at)
SELECT x.uid, x.name, x.name_lower, x.t / 100.0, x.w / 100.0, x.m / 100.0, x.a / 100.0,
       %(now)s, %(now)s, %(now)s
FROM unnest(%(uid)s::text[], %(name)s::text[], %(name_lower)s::text[], %(t)s::bigint[],
            %(w)s::bigint[], %(m)s::bigint[], %(a)s::bigint[]) AS x(uid, name, name_lower, t, w, m, a)
ON CONFLICT (uid) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower,
    wagered_today = excluded.wagered_today, wagered_this_week = excluded.wagered_this_week,
    wagered_this_month = excluded.wagered_this_month, wagered_all_time = excluded.wagered_all_time,
    last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
"""
_PG_SNAPSHOTS = f"""
INSERT INTO wager_snapshots (uid, name, today, this_week, this_month, all_time, taken_at)
SELECT x.uid, x.name, x.t / 100.0, x.w / 100.0, x.m / 100.0, x.a / 100.0, %(now)s FROM {_PG_ROWS}
"""
_PG_SEEN = """
UPDATE affiliate_players AS p SET last_seen_at = %(now)s
FROM unnest(%(uid)s::text[]) AS x(uid) WHERE p.uid = x.uid
"""


def _pg_arrays(rows: Sequence[tuple[str, State]]) -> dict[str, list[Any]]:
    return {
        "uid": [uid for uid, _ in rows],
        "name": [s[0] for _, s in rows],
        "name_lower": [s[0].lower() for _, s in rows],
        "t": [s[1] for _, s in rows],
        "w": [s[2] for _, s in rows],
        "m": [s[3] for _, s in rows],
        "a": [s[4] for _, s in rows],
    }


async def _write_postgresql(conn: AsyncConnection, result: Diff, now: dt.datetime) -> None:
    for rows in _chunks(result.changed):
        params = _pg_arrays(rows) | {"now": now}
        await conn.exec_driver_sql(_PG_UPSERT, params)
        await conn.exec_driver_sql(_PG_SNAPSHOTS, params)
    for uids in _chunks(result.unchanged, CHUNK * 5):
        await conn.exec_driver_sql(_PG_SEEN, {"uid": list(uids), "now": now})


_SQLITE_UPSERT = """
INSERT INTO affiliate_players (uid, name, name_lower, wagered_today, wagered_this_week,
    wagered_this_month, wagered_all_time, first_seen_at, last_seen_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (uid) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower,
    wagered_today = excluded.wagered_today, wagered_this_week = excluded.wagered_this_week,
    wagered_this_month = excluded.wagered_this_month, wagered_all_time = excluded.wagered_all_time,
    last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
"""
_SQLITE_SNAPSHOT = """
INSERT INTO wager_snapshots (uid, name, today, this_week, this_month, all_time, taken_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_SQLITE_SEEN = "UPDATE affiliate_players SET last_seen_at = ? WHERE uid = ?"


SQLITE_SYNC_CACHE_KIB = 256 * 1024


async def _write_sqlite(conn: AsyncConnection, result: Diff, now: dt.datetime) -> None:
    # The default 2 MiB page cache thrashes on six indexes over 100k rows; give the sync room.
    await conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_SYNC_CACHE_KIB}")
    stamp = _sqlite_time(now)
    for rows in _chunks(result.changed):
        # NUMERIC affinity stores amounts as REAL anyway; c / 100 is the double nearest the
        # exact cents, the same value SQLite would parse from their text (read back with round()).
        amounts = [(uid, s, [c / 100 for c in s[1:]]) for uid, s in rows]
        await conn.exec_driver_sql(
            _SQLITE_UPSERT,
            [(uid, s[0], s[0].lower(), *money, stamp, stamp, stamp) for uid, s, money in amounts],
        )
        await conn.exec_driver_sql(
            _SQLITE_SNAPSHOT, [(uid, s[0], *money, stamp) for uid, s, money in amounts]
        )
    for uids in _chunks(result.unchanged, CHUNK * 5):
        await conn.exec_driver_sql(_SQLITE_SEEN, [(stamp, uid) for uid in uids])
    await conn.exec_driver_sql("PRAGMA cache_size = -2000")
