"""Shortcuts for tests that need accounts: create one through the service, log in over HTTP."""

from __future__ import annotations

import httpx

from goatedvips.accounts import service
from goatedvips.accounts.models import User
from goatedvips.db import Database

DEFAULT_PASSWORD = "correct horse battery"


async def make_user(
    db: Database,
    username: str = "player1",
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    is_admin: bool = False,
    email_verified: bool = True,
) -> User:
    async with db.sessionmaker() as session:
        return await service.create_user(
            session,
            username=username,
            email=email or f"{username}@example.com",
            password=password,
            is_admin=is_admin,
            email_verified=email_verified,
        )


async def login(client: httpx.AsyncClient, login: str, password: str = DEFAULT_PASSWORD) -> None:
    response = await client.post("/api/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text


async def logged_in_user(
    db: Database, client: httpx.AsyncClient, username: str = "player1", **kwargs: object
) -> User:
    user = await make_user(db, username, **kwargs)  # type: ignore[arg-type]
    await login(client, username)
    return user
