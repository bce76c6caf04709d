"""JSON routes of the support desk: players' tickets and threads, and the staff queue."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from goatedvips.accounts.deps import AdminUser, CurrentUser
from goatedvips.deps import DbSession, PagingDep, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.security import client_ip
from goatedvips.support import queries, service
from goatedvips.support.queries import TicketListing
from goatedvips.support.schemas import (
    MessageIn,
    MessageOut,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPageOut,
    TicketPatchIn,
)

router = APIRouter(tags=["support"])


def _page(listing: TicketListing, *, limit: int, offset: int) -> TicketPageOut:
    return TicketPageOut(
        total=listing.total,
        limit=limit,
        offset=offset,
        unread_count=listing.unread_count,
        items=[TicketOut.of_row(row) for row in listing.items],
    )


@router.post(
    "/api/support/tickets",
    status_code=201,
    response_model=TicketOut,
    responses=error_responses(409, 429),
)
async def open_ticket(body: TicketIn, user: CurrentUser, session: DbSession) -> TicketOut:
    ticket = await service.open_ticket(
        session,
        user=user,
        subject=body.subject,
        description=body.description,
        priority=body.priority,
    )
    row = await queries.ticket_row(session, ticket_id=ticket.id, side="player")
    return TicketOut.of_row(row)


@router.get("/api/support/tickets", response_model=TicketPageOut)
async def my_tickets(user: CurrentUser, session: DbSession, paging: PagingDep) -> TicketPageOut:
    listing = await queries.list_own_tickets(
        session, user=user, limit=paging.limit, offset=paging.offset
    )
    return _page(listing, limit=paging.limit, offset=paging.offset)


@router.get("/api/support/tickets/{ticket_id}", response_model=TicketDetailOut)
async def ticket_detail(ticket_id: int, user: CurrentUser, session: DbSession) -> TicketDetailOut:
    thread = await service.view_ticket(session, viewer=user, ticket_id=ticket_id)
    ticket = thread.ticket
    base = TicketOut.of_ticket(ticket, unread=False, message_count=len(thread.messages))
    return TicketDetailOut(
        **base.model_dump(),
        messages=[
            MessageOut.of(m, username=m.user.username if m.user else None) for m in thread.messages
        ],
    )


@router.post(
    "/api/support/tickets/{ticket_id}/messages",
    status_code=201,
    response_model=MessageOut,
    responses=error_responses(409, 429),
)
async def post_message(
    ticket_id: int, body: MessageIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> MessageOut:
    message = await service.post_message(
        session,
        author=user,
        ticket_id=ticket_id,
        message=body.message,
        base_url=settings.base_url,
    )
    return MessageOut.of(message, username=user.username)


@router.get("/api/admin/support/tickets", response_model=TicketPageOut)
async def staff_queue(
    staff: AdminUser,
    session: DbSession,
    paging: PagingDep,
    status: str | None = Query(None, description="open, in_progress or closed"),
    priority: str | None = Query(None, description="low, medium or high"),
    assignee: str | None = Query(None, description='a user id, "me" or "unassigned"'),
    unread: bool = Query(False, description="only tickets with news for staff"),
) -> TicketPageOut:
    filters = queries.staff_filters(
        me=staff, status=status, priority=priority, assignee=assignee, unread_only=unread
    )
    listing = await queries.list_staff_queue(
        session, filters=filters, limit=paging.limit, offset=paging.offset
    )
    return _page(listing, limit=paging.limit, offset=paging.offset)


@router.patch("/api/admin/support/tickets/{ticket_id}", response_model=TicketOut)
async def update_ticket(
    ticket_id: int,
    body: TicketPatchIn,
    staff: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> TicketOut:
    changes = body.model_dump(include=body.model_fields_set)
    ticket = await service.update_ticket(
        session,
        actor=staff,
        ticket_id=ticket_id,
        ip=client_ip(request, settings),
        **changes,
    )
    row = await queries.ticket_row(session, ticket_id=ticket.id, side="staff")
    return TicketOut.of_row(row)
