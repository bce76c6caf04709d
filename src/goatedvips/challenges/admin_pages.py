"""Admin HTML for challenges: create, edit, cancel, and the entry review queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked, request_actor
from goatedvips.challenges import service
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.errors import DomainError, InvalidInput, NotFound
from goatedvips.forms import form_fields
from goatedvips.ids import parse_row_id
from goatedvips.schemas import Paging
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "created": "Challenge created.",
    "saved": "Challenge saved.",
    "cancelled": "Challenge cancelled; pending entries were rejected.",
    "approved": "Entry approved and the code handed over.",
    "rejected": "Entry rejected.",
}


def _decimal(form: dict[str, str], name: str, field: str) -> Decimal:
    try:
        return Decimal(form.get(name, "").strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"{field} must be a number", field=field) from exc


def _when(form: dict[str, str], name: str, field: str) -> dt.datetime | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{field} is not a date and time", field=field) from exc
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _values(form: dict[str, str]) -> dict[str, Any]:
    """The challenge settings of an admin form (times in UTC, as the form labels say)."""
    winners = form.get("max_winners", "").strip()
    if parse_row_id(winners, allow_hash=False) is None:
        raise InvalidInput("maxWinners must be a whole number", field="maxWinners")
    return {
        "game": form.get("game", ""),
        "multiplier": _decimal(form, "multiplier", "multiplier"),
        "min_bet": _decimal(form, "min_bet", "minBet"),
        "prize_amount": _decimal(form, "prize_amount", "prizeAmount"),
        "max_winners": int(winners),
        "starts_at": _when(form, "starts_at", "startsAt"),
        "ends_at": _when(form, "ends_at", "endsAt"),
        "description": form.get("description", "").strip()[:2000] or None,
        "timeframe": form.get("timeframe", "").strip()[:64] or None,
    }


async def _page(
    request: Request,
    session: DbSession,
    *,
    flashes: list[tuple[str, str]] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _, challenges = await service.list_challenges(
        session, status="all", paging=Paging(limit=200, offset=0), include_cancelled=True
    )
    _, queue = await service.review_queue(session, status="pending", paging=Paging(limit=200))
    return render(
        request,
        "admin/challenges.html",
        {"challenges": challenges, "queue": queue, "flashes": flashes or [], "form": form or {}},
        status_code=status_code,
    )


def _fail(exc: DomainError) -> list[tuple[str, str]]:
    return [("error", exc.message)]


@router.get("/admin/challenges", response_class=HTMLResponse)
async def overview(request: Request, session: DbSession, admin: AdminUser) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _page(request, session, flashes=[("ok", notice)] if notice else [])


@router.post("/admin/challenges", dependencies=[CsrfChecked])
async def create(
    request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    form = await form_fields(request)
    try:
        await service.create_challenge(
            session, actor=request_actor(admin, request, settings), **_values(form)
        )
    except DomainError as exc:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        return await _page(
            request, session, flashes=_fail(exc), form=form, status_code=exc.status_code
        )
    return RedirectResponse("/admin/challenges?done=created", status_code=303)


@router.get("/admin/challenges/{challenge_id}/edit", response_class=HTMLResponse)
async def edit_form(
    challenge_id: int, request: Request, session: DbSession, admin: AdminUser
) -> HTMLResponse:
    current = await service.view(session, challenge_id)
    return render(request, "admin/challenges_edit.html", {"current": current, "flashes": []})


@router.post("/admin/challenges/{challenge_id}/edit", dependencies=[CsrfChecked])
async def edit(
    challenge_id: int,
    request: Request,
    session: DbSession,
    admin: AdminUser,
    settings: SettingsDep,
) -> Response:
    form = await form_fields(request)
    try:
        await service.update_challenge(
            session,
            actor=request_actor(admin, request, settings),
            challenge_id=challenge_id,
            changes=_values(form),
        )
    except NotFound:
        raise
    except DomainError as exc:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        current = await service.view(session, challenge_id)
        return render(
            request,
            "admin/challenges_edit.html",
            {"current": current, "flashes": _fail(exc)},
            status_code=exc.status_code,
        )
    return RedirectResponse("/admin/challenges?done=saved", status_code=303)


@router.post("/admin/challenges/{challenge_id}/cancel", dependencies=[CsrfChecked])
async def cancel(
    challenge_id: int,
    request: Request,
    session: DbSession,
    admin: AdminUser,
    settings: SettingsDep,
) -> Response:
    try:
        await service.cancel_challenge(
            session, actor=request_actor(admin, request, settings), challenge_id=challenge_id
        )
    except DomainError as exc:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        return await _page(request, session, flashes=_fail(exc), status_code=exc.status_code)
    return RedirectResponse("/admin/challenges?done=cancelled", status_code=303)


@router.post("/admin/challenge-entries/{entry_id}/{decision}", dependencies=[CsrfChecked])
async def decide(
    entry_id: int,
    decision: str,
    request: Request,
    session: DbSession,
    admin: AdminUser,
    settings: SettingsDep,
) -> Response:
    form = await form_fields(request)
    actor = request_actor(admin, request, settings)
    try:
        if decision == "approve":
            code = form.get("bonus_code", "").strip() or None
            await service.approve_entry(session, actor=actor, entry_id=entry_id, bonus_code=code)
        elif decision == "reject":
            notes = form.get("notes")
            await service.reject_entry(session, actor=actor, entry_id=entry_id, notes=notes)
        else:
            raise NotFound("no such decision")
    except DomainError as exc:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        return await _page(request, session, flashes=_fail(exc), status_code=exc.status_code)
    done = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(f"/admin/challenges?done={done}#queue", status_code=303)
