"""Admin HTML for races: list and create, edit, cancel, correct a completed race, templates.

Forms call the same services as the JSON API, so the rules and the audit trail are identical.
Times in the forms are UTC (the labels say so).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from goatedvips.accounts.deps import AdminUser, CsrfChecked, request_actor
from goatedvips.accounts.models import User
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.errors import DomainError, InvalidInput
from goatedvips.forms import form_fields
from goatedvips.races import queries, service
from goatedvips.races.models import RaceTemplate
from goatedvips.races.schemas import CorrectionIn, RaceCreate, RaceUpdate, TemplateIn
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "created": "Race created.",
    "saved": "Race saved.",
    "cancelled": "Race cancelled.",
    "corrected": "Results corrected (recorded in the audit log).",
    "template": "Template saved; its races are created by the lifecycle job.",
}


def _when(raw: str, field: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{field}: not a date and time", field=field) from exc
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _distribution(raw: str) -> dict[str, Any]:
    """ "50, 30, 20" (shares for places 1, 2, 3) or a JSON object."""
    if raw.startswith("{"):
        try:
            value = json.loads(raw, parse_float=Decimal)
        except ValueError as exc:
            raise InvalidInput(
                "prizeDistribution: not valid JSON", field="prizeDistribution"
            ) from exc
        return value if isinstance(value, dict) else {}
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    return {str(i): p for i, p in enumerate(parts, start=1)}


def _amount(raw: str, field: str) -> Decimal | None:
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise InvalidInput(f"{field}: must be an amount", field=field) from exc


def _model(model: type[Any], values: dict[str, Any]) -> Any:
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise InvalidInput(f"{field}: {first.get('msg')}", field=field) from exc


def _race_values(form: dict[str, str]) -> dict[str, Any]:
    return {
        "title": form.get("title") or None,
        "start_date": _when(form.get("start_date", ""), "startDate"),
        "end_date": _when(form.get("end_date", ""), "endDate"),
        "prize_pool": _amount(form.get("prize_pool", ""), "prizePool"),
        "prize_distribution": _distribution(form.get("prize_distribution", "")),
        "min_wager": _amount(form.get("min_wager", ""), "minWager"),
        "rules": form.get("rules") or None,
        "description": form.get("description") or None,
    }


async def _list_page(
    request: Request,
    session: DbSession,
    *,
    flashes: list[tuple[str, str]] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _, races = await queries.list_races(session, status=None, limit=200, offset=0)
    templates = list(await session.scalars(select(RaceTemplate).order_by(RaceTemplate.id)))
    return render(
        request,
        "admin/races.html",
        {"races": races, "templates": templates, "flashes": flashes or [], "form": form or {}},
        status_code=status_code,
    )


async def _edit_page(
    request: Request,
    session: DbSession,
    race_id: int,
    *,
    flashes: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    race = await queries.get_race(session, race_id)
    board = await queries.load_board(session, race)
    return render(
        request,
        "admin/races_edit.html",
        {"race": race, "board": board, "flashes": flashes or []},
        status_code=status_code,
    )


async def _recover(session: DbSession, admin: User) -> None:
    await session.rollback()
    await session.refresh(admin)  # the rollback expired it; the layout reads it


@router.get("/admin/races", response_class=HTMLResponse)
async def races_admin(request: Request, session: DbSession, admin: AdminUser) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _list_page(request, session, flashes=[("ok", notice)] if notice else [])


@router.post("/admin/races", dependencies=[CsrfChecked])
async def create(
    request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    form = await form_fields(request, strip=True)
    try:
        values = _race_values(form) | {"type": form.get("type") or None}
        data = _model(RaceCreate, values)
        race = await service.create_race(
            session, actor=request_actor(admin, request, settings), data=data
        )
    except DomainError as exc:
        await _recover(session, admin)
        return await _list_page(
            request,
            session,
            flashes=[("error", exc.message)],
            form=form,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/admin/races/{race.id}?done=created", status_code=303)


@router.get("/admin/races/{race_id}", response_class=HTMLResponse)
async def edit_form(
    race_id: int, request: Request, session: DbSession, admin: AdminUser
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _edit_page(request, session, race_id, flashes=[("ok", notice)] if notice else [])


@router.post("/admin/races/{race_id}", dependencies=[CsrfChecked])
async def edit(
    race_id: int, request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    form = await form_fields(request, strip=True)
    try:
        race = await queries.get_race(session, race_id)
        values = _race_values(form)
        if race.status == "completed":  # the form shows only these for a completed race
            values = {k: values[k] for k in ("title", "rules", "description")}
        else:  # blank fields keep their value
            values = {k: v for k, v in values.items() if v not in (None, {})}
        data = _model(RaceUpdate, values)
        await service.update_race(
            session, actor=request_actor(admin, request, settings), race_id=race_id, data=data
        )
    except DomainError as exc:
        await _recover(session, admin)
        return await _edit_page(
            request, session, race_id, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse(f"/admin/races/{race_id}?done=saved", status_code=303)


@router.post("/admin/races/{race_id}/cancel", dependencies=[CsrfChecked])
async def cancel(
    race_id: int, request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    try:
        await service.cancel_race(
            session, actor=request_actor(admin, request, settings), race_id=race_id
        )
    except DomainError as exc:
        await _recover(session, admin)
        return await _edit_page(
            request, session, race_id, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse(f"/admin/races/{race_id}?done=cancelled", status_code=303)


def _correction(form: dict[str, str]) -> CorrectionIn:
    """`totals` lines "uid = amount", `disqualified` uids separated by commas or lines."""
    totals: dict[str, Any] = {}
    for line in form.get("totals", "").splitlines():
        if line.strip():
            uid, _, amount = line.partition("=")
            totals[uid.strip()] = _amount(amount.strip(), "totals") or Decimal(0)
    disqualified = [
        uid.strip() for uid in form.get("disqualified", "").replace(",", "\n").splitlines()
    ]
    return _model(
        CorrectionIn,
        {
            "totals": totals,
            "disqualified": [uid for uid in disqualified if uid],
            "reason": form.get("reason", ""),
        },
    )


@router.post("/admin/races/{race_id}/correct", dependencies=[CsrfChecked])
async def correct(
    race_id: int, request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    try:
        data = _correction(await form_fields(request, strip=True))
        await service.correct_results(
            session, actor=request_actor(admin, request, settings), race_id=race_id, data=data
        )
    except DomainError as exc:
        await _recover(session, admin)
        return await _edit_page(
            request, session, race_id, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse(f"/admin/races/{race_id}?done=corrected", status_code=303)


@router.post("/admin/race-templates", dependencies=[CsrfChecked])
async def create_template(
    request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    form = await form_fields(request, strip=True)
    try:
        values = _race_values(form)
        data = _model(
            TemplateIn,
            {
                "title": values["title"],
                "type": form.get("type") or None,
                "prize_pool": values["prize_pool"],
                "prize_distribution": values["prize_distribution"],
                "min_wager": values["min_wager"],
                "rules": values["rules"],
                "description": values["description"],
            },
        )
        await service.create_template(
            session, actor=request_actor(admin, request, settings), data=data
        )
    except DomainError as exc:
        await _recover(session, admin)
        return await _list_page(
            request, session, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse("/admin/races?done=template", status_code=303)


@router.post("/admin/race-templates/{template_id}/toggle", dependencies=[CsrfChecked])
async def toggle_template(
    template_id: int,
    request: Request,
    session: DbSession,
    admin: AdminUser,
    settings: SettingsDep,
) -> Response:
    template = await session.get(RaceTemplate, template_id)
    active = not template.active if template else True
    await service.set_template_active(
        session,
        actor=request_actor(admin, request, settings),
        template_id=template_id,
        active=active,
    )
    return RedirectResponse("/admin/races?done=template", status_code=303)
