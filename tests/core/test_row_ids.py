"""Ids beyond the INTEGER keys are refused as invalid input (422), never a PostgreSQL overflow."""

from __future__ import annotations

import httpx
import pytest

from goatedvips.db import Database
from tests.support.users import logged_in_user

HUGE = 2**31  # one past the largest INTEGER key

ROUTES = [
    ("GET", f"/api/races/{HUGE}"),
    ("GET", f"/api/me/race-position?raceId={HUGE}"),
    ("PATCH", f"/api/admin/races/{HUGE}"),
    ("POST", f"/api/admin/races/{HUGE}/cancel"),
    ("POST", f"/api/admin/races/{HUGE}/corrections"),
    ("GET", f"/api/challenges/{HUGE}"),
    ("POST", f"/api/challenges/{HUGE}/entries"),
    ("PATCH", f"/api/admin/challenges/{HUGE}"),
    ("POST", f"/api/admin/challenges/{HUGE}/cancel"),
    ("POST", f"/api/admin/challenge-entries/{HUGE}/approve"),
    ("POST", f"/api/admin/challenge-entries/{HUGE}/reject"),
    ("GET", f"/api/admin/challenge-entries?challengeId={HUGE}"),
    ("POST", f"/api/bonus-codes/{HUGE}/claim"),
    ("POST", f"/api/admin/bonus-codes/{HUGE}/withdraw"),
    ("POST", f"/api/admin/verification-requests/{HUGE}/approve"),
    ("POST", f"/api/admin/notifications/{HUGE}/retry"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_an_id_beyond_any_key_is_invalid_input(
    clean_db: Database, client: httpx.AsyncClient, method: str, path: str
) -> None:
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    response = await client.request(method, path, json={})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
