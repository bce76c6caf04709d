"""Admin HTML for bonus codes: list with filters, create one, CSV import, withdraw."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goatedvips.accounts.deps import AdminUser, CsrfChecked, request_actor
from goatedvips.bonuses import service
from goatedvips.bonuses.csv_import import parse_expiry, parse_value
from goatedvips.db import utcnow
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.errors import DomainError, InvalidInput
from goatedvips.ids import parse_row_id
from goatedvips.schemas import Paging
from goatedvips.web import render

router = APIRouter(include_in_schema=False)
MAX_PAGE = 100_000  # keeps the offset far from any integer limit
PAGE_SIZE = 50


async def _page(
    request: Request,
    session: DbSession,
    *,
    flashes: list[tuple[str, str]] | None = None,
    import_errors: list[tuple[int, str]] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    params = request.query_params
    status = params.get("status", "all")
    purpose = params.get("purpose") or None
    search = params.get("q") or None
    page = min(parse_row_id(params.get("page", "1")) or 1, MAX_PAGE)
    paging = Paging(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    try:
        total, codes = await service.admin_list(
            session, paging=paging, status=status, purpose=purpose, search=search
        )
    except InvalidInput as exc:
        status, purpose = "all", None
        total, codes = await service.admin_list(session, paging=paging)
        flashes = [*(flashes or []), ("error", exc.message)]
    return render(
        request,
        "admin/bonus_codes.html",
        {
            "codes": codes,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": {"status": status, "purpose": purpose or "", "q": search or ""},
            "flashes": flashes or [],
            "import_errors": import_errors or [],
            "form": form or {},
            "now": utcnow(),
        },
        status_code=status_code,
    )


@router.get("/admin/bonus-codes", response_class=HTMLResponse)
async def list_codes(request: Request, session: DbSession, admin: AdminUser) -> HTMLResponse:
    params = request.query_params
    flashes = []
    if params.get("created"):
        flashes.append(("ok", f"Created the code {params['created'][:64]}."))
    if parse_row_id(params.get("imported", "")) is not None:
        flashes.append(("ok", f"Imported {params['imported']} codes."))
    if params.get("withdrew"):
        flashes.append(("ok", f"Withdrew the code {params['withdrew'][:64]}."))
    return await _page(request, session, flashes=flashes)


@router.post("/admin/bonus-codes", dependencies=[CsrfChecked])
async def create(
    request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        value: Decimal = parse_value(form.get("value", ""))
        expires_at: dt.datetime = parse_expiry(form.get("expires_at", ""), now=utcnow())
        code = await service.create_code(
            session,
            actor=request_actor(admin, request, settings),
            code=form.get("code", ""),
            description=form.get("description"),
            value=value,
            expires_at=expires_at,
            purpose=form.get("purpose", "drop"),
        )
    except DomainError as exc:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        return await _page(
            request, session, flashes=[("error", exc.message)], form=form,
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/admin/bonus-codes?created={code.code}", status_code=303)


@router.post("/admin/bonus-codes/import", dependencies=[CsrfChecked])
async def import_codes(
    request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    form = await request.form()
    text = form.get("csv")
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        raw = await upload.read(2_000_001)
        text = raw.decode("utf-8-sig", errors="replace") if len(raw) <= 2_000_000 else ""
    purpose = str(form.get("purpose") or "drop")
    result = await service.import_csv(
        session,
        actor=request_actor(admin, request, settings),
        text=str(text or ""),
        purpose=purpose,
    )
    if result.errors:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        message = f"{len(result.errors)} line(s) are wrong; nothing was imported"
        return await _page(
            request, session, flashes=[("error", message)], import_errors=result.errors,
            form={"csv": str(text or "")}, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/admin/bonus-codes?imported={result.created}", status_code=303)


@router.post("/admin/bonus-codes/{code_id}/withdraw", dependencies=[CsrfChecked])
async def withdraw(
    code_id: int, request: Request, session: DbSession, admin: AdminUser, settings: SettingsDep
) -> Response:
    try:
        code = await service.withdraw_code(
            session, actor=request_actor(admin, request, settings), code_id=code_id
        )
    except DomainError as exc:
        await session.rollback()
        await session.refresh(admin)  # the rollback expired it; the layout reads it
        return await _page(
            request, session, flashes=[("error", exc.message)], status_code=exc.status_code
        )
    return RedirectResponse(f"/admin/bonus-codes?withdrew={code.code}", status_code=303)
