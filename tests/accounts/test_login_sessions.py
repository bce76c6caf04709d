"""Login, logout, sessions and their revocation; one answer for every failed login."""

from __future__ import annotations

from typing import Any

import httpx
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update

from goatedvips.accounts.models import User, UserSession
from goatedvips.accounts.sessions import SESSION_COOKIE
from goatedvips.db import Database
from tests.accounts.helpers import PASSWORD, login_api, register_api


async def test_login_by_username_or_email_in_any_case(
    client: httpx.AsyncClient, new_client: Any
) -> None:
    await register_api(client, "Carol")
    for login in ("Carol", "carol", "CAROL@example.com"):
        response = await login_api(new_client(), login)
        assert response.status_code == 200, login
        assert response.json()["username"] == "Carol" and response.json()["isAdmin"] is False


async def test_session_cookie_is_httponly_and_lax(client: httpx.AsyncClient) -> None:
    await register_api(client, "dave")
    response = await login_api(client, "dave")
    cookie = response.headers["set-cookie"]
    assert (
        cookie.startswith(f"{SESSION_COOKIE}=")
        and "HttpOnly" in cookie
        and "samesite=lax" in cookie.lower()
    )
    assert "Secure" not in cookie  # test settings are not production


async def test_failed_logins_look_the_same_for_existing_and_missing_accounts(
    client: httpx.AsyncClient,
) -> None:
    await register_api(client, "erin")
    wrong_password = await login_api(client, "erin", "not the password at all")
    no_such_user = await login_api(client, "nobody-here", "not the password at all")
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.json() == no_such_user.json()
    assert "set-cookie" not in wrong_password.headers


async def test_me_needs_a_session(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/me")).status_code == 401
    client.cookies.set(SESSION_COOKIE, "forged-token")
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_logout_revokes_the_session_server_side(
    client: httpx.AsyncClient, new_client: Any
) -> None:
    await register_api(client, "frank")
    await login_api(client, "frank")
    stolen = client.cookies[SESSION_COOKIE]
    assert (await client.post("/api/auth/logout", json={})).status_code == 204
    thief = new_client()
    thief.cookies.set(SESSION_COOKIE, stolen)
    assert (await thief.get("/api/auth/me")).status_code == 401


async def test_password_change_revokes_the_other_sessions(
    client: httpx.AsyncClient, new_client: Any
) -> None:
    await register_api(client, "gina")
    await login_api(client, "gina")
    laptop = new_client()
    await login_api(laptop, "gina")
    wrong = await client.post(
        "/api/me/password",
        json={"currentPassword": "wrong password!", "newPassword": "brand new password"},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "current_password"
    assert (await laptop.get("/api/auth/me")).status_code == 200
    changed = await client.post(
        "/api/me/password", json={"currentPassword": PASSWORD, "newPassword": "brand new password"}
    )
    assert changed.status_code == 200 and "1 other session" in changed.json()["message"]
    assert (await client.get("/api/auth/me")).status_code == 200
    assert (await laptop.get("/api/auth/me")).status_code == 401
    assert (await login_api(new_client(), "gina")).status_code == 401
    assert (await login_api(new_client(), "gina", "brand new password")).status_code == 200


async def test_disabled_account_cannot_log_in_and_its_sessions_stop(
    client: httpx.AsyncClient, new_client: Any, clean_db: Database
) -> None:
    await register_api(client, "hank")
    await login_api(client, "hank")
    async with clean_db.sessionmaker() as session:
        await session.execute(update(User).where(User.username == "hank").values(disabled=True))
        await session.commit()
    assert (await client.get("/api/auth/me")).status_code == 401
    refused = await login_api(new_client(), "hank")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_disabled"
    # Without the password nobody learns the account is disabled.
    assert (await login_api(new_client(), "hank", "some wrong password")).status_code == 401


async def test_login_rehashes_when_parameters_change(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    await register_api(client, "ivan")
    old_hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=4096, parallelism=1),))
    old_hash = old_hasher.hash(PASSWORD)
    async with clean_db.sessionmaker() as session:
        await session.execute(
            update(User).where(User.username == "ivan").values(password_hash=old_hash)
        )
        await session.commit()
    assert (await login_api(client, "ivan")).status_code == 200
    async with clean_db.sessionmaker() as session:
        stored = await session.scalar(select(User.password_hash).where(User.username == "ivan"))
    assert stored != old_hash and "m=8192" in str(stored)


async def test_sessions_are_stored_hashed(client: httpx.AsyncClient, clean_db: Database) -> None:
    await register_api(client, "jane")
    await login_api(client, "jane")
    token = client.cookies[SESSION_COOKIE]
    async with clean_db.sessionmaker() as session:
        ids = list((await session.scalars(select(UserSession.id))).all())
    assert ids and token not in ids


async def test_hide_name_and_preferences_api(client: httpx.AsyncClient) -> None:
    await register_api(client, "kate")
    await login_api(client, "kate")
    patched = await client.patch("/api/me", json={"hideName": True})
    assert patched.status_code == 200 and patched.json()["hideName"] is True
    assert (await client.patch("/api/me", json={"hideName": "yes"})).status_code == 422
    body = {
        "wagerRaceUpdates": False,
        "vipStatusChanges": True,
        "promotionalOffers": True,
        "monthlyStatements": False,
        "emailNotifications": True,
        "pushNotifications": False,
    }
    put = await client.put("/api/me/notification-preferences", json=body)
    assert put.status_code == 200 and put.json() == body
    assert (await client.get("/api/me/notification-preferences")).json() == body
    partial = await client.put("/api/me/notification-preferences", json={"wagerRaceUpdates": True})
    assert partial.status_code == 422
    assert (await client.get("/api/me/notification-preferences")).json() == body
