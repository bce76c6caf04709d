"""Searches that read a number: non-ASCII digits and numbers beyond the keys are no 500."""

from __future__ import annotations

import httpx
import pytest

from goatedvips.db import Database
from tests.support.users import logged_in_user

SUPERSCRIPT_TWO = "\u00b2"  # "²".isdigit() is true, int("²") raises
BEYOND_INTEGER = str(2**31)  # PostgreSQL overflows comparing it with an INTEGER key


@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, BEYOND_INTEGER])
@pytest.mark.parametrize(
    ("path", "param"), [("/api/admin/users", "q"), ("/api/admin/audit-log", "actor")]
)
async def test_odd_numbers_find_nothing(
    clean_db: Database, client: httpx.AsyncClient, path: str, param: str, value: str
) -> None:
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    response = await client.get(path, params={param: value})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_a_user_id_still_finds_the_user(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    response = await client.get("/api/admin/users", params={"q": str(boss.id)})
    assert [item["username"] for item in response.json()["items"]] == ["boss"]
