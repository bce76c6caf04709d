"""JSON routes for accounts: login, logout, the current user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from goatedvips.accounts import service
from goatedvips.accounts.deps import CurrentUser
from goatedvips.accounts.schemas import LoginIn, LoginOut, MeOut
from goatedvips.accounts.sessions import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    create_session,
    revoke_session,
)
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.security import client_ip

router = APIRouter(prefix="/api/auth", tags=["accounts"])


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


@router.post("/login", response_model=LoginOut)
async def login(
    body: LoginIn, request: Request, response: Response, session: DbSession, settings: SettingsDep
) -> LoginOut:
    user = await service.authenticate(session, login=body.login, password=body.password)
    token = await create_session(
        session,
        user=user,
        ip=client_ip(request, settings),
        user_agent=request.headers.get("user-agent", ""),
    )
    await session.commit()
    set_session_cookie(response, token, secure=settings.is_production)
    return LoginOut.model_validate(user)


@router.post("/logout", status_code=204)
async def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await revoke_session(session, token)
        await session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
async def me(user: CurrentUser) -> MeOut:
    return MeOut.model_validate(user)
