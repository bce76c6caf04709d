"""Admin tables: the `audit_log` of every admin action and key/value `app_settings`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from goatedvips.db import Base, JSONType, utcnow

if TYPE_CHECKING:
    from goatedvips.accounts.models import User


class AuditLog(Base):
    """Who did what to which target, with the state before and after, from where and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(64))  # "user:12", "telegram:123", "system"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSONType)
    after: Mapped[Any | None] = mapped_column(JSONType)
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp(), index=True
    )

    actor_user: Mapped[User | None] = relationship()


class AppSetting(Base):
    """An admin-editable setting (e.g. excluded uids), stored as JSON under a key."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
