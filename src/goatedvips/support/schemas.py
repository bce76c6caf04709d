"""JSON shapes of the support API (camelCase on the wire).

Bounds here are loose, so absurd bodies stop early; the real limits live in `support.rules` and
answer with their own messages.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from goatedvips.schemas import CamelModel
from goatedvips.support.models import SupportTicket, TicketMessage
from goatedvips.support.queries import TicketRow

_LOOSE_MAX = 20_000


class TicketIn(CamelModel):
    subject: str = Field(max_length=_LOOSE_MAX)
    description: str = Field(max_length=_LOOSE_MAX)
    priority: str | None = Field(default=None, max_length=32)


class MessageIn(CamelModel):
    message: str = Field(max_length=_LOOSE_MAX)


class TicketPatchIn(CamelModel):
    """Every field optional; `assignedTo: null` unassigns, leaving it out keeps the assignee."""

    status: str | None = Field(default=None, max_length=32)
    priority: str | None = Field(default=None, max_length=32)
    assigned_to: int | None = None


class MessageOut(CamelModel):
    id: int
    ticket_id: int
    user_id: int | None
    username: str | None
    message: str
    is_staff_reply: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, message: TicketMessage, *, username: str | None) -> MessageOut:
        return cls(
            id=message.id,
            ticket_id=message.ticket_id,
            user_id=message.user_id,
            username=username,
            message=message.message,
            is_staff_reply=message.is_staff_reply,
            created_at=message.created_at,
        )


class TicketOut(CamelModel):
    id: int
    user_id: int
    username: str
    subject: str
    description: str
    status: str
    priority: str
    assigned_to: int | None
    assignee_username: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    unread: bool
    message_count: int

    @classmethod
    def of_row(cls, row: TicketRow) -> TicketOut:
        return cls._of(
            row.ticket,
            username=row.owner_username,
            assignee_username=row.assignee_username,
            unread=row.unread,
            message_count=row.message_count,
        )

    @classmethod
    def _of(cls, ticket: SupportTicket, **extra: object) -> TicketOut:
        return cls.model_validate(
            {
                "id": ticket.id,
                "user_id": ticket.user_id,
                "subject": ticket.subject,
                "description": ticket.description,
                "status": ticket.status,
                "priority": ticket.priority,
                "assigned_to": ticket.assigned_to,
                "created_at": ticket.created_at,
                "updated_at": ticket.updated_at,
                **extra,
            }
        )

    @classmethod
    def of_ticket(cls, ticket: SupportTicket, *, unread: bool, message_count: int) -> TicketOut:
        """From a ticket loaded with its owner and assignee."""
        return cls._of(
            ticket,
            username=ticket.user.username,
            assignee_username=ticket.assigned_staff.username if ticket.assigned_staff else None,
            unread=unread,
            message_count=message_count,
        )


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


class TicketPageOut(CamelModel):
    total: int
    limit: int
    offset: int
    unread_count: int
    items: list[TicketOut]
