"""Text with NUL characters is invalid input (422) everywhere: PostgreSQL can't even compare it."""

from __future__ import annotations

import httpx

from goatedvips.db import Database
from tests.support.users import logged_in_user


async def test_a_nul_in_a_json_body_is_invalid_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"login": "a\x00b", "password": "x"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert "NUL" in response.json()["error"]["message"]


async def test_a_nul_deep_in_a_json_body_is_invalid_input(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    response = await client.put("/api/admin/settings/excluded-uids", json={"uids": ["ok", "\x00"]})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "uids.1"


async def test_a_nul_in_the_query_string_is_invalid_input(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    response = await client.get("/api/admin/users", params={"q": "bo\x00ss"})
    assert response.status_code == 422, response.text


async def test_a_nul_in_a_form_post_is_invalid_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"login": "a\x00b", "password": "x"})
    assert response.status_code == 422


async def test_text_that_only_mentions_u0000_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"login": "\\u0000", "password": "x"})
    assert response.status_code == 401, response.text
