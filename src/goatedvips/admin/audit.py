"""The audit trail: services call `record_audit` inside the transaction of the action they audit.

Because services write the record (not routes), actions from the web, the bot and the CLI are all
recorded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.admin.models import AuditLog

if TYPE_CHECKING:
    from goatedvips.accounts.models import User


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a site user, a Telegram account, or the system itself."""

    label: str
    user_id: int | None = None
    ip: str | None = None
    telegram_id: int | None = None
    is_admin: bool = False

    @classmethod
    def for_user(cls, user: User, *, ip: str | None = None) -> Actor:
        return cls(
            label=f"user:{user.id}",
            user_id=user.id,
            ip=ip,
            telegram_id=user.telegram_id,
            is_admin=user.is_admin,
        )

    @classmethod
    def telegram(
        cls, telegram_id: int, *, user: User | None = None, is_admin: bool = False
    ) -> Actor:
        return cls(
            label=f"telegram:{telegram_id}",
            user_id=user.id if user else None,
            telegram_id=telegram_id,
            is_admin=is_admin or bool(user and user.is_admin),
        )

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(label=what[:64])


def record_audit(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: Any = None,
    before: Any = None,
    after: Any = None,
) -> AuditLog:
    """Add one audit record to the caller's transaction (the caller commits with its change)."""
    entry = AuditLog(
        actor_user_id=actor.user_id,
        actor=actor.label,
        action=action[:64],
        target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:64],
        before=_jsonable(before),
        after=_jsonable(after),
        ip=actor.ip,
    )
    session.add(entry)
    return entry


def _jsonable(value: Any) -> Any:
    """Decimals, datetimes and other scalars become strings so any backend's JSON accepts them."""
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
