"""Bonus code table: `bonus_codes`, each claimable by one player at most."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, TimestampMixin

if TYPE_CHECKING:
    from goatedvips.accounts.models import User


class BonusCode(TimestampMixin, Base):
    """A code with a value and an expiry; `user_id` is the claimant once claimed."""

    __tablename__ = "bonus_codes"
    __table_args__ = (
        CheckConstraint("value >= 0", "value"),
        CheckConstraint("purpose IN ('drop', 'prize')", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    value: Mapped[Decimal]
    expired: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[dt.datetime | None]
    # `drop`: listed publicly, first verified claimer wins; `prize`: handed to challenge winners.
    purpose: Mapped[str] = mapped_column(
        String(16), default="drop", server_default="drop", index=True
    )

    creator: Mapped[User | None] = relationship(
        back_populates="created_bonus_codes", foreign_keys=[created_by]
    )
    claimant: Mapped[User | None] = relationship(
        back_populates="claimed_bonus_codes", foreign_keys=[user_id]
    )
