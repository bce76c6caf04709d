"""JSON routes of the affiliate feed: the public leaderboard and the admin feed controls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from goatedvips.accounts.deps import AdminUser
from goatedvips.admin.audit import Actor
from goatedvips.affiliate import service
from goatedvips.affiliate.leaderboard import (
    Period,
    current_snapshot,
    leaderboards_changed,
    stale_now,
)
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.schemas import CamelModel
from goatedvips.security import client_ip

router = APIRouter(prefix="/api", tags=["leaderboards"])


class ExcludedUids(CamelModel):
    uids: list[Any] = Field(description="Goated uids left out of every public board")


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or etag in candidates


@router.get("/leaderboard", summary="A public leaderboard (today, week, month or all time)")
async def leaderboard(
    request: Request,
    settings: SettingsDep,
    period: Period = "month",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    q: Annotated[str, Query(max_length=64, description="part of a player's public name")] = "",
) -> Response:
    snapshot = await current_snapshot(request.app.state.db, settings)
    body, etag = snapshot.json(period, limit, offset, q, stale_now(snapshot, settings))
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/admin/affiliate/status", tags=["admin"], summary="Feed health and token expiry")
async def affiliate_status(
    _admin: AdminUser, session: DbSession, settings: SettingsDep
) -> dict[str, Any]:
    return (await service.feed_status(session, settings)).as_json()


@router.post(
    "/admin/affiliate/sync",
    tags=["admin"],
    summary="Run one affiliate sync now",
    responses=error_responses(409, 502),
)
async def affiliate_sync(
    request: Request, _admin: AdminUser, settings: SettingsDep
) -> JSONResponse:
    result = await service.sync_once(request.app.state.db, settings)
    return JSONResponse(result.summary())


@router.put(
    "/admin/settings/excluded-uids", tags=["admin"], summary="Uids left out of public boards"
)
async def put_excluded_uids(
    payload: ExcludedUids,
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: SettingsDep,
) -> dict[str, list[str]]:
    uids = await service.set_excluded_uids(
        session, uids=payload.uids, actor=Actor.for_user(admin, ip=client_ip(request, settings))
    )
    await leaderboards_changed(request.app.state.db, settings)
    return {"uids": uids}
