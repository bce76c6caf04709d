"""Notification tables: `notification_preferences`, the delivery `notification_outbox` and the
VIP tier marks that make tier-up announcements happen once."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, JSONType, TimestampMixin, utcnow

if TYPE_CHECKING:
    from goatedvips.accounts.models import User


class NotificationPreferences(TimestampMixin, Base):
    """One row per user, created with the account: everything on except promotional offers."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    wager_race_updates: Mapped[bool] = mapped_column(default=True, server_default=true())
    vip_status_changes: Mapped[bool] = mapped_column(default=True, server_default=true())
    promotional_offers: Mapped[bool] = mapped_column(default=False, server_default=false())
    monthly_statements: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_notifications: Mapped[bool] = mapped_column(default=True, server_default=true())
    push_notifications: Mapped[bool] = mapped_column(default=True, server_default=true())

    user: Mapped[User] = relationship(back_populates="notification_preferences")


OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
OUTBOX_CHANNELS = ("email", "telegram")


class NotificationOutbox(TimestampMixin, Base):
    """One message to deliver, written in the same transaction as the event that caused it."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", "status"
        ),
        CheckConstraint("channel IN ('email', 'telegram')", "channel"),
        Index("ix_notification_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Set when a delivery run claims the row (status 'sending'); the run records the outcome
    # only while its own token is still on the row.
    claimed_at: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User | None] = relationship()


class VipTierMark(Base):
    """The highest VIP tier a user was last seen at, so a tier-up is announced once, ever."""

    __tablename__ = "vip_tier_marks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
