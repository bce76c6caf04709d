"""A PATCH with an explicit null for a required number is invalid input, never a 500."""

from __future__ import annotations

import httpx
import pytest

from goatedvips.db import Database
from tests.bonuses.helpers import admin
from tests.challenges.helpers import add_challenge


@pytest.mark.parametrize("field", ["multiplier", "minBet", "prizeAmount", "maxWinners"])
async def test_null_for_a_required_number_is_refused(
    client: httpx.AsyncClient, clean_db: Database, field: str
) -> None:
    challenge = await add_challenge(clean_db)
    await admin(clean_db, client)
    response = await client.patch(f"/api/admin/challenges/{challenge.id}", json={field: None})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
