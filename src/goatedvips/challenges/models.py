"""Challenge tables: `challenges` and the players' `challenge_entries`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, Money, TimestampMixin, utcnow

if TYPE_CHECKING:
    from goatedvips.accounts.models import User

CHALLENGE_STATUSES = ("draft", "active", "completed", "cancelled")
ENTRY_STATUSES = ("pending", "approved", "rejected")


class Multiplier(Money):
    """NUMERIC(12, 2) returned as Decimal on every backend (e.g. a 100.00x target)."""

    impl = Numeric(12, 2, asdecimal=True)
    cache_ok = True


class Challenge(TimestampMixin, Base):
    """A game challenge: hit `multiplier` on `game` betting at least `min_bet` to win a prize."""

    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'active', 'completed', 'cancelled')", "status"),
        CheckConstraint("max_winners > 0", "max_winners"),
        CheckConstraint("multiplier > 0", "multiplier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game: Mapped[str] = mapped_column(String(64))
    multiplier: Mapped[Decimal] = mapped_column(Multiplier())
    min_bet: Mapped[Decimal]
    prize_amount: Mapped[Decimal]
    max_winners: Mapped[int] = mapped_column(default=1, server_default="1")
    timeframe: Mapped[str | None] = mapped_column(String(64))  # a human label, e.g. "This weekend"
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), default="draft", server_default="draft", index=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    creator: Mapped[User | None] = relationship(back_populates="created_challenges")
    entries: Mapped[list[ChallengeEntry]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", passive_deletes=True
    )


class ChallengeEntry(Base):
    """A verified player's claim to have completed a challenge, backed by a bet link."""

    __tablename__ = "challenge_entries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", "status"),
        UniqueConstraint("challenge_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    bet_link: Mapped[str] = mapped_column(String(512), unique=True)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    bonus_code: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp(), index=True
    )
    verified_at: Mapped[dt.datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(64))

    challenge: Mapped[Challenge] = relationship(back_populates="entries")
    user: Mapped[User] = relationship(back_populates="challenge_entries")
