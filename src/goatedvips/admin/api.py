"""Admin JSON API: users (search, detail, roles and access) and the audit log."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Path, Query, Request

from goatedvips.accounts.deps import AdminUser
from goatedvips.admin import metrics as _metrics  # noqa: F401  (registers the gauges)
from goatedvips.admin.audit import Actor
from goatedvips.admin.audit_query import AuditFilters, list_audit
from goatedvips.admin.schemas import AdminUserDetail, AdminUserOut, AuditEntryOut, UserPatchIn
from goatedvips.admin.service import update_user_access
from goatedvips.admin.user_search import SEARCH_MAX_LENGTH, load_user_detail, search_users
from goatedvips.admin.views import user_detail, user_out
from goatedvips.db import utcnow
from goatedvips.deps import DbSession, PagingDep, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.schemas import Page
from goatedvips.security import client_ip

router = APIRouter(prefix="/api/admin", tags=["admin"])

UserId = Path(ge=1, le=2**63 - 1, description="user id")


@router.get("/users", response_model=Page[AdminUserOut], summary="Search users")
async def list_users(
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    q: str = Query(
        "", max_length=SEARCH_MAX_LENGTH, description="name, e-mail, IP, Telegram, Goated"
    ),
) -> Page[AdminUserOut]:
    page = await search_users(session, query=q, limit=paging.limit, offset=paging.offset)
    return Page[AdminUserOut](
        total=page.total,
        limit=paging.limit,
        offset=paging.offset,
        items=[user_out(u) for u in page.users],
    )


@router.get("/users/{user_id}", response_model=AdminUserDetail, summary="One user in full")
async def get_user(admin: AdminUser, session: DbSession, user_id: int = UserId) -> AdminUserDetail:
    return user_detail(await load_user_detail(session, user_id), now=utcnow())


@router.patch(
    "/users/{user_id}",
    response_model=AdminUserDetail,
    summary="Change role or access",
    responses=error_responses(409),
)
async def patch_user(
    body: UserPatchIn,
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: SettingsDep,
    user_id: int = UserId,
) -> AdminUserDetail:
    await update_user_access(
        session,
        actor=Actor.for_user(admin, ip=client_ip(request, settings)),
        user_id=user_id,
        is_admin=body.is_admin,
        disabled=body.disabled,
    )
    return user_detail(await load_user_detail(session, user_id), now=utcnow())


@router.get("/audit-log", response_model=Page[AuditEntryOut], summary="The audit trail")
async def audit_log(
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    actor: str | None = Query(None, max_length=64, description="user:12, a user id or username"),
    action: str | None = Query(None, max_length=64, description="user.disable, or user for all"),
    target_type: str | None = Query(None, alias="targetType", max_length=32),
    target_id: str | None = Query(None, alias="targetId", max_length=64),
    since: dt.datetime | None = Query(None, description="ISO 8601; UTC when no offset"),
    until: dt.datetime | None = Query(None, description="ISO 8601, exclusive"),
) -> Page[AuditEntryOut]:
    filters = AuditFilters(actor, action, target_type, target_id, since, until)
    page = await list_audit(session, filters, limit=paging.limit, offset=paging.offset)
    return Page[AuditEntryOut](
        total=page.total,
        limit=paging.limit,
        offset=paging.offset,
        items=[AuditEntryOut.model_validate(e) for e in page.entries],
    )
