"""JSON routes: the Telegram link, Goated verification, the admin queue, and the webhook."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from goatedvips.accounts.deps import AdminUser, CurrentUser
from goatedvips.accounts.models import User
from goatedvips.deps import DbSession, PagingDep, RowId, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.telegram import site, verification, webhook
from goatedvips.telegram.models import VerificationRequest
from goatedvips.telegram.schemas import (
    DecisionIn,
    LinkTokenOut,
    VerificationRequestOut,
    VerificationRequestPage,
    VerifyIn,
    VerifyOut,
)

router = APIRouter()
api = APIRouter(prefix="/api", tags=["telegram"])

StatusFilter = Literal["pending", "approved", "rejected"]


@api.post("/me/telegram/link", response_model=LinkTokenOut, responses=error_responses(429))
async def create_link(
    request: Request, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> LinkTokenOut:
    """A one-time link (15 minutes) to open in Telegram; only its hash is stored."""
    token, deep_link = await site.new_link(request, session, settings, user)
    return LinkTokenOut(token=token.token, deep_link=deep_link, expires_at=token.expires_at)


@api.post(
    "/me/goated/verify",
    response_model=VerifyOut,
    status_code=201,
    responses=error_responses(404, 409, 429),
)
async def request_goated_verification(
    body: VerifyIn, request: Request, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> VerifyOut:
    """Open a verification request for a Goated name of the latest feed (or an exact uid)."""
    created = await site.open_verification(request, session, settings, user, body.goated_username)
    return VerifyOut(request_id=created.id, status=created.status)


async def _out(session: DbSession, rows: list[VerificationRequest]) -> list[VerificationRequestOut]:
    ids = {row.user_id for row in rows}
    usernames = await session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    names = dict(usernames.tuples().all())
    return [
        VerificationRequestOut(
            id=row.id,
            user_id=row.user_id,
            username=names.get(row.user_id, ""),
            telegram_id=row.telegram_id,
            telegram_username=row.telegram_username,
            goated_username=row.goated_username,
            goated_uid=row.goated_uid,
            status=row.status,
            requested_at=row.requested_at,
            verified_at=row.verified_at,
            verified_by=row.verified_by,
            admin_notes=row.admin_notes,
        )
        for row in rows
    ]


@api.get("/admin/verification-requests", response_model=VerificationRequestPage)
async def list_verification_requests(
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    status: StatusFilter | None = Query(None, description="pending, approved or rejected"),
) -> VerificationRequestPage:
    rows, total = await verification.list_requests(
        session, status=status, limit=paging.limit, offset=paging.offset
    )
    return VerificationRequestPage(
        total=total, limit=paging.limit, offset=paging.offset, items=await _out(session, rows)
    )


@api.post(
    "/admin/verification-requests/{request_id}/{action}",
    response_model=VerificationRequestOut,
    responses=error_responses(409),
)
async def decide_verification_request(
    request_id: RowId,
    action: Literal["approve", "reject"],
    body: DecisionIn,
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: SettingsDep,
) -> VerificationRequestOut:
    decision = await site.decide_from_web(
        request, session, settings, admin, request_id, approve=action == "approve", notes=body.notes
    )
    return (await _out(session, [decision.request]))[0]


router.include_router(api)
router.include_router(webhook.router)
