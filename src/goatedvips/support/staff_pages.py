"""Staff support pages under /admin/support: the filtered queue, a ticket with its controls."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked
from goatedvips.accounts.models import User
from goatedvips.deps import DbSession, PagingDep, SettingsDep
from goatedvips.errors import DomainError, InvalidInput, NotFound
from goatedvips.forms import form_error, form_fields
from goatedvips.ids import parse_row_id
from goatedvips.security import client_ip
from goatedvips.support import queries, service
from goatedvips.support.forms import discard_changes, notice
from goatedvips.support.models import TICKET_PRIORITIES, TICKET_STATUSES
from goatedvips.support.rules import TEXT_MAX
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
FILTER_KEYS = ("status", "priority", "assignee", "unread")


def _filter_values(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "") for k in FILTER_KEYS}


@router.get("/admin/support", response_class=HTMLResponse)
async def queue(
    request: Request, staff: AdminUser, session: DbSession, paging: PagingDep
) -> HTMLResponse:
    values = _filter_values(request)
    filters = queries.staff_filters(
        me=staff,
        status=values["status"] or None,
        priority=values["priority"] or None,
        assignee=values["assignee"] or None,
        unread_only=values["unread"] == "1",
    )
    listing = await queries.list_staff_queue(
        session, filters=filters, limit=paging.limit, offset=paging.offset
    )
    return render(
        request,
        "admin/support.html",
        {
            "listing": listing,
            "values": values,
            "statuses": TICKET_STATUSES,
            "priorities": TICKET_PRIORITIES,
            "staff_members": await queries.staff_members(session),
            "limit": paging.limit,
            "offset": paging.offset,
            "query": lambda **kw: urlencode({k: v for k, v in {**values, **kw}.items() if v}),
            "flashes": notice(request),
        },
    )


async def _ticket_page(
    request: Request,
    session: DbSession,
    staff: User,
    ticket_id: int,
    *,
    extra: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> HTMLResponse:
    thread = await service.view_ticket(session, viewer=staff, ticket_id=ticket_id)
    context = {
        "thread": thread,
        "statuses": TICKET_STATUSES,
        "priorities": TICKET_PRIORITIES,
        "staff_members": await queries.staff_members(session),
        "limits": {"text_max": TEXT_MAX},
        "flashes": notice(request),
        **(extra or {}),
    }
    if error is not None:
        return form_error(request, "admin/support_ticket.html", error, context)
    return render(request, "admin/support_ticket.html", context)


@router.get("/admin/support/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(
    ticket_id: int, request: Request, staff: AdminUser, session: DbSession
) -> HTMLResponse:
    return await _ticket_page(request, session, staff, ticket_id)


def _assignee_from_form(value: str, *, me: User) -> int | None:
    if value in ("", "none", "unassigned"):
        return None
    if value == "me":
        return me.id
    staff_id = parse_row_id(value, allow_hash=False)
    if staff_id is not None:
        return staff_id
    raise InvalidInput("choose a staff member from the list", field="assignedTo")


def _back_to(form: dict[str, str], ticket_id: int) -> str:
    # Only two places post here; anything else goes back to the ticket.
    return (
        "/admin/support" if form.get("back") == "queue" else f"/admin/support/tickets/{ticket_id}"
    )


@router.post("/admin/support/tickets/{ticket_id}", dependencies=[CsrfChecked], response_model=None)
async def update(
    ticket_id: int,
    request: Request,
    staff: AdminUser,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    form = await form_fields(request)
    try:
        changes: dict[str, Any] = {}
        if form.get("status"):
            changes["status"] = form["status"]
        if form.get("priority"):
            changes["priority"] = form["priority"]
        if "assigned_to" in form:
            changes["assigned_to"] = _assignee_from_form(form["assigned_to"], me=staff)
        await service.update_ticket(
            session,
            actor=staff,
            ticket_id=ticket_id,
            ip=client_ip(request, settings),
            **changes,
        )
    except NotFound:
        raise
    except DomainError as exc:
        await discard_changes(session, staff)
        return await _ticket_page(request, session, staff, ticket_id, error=exc)
    return RedirectResponse(f"{_back_to(form, ticket_id)}?notice=updated", status_code=303)


@router.post(
    "/admin/support/tickets/{ticket_id}/messages",
    dependencies=[CsrfChecked],
    response_model=None,
)
async def reply(
    ticket_id: int,
    request: Request,
    staff: AdminUser,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    form = await form_fields(request)
    try:
        await service.post_message(
            session,
            author=staff,
            ticket_id=ticket_id,
            message=form.get("message", ""),
            base_url=settings.base_url,
        )
    except NotFound:
        raise
    except DomainError as exc:
        await discard_changes(session, staff)
        return await _ticket_page(
            request, session, staff, ticket_id, extra={"draft": form.get("message", "")}, error=exc
        )
    return RedirectResponse(
        f"/admin/support/tickets/{ticket_id}?notice=sent#latest", status_code=303
    )
