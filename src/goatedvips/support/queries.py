"""Reading tickets: lists with unread markers for either side, and the filters of the staff queue.

A ticket is unread for a side when the newest message from the other side is newer than that
side's `*_last_read_at`. For staff, a ticket nobody on staff has opened yet is unread too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from goatedvips.accounts.models import User
from goatedvips.errors import InvalidInput
from goatedvips.support.models import SupportTicket, TicketMessage
from goatedvips.support.rules import MAX_ID, clean_priority, clean_status

Side = Literal["player", "staff"]
# assignee filter: a staff user id, "unassigned", or None for everyone's
AssigneeFilter = int | Literal["unassigned"] | None


def _latest_message_at(*, from_staff: bool) -> ColumnElement[dt.datetime]:
    return (
        select(func.max(TicketMessage.created_at))
        .where(
            TicketMessage.ticket_id == SupportTicket.id,
            TicketMessage.is_staff_reply.is_(from_staff),
        )
        .correlate(SupportTicket)
        .scalar_subquery()
    )


def unread_condition(side: Side) -> ColumnElement[bool]:
    """SQL truth of "this ticket has news for `side`"."""
    if side == "player":
        latest_staff = _latest_message_at(from_staff=True)
        return and_(
            latest_staff.is_not(None),
            or_(
                SupportTicket.user_last_read_at.is_(None),
                latest_staff > SupportTicket.user_last_read_at,
            ),
        )
    latest_player = _latest_message_at(from_staff=False)
    return or_(
        SupportTicket.staff_last_read_at.is_(None),
        latest_player > SupportTicket.staff_last_read_at,
    )


@dataclass(frozen=True)
class TicketRow:
    """A ticket as a list shows it."""

    ticket: SupportTicket
    unread: bool
    owner_username: str
    assignee_username: str | None
    message_count: int


@dataclass(frozen=True)
class TicketListing:
    items: list[TicketRow]
    total: int
    unread_count: int


@dataclass(frozen=True)
class StaffFilters:
    status: str | None = None
    priority: str | None = None
    assignee: AssigneeFilter = None
    unread_only: bool = False


def parse_assignee(value: str | None, *, me: User) -> AssigneeFilter:
    """`me`, `unassigned`, a user id, or nothing; anything else is refused with a clear message."""
    if value is None or value.strip() in ("", "all", "any"):
        return None
    value = value.strip().lower()
    if value == "unassigned":
        return "unassigned"
    if value == "me":
        return me.id
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    raise InvalidInput('assignee must be a user id, "me" or "unassigned"', field="assignee")


def staff_filters(
    *,
    me: User,
    status: str | None,
    priority: str | None,
    assignee: str | None,
    unread_only: bool = False,
) -> StaffFilters:
    return StaffFilters(
        status=clean_status(status) if status else None,
        priority=clean_priority(priority) if priority else None,
        assignee=parse_assignee(assignee, me=me),
        unread_only=unread_only,
    )


def _where(filters: StaffFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.status:
        clauses.append(SupportTicket.status == filters.status)
    if filters.priority:
        clauses.append(SupportTicket.priority == filters.priority)
    if filters.assignee == "unassigned":
        clauses.append(SupportTicket.assigned_to.is_(None))
    elif filters.assignee is not None:
        clauses.append(SupportTicket.assigned_to == filters.assignee)
    if filters.unread_only:
        clauses.append(unread_condition("staff"))
    return clauses


async def _listing(
    session: AsyncSession,
    *,
    side: Side,
    where: list[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> TicketListing:
    owner = aliased(User)
    assignee = aliased(User)
    unread = unread_condition(side)
    message_count = (
        select(func.count(TicketMessage.id))
        .where(TicketMessage.ticket_id == SupportTicket.id)
        .correlate(SupportTicket)
        .scalar_subquery()
    )
    query: Select[tuple[SupportTicket, bool, str, str | None, int]] = (
        select(SupportTicket, unread, owner.username, assignee.username, message_count)
        .join(owner, owner.id == SupportTicket.user_id)
        .outerjoin(assignee, assignee.id == SupportTicket.assigned_to)
        .where(*where)
        .order_by(SupportTicket.updated_at.desc(), SupportTicket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(query)).all()
    total = await session.scalar(select(func.count(SupportTicket.id)).where(*where)) or 0
    unread_count = (
        await session.scalar(select(func.count(SupportTicket.id)).where(*where, unread)) or 0
    )
    return TicketListing(
        items=[
            TicketRow(
                ticket=t,
                unread=bool(u),
                owner_username=o,
                assignee_username=a,
                message_count=int(c or 0),
            )
            for t, u, o, a, c in rows
        ],
        total=total,
        unread_count=unread_count,
    )


async def list_own_tickets(
    session: AsyncSession, *, user: User, limit: int = 50, offset: int = 0
) -> TicketListing:
    """The player's own tickets, newest activity first."""
    return await _listing(
        session,
        side="player",
        where=[SupportTicket.user_id == user.id],
        limit=limit,
        offset=offset,
    )


async def list_staff_queue(
    session: AsyncSession, *, filters: StaffFilters, limit: int = 50, offset: int = 0
) -> TicketListing:
    """Every player's tickets for staff, filtered, newest activity first."""
    return await _listing(session, side="staff", where=_where(filters), limit=limit, offset=offset)


async def ticket_row(session: AsyncSession, *, ticket_id: int, side: Side) -> TicketRow:
    """One ticket as a list would show it to `side` (the caller has checked access)."""
    listing = await _listing(
        session, side=side, where=[SupportTicket.id == ticket_id], limit=1, offset=0
    )
    return listing.items[0]


async def staff_members(session: AsyncSession) -> list[User]:
    """Admins who can be assigned a ticket."""
    result = await session.scalars(
        select(User)
        .where(User.is_admin.is_(True), User.disabled.is_(False))
        .order_by(User.username)
    )
    return list(result)


async def count_unread_for_staff(session: AsyncSession) -> int:
    """Tickets still needing a look by staff (closed ones excluded), for badges."""
    return (
        await session.scalar(
            select(func.count(SupportTicket.id)).where(
                SupportTicket.status != "closed", unread_condition("staff")
            )
        )
        or 0
    )


async def player_summary(session: AsyncSession, *, user: User) -> tuple[int, int]:
    """(tickets not closed, tickets with a staff reply the player hasn't read) for `user`."""
    mine = SupportTicket.user_id == user.id
    waiting = await session.scalar(
        select(func.count(SupportTicket.id)).where(mine, SupportTicket.status != "closed")
    )
    unread = await session.scalar(
        select(func.count(SupportTicket.id)).where(mine, unread_condition("player"))
    )
    return waiting or 0, unread or 0
