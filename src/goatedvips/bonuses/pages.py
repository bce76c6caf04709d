"""HTML pages for bonus codes: the public drops page with claiming, and the admin page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import CsrfChecked, OptionalUser
from goatedvips.accounts.models import User
from goatedvips.bonuses import admin_pages, service
from goatedvips.bonuses.eligibility import HOW_TO_VERIFY
from goatedvips.db import utcnow
from goatedvips.deps import DbSession
from goatedvips.errors import DomainError, NotAuthenticated
from goatedvips.schemas import Paging
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)


async def _drops_page(
    request: Request,
    session: DbSession,
    user: User | None,
    flashes: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    total, drops = await service.active_drops(session, paging=Paging(limit=100, offset=0))
    mine = await service.codes_of(session, user_id=user.id) if user else []
    return render(
        request,
        "bonuses/drops.html",
        {
            "drops": drops,
            "total": total,
            "mine": mine,
            "can_claim": bool(user and user.goated_verified),
            "how_to_verify": HOW_TO_VERIFY,
            "now": utcnow(),
            "flashes": flashes or [],
        },
        status_code=status_code,
    )


@router.get("/bonus-codes", response_class=HTMLResponse)
async def drops(
    request: Request, session: DbSession, user: OptionalUser, claimed: int | None = None
) -> HTMLResponse:
    flashes = []
    if claimed and user:
        code = next(
            (c for c in await service.codes_of(session, user_id=user.id) if c.id == claimed), None
        )
        if code:
            flashes.append(("ok", f"Claimed! Your code is {code.code}. Redeem it on Goated."))
    return await _drops_page(request, session, user, flashes)


@router.post("/bonus-codes/{code_id}/claim", dependencies=[CsrfChecked])
async def claim(code_id: int, request: Request, session: DbSession, user: OptionalUser) -> Response:
    if user is None:
        raise NotAuthenticated("log in to claim a bonus code")
    try:
        await service.claim_code(session, user=user, code_id=code_id)
    except DomainError as exc:
        await session.rollback()
        await session.refresh(user)  # the rollback expired it; the layout reads it
        return await _drops_page(request, session, user, [("error", exc.message)], exc.status_code)
    return RedirectResponse(f"/bonus-codes?claimed={code_id}#mine", status_code=303)
