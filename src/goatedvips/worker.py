"""`goatedvips worker`: the scheduled jobs alone. `goatedvips run` starts one beside its web
server(s); a deployment may also run it on a host of its own (JOBS_ENABLED=false on the web)."""

from __future__ import annotations

import asyncio
import signal

from prometheus_client import start_http_server

from goatedvips import live
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.jobs import JobContext, Scheduler, serve_no_pages
from goatedvips.logging import configure_logging, get_logger


async def run_worker(settings: Settings) -> None:
    configure_logging(level=settings.log_level, json=settings.is_production)
    serve_no_pages()
    # What the jobs publish (new standings, a frozen race) reaches the web processes through Redis
    # when it is set (without it, they relay race changes from the database themselves).
    broker = live.configure(settings.redis_url, settings.redis_key_prefix)
    db = Database(settings.database_url)
    scheduler = Scheduler(JobContext(db=db, settings=settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler.start()
    log = get_logger(__name__)
    if settings.jobs_metrics_port:
        try:
            start_http_server(settings.jobs_metrics_port, addr="127.0.0.1")
        except OSError as exc:  # the jobs matter more than their figures
            log.error("jobs_metrics_unavailable", port=settings.jobs_metrics_port, error=str(exc))
    log.info("worker_started", jobs=[j.name for j in scheduler.jobs])
    await stop.wait()
    await scheduler.stop()
    await broker.close()
    await db.dispose()
