"""Affiliate tables: the latest feed per player, per-change wager snapshots and sync runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from goatedvips.db import Base, utcnow


class AffiliatePlayer(Base):
    """The latest known counters of one referred Goated player (the uid is the identity).

    Indexed by uid and `name_lower` only: the leaderboards are ranked in memory from one read of
    the table, so no index on a counter (each would cost every sync a write per changed player).
    On PostgreSQL the table has `fillfactor = 50` (migration 0004) so a sync's updates stay HOT.
    """

    __tablename__ = "affiliate_players"

    uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_lower: Mapped[str] = mapped_column(String(128), index=True)
    wagered_today: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    wagered_this_week: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    wagered_this_month: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    wagered_all_time: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    first_seen_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )


class WagerSnapshot(Base):
    """A player's four counters at a sync where any of them changed (changes only).

    Read by time window (race totals, downsampling): indexed by `taken_at` only.
    """

    __tablename__ = "wager_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    today: Mapped[Decimal]
    this_week: Mapped[Decimal]
    this_month: Mapped[Decimal]
    all_time: Mapped[Decimal]
    taken_at: Mapped[dt.datetime] = mapped_column(index=True)


class SyncRun(Base):
    """One attempt to fetch the affiliate feed."""

    __tablename__ = "sync_runs"
    __table_args__ = (CheckConstraint("status IN ('running', 'success', 'failed')", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp(), index=True
    )
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(
        String(16), default="running", server_default="running", index=True
    )
    error: Mapped[str | None] = mapped_column(Text)
    players: Mapped[int | None]
    changed: Mapped[int | None]
    duration_ms: Mapped[int | None]
