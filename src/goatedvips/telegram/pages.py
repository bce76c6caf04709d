"""HTML pages: the player's Telegram/Goated page and the admins' verification queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked, OptionalUser
from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.deps import DbSession, PagingDep, SettingsDep
from goatedvips.errors import DomainError
from goatedvips.security import client_ip
from goatedvips.telegram import linking, site, verification
from goatedvips.telegram.account import account_section
from goatedvips.web import render

router = APIRouter(include_in_schema=False)

PLAYER_NOTICES = {
    "requested": "Verification requested. An admin will review it; you'll be notified.",
    "unlinked": "Telegram unlinked. You can link another account at any time.",
}
ADMIN_NOTICES = {"approved": "Request approved.", "rejected": "Request rejected."}
STATUSES = ("pending", "approved", "rejected")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _form_text(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value.strip() if isinstance(value, str) else ""


async def _player_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    flashes: list[tuple[str, str]] | None = None,
    link: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "section": await account_section(session, user),
        "link": link,
        "flashes": flashes or [],
    }
    response = render(request, "telegram/account.html", context, status_code=status_code)
    if link:
        response.headers["Cache-Control"] = "no-store"  # the page carries a live link token
    return response


@router.get("/account/telegram", response_class=HTMLResponse)
async def telegram_account_page(
    request: Request, user: OptionalUser, session: DbSession, notice: str | None = None
) -> Response:
    if user is None:
        return _see_other("/login?next=/account/telegram")
    flashes = [("ok", PLAYER_NOTICES[notice])] if notice in PLAYER_NOTICES else []
    return await _player_page(request, session, user, flashes=flashes)


@router.post("/account/telegram/link", dependencies=[CsrfChecked])
async def link_telegram(
    request: Request, user: OptionalUser, session: DbSession, settings: SettingsDep
) -> Response:
    if user is None:
        return _see_other("/login?next=/account/telegram")
    try:
        token, deep_link = await site.new_link(request, session, settings, user)
    except DomainError as exc:
        return await _player_page(
            request, session, user, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    link = {"url": deep_link, "expires_at": token.expires_at}
    return await _player_page(request, session, user, link=link)


@router.post("/account/telegram/unlink", dependencies=[CsrfChecked])
async def unlink_telegram(
    request: Request, user: OptionalUser, session: DbSession, settings: SettingsDep
) -> Response:
    if user is None:
        return _see_other("/login?next=/account/telegram")
    try:
        await linking.unlink_telegram(
            session, user=user, actor=Actor.for_user(user, ip=client_ip(request, settings))
        )
    except DomainError as exc:
        return await _player_page(
            request, session, user, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return _see_other("/account/telegram?notice=unlinked")


@router.post("/account/goated/verify", dependencies=[CsrfChecked])
async def verify_goated(
    request: Request, user: OptionalUser, session: DbSession, settings: SettingsDep
) -> Response:
    if user is None:
        return _see_other("/login?next=/account/telegram")
    name = await _form_text(request, "goated_username")
    try:
        await site.open_verification(request, session, settings, user, name)
    except DomainError as exc:
        return await _player_page(
            request, session, user, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return _see_other("/account/telegram?notice=requested")


async def _queue_page(
    request: Request,
    session: DbSession,
    admin: User,
    status: str,
    paging: Any,
    *,
    flashes: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows, total = await verification.list_requests(
        session, status=status, limit=paging.limit, offset=paging.offset
    )
    users = {u.id: u for u in [await session.get(User, r.user_id) for r in rows] if u}
    context = {
        "rows": rows,
        "users": users,
        "total": total,
        "status": status,
        "statuses": STATUSES,
        "paging": paging,
        "flashes": flashes or [],
    }
    return render(request, "admin/verifications.html", context, status_code=status_code)


@router.get("/admin/verifications", response_class=HTMLResponse)
async def verification_queue(
    request: Request,
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    status: str = Query("pending"),
    notice: str | None = None,
) -> HTMLResponse:
    status = status if status in STATUSES else "pending"
    flashes = [("ok", ADMIN_NOTICES[notice])] if notice in ADMIN_NOTICES else []
    return await _queue_page(request, session, admin, status, paging, flashes=flashes)


@router.post("/admin/verifications/{request_id}/{action}", dependencies=[CsrfChecked])
async def decide_in_queue(
    request_id: int,
    action: str,
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    paging: PagingDep,
) -> Response:
    if action not in ("approve", "reject"):
        return _see_other("/admin/verifications")
    notes = await _form_text(request, "notes")
    try:
        await site.decide_from_web(
            request, session, settings, admin, request_id, approve=action == "approve", notes=notes
        )
    except DomainError as exc:
        return await _queue_page(
            request,
            session,
            admin,
            "pending",
            paging,
            flashes=[("error", exc.message)],
            status_code=exc.status_code,
        )
    return _see_other(f"/admin/verifications?notice={action}d")
