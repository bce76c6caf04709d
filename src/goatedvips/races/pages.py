"""Race pages: /races (the live race), /races/{id}, the live standings fragment and its SSE
stream, and player profiles at /players/{uid}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import select

from goatedvips import live
from goatedvips.accounts.deps import OptionalUser
from goatedvips.accounts.models import User
from goatedvips.affiliate.models import AffiliatePlayer
from goatedvips.affiliate.privacy import load_privacy
from goatedvips.affiliate.tiers import TIERS, tier_progress
from goatedvips.deps import DbSession
from goatedvips.errors import NotFound
from goatedvips.races import admin_pages, queries
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)
PAGE_ROWS = 100


def _standings_context(board: queries.Board, user: User | None) -> dict[str, Any]:
    """The rows shown (top PAGE_ROWS, plus the viewer's own row when further down)."""
    uid = queries.linked_uid(user) if user else None
    rows = board.standings[:PAGE_ROWS]
    mine = board.standing(uid)
    return {
        "board": board,
        "race": board.race,
        "rows": rows,
        "me": mine,
        "my_uid": uid,
        "my_gap": board.gap_to_next(uid) if mine and uid else None,
        "me_below": mine is not None and mine not in rows,
    }


async def _race_page_context(
    session: DbSession, race: WagerRace, user: User | None
) -> dict[str, Any]:
    board = await queries.load_board(session, race)
    return _standings_context(board, user)


@router.get("/races", response_class=HTMLResponse)
async def races_index(request: Request, session: DbSession, user: OptionalUser) -> HTMLResponse:
    race = await queries.current_race(session)
    context: dict[str, Any] = {"race": None}
    if race is not None:
        context = await _race_page_context(session, race, user)
    _, others = await queries.list_races(session, status="live", limit=20, offset=0)
    _, upcoming = await queries.list_races(session, status="upcoming", limit=20, offset=0)
    context["others"] = [r for r in [*others, *upcoming] if race is None or r.id != race.id]
    context["winners"] = await queries.recent_winners(session)
    return render(request, "races/index.html", context)


@router.get("/races/{race_id}", response_class=HTMLResponse)
async def race_page(
    race_id: int, request: Request, session: DbSession, user: OptionalUser
) -> HTMLResponse:
    race = await queries.get_race(session, race_id)
    context = await _race_page_context(session, race, user)
    return render(request, "races/detail.html", context)


@router.get("/races/{race_id}/standings", response_class=HTMLResponse)
async def race_standings_fragment(
    race_id: int, request: Request, session: DbSession, user: OptionalUser
) -> HTMLResponse:
    race = await queries.get_race(session, race_id)
    context = await _race_page_context(session, race, user)
    return render(request, "races/_standings.html", context)


@router.get("/races/{race_id}/stream")
async def race_stream(race_id: int, request: Request, session: DbSession) -> StreamingResponse:
    await queries.get_race(session, race_id)
    await session.close()  # the stream may stay open for hours: give the connection back
    return live.sse_response(request, f"race:{race_id}")


@router.get("/players/{uid}", response_class=HTMLResponse)
async def player_profile(
    uid: str, request: Request, session: DbSession, user: OptionalUser
) -> HTMLResponse:
    privacy = await load_privacy(session)
    found = await session.get(AffiliatePlayer, uid)
    if found is None or privacy.is_excluded(uid):
        raise NotFound("no player with this id")
    history = (
        await session.execute(
            select(WagerRaceParticipant, WagerRace)
            .join(WagerRace, WagerRace.id == WagerRaceParticipant.race_id)
            .where(
                WagerRaceParticipant.goated_uid == uid,
                WagerRace.status.in_(("live", "completed")),
            )
            .order_by(WagerRace.end_date.desc())
            .limit(50)
        )
    ).all()
    progress = tier_progress(found.wagered_all_time)
    return render(
        request,
        "races/player.html",
        {
            "uid": uid,
            "name": privacy.public_name(uid, found.name),
            "player": found,
            "progress": progress,
            "percent": int(progress.progress * 100),
            "tiers": TIERS,
            "history": history,
        },
    )
