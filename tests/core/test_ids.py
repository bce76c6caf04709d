"""Hand-typed ids: non-ASCII digits, huge numbers and junk are refused, never a 500."""

from __future__ import annotations

import httpx
import pytest

from goatedvips.db import Database
from goatedvips.ids import MAX_ROW_ID, parse_row_id
from tests.support.users import logged_in_user


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("#12", 12), (" 7 ", 7), (str(MAX_ROW_ID), MAX_ROW_ID)],
)
def test_plain_ids_parse(text: str, expected: int) -> None:
    assert parse_row_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "-3", "²", "١٢", "12a", str(MAX_ROW_ID + 1), "9" * 40, "#", "1.5"]
)
def test_anything_else_is_not_an_id(text: str) -> None:
    assert parse_row_id(text) is None


def test_hash_prefix_can_be_refused() -> None:
    assert parse_row_id("#12", allow_hash=False) is None


async def test_admin_pages_take_odd_numbers_without_failing(
    client: httpx.AsyncClient, db: Database
) -> None:
    await logged_in_user(db, client, "boss", is_admin=True)
    for query in ("page=²", "page=99999999999999999999", "imported=²"):
        response = await client.get(f"/admin/bonus-codes?{query}", headers={"accept": "text/html"})
        assert response.status_code == 200, query
