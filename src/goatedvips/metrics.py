"""Prometheus metrics shared by the process; each domain adds its own figures here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "goatedvips_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "goatedvips_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOB_RUNS = Counter("goatedvips_job_runs_total", "Scheduled job runs", ["job", "outcome"])
JOB_DURATION = Histogram("goatedvips_job_duration_seconds", "Scheduled job duration", ["job"])
PAGE_CACHE = Counter(
    "goatedvips_page_cache_total",
    "Anonymous GETs of cached pages: hit, stale (kept, rendered again meanwhile), miss, bypass",
    ["result"],
)
IS_LEADER = Gauge("goatedvips_jobs_leader", "1 when this process runs the scheduled jobs")

# An ASGI fast path (see goatedvips.app.ApiMiddleware): answers with `send` and returns the status,
# or returns None without sending anything to leave the request to the router.
FastPath = Callable[
    [MutableMapping[str, Any], Callable[[MutableMapping[str, Any]], Awaitable[None]]],
    Awaitable[int | None],
]

# Labelled children are looked up once per (method, route, status): `labels()` costs more than the
# increment itself. Routes are templates and statuses few, so these stay small.
_counters: dict[tuple[str, str, int], Any] = {}
_latencies: dict[tuple[str, str], Any] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency (route = the route's path template)."""
    counter = _counters.get((method, route, status))
    if counter is None:
        counter = _counters[(method, route, status)] = HTTP_REQUESTS.labels(
            method, route, str(status)
        )
    latency = _latencies.get((method, route))
    if latency is None:
        latency = _latencies[(method, route)] = HTTP_LATENCY.labels(method, route)
    counter.inc()
    latency.observe(seconds)
