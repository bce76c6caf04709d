"""Who is asking: the optional user, the required user, the admin, and the one ownership check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from goatedvips.accounts.models import User
from goatedvips.accounts.sessions import SESSION_COOKIE, resolve_session
from goatedvips.admin.audit import Actor
from goatedvips.config import Settings
from goatedvips.deps import DbSession
from goatedvips.errors import NotAuthenticated, NotFound, PermissionDenied
from goatedvips.security import CSRF_FIELD, check_csrf, client_ip


async def get_optional_user(request: Request, session: DbSession) -> User | None:
    if "user" in request.state._state:
        return request.state.user
    token = request.cookies.get(SESSION_COOKIE)
    resolved = await resolve_session(session, token) if token else None
    request.state.user = resolved[1] if resolved else None
    request.state.session_token = token if resolved else None
    request.state.session_id = resolved[0] if resolved else None
    return request.state.user


async def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("log in to continue")
    return user


async def get_admin_user(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_admin:
        raise PermissionDenied("this needs an admin account")
    return user


def ensure_owner(user: User, owner_id: int | None, *, what: str = "item") -> None:
    """Players reach only their own rows; a foreign row answers 404 so its existence stays secret."""
    if owner_id != user.id and not user.is_admin:
        raise NotFound(f"{what} not found")


async def verify_csrf_form(request: Request) -> None:
    """For HTML form posts: the hidden csrf_token field must match the CSRF cookie."""
    form = await request.form()
    value = form.get(CSRF_FIELD)
    check_csrf(request, value if isinstance(value, str) else None)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
AdminUser = Annotated[User, Depends(get_admin_user)]
CsrfChecked = Depends(verify_csrf_form)


def request_actor(user: User, request: Request, settings: Settings) -> Actor:
    """The audit actor for an action `user` takes through this request."""
    return Actor.for_user(user, ip=client_ip(request, settings))
