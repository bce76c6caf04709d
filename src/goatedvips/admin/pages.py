"""Admin pages: the dashboard, user search and detail (roles, disable), the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked
from goatedvips.admin.api import UserId
from goatedvips.admin.audit import Actor
from goatedvips.admin.audit_query import AuditFilters, distinct_actions, list_audit
from goatedvips.admin.dashboard import load_dashboard
from goatedvips.admin.service import update_user_access
from goatedvips.admin.user_search import SEARCH_MAX_LENGTH, load_user_detail, search_users
from goatedvips.admin.views import user_detail
from goatedvips.db import utcnow
from goatedvips.deps import DbSession, PagingDep, SettingsDep
from goatedvips.errors import DomainError, InvalidInput
from goatedvips.security import client_ip
from goatedvips.web import render

router = APIRouter(include_in_schema=False)

# Form value -> (isAdmin, disabled) for update_user_access, and the confirmation shown after.
ACCESS_CHANGES: dict[str, tuple[dict[str, bool], str]] = {
    "grant_admin": ({"is_admin": True}, "Admin role granted."),
    "revoke_admin": ({"is_admin": False}, "Admin role removed."),
    "disable": ({"disabled": True}, "Account disabled and signed out everywhere."),
    "enable": ({"disabled": False}, "Account enabled."),
}


def _pager(total: int, limit: int, offset: int, base: dict[str, Any]) -> dict[str, Any]:
    def link(new_offset: int) -> dict[str, Any]:
        return {**{k: v for k, v in base.items() if v}, "limit": limit, "offset": new_offset}

    return {
        "total": total,
        "first": offset + 1 if total else 0,
        "last": min(offset + limit, total),
        "prev": link(max(offset - limit, 0)) if offset > 0 else None,
        "next": link(offset + limit) if offset + limit < total else None,
    }


@router.get("/admin", response_class=HTMLResponse)
async def dashboard_page(
    request: Request, user: AdminUser, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    now = utcnow()
    figures = await load_dashboard(session, settings, now)
    return render(request, "admin/dashboard.html", {"d": figures, "now": now})


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(
    request: Request,
    user: AdminUser,
    session: DbSession,
    paging: PagingDep,
    q: str = Query("", max_length=SEARCH_MAX_LENGTH),
) -> HTMLResponse:
    page = await search_users(session, query=q, limit=paging.limit, offset=paging.offset)
    pager = _pager(page.total, paging.limit, paging.offset, {"q": q.strip()})
    return render(request, "admin/users.html", {"q": q, "users": page.users, "pages": pager})


async def _render_user(
    request: Request,
    session: DbSession,
    user_id: int,
    *,
    flashes: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    detail = user_detail(await load_user_detail(session, user_id), now=utcnow())
    return render(
        request,
        "admin/user_detail.html",
        {"u": detail, "flashes": flashes or [], "changes": ACCESS_CHANGES},
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
async def user_page(
    request: Request, user: AdminUser, session: DbSession, user_id: int = UserId, done: str = ""
) -> HTMLResponse:
    flashes = [("ok", ACCESS_CHANGES[done][1])] if done in ACCESS_CHANGES else []
    return await _render_user(request, session, user_id, flashes=flashes)


@router.post("/admin/users/{user_id}/access", dependencies=[CsrfChecked])
async def change_access(
    request: Request,
    user: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    user_id: int = UserId,
    change: str = Form(""),
) -> Response:
    if change not in ACCESS_CHANGES:
        raise InvalidInput("choose grant_admin, revoke_admin, disable or enable", field="change")
    values, _message = ACCESS_CHANGES[change]
    try:
        await update_user_access(
            session,
            actor=Actor.for_user(user, ip=client_ip(request, settings)),
            user_id=user_id,
            **values,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        await session.rollback()
        return await _render_user(
            request, session, user_id, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse(f"/admin/users/{user_id}?done={change}", status_code=303)


def _parse_time(value: str, field: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{field}: use a date and time like 2025-01-31T18:00", field=field
        ) from exc


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    user: AdminUser,
    session: DbSession,
    paging: PagingDep,
    actor: str = Query("", max_length=64),
    action: str = Query("", max_length=64),
    target_type: str = Query("", max_length=32),
    target_id: str = Query("", max_length=64),
    since: str = Query("", max_length=40),
    until: str = Query("", max_length=40),
) -> HTMLResponse:
    filters = AuditFilters(
        actor,
        action,
        target_type,
        target_id,
        _parse_time(since, "since"),
        _parse_time(until, "until"),
    )
    page = await list_audit(session, filters, limit=paging.limit, offset=paging.offset)
    form = {
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "since": since,
        "until": until,
    }
    return render(
        request,
        "admin/audit.html",
        {
            "entries": page.entries,
            "form": form,
            "actions": await distinct_actions(session),
            "pages": _pager(page.total, paging.limit, paging.offset, form),
        },
    )
