"""HTML routes: the one-click unsubscribe page and the admin broadcasts / delivery page."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked, OptionalUser
from goatedvips.admin.audit import Actor
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.errors import DomainError, Gone
from goatedvips.notifications import service
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.notifications.rendering import PREFERENCE_LABELS, compose_email, telegram_text
from goatedvips.notifications.tokens import read_unsubscribe_token
from goatedvips.security import client_ip
from goatedvips.web import render

router = APIRouter(include_in_schema=False)


def _unsubscribe_page(
    request: Request, state: str, *, token: str = "", preference: str = "", status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "notifications/unsubscribe.html",
        {"state": state, "token": token, "label": PREFERENCE_LABELS.get(preference, "")},
        status_code=status,
    )


@router.get("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_confirm(
    request: Request, user: OptionalUser, settings: SettingsDep, token: str = Query("")
) -> HTMLResponse:
    try:
        wanted = read_unsubscribe_token(settings, token)
    except Gone:
        return _unsubscribe_page(request, "expired", status=410)
    except DomainError:
        return _unsubscribe_page(request, "invalid", status=400)
    return _unsubscribe_page(request, "confirm", token=token, preference=wanted.preference)


@router.post("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_now(
    request: Request, user: OptionalUser, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """The confirm form and RFC 8058 one-click POSTs (token in the URL, no cookies) land here.

    No CSRF check: the signed token is the authority, and all it can do is switch mail off.
    """
    form = await request.form()
    token = request.query_params.get("token") or str(form.get("token") or "")
    try:
        wanted = read_unsubscribe_token(settings, token)
    except Gone:
        return _unsubscribe_page(request, "expired", status=410)
    except DomainError:
        return _unsubscribe_page(request, "invalid", status=400)
    state = await service.unsubscribe(session, wanted)
    return _unsubscribe_page(request, state, preference=wanted.preference)


async def _broadcasts_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: AdminUser,
    *,
    subject: str = "",
    body: str = "",
    flashes: list[tuple[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    preview: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "audience": await service.broadcast_audience(session),
        "overview": await service.outbox_overview(session),
        "subject": subject,
        "body": body,
        "flashes": flashes or [],
        "errors": errors or {},
        "limits": {"subject": service.SUBJECT_MAX, "body": service.BODY_MAX},
        "preview_html": None,
        "preview_push": None,
    }
    if preview:
        sample = NotificationOutbox(
            kind="broadcast",
            channel="email",
            recipient=user.email,
            user_id=user.id,
            subject=subject,
            body_text=body,
        )
        context["preview_html"] = compose_email(settings, sample).html
        context["preview_push"] = telegram_text(sample)
    return render(request, "admin/broadcasts.html", context, status_code=status_code)


@router.get("/admin/broadcasts", response_class=HTMLResponse)
async def broadcasts_page(
    request: Request,
    user: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    sent: int | None = Query(None, ge=0),
    retried: int | None = Query(None, ge=1),
) -> HTMLResponse:
    flashes = []
    if sent is not None:
        flashes.append(
            ("ok", f"Broadcast queued for {sent} player(s); delivery runs in the background.")
        )
    if retried is not None:
        flashes.append(("ok", f"Message #{retried} is back in the queue."))
    return await _broadcasts_page(request, session, settings, user, flashes=flashes)


@router.post("/admin/broadcasts", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def broadcasts_submit(
    request: Request,
    user: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    subject: str = Form(""),
    body: str = Form(""),
    action: str = Form("preview"),
) -> Response:
    try:
        service.validate_broadcast("promotional", subject, body)
        if action == "send":
            result = await service.queue_broadcast(
                session,
                actor=Actor.for_user(user, ip=client_ip(request, settings)),
                kind="promotional",
                subject=subject,
                body=body,
            )
            return RedirectResponse(f"/admin/broadcasts?sent={result.recipients}", status_code=303)
    except DomainError as exc:
        return await _broadcasts_page(
            request,
            session,
            settings,
            user,
            subject=subject,
            body=body,
            errors={exc.field or "form": exc.message},
            status_code=exc.status_code,
        )
    return await _broadcasts_page(
        request, session, settings, user, subject=subject, body=body, preview=True
    )


@router.post("/admin/notifications/{outbox_id}/retry", dependencies=[CsrfChecked])
async def retry_page(
    outbox_id: int, request: Request, user: AdminUser, session: DbSession, settings: SettingsDep
) -> Response:
    try:
        await service.retry_message(
            session,
            actor=Actor.for_user(user, ip=client_ip(request, settings)),
            outbox_id=outbox_id,
        )
    except DomainError as exc:
        return await _broadcasts_page(
            request,
            session,
            settings,
            user,
            flashes=[("error", exc.message)],
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/admin/broadcasts?retried={outbox_id}", status_code=303)
