"""Telegram tables: Telegram users, link tokens, Goated verification requests and history."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from goatedvips.accounts.models import User

VERIFICATION_STATUSES = ("pending", "approved", "rejected")


class TelegramUser(TimestampMixin, Base):
    """A Telegram account that talked to the bot, linked to at most one site account."""

    __tablename__ = "telegram_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    is_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    verified_at: Mapped[dt.datetime | None]
    # An actor label ("user:12", "telegram:123"): Telegram admins may have no site account.
    verified_by: Mapped[str | None] = mapped_column(String(64))
    notifications_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    blocked_bot_at: Mapped[dt.datetime | None]

    user: Mapped[User | None] = relationship(back_populates="telegram_user")


class TelegramLinkToken(Base):
    """A one-time, short-lived token for `/start <token>`; only its sha256 hash is stored."""

    __tablename__ = "telegram_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )

    user: Mapped[User] = relationship()


class VerificationRequest(TimestampMixin, Base):
    """A request to verify a Goated account; `unique_request` keeps one open request per uid."""

    __tablename__ = "verification_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", "status"),
        # One open request per user.
        Index(
            "uq_verification_requests_pending_user",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    requested_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp(), index=True
    )
    verified_at: Mapped[dt.datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(64))
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    goated_username: Mapped[str] = mapped_column(String(64))
    goated_uid: Mapped[str] = mapped_column(String(64), index=True)
    admin_notes: Mapped[str | None] = mapped_column(Text)
    # "pending:<goated_uid>" while open, "<status>:<id>" once decided.
    unique_request: Mapped[str] = mapped_column(String(128), unique=True)

    user: Mapped[User] = relationship(back_populates="verification_requests")
    history: Mapped[list[VerificationHistory]] = relationship(
        back_populates="request", passive_deletes=True
    )


class VerificationHistory(Base):
    """An append-only record of every verification decision."""

    __tablename__ = "verification_history"
    __table_args__ = (CheckConstraint("status IN ('pending', 'approved', 'rejected')", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_requests.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    goated_username: Mapped[str | None] = mapped_column(String(64))
    goated_uid: Mapped[str | None] = mapped_column(String(64))
    verified_by: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[dt.datetime | None]
    admin_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp(), index=True
    )
    archived_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship(back_populates="verification_history")
    request: Mapped[VerificationRequest | None] = relationship(back_populates="history")
