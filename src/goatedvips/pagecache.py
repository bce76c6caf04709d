"""One rendering of a public page a second, shared by every anonymous viewer.

The race and leaderboard pages (and their JSON) look the same to everyone who isn't logged in,
and hundreds of viewers may be watching a live race. `PageCache` (used by
`goatedvips.app.ApiMiddleware`) keeps the 200 answer of a GET of a listed path (each domain's
`fastpaths.CACHED_PATHS`, full-match regexes) and replays it to the next anonymous requests, so a
page is rendered about once per second per process instead of once per viewer.

What keeps it correct:

- Only requests without a session cookie, without NUL characters and with a well-formed CSRF
  cookie (or none) take part; everything else goes to the route as before. Only a 200 that sets
  no cookie is kept.
- The page is rendered with a marker in place of the CSRF token, and each viewer gets their own
  token put back in (the one in their cookie, or a new one with its `Set-Cookie`): the
  double-submit check works exactly as on a rendered page.
- An answer is made in one wall-clock second and serves that second. In the next few
  (`STALE_SECONDS`, or `MAX_STALE_SECONDS` while that rendering is still under way) it still
  serves while it is rendered again once in the background: under load no viewer waits for a
  rendering, and what another process wrote (a sync in the job process) shows as soon as that
  rendering is done, about a second later. A clock moved further (time-machine), or a
  committed write through SQLAlchemy in this process (a sync, a freeze, an admin change), throws
  every kept answer away: such a write shows on the very next request.
- Concurrent misses of one answer wait for a single rendering (no stampede when a sync lands).
  A rendering that fails or isn't a cacheable 200 leaves each waiter to the route on its own.
- At most `MAX_ENTRIES` answers (distinct query strings) are kept; past that, the route.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from starlette.requests import cookie_parser

from goatedvips.logging import get_logger
from goatedvips.metrics import PAGE_CACHE
from goatedvips.security import CSRF_COOKIE, SESSION_COOKIE, csrf_cookie_header, new_token

MAX_ENTRIES = 256
STALE_SECONDS = 5
MAX_STALE_SECONDS = 30
CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Run on every statement this process executes: a match at the start, without copying the text.
WRITES = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|WITH|CREATE|DROP|ALTER|TRUNCATE)", re.I)

log = get_logger(__name__)
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

# The process's write generation (see the module docstring).
_generation = 0
_generation_lock = threading.Lock()


def data_changed() -> None:
    """Something public may have changed in this process: no kept answer is served again."""
    global _generation
    with _generation_lock:
        _generation += 1


def generation() -> int:
    return _generation


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    if (
        context is not None and (context.isinsert or context.isupdate or context.isdelete)
    ) or WRITES.match(statement):
        conn.info["gv_wrote"] = True
        if not conn.in_transaction():  # autocommit: already visible
            data_changed()


@event.listens_for(Engine, "commit")
def _note_commit(conn: Connection) -> None:
    if conn.invalidated:  # lost: nothing was committed (and `info` would try to reconnect)
        return
    if conn.info.pop("gv_wrote", False):
        data_changed()


@event.listens_for(Engine, "rollback")
def _note_rollback(conn: Connection) -> None:
    if not conn.invalidated:
        conn.info.pop("gv_wrote", None)


@dataclass(frozen=True, slots=True)
class Answer:
    """A rendered answer: its headers (without length) and its body cut at the CSRF marker."""

    status: int
    headers: list[tuple[bytes, bytes]]
    parts: list[bytes]
    route: str

    @property
    def cacheable(self) -> bool:
        return self.status == 200 and not any(k == b"set-cookie" for k, _ in self.headers)


@dataclass(frozen=True, slots=True)
class Visitor:
    """An anonymous request that may be answered from the cache, and the CSRF token it gets."""

    token: str
    new_token: bool


Key = tuple[str, bytes, bytes | None]  # path, query string, HX-Request


class PageCache:
    def __init__(self, patterns: Iterable[str], *, secure_cookie: bool) -> None:
        self.pattern = re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")
        self.secure_cookie = secure_cookie
        self.marker = "gvcsrf" + secrets.token_hex(12)
        self._generation: int | None = None
        self._answers: dict[Key, tuple[Answer, int]] = {}  # the answer, the second it was made
        self._pending: dict[Key, asyncio.Future[Answer | None]] = {}
        self._refreshing: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def caches(self, path: str) -> bool:
        return self.pattern.fullmatch(path) is not None

    def visitor(self, scope: MutableMapping[str, Any]) -> Visitor | None:
        """The CSRF token for this request when it is anonymous and plain, else None."""
        query: bytes = scope["query_string"]
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            return None  # goatedvips.nul answers these
        cookie = _header(scope, b"cookie")
        if cookie is None:
            return Visitor(new_token(24), True)
        # Parsed as Starlette parses it, so the route would have seen the same cookies.
        cookies = cookie_parser(cookie.decode("latin-1"))
        if SESSION_COOKIE in cookies:
            return None
        token = cookies.get(CSRF_COOKIE)
        if token is None:
            return Visitor(new_token(24), True)
        if CSRF_TOKEN.fullmatch(token) is None:
            return None
        return Visitor(token, False)

    async def serve(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send, app: App
    ) -> tuple[int, str] | None:
        """Answer an anonymous GET from the cache, rendering it through `app` when needed:
        (status, route) once answered, or None when the route must answer (nothing was sent)."""
        visitor = self.visitor(scope)
        if visitor is None:
            PAGE_CACHE.labels("bypass").inc()
            return None
        self._check_epoch()
        now = int(time.time())
        key = (scope["path"], scope["query_string"], _header(scope, b"hx-request"))
        kept = self._answers.get(key)
        answer = kept[0] if kept is not None and self._servable(key, kept[1], now) else None
        if answer is not None:
            if kept is not None and kept[1] != now and key not in self._pending:
                self._refresh_later(key, scope, app)  # a second old: this request needn't wait
            PAGE_CACHE.labels("hit" if kept is not None and kept[1] == now else "stale").inc()
        elif (pending := self._pending.get(key)) is not None:
            answer = await asyncio.shield(pending)
            if answer is None:  # that rendering wasn't kept: this request asks the route
                PAGE_CACHE.labels("bypass").inc()
                return None
            PAGE_CACHE.labels("hit").inc()
        elif not self._room(now):
            PAGE_CACHE.labels("bypass").inc()
            return None
        else:
            PAGE_CACHE.labels("miss").inc()
            answer = await self._render(key, scope, receive, send, visitor, app)
            return answer.status, answer.route
        await self._send(answer, visitor, send)
        return answer.status, answer.route

    def _check_epoch(self) -> None:
        """Forget everything after a write in this process, or on another event loop (futures
        belong to one loop; tests serve apps in threads)."""
        loop, current = asyncio.get_running_loop(), generation()
        if loop is not self._loop or current != self._generation:
            self._loop, self._generation, self._answers, self._pending = loop, current, {}, {}

    def _servable(self, key: Key, made: int, now: int) -> bool:
        """A kept answer serves for `STALE_SECONDS`, and up to `MAX_STALE_SECONDS` while its
        next rendering is under way (a board rebuilt after a sync can take seconds under load)."""
        if not made <= now:
            return False
        limit = MAX_STALE_SECONDS if key in self._pending else STALE_SECONDS
        return now - made <= limit

    def _room(self, now: int) -> bool:
        """Whether one more answer may be kept (answers too old to serve are dropped first)."""
        if len(self._answers) + len(self._pending) < MAX_ENTRIES:
            return True
        self._answers = {k: v for k, v in self._answers.items() if v[1] >= now - STALE_SECONDS}
        return len(self._answers) + len(self._pending) < MAX_ENTRIES

    def _keep(self, key: Key, answer: Answer, generation_at_start: int, second: int) -> None:
        if answer.cacheable and generation_at_start == generation() == self._generation:
            self._answers[key] = (answer, second)

    def _refresh_later(self, key: Key, scope: MutableMapping[str, Any], app: App) -> None:
        """Render `key` again in the background; the kept answer serves meanwhile."""
        rendering = self._rendering(key, scope, _no_body, app)

        async def refresh() -> None:
            _, error = await rendering
            if error is not None:
                log.error("page_cache_refresh_failed", path=key[0], error=str(error))

        task = asyncio.create_task(refresh(), name="page-cache-refresh")
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def _render(
        self,
        key: Key,
        scope: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
        visitor: Visitor,
        app: App,
    ) -> Answer:
        """Render through the route, send the answer to this request, keep it if it may be."""
        answer, error = await self._rendering(key, scope, receive, app)
        if answer is None:
            raise error or RuntimeError("the page sent no response")
        await self._send(answer, visitor, send)
        if error is not None:  # the app answered (a 500 page) and raised: let the server log it
            raise error
        return answer

    def _rendering(
        self, key: Key, scope: MutableMapping[str, Any], receive: Receive, app: App
    ) -> Awaitable[tuple[Answer | None, Exception | None]]:
        """One rendering of `key`, registered at once as pending (so requests that come while it
        runs wait for it or serve the kept answer) and kept when it may be."""
        future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        started = (generation(), int(time.time()))

        async def render() -> tuple[Answer | None, Exception | None]:
            answer: Answer | None = None
            error: Exception | None = None
            try:
                answer, error = await self._capture(scope, receive, app)
                if answer is not None and error is None:
                    self._keep(key, answer, *started)
            finally:
                future.set_result(answer if answer is not None and answer.cacheable else None)
                if self._pending.get(key) is future:
                    del self._pending[key]
            return answer, error

        return render()

    async def _capture(
        self, scope: MutableMapping[str, Any], receive: Receive, app: App
    ) -> tuple[Answer | None, Exception | None]:
        """The route's answer to this request made anonymous, with the marker as CSRF token."""
        render_scope = dict(scope)
        render_scope["state"] = {**scope.get("state", {}), "csrf_token": self.marker}
        render_scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        start: MutableMapping[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        error: Exception | None = None
        try:
            await app(render_scope, receive, capture)
        except Exception as exc:
            error = exc
        if not start:
            return None, error
        route = getattr(render_scope.get("route"), "path", "unmatched")
        headers = [(k.lower(), v) for k, v in start.get("headers", ())]
        kept = [(k, v) for k, v in headers if k != b"content-length"]
        parts = b"".join(chunks).split(self.marker.encode())
        return Answer(int(start["status"]), kept, parts, route), error

    async def _send(self, answer: Answer, visitor: Visitor, send: Send) -> None:
        body = visitor.token.encode().join(answer.parts)
        headers = [*answer.headers, (b"content-length", str(len(body)).encode())]
        if len(answer.parts) > 1 and visitor.new_token:  # the page holds a token: set its cookie
            headers.append(csrf_cookie_header(visitor.token, secure=self.secure_cookie))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _no_body() -> MutableMapping[str, Any]:
    """`receive` of a background rendering: an empty GET body, then the client is gone."""
    return {"type": "http.request", "body": b"", "more_body": False}


def _header(scope: MutableMapping[str, Any], name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None
