"""JSON routes for accounts: register, login, logout, verification, password reset, settings."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response

from goatedvips.accounts import service
from goatedvips.accounts.deps import CurrentUser, OptionalUser
from goatedvips.accounts.schemas import (
    EmailIn,
    LoginIn,
    LoginOut,
    MeOut,
    MePatchIn,
    MessageOut,
    PasswordChangeIn,
    PreferencesBody,
    RegisterIn,
    RegisterOut,
    ResendIn,
    ResetConfirmIn,
    TokenIn,
)
from goatedvips.accounts.sessions import SESSION_COOKIE, SESSION_LIFETIME, revoke_session
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.openapi import error_responses
from goatedvips.security import client_ip

router = APIRouter(prefix="/api", tags=["accounts"])

SENT_IF_KNOWN = "if an account uses that address, we have sent it a link"


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


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


@router.post(
    "/auth/register",
    response_model=RegisterOut,
    status_code=201,
    responses=error_responses(409, 429),
)
async def register(
    body: RegisterIn,
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    settings: SettingsDep,
) -> RegisterOut:
    user, mail = await service.register(
        session,
        settings,
        username=body.username,
        email=body.email,
        password=body.password,
        ip=client_ip(request, settings),
        user_agent=_user_agent(request),
    )
    background.add_task(mail.send_quietly, settings)
    return RegisterOut.model_validate(user)


@router.post("/auth/login", response_model=LoginOut, responses=error_responses(401, 403, 429))
async def login(
    body: LoginIn, request: Request, response: Response, session: DbSession, settings: SettingsDep
) -> LoginOut:
    user, token = await service.log_in(
        session,
        settings,
        login=body.login,
        password=body.password,
        ip=client_ip(request, settings),
        user_agent=_user_agent(request),
    )
    set_session_cookie(response, token, secure=settings.is_production)
    return LoginOut.model_validate(user)


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await revoke_session(session, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/auth/me", response_model=MeOut)
async def me(user: CurrentUser) -> MeOut:
    return MeOut.model_validate(user)


@router.post("/auth/verify-email", response_model=MeOut, responses=error_responses(410))
async def verify_email(body: TokenIn, session: DbSession, settings: SettingsDep) -> MeOut:
    user = await service.verify_email(session, settings, token=body.token)
    return MeOut.model_validate(user)


@router.post(
    "/auth/resend-verification",
    response_model=MessageOut,
    status_code=202,
    responses=error_responses(429),
)
async def resend_verification(
    body: ResendIn,
    request: Request,
    background: BackgroundTasks,
    user: OptionalUser,
    session: DbSession,
    settings: SettingsDep,
) -> MessageOut:
    """Logged in: a new link to your own address. Otherwise `{email}`; the answer never says
    whether the address is registered."""
    mail = await service.resend_verification(
        session,
        settings,
        ip=client_ip(request, settings),
        user=user,
        email=None if user else body.email,
    )
    if mail is not None:
        background.add_task(mail.send_quietly, settings)
    return MessageOut(message=SENT_IF_KNOWN)


@router.post(
    "/auth/password-reset/request",
    response_model=MessageOut,
    status_code=202,
    responses=error_responses(429),
)
async def password_reset_request(
    body: EmailIn,
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    settings: SettingsDep,
) -> MessageOut:
    mail = await service.request_password_reset(
        session, settings, email=body.email, ip=client_ip(request, settings)
    )
    # Sent after the answer, so the response time doesn't tell known addresses apart.
    if mail is not None:
        background.add_task(mail.send_quietly, settings)
    return MessageOut(message=SENT_IF_KNOWN)


@router.post(
    "/auth/password-reset/confirm", response_model=MessageOut, responses=error_responses(410)
)
async def password_reset_confirm(
    body: ResetConfirmIn, session: DbSession, settings: SettingsDep
) -> MessageOut:
    await service.reset_password(session, settings, token=body.token, password=body.password)
    return MessageOut(message="password changed; log in with the new one")


@router.post("/me/password", response_model=MessageOut, responses=error_responses(429))
async def change_password(
    body: PasswordChangeIn, request: Request, user: CurrentUser, session: DbSession
) -> MessageOut:
    """Change the password; every other session of the account is logged out."""
    revoked = await service.change_password(
        session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=request.state.session_id,
    )
    return MessageOut(message=f"password changed; {revoked} other session(s) logged out")


@router.get("/me/notification-preferences", response_model=PreferencesBody)
async def get_preferences(user: CurrentUser, session: DbSession) -> PreferencesBody:
    prefs = await service.preferences_of(session, user)
    return PreferencesBody.model_validate(prefs)


@router.put("/me/notification-preferences", response_model=PreferencesBody)
async def put_preferences(
    body: PreferencesBody, user: CurrentUser, session: DbSession
) -> PreferencesBody:
    prefs = await service.update_preferences(session, user=user, values=body.model_dump())
    return PreferencesBody.model_validate(prefs)


@router.patch("/me", response_model=MeOut)
async def patch_me(body: MePatchIn, user: CurrentUser, session: DbSession) -> MeOut:
    user = await service.set_hide_name(session, user=user, hide=body.hide_name)
    return MeOut.model_validate(user)
