"""Account tables: `users` (the spec's users) and `user_sessions` (server-side sessions)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, JSONType, TimestampMixin, utcnow

if TYPE_CHECKING:
    from goatedvips.bonuses.models import BonusCode
    from goatedvips.challenges.models import Challenge, ChallengeEntry
    from goatedvips.notifications.models import NotificationPreferences
    from goatedvips.races.models import WagerRace, WagerRaceParticipant
    from goatedvips.support.models import SupportTicket, TicketMessage
    from goatedvips.telegram.models import (
        TelegramUser,
        VerificationHistory,
        VerificationRequest,
    )


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The spec names the column `password`; it only ever holds an argon2 hash.
    password_hash: Mapped[str] = mapped_column("password", String(255))

    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    email_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    email_verification_token: Mapped[str | None] = mapped_column(String(128))  # a token hash
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    hide_name: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_changed_at: Mapped[dt.datetime | None]

    last_login_ip: Mapped[str | None] = mapped_column(String(45))
    registration_ip: Mapped[str | None] = mapped_column(String(45))
    ip_history: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )
    login_history: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )

    country: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(128))

    last_active: Mapped[dt.datetime | None] = mapped_column(index=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    telegram_verified_at: Mapped[dt.datetime | None]
    goated_username: Mapped[str | None] = mapped_column(String(64), index=True)
    goated_uid: Mapped[str | None] = mapped_column(String(64), unique=True)
    goated_verified: Mapped[bool] = mapped_column(default=False, server_default=false())

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    notification_preferences: Mapped[NotificationPreferences | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    telegram_user: Mapped[TelegramUser | None] = relationship(
        back_populates="user", uselist=False, passive_deletes=True
    )
    # The spec's one-to-one `verificationRequest`: the user's open (pending) request, if any.
    verification_request: Mapped[VerificationRequest | None] = relationship(
        primaryjoin="and_(User.id == VerificationRequest.user_id, "
        "VerificationRequest.status == 'pending')",
        viewonly=True,
        uselist=False,
    )
    verification_requests: Mapped[list[VerificationRequest]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    verification_history: Mapped[list[VerificationHistory]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    created_races: Mapped[list[WagerRace]] = relationship(
        back_populates="creator", passive_deletes=True
    )
    race_participations: Mapped[list[WagerRaceParticipant]] = relationship(
        back_populates="user", passive_deletes=True
    )
    support_tickets: Mapped[list[SupportTicket]] = relationship(
        back_populates="user",
        foreign_keys="SupportTicket.user_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    assigned_tickets: Mapped[list[SupportTicket]] = relationship(
        back_populates="assigned_staff",
        foreign_keys="SupportTicket.assigned_to",
        passive_deletes=True,
    )
    ticket_messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="user", passive_deletes=True
    )
    created_challenges: Mapped[list[Challenge]] = relationship(
        back_populates="creator", passive_deletes=True
    )
    challenge_entries: Mapped[list[ChallengeEntry]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    created_bonus_codes: Mapped[list[BonusCode]] = relationship(
        back_populates="creator", foreign_keys="BonusCode.created_by", passive_deletes=True
    )
    claimed_bonus_codes: Mapped[list[BonusCode]] = relationship(
        back_populates="claimant", foreign_keys="BonusCode.user_id", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<User id={self.id} username={self.username!r}>"


# Case-insensitive uniqueness ("Alice" and "alice" are one account) on SQLite and PostgreSQL alike.
Index("uq_users_lower_username", func.lower(User.username), unique=True)
Index("uq_users_lower_email", func.lower(User.email), unique=True)


class UserSession(Base):
    """A server-side login session; the id is the sha256 hex of the cookie token."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None]
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))

    user: Mapped[User] = relationship(back_populates="sessions")
