"""HTML pages for challenges: what is open, entering with a bet link, the player's entries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import CsrfChecked, OptionalUser
from goatedvips.accounts.models import User
from goatedvips.bonuses.eligibility import HOW_TO_VERIFY
from goatedvips.challenges import admin_pages, service
from goatedvips.deps import DbSession
from goatedvips.errors import DomainError, NotAuthenticated
from goatedvips.schemas import Paging
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)
LISTED = Paging(limit=100, offset=0)


async def _page(
    request: Request,
    session: DbSession,
    user: User | None,
    *,
    flashes: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _, open_now = await service.list_challenges(session, status="active", paging=LISTED)
    _, upcoming = await service.list_challenges(session, status="upcoming", paging=LISTED)
    entries = await service.entries_of(session, user_id=user.id) if user else []
    entered = {entry.challenge_id for entry, _ in entries}
    return render(
        request,
        "challenges/list.html",
        {
            "open_now": open_now,
            "upcoming": upcoming,
            "entries": entries,
            "entered": entered,
            "can_enter": bool(user and user.goated_verified),
            "how_to_verify": HOW_TO_VERIFY,
            "flashes": flashes or [],
        },
        status_code=status_code,
    )


@router.get("/challenges", response_class=HTMLResponse)
async def challenges(
    request: Request, session: DbSession, user: OptionalUser, entered: int | None = None
) -> HTMLResponse:
    flashes = []
    if entered:
        flashes.append(
            ("ok", "Entry received! An admin reviews it soon; you'll be told the result.")
        )
    return await _page(request, session, user, flashes=flashes)


@router.post("/challenges/{challenge_id}/enter", dependencies=[CsrfChecked])
async def enter(
    challenge_id: int, request: Request, session: DbSession, user: OptionalUser
) -> Response:
    if user is None:
        raise NotAuthenticated("log in to enter a challenge")
    bet_link = (await request.form()).get("bet_link")
    try:
        await service.enter_challenge(
            session,
            user=user,
            challenge_id=challenge_id,
            bet_link=bet_link if isinstance(bet_link, str) else "",
        )
    except DomainError as exc:
        await session.rollback()
        await session.refresh(user)  # the rollback expired it; the layout reads it
        return await _page(
            request, session, user, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse(f"/challenges?entered={challenge_id}#mine", status_code=303)
