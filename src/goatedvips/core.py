"""Routes that belong to no single domain: the home page, /health and /metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from goatedvips.accounts.deps import OptionalUser
from goatedvips.db import utcnow
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.web import render

router = APIRouter()


async def last_sync_success(session: Any) -> dt.datetime | None:
    """The time of the last successful affiliate sync, or None before the first one."""
    from sqlalchemy import func, select

    from goatedvips.affiliate.models import SyncRun

    value = await session.scalar(
        select(func.max(SyncRun.finished_at)).where(SyncRun.status == "success")
    )
    return value


@router.get(
    "/health",
    tags=["operations"],
    summary="Liveness, database and feed freshness",
    responses={
        503: {"description": "the database is unavailable (the same body, database: unavailable)"}
    },
)
async def health(session: DbSession, settings: SettingsDep) -> JSONResponse:
    database = "ok"
    last_success: dt.datetime | None = None
    try:
        await session.execute(text("SELECT 1"))
        last_success = await last_sync_success(session)
    except Exception:  # the answer itself reports the failure
        database = "unavailable"
    age = int((utcnow() - last_success).total_seconds()) if last_success else None
    stale = age is None or age > max(3 * settings.goated_sync_interval_seconds, 900)
    status = "ok" if database == "ok" and not stale else "degraded"
    body = {
        "status": status,
        "database": database,
        "affiliate": {
            "lastSuccessAt": last_success.isoformat() if last_success else None,
            "ageSeconds": age,
            "stale": stale,
        },
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)


@router.get(
    "/metrics",
    tags=["operations"],
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, user: OptionalUser) -> HTMLResponse:
    return render(request, "home.html")
