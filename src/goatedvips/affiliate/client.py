"""Async client of the Goated affiliate API: one GET of the whole referral list, with retries.

Retried (exponential backoff with jitter): 5xx, 429 (its Retry-After honoured, capped), timeouts and
connection errors. Not retried: 401/403 (a new token is needed, asking again won't help), other
4xx, and a malformed body (the same body would come back). The token never appears in logs or in
error messages.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from urllib.parse import quote

import httpx

from goatedvips.affiliate.feed import FeedFormatError, GoatedError, ParsedFeed, parse_feed

__all__ = [
    "FeedFormatError",
    "GoatedAuthError",
    "GoatedClient",
    "GoatedError",
    "GoatedHTTPError",
    "GoatedUnavailableError",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
USER_AGENT = "GoatedVIPs/0.1 (+affiliate sync)"

Sleep = Callable[[float], Awaitable[None]]


class GoatedHTTPError(GoatedError):
    """The API answered with an HTTP status that retrying won't fix."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class GoatedAuthError(GoatedHTTPError):
    """The API refused the token (401/403)."""


class GoatedUnavailableError(GoatedError):
    """Every attempt failed with a retryable error; `last_error` says how the last one failed."""

    def __init__(self, message: str, attempts: int, last_error: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_error = last_error


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class GoatedClient:
    """Fetches the referral leaderboard of one affiliate code."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        affiliate_code: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.url = f"{base_url.rstrip('/')}/affiliate/referral-leaderboard/{quote(affiliate_code)}"
        self._token = token.strip() if token and token.strip() else None
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.last_attempts = 0
        # Seconds the last successful fetch spent downloading and parsing (logs, benchmarks).
        self.timings: dict[str, float] = {}
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"GoatedClient(url={self.url!r}, token={'set' if self._token else 'none'})"

    async def __aenter__(self) -> GoatedClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def fetch(self) -> ParsedFeed:
        """The whole referral list; raises a `GoatedError` subclass when it can't be had."""
        last: _Retryable | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.last_attempts = attempt
            try:
                return await self._attempt()
            except _Retryable as exc:
                last = exc
            if attempt < self.max_attempts:
                delay = self._delay(attempt, last.retry_after)
                log.warning(
                    "goated fetch attempt %d/%d failed (%s); retrying in %.1fs",
                    attempt,
                    self.max_attempts,
                    last.reason,
                    delay,
                )
                await self._sleep(delay)
        assert last is not None
        raise GoatedUnavailableError(
            f"Goated API unavailable after {self.max_attempts} attempts: {last.reason}",
            attempts=self.max_attempts,
            last_error=last.reason,
        ) from last

    async def _attempt(self) -> ParsedFeed:
        started = time.monotonic()
        try:
            response = await self._http.get(self.url, headers=self._auth_headers())
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error ({type(exc).__name__}: {exc})") from exc
        self._check_status(response)
        downloaded = time.monotonic()
        feed = parse_feed(response.content)
        parsed = time.monotonic()
        self.timings = {"download": downloaded - started, "parse": parsed - downloaded}
        log.info(
            "goated fetch ok: %d players, %d skipped, %d bytes in %.2fs (parse %.2fs)",
            len(feed),
            feed.skipped,
            len(response.content),
            parsed - started,
            parsed - downloaded,
        )
        return feed

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (401, 403):
            raise GoatedAuthError(
                f"token rejected ({status}); renew GOATED_API_TOKEN", status_code=status
            )
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", retry_after=parse_retry_after(response))
        raise GoatedHTTPError(
            f"Goated API answered HTTP {status} for {self.url}: {self._snippet(response)}",
            status_code=status,
        )

    def _snippet(self, response: httpx.Response) -> str:
        text = response.text[:200].replace("\n", " ")
        return text.replace(self._token, "***") if self._token else text

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff_base * 2 ** (attempt - 1))
        # "Equal jitter": never less than half the step, so retries still spread out under load.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)


def parse_retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or HTTP date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())
