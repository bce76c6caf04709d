"""Admin rules for accounts: granting and removing the admin role, disabling and enabling.

The site must always keep one working admin: the last active admin can be neither demoted nor
disabled, and nobody can disable their own account. Disabling revokes every session of the
user at once. Each change writes one audit record in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.accounts.sessions import revoke_all_sessions
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.errors import Conflict, NotFound


def _action_name(changes: dict[str, tuple[bool, bool]]) -> str:
    if set(changes) == {"isAdmin"}:
        return "user.grant_admin" if changes["isAdmin"][1] else "user.revoke_admin"
    if set(changes) == {"disabled"}:
        return "user.disable" if changes["disabled"][1] else "user.enable"
    return "user.update_access"


async def _other_active_admins(session: AsyncSession, user_id: int) -> int:
    # FOR UPDATE (PostgreSQL) serialises two admins demoting each other at the same moment;
    # SQLite allows one writer at a time anyway.
    rows = await session.scalars(
        select(User.id)
        .where(User.is_admin.is_(True), User.disabled.is_(False), User.id != user_id)
        .with_for_update()
    )
    return len(rows.all())


async def update_user_access(
    session: AsyncSession,
    *,
    actor: Actor,
    user_id: int,
    is_admin: bool | None = None,
    disabled: bool | None = None,
) -> User:
    """Apply role/access changes to a user; a request that changes nothing writes nothing."""
    user = await session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    changes: dict[str, tuple[bool, bool]] = {}
    if is_admin is not None and is_admin != user.is_admin:
        changes["isAdmin"] = (user.is_admin, is_admin)
    if disabled is not None and disabled != user.disabled:
        changes["disabled"] = (user.disabled, disabled)
    if not changes:
        return user

    if disabled and actor.user_id == user.id:
        raise Conflict("you can't disable your own account", code="cannot_disable_self")
    loses_admin_power = user.is_admin and not user.disabled and (is_admin is False or disabled)
    if loses_admin_power and await _other_active_admins(session, user.id) == 0:
        raise Conflict(
            f"{user.username} is the last active admin; make another admin first",
            code="last_admin",
        )

    before: dict[str, Any] = {name: old for name, (old, _new) in changes.items()}
    after: dict[str, Any] = {name: new for name, (_old, new) in changes.items()}
    if "isAdmin" in changes:
        user.is_admin = changes["isAdmin"][1]
    if "disabled" in changes:
        user.disabled = changes["disabled"][1]
    record_audit(
        session,
        actor=actor,
        action=_action_name(changes),
        target_type="user",
        target_id=user.id,
        before=before,
        after=after,
    )
    if "disabled" in changes and user.disabled:
        # Commits the change, the audit record and the revocation together.
        await revoke_all_sessions(session, user_id=user.id)
    else:
        await session.commit()
    return user
