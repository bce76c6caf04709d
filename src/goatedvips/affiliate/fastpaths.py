"""ASGI fast path of `GET /api/leaderboard`: the same answer as the route, without the framework.

`goatedvips.app.ApiMiddleware` calls `fast_paths(app)["/api/leaderboard"]` for every GET of that
exact path before routing. It answers from the snapshot of the last check (`LeaderboardCache.fresh`:
checked less than a second ago, the next check already running in the background) with bytes,
ETag and headers encoded once per snapshot, query string and staleness: a dict lookup per request.
It answers 304 to a matching `If-None-Match`, exactly like the route.

Anything it isn't sure of goes to the route (FastAPI validation, 422s, the first build of a
snapshot, a check that is due): an unknown or repeated parameter, a value that isn't the plain
spelling of a valid one (`limit=050`, `period=`), a NUL character, past 512 distinct query
strings per snapshot. The route is still what OpenAPI documents; this is only a shorter way to its answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI

from goatedvips.affiliate.api import _etag_matches
from goatedvips.affiliate.leaderboard import (
    MIN_STALE_SECONDS,
    PERIODS,
    LeaderboardCache,
    Snapshot,
    cache_for,
)
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.metrics import FastPath

PATH = "/api/leaderboard"
# The leaderboard page is the same for every anonymous viewer (goatedvips.pagecache).
CACHED_PATHS = [r"/leaderboard"]
DEFAULTS = {"period": "month", "limit": "50", "offset": "0", "q": ""}
MAX_LIMIT = 500
MAX_Q_LENGTH = 64
MAX_DIGITS = 15
FAST_ANSWERS_KEPT = 512

Query = tuple[str, int, int, str]  # period, limit, offset, q
# body, headers of a 200, headers of a 304, ETag
Answer = tuple[bytes, list[tuple[bytes, bytes]], list[tuple[bytes, bytes]], str]


def fast_paths(app: FastAPI) -> dict[str, FastPath]:
    return {PATH: LeaderboardFastPath(app.state.db, app.state.settings)}


def parse_query(query_string: bytes) -> Query | None:
    """(period, limit, offset, q) when the query is in its plain form, else None (the route)."""
    # The same decoding as Starlette's QueryParams.
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    values = dict(DEFAULTS)
    seen: set[str] = set()
    for key, value in pairs:
        if key not in DEFAULTS or key in seen or "\x00" in value:  # NUL: goatedvips.nul's 422
            return None
        seen.add(key)
        values[key] = value
    period, q = values["period"], values["q"]
    limit, offset = _plain_int(values["limit"]), _plain_int(values["offset"])
    if period not in PERIODS or limit is None or offset is None:
        return None
    if not 1 <= limit <= MAX_LIMIT or len(q) > MAX_Q_LENGTH:
        return None
    return period, limit, offset, q


def _plain_int(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        return None
    if len(text) > 1 and text[0] == "0":
        return None
    return int(text)


def encode_answer(snapshot: Snapshot, query: Query, stale: bool) -> Answer:
    body, etag = snapshot.json(*query, stale)
    tag = etag.encode("latin-1")
    not_modified = [(b"etag", tag), (b"cache-control", b"no-cache")]
    ok = [
        *not_modified,
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    return body, ok, not_modified, etag


class LeaderboardFastPath:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.stale_after = max(3 * settings.goated_sync_interval_seconds, MIN_STALE_SECONDS)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cache: LeaderboardCache | None = None

    def cache(self) -> LeaderboardCache:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._cache is None:
            self._loop, self._cache = loop, cache_for(self.db)
        return self._cache

    async def __call__(self, scope: MutableMapping[str, Any], send: Any) -> int | None:
        snapshot = self.cache().fresh(self.db, self.settings)
        if snapshot is None:
            return None
        updated = snapshot.updated_ts
        stale = updated is None or time.time() - updated > self.stale_after
        key = (scope["query_string"], stale)
        answer: Answer | None = snapshot.fast.get(key)
        if answer is None:
            query = parse_query(key[0])
            if query is None:
                return None
            answer = encode_answer(snapshot, query, stale)
            if len(snapshot.fast) >= FAST_ANSWERS_KEPT:
                snapshot.fast.clear()
            snapshot.fast[key] = answer
        body, ok, not_modified, etag = answer
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if _etag_matches(value.decode("latin-1"), etag):
                    await send(
                        {"type": "http.response.start", "status": 304, "headers": not_modified}
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return 304
                break
        await send({"type": "http.response.start", "status": 200, "headers": ok})
        await send({"type": "http.response.body", "body": body})
        return 200
