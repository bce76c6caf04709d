"""Race tables: `wager_races`, `wager_race_participants` and reusable `race_templates`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, JSONType, TimestampMixin, utcnow

if TYPE_CHECKING:
    from goatedvips.accounts.models import User

RACE_TYPES = ("monthly", "weekly", "custom")
RACE_STATUSES = ("upcoming", "live", "completed", "cancelled")


class WagerRace(TimestampMixin, Base):
    """A race over the window [start_date, end_date) in UTC."""

    __tablename__ = "wager_races"
    __table_args__ = (
        CheckConstraint("type IN ('monthly', 'weekly', 'custom')", "type"),
        CheckConstraint("status IN ('upcoming', 'live', 'completed', 'cancelled')", "status"),
        CheckConstraint("end_date > start_date", "window"),
        CheckConstraint("prize_pool >= 0", "prize_pool"),
        CheckConstraint("min_wager >= 0", "min_wager"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), default="upcoming", server_default="upcoming", index=True
    )
    prize_pool: Mapped[Decimal]
    # Position ("1", "2", ...) -> percentage of the pool as a decimal string.
    prize_distribution: Mapped[dict[str, Any]] = mapped_column(JSONType)
    min_wager: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    start_date: Mapped[dt.datetime] = mapped_column(index=True)
    end_date: Mapped[dt.datetime] = mapped_column(index=True)
    rules: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    finalized_at: Mapped[dt.datetime | None]

    creator: Mapped[User | None] = relationship(back_populates="created_races")
    participants: Mapped[list[WagerRaceParticipant]] = relationship(
        back_populates="race", cascade="all, delete-orphan", passive_deletes=True
    )


class WagerRaceParticipant(Base):
    """A Goated player in a race; `user_id` is set once a site account has verified the uid."""

    __tablename__ = "wager_race_participants"
    __table_args__ = (
        UniqueConstraint("race_id", "goated_uid"),
        Index("ix_wager_race_participants_race_id_rank", "race_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    race_id: Mapped[int] = mapped_column(ForeignKey("wager_races.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    goated_uid: Mapped[str] = mapped_column(String(64), index=True)
    goated_name: Mapped[str] = mapped_column(String(64))
    total_wager: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    rank: Mapped[int | None]
    prize: Mapped[Decimal | None]
    eligible: Mapped[bool] = mapped_column(default=True, server_default=true())
    joined_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
    wager_history: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )

    race: Mapped[WagerRace] = relationship(back_populates="participants")
    user: Mapped[User | None] = relationship(back_populates="race_participations")


class RaceTemplate(TimestampMixin, Base):
    """Settings an admin reuses for the next monthly or weekly race."""

    __tablename__ = "race_templates"
    __table_args__ = (
        CheckConstraint("type IN ('monthly', 'weekly')", "type"),
        CheckConstraint("prize_pool >= 0", "prize_pool"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    prize_pool: Mapped[Decimal]
    prize_distribution: Mapped[dict[str, Any]] = mapped_column(JSONType)
    min_wager: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    rules: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, server_default=true(), index=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    creator: Mapped[User | None] = relationship()
