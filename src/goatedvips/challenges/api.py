"""JSON routes for challenges: the public list, entering, and the admin side (challenges, review)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from goatedvips.accounts.deps import AdminUser, CurrentUser, request_actor
from goatedvips.challenges import service
from goatedvips.challenges.models import ChallengeEntry
from goatedvips.challenges.schemas import (
    ApproveIn,
    ChallengeIn,
    ChallengeOut,
    ChallengePatch,
    EntryIn,
    EntryOut,
    RejectIn,
)
from goatedvips.deps import MAX_ROW_ID, DbSession, PagingDep, RowId, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.schemas import Page

router = APIRouter(tags=["challenges"])


def _out(current: service.ChallengeView) -> ChallengeOut:
    return ChallengeOut.model_validate(current.as_dict())


def _entry_out(entry: ChallengeEntry, username: str | None = None) -> EntryOut:
    out = EntryOut.model_validate(entry)
    out.username = username
    return out


@router.get("/api/challenges", response_model=Page[ChallengeOut])
async def list_challenges(
    session: DbSession,
    paging: PagingDep,
    status: Annotated[str, Query(description="active | upcoming | completed | all")] = "active",
) -> Page[ChallengeOut]:
    total, views = await service.list_challenges(session, status=status, paging=paging)
    return Page(
        total=total, limit=paging.limit, offset=paging.offset, items=[_out(v) for v in views]
    )


@router.get("/api/challenges/{challenge_id}", response_model=ChallengeOut)
async def get_challenge(challenge_id: RowId, session: DbSession) -> ChallengeOut:
    return _out(await service.view(session, challenge_id))


@router.post(
    "/api/challenges/{challenge_id}/entries",
    response_model=EntryOut,
    status_code=201,
    responses=error_responses(403, 409, 410),
)
async def enter(
    challenge_id: RowId, body: EntryIn, user: CurrentUser, session: DbSession
) -> EntryOut:
    entry = await service.enter_challenge(
        session, user=user, challenge_id=challenge_id, bet_link=body.bet_link
    )
    return _entry_out(entry, user.username)


@router.get("/api/me/challenge-entries", response_model=Page[EntryOut])
async def my_entries(user: CurrentUser, session: DbSession) -> Page[EntryOut]:
    items = [
        _entry_out(e, user.username) for e, _ in await service.entries_of(session, user_id=user.id)
    ]
    return Page(total=len(items), limit=len(items), offset=0, items=items)


@router.get("/api/admin/challenges", response_model=Page[ChallengeOut])
async def admin_challenges(
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    status: Annotated[str, Query(description="active | upcoming | completed | all")] = "all",
) -> Page[ChallengeOut]:
    total, views = await service.list_challenges(
        session, status=status, paging=paging, include_cancelled=True
    )
    return Page(
        total=total, limit=paging.limit, offset=paging.offset, items=[_out(v) for v in views]
    )


@router.post("/api/admin/challenges", response_model=ChallengeOut, status_code=201)
async def create_challenge(
    body: ChallengeIn, admin: AdminUser, request: Request, session: DbSession, settings: SettingsDep
) -> ChallengeOut:
    challenge = await service.create_challenge(
        session, actor=request_actor(admin, request, settings), **body.model_dump()
    )
    return _out(await service.view(session, challenge.id))


@router.patch(
    "/api/admin/challenges/{challenge_id}",
    response_model=ChallengeOut,
    responses=error_responses(409),
)
async def update_challenge(
    challenge_id: RowId,
    body: ChallengePatch,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> ChallengeOut:
    await service.update_challenge(
        session,
        actor=request_actor(admin, request, settings),
        challenge_id=challenge_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return _out(await service.view(session, challenge_id))


@router.post(
    "/api/admin/challenges/{challenge_id}/cancel",
    response_model=ChallengeOut,
    responses=error_responses(409),
)
async def cancel_challenge(
    challenge_id: RowId,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> ChallengeOut:
    await service.cancel_challenge(
        session, actor=request_actor(admin, request, settings), challenge_id=challenge_id
    )
    return _out(await service.view(session, challenge_id))


@router.get("/api/admin/challenge-entries", response_model=Page[EntryOut])
async def review_queue(
    admin: AdminUser,
    session: DbSession,
    paging: PagingDep,
    status: Annotated[str, Query(description="pending | approved | rejected | all")] = "pending",
    challenge_id: Annotated[int | None, Query(alias="challengeId", ge=1, le=MAX_ROW_ID)] = None,
) -> Page[EntryOut]:
    total, rows = await service.review_queue(
        session, status=status, challenge_id=challenge_id, paging=paging
    )
    items = [_entry_out(e, u.username) for e, u, _ in rows]
    return Page(total=total, limit=paging.limit, offset=paging.offset, items=items)


@router.post(
    "/api/admin/challenge-entries/{entry_id}/approve",
    response_model=EntryOut,
    responses=error_responses(409, 410),
)
async def approve(
    entry_id: RowId,
    body: ApproveIn,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> EntryOut:
    entry = await service.approve_entry(
        session,
        actor=request_actor(admin, request, settings),
        entry_id=entry_id,
        bonus_code=body.bonus_code,
    )
    return _entry_out(entry)


@router.post(
    "/api/admin/challenge-entries/{entry_id}/reject",
    response_model=EntryOut,
    responses=error_responses(409),
)
async def reject(
    entry_id: RowId,
    body: RejectIn,
    admin: AdminUser,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> EntryOut:
    entry = await service.reject_entry(
        session, actor=request_actor(admin, request, settings), entry_id=entry_id, notes=body.notes
    )
    return _entry_out(entry)
