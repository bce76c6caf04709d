"""Prometheus metrics shared by the process; each domain adds its own figures here."""

from __future__ import annotations

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
IS_LEADER = Gauge("goatedvips_jobs_leader", "1 when this process runs the scheduled jobs")
