"""JSON routes for bonus codes: public drops, claiming, the player's codes, admin management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from goatedvips.accounts.deps import AdminUser, CurrentUser
from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.app import error_json
from goatedvips.bonuses import service
from goatedvips.bonuses.schemas import (
    AdminCodeOut,
    BonusCodeIn,
    ClaimOut,
    DropOut,
    ImportOut,
    MyCodeOut,
    Purpose,
)
from goatedvips.deps import DbSession, PagingDep, RowId, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.schemas import CamelModel, Page
from goatedvips.security import client_ip

router = APIRouter(tags=["bonus codes"])


def admin_actor(user: User, request: Request, settings: SettingsDep) -> Actor:
    return Actor.for_user(user, ip=client_ip(request, settings))


@router.get("/api/bonus-codes", response_model=Page[DropOut], summary="Active drops, codes hidden")
async def list_drops(session: DbSession, paging: PagingDep) -> Page[DropOut]:
    total, rows = await service.active_drops(session, paging=paging)
    items = [DropOut.model_validate(r) for r in rows]
    return Page(total=total, limit=paging.limit, offset=paging.offset, items=items)


@router.post(
    "/api/bonus-codes/{code_id}/claim",
    response_model=ClaimOut,
    responses=error_responses(403, 409, 410),
)
async def claim(code_id: RowId, user: CurrentUser, session: DbSession) -> ClaimOut:
    code = await service.claim_code(session, user=user, code_id=code_id)
    return ClaimOut.model_validate(code)


@router.get("/api/me/bonus-codes", response_model=Page[MyCodeOut])
async def my_codes(user: CurrentUser, session: DbSession) -> Page[MyCodeOut]:
    rows = await service.codes_of(session, user_id=user.id)
    items = [MyCodeOut.model_validate(r) for r in rows]
    return Page(total=len(items), limit=len(items), offset=0, items=items)


@router.get("/api/admin/bonus-codes", response_model=Page[AdminCodeOut])
async def admin_codes(
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    status: Annotated[str, Query(description="all | available | claimed | expired")] = "all",
    purpose: Purpose | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AdminCodeOut]:
    total, rows = await service.admin_list(
        session, paging=paging, status=status, purpose=purpose, search=q
    )
    items = [AdminCodeOut.model_validate(r) for r in rows]
    return Page(total=total, limit=paging.limit, offset=paging.offset, items=items)


@router.post(
    "/api/admin/bonus-codes",
    response_model=AdminCodeOut,
    status_code=201,
    responses=error_responses(409),
)
async def create(
    body: BonusCodeIn,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> AdminCodeOut:
    code = await service.create_code(
        session,
        actor=admin_actor(admin, request, settings),
        code=body.code,
        description=body.description,
        value=body.value,
        expires_at=body.expires_at,
        purpose=body.purpose,
    )
    return AdminCodeOut.model_validate(code)


class ImportIn(CamelModel):
    csv: str = Field(max_length=1_000_000)
    purpose: Purpose = "drop"


@router.post(
    "/api/admin/bonus-codes/import",
    response_model=ImportOut,
    status_code=201,
    summary="CSV import (code,description,value,expiresAt); all lines or none",
    responses=error_responses(409),
)
async def import_codes(
    body: ImportIn,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> ImportOut | JSONResponse:
    result = await service.import_csv(
        session,
        actor=admin_actor(admin, request, settings),
        text=body.csv,
        purpose=body.purpose,
    )
    if result.errors:
        return error_json(
            422,
            "invalid_csv",
            f"{len(result.errors)} line(s) are wrong; nothing was imported",
            lines=[{"line": n, "message": m} for n, m in result.errors],
        )
    return ImportOut(created=result.created)


@router.post(
    "/api/admin/bonus-codes/{code_id}/withdraw",
    response_model=AdminCodeOut,
    responses=error_responses(409, 410),
)
async def withdraw(
    code_id: RowId,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> AdminCodeOut:
    code = await service.withdraw_code(
        session, actor=admin_actor(admin, request, settings), code_id=code_id
    )
    return AdminCodeOut.model_validate(code)
