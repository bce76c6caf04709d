"""Race JSON routes: public races and standings, the player's own position, admin management."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from goatedvips.accounts.deps import AdminUser, CurrentUser
from goatedvips.admin.audit import Actor
from goatedvips.deps import MAX_ROW_ID, DbSession, PagingDep, RowId, SettingsDep
from goatedvips.errors import NotFound
from goatedvips.openapi import error_responses
from goatedvips.races import queries, service
from goatedvips.races.schemas import (
    CorrectionIn,
    RaceCreate,
    RaceDetailOut,
    RaceOut,
    RacePositionOut,
    RaceUpdate,
    TemplateIn,
    TemplateOut,
)
from goatedvips.schemas import Page
from goatedvips.security import client_ip

router = APIRouter(prefix="/api", tags=["races"])


def _actor(request: Request, user: AdminUser, settings: SettingsDep) -> Actor:
    return Actor.for_user(user, ip=client_ip(request, settings))


async def _detail(session: DbSession, race_id: int, paging: PagingDep) -> RaceDetailOut:
    race = await queries.get_race(session, race_id)
    board = await queries.load_board(session, race)
    return queries.detail_out(board, limit=paging.limit, offset=paging.offset)


@router.get("/races", response_model=Page[RaceOut], summary="Races, optionally by status")
async def list_races(
    session: DbSession,
    paging: PagingDep,
    status: Literal["upcoming", "live", "completed", "cancelled"] | None = Query(None),
) -> Page[RaceOut]:
    total, races = await queries.list_races(
        session, status=status, limit=paging.limit, offset=paging.offset
    )
    return Page[RaceOut](
        total=total,
        limit=paging.limit,
        offset=paging.offset,
        items=[queries.race_out(race) for race in races],
    )


@router.get(
    "/races/current",
    response_model=RaceDetailOut,
    summary="The live (or next) race",
    responses=error_responses(404),
)
async def current_race(session: DbSession, paging: PagingDep) -> RaceDetailOut:
    race = await queries.current_race(session)
    if race is None:
        raise NotFound("no race is live or upcoming right now")
    return await _detail(session, race.id, paging)


@router.get("/races/{race_id}", response_model=RaceDetailOut, summary="A race with standings")
async def get_race(race_id: RowId, session: DbSession, paging: PagingDep) -> RaceDetailOut:
    return await _detail(session, race_id, paging)


@router.get(
    "/me/race-position",
    response_model=RacePositionOut,
    summary="My place in a race",
    responses=error_responses(404),
)
async def my_race_position(
    session: DbSession,
    user: CurrentUser,
    race_id: int | None = Query(None, alias="raceId", ge=1, le=MAX_ROW_ID),
) -> RacePositionOut:
    return await queries.race_position(session, user=user, race_id=race_id)


@router.post("/admin/races", status_code=201, response_model=RaceDetailOut)
async def create_race(
    body: RaceCreate,
    request: Request,
    session: DbSession,
    user: AdminUser,
    settings: SettingsDep,
    paging: PagingDep,
) -> RaceDetailOut:
    race = await service.create_race(session, actor=_actor(request, user, settings), data=body)
    return await _detail(session, race.id, paging)


@router.patch(
    "/admin/races/{race_id}", response_model=RaceDetailOut, responses=error_responses(409)
)
async def update_race(
    race_id: RowId,
    body: RaceUpdate,
    request: Request,
    session: DbSession,
    user: AdminUser,
    settings: SettingsDep,
    paging: PagingDep,
) -> RaceDetailOut:
    actor = _actor(request, user, settings)
    await service.update_race(session, actor=actor, race_id=race_id, data=body)
    return await _detail(session, race_id, paging)


@router.post(
    "/admin/races/{race_id}/cancel", response_model=RaceOut, responses=error_responses(409)
)
async def cancel_race(
    race_id: RowId, request: Request, session: DbSession, user: AdminUser, settings: SettingsDep
) -> RaceOut:
    race = await service.cancel_race(
        session, actor=_actor(request, user, settings), race_id=race_id
    )
    return queries.race_out(race)


@router.post(
    "/admin/races/{race_id}/corrections",
    response_model=RaceDetailOut,
    responses=error_responses(409),
)
async def correct_race(
    race_id: RowId,
    body: CorrectionIn,
    request: Request,
    session: DbSession,
    user: AdminUser,
    settings: SettingsDep,
    paging: PagingDep,
) -> RaceDetailOut:
    actor = _actor(request, user, settings)
    await service.correct_results(session, actor=actor, race_id=race_id, data=body)
    return await _detail(session, race_id, paging)


@router.post("/admin/race-templates", status_code=201, response_model=TemplateOut)
async def create_template(
    body: TemplateIn, request: Request, session: DbSession, user: AdminUser, settings: SettingsDep
) -> TemplateOut:
    template = await service.create_template(
        session, actor=_actor(request, user, settings), data=body
    )
    return TemplateOut.model_validate(template)
