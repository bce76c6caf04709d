"""Prometheus gauges of the admin jobs: JSON column sizes, the outbox backlog, archiving.

Importing this module also registers the affiliate sync figures, so /metrics shows them in every
process that serves the admin pages.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

import goatedvips.affiliate.metrics  # noqa: F401  (registers the sync figures)

JSON_COLUMN_BYTES = Gauge(
    "goatedvips_json_column_bytes",
    "Size of JSON columns in bytes (stat: max of one row, or total over the table)",
    ["table", "column", "stat"],
)
JSON_COLUMN_ROWS = Gauge(
    "goatedvips_json_column_rows", "Rows measured for the JSON size gauges", ["table"]
)
OUTBOX_MESSAGES = Gauge(
    "goatedvips_outbox_messages",
    "Notification outbox rows by status (pending, sending, failed)",
    ["status"],
)
OUTBOX_OLDEST_PENDING_SECONDS = Gauge(
    "goatedvips_outbox_oldest_pending_age_seconds",
    "Age of the oldest undelivered outbox message (0 when none)",
)
VERIFICATION_HISTORY_ARCHIVED = Counter(
    "goatedvips_verification_history_archived_total", "Verification history rows archived"
)
