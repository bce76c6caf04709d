"""Support tables: `support_tickets` and their `ticket_messages`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from goatedvips.accounts.models import User

TICKET_STATUSES = ("open", "in_progress", "closed")
TICKET_PRIORITIES = ("low", "medium", "high")


class SupportTicket(TimestampMixin, Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'closed')", "status"),
        CheckConstraint("priority IN ('low', 'medium', 'high')", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), default="open", server_default="open", index=True
    )
    priority: Mapped[str] = mapped_column(
        String(16), default="medium", server_default="medium", index=True
    )
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    user_last_read_at: Mapped[dt.datetime | None]
    staff_last_read_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="support_tickets", foreign_keys=[user_id])
    assigned_staff: Mapped[User | None] = relationship(
        back_populates="assigned_tickets", foreign_keys=[assigned_to]
    )
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TicketMessage.id",
    )


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str] = mapped_column(Text)
    is_staff_reply: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp(), index=True
    )

    ticket: Mapped[SupportTicket] = relationship(back_populates="messages")
    user: Mapped[User | None] = relationship(back_populates="ticket_messages")
