"""Players' support pages: open a ticket, list their own, read and answer a thread."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import CsrfChecked, CurrentUser, OptionalUser
from goatedvips.accounts.models import User
from goatedvips.deps import DbSession, PagingDep, SettingsDep
from goatedvips.errors import DomainError, NotFound
from goatedvips.forms import form_error, form_fields
from goatedvips.support import queries, service
from goatedvips.support.forms import discard_changes, notice
from goatedvips.support.models import TICKET_PRIORITIES
from goatedvips.support.rules import DEFAULT_PRIORITY, SUBJECT_MAX, SUBJECT_MIN, TEXT_MAX
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
LIMITS = {"subject_min": SUBJECT_MIN, "subject_max": SUBJECT_MAX, "text_max": TEXT_MAX}


async def _index_context(
    session: DbSession, user: User, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    listing = await queries.list_own_tickets(session, user=user, limit=limit, offset=offset)
    return {
        "listing": listing,
        "limit": limit,
        "offset": offset,
        "priorities": TICKET_PRIORITIES,
        "form": {"priority": DEFAULT_PRIORITY},
        "limits": LIMITS,
    }


@router.get("/support", response_class=HTMLResponse)
async def support_index(
    request: Request, user: OptionalUser, session: DbSession, paging: PagingDep
) -> HTMLResponse:
    if user is None:
        return render(request, "support/logged_out.html")
    context = await _index_context(session, user, limit=paging.limit, offset=paging.offset)
    return render(request, "support/index.html", {**context, "flashes": notice(request)})


@router.post("/support", dependencies=[CsrfChecked], response_model=None)
async def open_ticket(request: Request, user: CurrentUser, session: DbSession) -> Response:
    form = await form_fields(request)
    try:
        ticket = await service.open_ticket(
            session,
            user=user,
            subject=form.get("subject", ""),
            description=form.get("description", ""),
            priority=form.get("priority"),
        )
    except DomainError as exc:
        await discard_changes(session, user)
        context = await _index_context(session, user)
        context["form"] = form
        return form_error(request, "support/index.html", exc, context)
    return RedirectResponse(f"/support/tickets/{ticket.id}?notice=opened", status_code=303)


async def _thread_page(
    request: Request,
    session: DbSession,
    user: User,
    ticket_id: int,
    *,
    extra: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> HTMLResponse:
    thread = await service.view_ticket(session, viewer=user, ticket_id=ticket_id)
    context = {"thread": thread, "limits": LIMITS, "flashes": notice(request), **(extra or {})}
    if error is not None:
        return form_error(request, "support/ticket.html", error, context)
    return render(request, "support/ticket.html", context)


@router.get("/support/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(
    ticket_id: int, request: Request, user: CurrentUser, session: DbSession
) -> HTMLResponse:
    return await _thread_page(request, session, user, ticket_id)


@router.post(
    "/support/tickets/{ticket_id}/messages", dependencies=[CsrfChecked], response_model=None
)
async def reply(
    ticket_id: int,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    form = await form_fields(request)
    try:
        await service.post_message(
            session,
            author=user,
            ticket_id=ticket_id,
            message=form.get("message", ""),
            base_url=settings.base_url,
        )
    except NotFound:
        raise
    except DomainError as exc:
        await discard_changes(session, user)
        return await _thread_page(
            request, session, user, ticket_id, extra={"draft": form.get("message", "")}, error=exc
        )
    return RedirectResponse(f"/support/tickets/{ticket_id}?notice=sent#latest", status_code=303)
