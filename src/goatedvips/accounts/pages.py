"""HTML pages for accounts: register, log in/out, verify e-mail, reset password, the account page.

Form posts carry the CSRF token (`CsrfChecked`); a refused form is shown again with its message and
the matching 4xx status, keeping what was typed (never the passwords).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from goatedvips.accounts import service
from goatedvips.accounts.api import SENT_IF_KNOWN, set_session_cookie
from goatedvips.accounts.deps import CsrfChecked, OptionalUser
from goatedvips.accounts.models import User
from goatedvips.accounts.sections import account_sections
from goatedvips.accounts.sessions import SESSION_COOKIE, revoke_session
from goatedvips.accounts.validation import PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN
from goatedvips.deps import DbSession, SettingsDep
from goatedvips.errors import DomainError, InvalidInput
from goatedvips.forms import form_error, form_fields, notice
from goatedvips.security import client_ip
from goatedvips.web import render

router = APIRouter(include_in_schema=False)

# Confirmation messages after a redirect, chosen by key so no user text travels in the URL.
NOTICES = {
    "welcome": "Welcome! We sent a confirmation link to your e-mail address.",
    "verified": "Your e-mail address is confirmed.",
    "preferences": "Notification preferences saved.",
    "privacy": "Privacy setting saved.",
    "password": "Password changed. Your other devices have been logged out.",
    "resent": "We sent a new confirmation link. It replaces the previous one.",
    "reset": "Password changed. Log in with your new password.",
    "logged_out": "You are logged out.",
}
PREFERENCE_LABELS = [
    ("wager_race_updates", "Race updates", "Race start, entering the prize positions, results"),
    ("vip_status_changes", "VIP status changes", "When you reach a new tier"),
    ("promotional_offers", "Promotional offers", "Broadcasts, new bonus codes and challenges"),
    ("monthly_statements", "Monthly statements", "Your wager, rank and prizes, on the 1st"),
    ("email_notifications", "E-mail", "Deliver notifications by e-mail"),
    ("push_notifications", "Telegram", "Deliver notifications as Telegram messages"),
]
LOGIN_HISTORY_SHOWN = 10


def safe_next(value: str | None, default: str = "/account") -> str:
    """Only a path on this site: never another host (`//evil`, `/\\evil`, `https://...`)."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 32 for ch in value):
        return default
    return value


def _redirect(url: str, background: BackgroundTask | None = None) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, background=background)


def _rules() -> dict[str, int]:
    return {
        "username_min": USERNAME_MIN,
        "username_max": USERNAME_MAX,
        "password_min": PASSWORD_MIN,
        "password_max": PASSWORD_MAX,
    }


@router.get("/register", response_class=HTMLResponse)
async def register_page(request: Request, user: OptionalUser) -> Response:
    if user is not None:
        return _redirect("/account")
    return render(request, "accounts/register.html", {"form": {}, **_rules()})


@router.post("/register", dependencies=[CsrfChecked])
async def register_submit(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    form = await form_fields(request)
    kept = {"username": form.get("username", ""), "email": form.get("email", "")}
    ip = client_ip(request, settings)
    agent = request.headers.get("user-agent", "")
    try:
        if form.get("password", "") != form.get("password_confirm", ""):
            raise InvalidInput("the two passwords differ", field="password_confirm")
        new_user, mail = await service.register(
            session,
            settings,
            username=kept["username"],
            email=kept["email"],
            password=form.get("password", ""),
            ip=ip,
            user_agent=agent,
        )
    except DomainError as exc:
        return form_error(request, "accounts/register.html", exc, {"form": kept, **_rules()})
    token = await service.start_session(session, user=new_user, ip=ip, user_agent=agent)
    response = _redirect("/account?notice=welcome", BackgroundTask(mail.send_quietly, settings))
    set_session_cookie(response, token, secure=settings.is_production)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: OptionalUser) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if user is not None:
        return _redirect(next_url)
    context = {"form": {}, "next": next_url, "flashes": notice(request, NOTICES)}
    return render(request, "accounts/login.html", context)


@router.post("/login", dependencies=[CsrfChecked])
async def login_submit(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    form = await form_fields(request)
    next_url = safe_next(form.get("next"))
    try:
        _, token = await service.log_in(
            session,
            settings,
            login=form.get("login", ""),
            password=form.get("password", ""),
            ip=client_ip(request, settings),
            user_agent=request.headers.get("user-agent", ""),
        )
    except DomainError as exc:
        context = {"form": {"login": form.get("login", "")}, "next": next_url}
        return form_error(request, "accounts/login.html", exc, context)
    response = _redirect(next_url)
    set_session_cookie(response, token, secure=settings.is_production)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
async def logout_submit(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await revoke_session(session, token)
    response = _redirect("/login?notice=logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/verify-email", response_class=HTMLResponse)
async def verify_email_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    token = request.query_params.get("token", "")
    try:
        if not token:
            raise InvalidInput("this link has no token; open the link from the e-mail again")
        await service.verify_email(session, settings, token=token)
    except DomainError as exc:
        return form_error(request, "accounts/verify_email.html", exc, {"ok": False})
    return render(request, "accounts/verify_email.html", {"ok": True})


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_page(request: Request, user: OptionalUser) -> HTMLResponse:
    return render(request, "accounts/forgot_password.html", {"form": {}})


@router.post("/forgot-password", dependencies=[CsrfChecked])
async def forgot_submit(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    form = await form_fields(request)
    try:
        mail = await service.request_password_reset(
            session, settings, email=form.get("email", ""), ip=client_ip(request, settings)
        )
    except DomainError as exc:
        context = {"form": {"email": form.get("email", "")}}
        return form_error(request, "accounts/forgot_password.html", exc, context)
    response = render(request, "accounts/check_email.html", {"message": SENT_IF_KNOWN})
    if mail is not None:
        response.background = BackgroundTask(mail.send_quietly, settings)
    return response


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    token = request.query_params.get("token", "")
    try:
        if not token:
            raise InvalidInput("this link has no token; open the link from the e-mail again")
        await service.check_reset_token(session, settings, token=token)
    except DomainError as exc:
        return form_error(request, "accounts/reset_password.html", exc, {"token": None})
    context = {"token": token, **_rules()}
    return render(request, "accounts/reset_password.html", context)


@router.post("/reset-password", dependencies=[CsrfChecked])
async def reset_submit(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    form = await form_fields(request)
    token = form.get("token", "")
    try:
        if form.get("password", "") != form.get("password_confirm", ""):
            raise InvalidInput("the two passwords differ", field="password_confirm")
        await service.reset_password(
            session, settings, token=token, password=form.get("password", "")
        )
    except DomainError as exc:
        keep_form = exc.field in ("password", "password_confirm")
        context = {"token": token if keep_form else None, **_rules()}
        return form_error(request, "accounts/reset_password.html", exc, context)
    response = _redirect("/login?notice=reset")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _account_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    error: DomainError | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "account": user,
        "prefs": await service.preferences_of(session, user),
        "preference_labels": PREFERENCE_LABELS,
        "logins": (user.login_history or [])[:LOGIN_HISTORY_SHOWN],
        "sections": await account_sections(session, user),
        "flashes": notice(request, NOTICES),
        **_rules(),
    }
    if error is None:
        return render(request, "accounts/account.html", context)
    return form_error(request, "accounts/account.html", error, context)


def _to_login() -> RedirectResponse:
    return _redirect(f"/login?next={quote('/account')}")


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request, session: DbSession, user: OptionalUser) -> Response:
    if user is None:
        return _to_login()
    return await _account_page(request, session, user)


@router.post("/account/preferences", dependencies=[CsrfChecked])
async def preferences_submit(request: Request, session: DbSession, user: OptionalUser) -> Response:
    if user is None:
        return _to_login()
    form = await form_fields(request)
    # An unticked checkbox is simply absent from the form.
    values = {name: name in form for name, _, _ in PREFERENCE_LABELS}
    await service.update_preferences(session, user=user, values=values)
    return _redirect("/account?notice=preferences#notifications")


@router.post("/account/privacy", dependencies=[CsrfChecked])
async def privacy_submit(request: Request, session: DbSession, user: OptionalUser) -> Response:
    if user is None:
        return _to_login()
    form = await form_fields(request)
    await service.set_hide_name(session, user=user, hide="hide_name" in form)
    return _redirect("/account?notice=privacy")


@router.post("/account/password", dependencies=[CsrfChecked])
async def password_submit(request: Request, session: DbSession, user: OptionalUser) -> Response:
    if user is None:
        return _to_login()
    form = await form_fields(request)
    try:
        if form.get("new_password", "") != form.get("new_password_confirm", ""):
            raise InvalidInput("the two new passwords differ", field="new_password_confirm")
        await service.change_password(
            session,
            user=user,
            current_password=form.get("current_password", ""),
            new_password=form.get("new_password", ""),
            keep_session_id=request.state.session_id,
        )
    except DomainError as exc:
        return await _account_page(request, session, user, error=exc)
    return _redirect("/account?notice=password#password")


@router.post("/account/resend-verification", dependencies=[CsrfChecked])
async def resend_submit(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return _to_login()
    try:
        mail = await service.resend_verification(
            session, settings, ip=client_ip(request, settings), user=user
        )
    except DomainError as exc:
        return await _account_page(request, session, user, error=exc)
    background = BackgroundTask(mail.send_quietly, settings) if mail else None
    return _redirect("/account?notice=resent", background)
