"""HTML pages of the affiliate feed: the public /leaderboard and the admin feed-health page."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked, OptionalUser
from goatedvips.admin.audit import Actor
from goatedvips.affiliate import service
from goatedvips.affiliate.leaderboard import (
    PERIOD_LABELS,
    PERIODS,
    Period,
    current_snapshot,
    is_stale,
    leaderboards_changed,
    stale_now,
)
from goatedvips.affiliate.locking import SyncAlreadyRunning
from goatedvips.affiliate.privacy import excluded_uids
from goatedvips.affiliate.tiers import TIERS
from goatedvips.db import utcnow
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.errors import InvalidInput
from goatedvips.security import client_ip
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
FLASHES = {
    "synced": ("ok", "Sync finished: the boards show the new data."),
    "failed": ("error", "The sync failed; nothing was changed. See the last error below."),
    "running": ("error", "A sync is already running; try again in a moment."),
    "excluded": ("ok", "Excluded uids saved; they are gone from every public board."),
}


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    return f"{minutes // 60} hours ago"


@router.get("/leaderboard", response_class=HTMLResponse)
async def leaderboard_page(
    request: Request,
    user: OptionalUser,
    settings: SettingsDep,
    period: Period = "month",
    q: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    snapshot = await current_snapshot(request.app.state.db, settings)
    total, rows = snapshot.page(period, PAGE_SIZE, (page - 1) * PAGE_SIZE, q)
    age = (utcnow() - snapshot.updated_at).total_seconds() if snapshot.updated_at else None
    context = {
        "period": period,
        "periods": [(p, PERIOD_LABELS[p]) for p in PERIODS],
        "q": q.strip(),
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "total": total,
        "rows": rows,
        "updated_at": snapshot.updated_at,
        "age_text": age_text(age),
        "stale": stale_now(snapshot, settings),
    }
    template = (
        "affiliate/_board.html"
        if request.headers.get("hx-request")
        else "affiliate/leaderboard.html"
    )
    return render(request, template, context)


@router.get("/admin/affiliate", response_class=HTMLResponse)
async def admin_affiliate_page(
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    msg: str = "",
) -> HTMLResponse:
    return await _admin_page(request, session, settings, flash=FLASHES.get(msg))


async def _admin_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    *,
    flash: tuple[str, str] | None = None,
    excluded_text: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    status = await service.feed_status(session, settings)
    if excluded_text is None:
        excluded_text = "\n".join(sorted(await excluded_uids(session)))
    token_left = (
        (status.token_expires_at - utcnow()).total_seconds() if status.token_expires_at else None
    )
    context = {
        "status": status,
        "token_hours_left": None if token_left is None else token_left / 3600,
        "excluded_text": excluded_text,
        "tiers": TIERS,
        "flashes": [flash] if flash else [],
        "stale": is_stale(status.last_success_at, settings, utcnow()),
    }
    return render(request, "affiliate/admin.html", context, status_code=status_code)


@router.post("/admin/affiliate/sync", dependencies=[CsrfChecked])
async def admin_sync_now(request: Request, admin: AdminUser, settings: SettingsDep) -> Response:
    try:
        await service.sync_once(request.app.state.db, settings, lock_wait=0)
        msg = "synced"
    except service.SyncFailed:
        msg = "failed"
    except SyncAlreadyRunning:
        msg = "running"
    return RedirectResponse(f"/admin/affiliate?msg={msg}", status_code=303)


@router.post("/admin/affiliate/excluded-uids", dependencies=[CsrfChecked])
async def admin_excluded_uids(
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    uids: Annotated[str, Form(max_length=80_000)] = "",
) -> Response:
    values = [line.strip() for line in uids.replace(",", "\n").splitlines() if line.strip()]
    try:
        await service.set_excluded_uids(
            session, uids=values, actor=Actor.for_user(admin, ip=client_ip(request, settings))
        )
    except InvalidInput as exc:
        await session.rollback()
        return await _admin_page(
            request,
            session,
            settings,
            flash=("error", exc.message),
            excluded_text=uids,
            status_code=422,
        )
    await leaderboards_changed(request.app.state.db, settings)
    return RedirectResponse("/admin/affiliate?msg=excluded", status_code=303)
