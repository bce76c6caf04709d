"""Every route under /admin and /api/admin refuses anonymous users (401) and players (403).

The routes are read from the app itself, so the pages and endpoints other domains add are
covered as they land. The refusal must also write nothing: the whole database is compared.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from goatedvips.db import Database
from goatedvips.security import CSRF_COOKIE, CSRF_HEADER
from tests.admin.helpers import dump_rows
from tests.admin.routes import admin_routes
from tests.support.users import logged_in_user, make_user

CSRF = "test-csrf-token-for-admin-access"


async def _call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    client.cookies.set(CSRF_COOKIE, CSRF)
    headers = {CSRF_HEADER: CSRF, "accept": "application/json"}
    if method in {"POST", "PUT", "PATCH", "DELETE"}:
        return await client.request(method, path, json={}, headers=headers)
    return await client.request(method, path, headers=headers)


async def test_the_admin_surface_is_found(app: FastAPI) -> None:
    routes = admin_routes(app)
    assert ("GET", "/admin") in routes
    assert ("PATCH", "/api/admin/users/1") in routes
    assert ("GET", "/api/admin/audit-log") in routes
    assert ("POST", "/admin/users/1/access") in routes


async def test_anonymous_users_are_refused_everywhere(
    app: FastAPI, client: httpx.AsyncClient, clean_db: Database
) -> None:
    await make_user(clean_db, "boss", is_admin=True)
    before = await dump_rows(clean_db)
    for method, path in admin_routes(app):
        response = await _call(client, method, path)
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert response.json()["error"]["code"] == "not_authenticated", (method, path)
    assert await dump_rows(clean_db) == before


async def test_anonymous_browser_gets_the_login_prompt_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for method, path in admin_routes(app):
        if method != "GET" or path.startswith("/api/"):
            continue
        response = await client.get(path, headers={"accept": "text/html"})
        assert response.status_code in (401, 302, 303), (path, response.status_code)
        if response.status_code == 401:
            assert "text/html" in response.headers["content-type"]


async def test_players_are_refused_everywhere(
    app: FastAPI, client: httpx.AsyncClient, clean_db: Database
) -> None:
    await make_user(clean_db, "boss", is_admin=True)
    await logged_in_user(clean_db, client, "player1")
    before = await dump_rows(clean_db)
    for method, path in admin_routes(app):
        response = await _call(client, method, path)
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.json()["error"]["code"] == "forbidden", (method, path)
    assert await dump_rows(clean_db) == before


async def test_disabled_admin_is_treated_as_logged_out(
    client: httpx.AsyncClient, clean_db: Database, new_client
) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    other = new_client()
    await logged_in_user(clean_db, other, "second", is_admin=True)
    response = await other.patch(f"/api/admin/users/{boss.id}", json={"disabled": True})
    assert response.status_code == 200, response.text
    assert (await client.get("/api/admin/users")).status_code == 401
