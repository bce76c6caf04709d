"""Prometheus figures of the affiliate sync (served at /metrics with the rest)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SYNC_DURATION = Histogram(
    "goatedvips_affiliate_sync_duration_seconds",
    "Duration of affiliate syncs (fetch, parse and write), by outcome",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
SYNC_PLAYERS = Gauge("goatedvips_affiliate_sync_players", "Players in the last successful feed")
SYNC_CHANGED = Gauge(
    "goatedvips_affiliate_sync_changed_rows", "Snapshot rows written by the last successful sync"
)
SYNC_CHANGED_TOTAL = Counter(
    "goatedvips_affiliate_sync_snapshot_rows", "Snapshot rows written by all syncs"
)
SYNC_FAILURES = Counter(
    "goatedvips_affiliate_sync_failures_total",
    "Failed affiliate syncs by reason (token, unavailable, malformed, empty, http, database, other)",
    ["reason"],
)
LAST_SUCCESS = Gauge(
    "goatedvips_affiliate_last_success_timestamp_seconds",
    "Unix time of the last successful affiliate sync",
)
TOKEN_EXPIRY = Gauge(
    "goatedvips_affiliate_token_expiry_timestamp_seconds",
    "Unix time at which GOATED_API_TOKEN expires (0 when unknown)",
)
