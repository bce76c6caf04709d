"""The support desk's rules: opening tickets, reading threads, replying, and staff changes.

Who is staff: `users.is_admin`. An admin acting on a ticket they opened themselves acts as its
player. Players only ever reach their own tickets; a foreign ticket answers 404, never 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from goatedvips import ratelimit
from goatedvips.accounts.deps import ensure_owner
from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from goatedvips.support import notify
from goatedvips.support.models import SupportTicket, TicketMessage
from goatedvips.support.rules import (
    MAX_ID,
    MAX_OPEN_TICKETS,
    MESSAGE_RATE,
    OPEN_TICKET_RATE,
    clean_priority,
    clean_status,
    clean_subject,
    clean_text,
)

_UNSET: Any = object()


def acts_as_staff(user: User, ticket: SupportTicket) -> bool:
    return user.is_admin and user.id != ticket.user_id


async def open_ticket(
    session: AsyncSession,
    *,
    user: User,
    subject: str,
    description: str,
    priority: str | None = None,
    now: dt.datetime | None = None,
) -> SupportTicket:
    """Open a ticket for `user` after checking the input, the open-ticket cap and the rate."""
    now = now or utcnow()
    clean = {
        "subject": clean_subject(subject),
        "description": clean_text(description, field="description", label="the description"),
        "priority": clean_priority(priority),
    }
    still_open = await session.scalar(
        select(func.count(SupportTicket.id)).where(
            SupportTicket.user_id == user.id, SupportTicket.status != "closed"
        )
    )
    if (still_open or 0) >= MAX_OPEN_TICKETS:
        raise Conflict(
            f"you already have {MAX_OPEN_TICKETS} tickets waiting; add to one of them instead "
            "of opening another",
            code="too_many_open_tickets",
        )
    await ratelimit.hit(
        f"support:open:user:{user.id}",
        OPEN_TICKET_RATE,
        message="you have opened several tickets in a short time; wait a while and try again",
    )
    ticket = SupportTicket(
        user_id=user.id,
        status="open",
        created_at=now,
        updated_at=now,
        user_last_read_at=now,
        **clean,
    )
    session.add(ticket)
    await session.commit()
    return ticket


async def _load_ticket(session: AsyncSession, ticket_id: int, *, thread: bool) -> SupportTicket:
    if not 1 <= ticket_id <= MAX_ID:
        raise NotFound("ticket not found")
    options = [joinedload(SupportTicket.user), joinedload(SupportTicket.assigned_staff)]
    if thread:
        options.append(selectinload(SupportTicket.messages).joinedload(TicketMessage.user))
    ticket = await session.scalar(
        select(SupportTicket).where(SupportTicket.id == ticket_id).options(*options)
    )
    if ticket is None:
        raise NotFound("ticket not found")
    return ticket


async def get_ticket(session: AsyncSession, *, viewer: User, ticket_id: int) -> SupportTicket:
    """A ticket the viewer may see (their own, or any for staff), without its thread."""
    ticket = await _load_ticket(session, ticket_id, thread=False)
    ensure_owner(viewer, ticket.user_id, what="ticket")
    return ticket


@dataclass(frozen=True)
class TicketThread:
    ticket: SupportTicket
    messages: list[TicketMessage]
    viewer_is_staff: bool
    # The viewer's previous read mark: messages after it are new to them on this visit.
    previously_read_at: dt.datetime | None


async def view_ticket(
    session: AsyncSession, *, viewer: User, ticket_id: int, now: dt.datetime | None = None
) -> TicketThread:
    """The ticket with its thread; marks it read for the viewer's side."""
    ticket = await _load_ticket(session, ticket_id, thread=True)
    ensure_owner(viewer, ticket.user_id, what="ticket")
    staff = acts_as_staff(viewer, ticket)
    now = now or utcnow()
    if staff:
        previous = ticket.staff_last_read_at
        ticket.staff_last_read_at = now
    else:
        previous = ticket.user_last_read_at
        ticket.user_last_read_at = now
    # Reading is not activity: write updated_at back unchanged so its onupdate doesn't bump it.
    flag_modified(ticket, "updated_at")
    await session.commit()
    return TicketThread(
        ticket=ticket,
        messages=list(ticket.messages),
        viewer_is_staff=staff,
        previously_read_at=previous,
    )


async def post_message(
    session: AsyncSession,
    *,
    author: User,
    ticket_id: int,
    message: str,
    base_url: str,
    now: dt.datetime | None = None,
) -> TicketMessage:
    """Add a message to the thread and tell the other side.

    A staff reply is marked `is_staff_reply` and moves an `open` ticket to `in_progress`.
    Nobody can write on a closed ticket (409): staff reopen it first, players open a new one.
    """
    ticket = await get_ticket(session, viewer=author, ticket_id=ticket_id)
    staff = acts_as_staff(author, ticket)
    if ticket.status == "closed":
        hint = "reopen it before replying" if staff else "open a new ticket if you still need help"
        raise Conflict(f"this ticket is closed; {hint}", code="ticket_closed")
    text = clean_text(message, field="message", label="the message")
    if not staff:
        await ratelimit.hit(
            f"support:message:user:{author.id}",
            MESSAGE_RATE,
            message="you are sending messages very fast; wait a few minutes and try again",
        )
    now = now or utcnow()
    entry = TicketMessage(
        ticket_id=ticket.id,
        user_id=author.id,
        message=text,
        is_staff_reply=staff,
        created_at=now,
    )
    session.add(entry)
    ticket.updated_at = now
    if staff:
        ticket.staff_last_read_at = now
        if ticket.status == "open":
            ticket.status = "in_progress"
    else:
        ticket.user_last_read_at = now
    await session.flush()
    if staff:
        await notify.player_of_staff_reply(session, ticket=ticket, message=entry, base_url=base_url)
    else:
        await notify.staff_of_player_reply(session, ticket=ticket, message=entry, base_url=base_url)
    await session.commit()
    return entry


async def _assignable(session: AsyncSession, user_id: int) -> User:
    staff = await session.get(User, user_id) if 1 <= user_id <= MAX_ID else None
    if staff is None or not staff.is_admin or staff.disabled:
        raise InvalidInput(
            "tickets can only be assigned to an active admin account", field="assignedTo"
        )
    return staff


async def update_ticket(
    session: AsyncSession,
    *,
    actor: User,
    ticket_id: int,
    status: str | None = None,
    priority: str | None = None,
    assigned_to: int | None = _UNSET,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> SupportTicket:
    """Staff change status, priority or assignee (None unassigns); audited when anything changed."""
    if not actor.is_admin:
        raise PermissionDenied("this needs an admin account")
    if status is None and priority is None and assigned_to is _UNSET:
        raise InvalidInput("send at least one of status, priority, assignedTo")
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = clean_status(status)
    if priority is not None:
        changes["priority"] = clean_priority(priority)
    if assigned_to is not _UNSET:
        if assigned_to is not None:
            await _assignable(session, assigned_to)
        changes["assigned_to"] = assigned_to
    ticket = await _load_ticket(session, ticket_id, thread=False)
    before = {k: getattr(ticket, k) for k in changes if getattr(ticket, k) != changes[k]}
    if not before:
        return ticket
    after = {k: changes[k] for k in before}
    for key, value in after.items():
        setattr(ticket, key, value)
    ticket.updated_at = now or utcnow()
    record_audit(
        session,
        actor=Actor.for_user(actor, ip=ip),
        action="support.update",
        target_type="support_ticket",
        target_id=ticket.id,
        before=before,
        after=after,
    )
    await session.commit()
    # The assignee relationship was loaded for the old value; read it again for the answer.
    await session.refresh(ticket, ["assigned_staff"])
    return ticket
