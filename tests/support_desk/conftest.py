"""Fixtures for the support desk: fresh rate-limit counters, a player, a second player, staff."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from goatedvips import ratelimit
from goatedvips.accounts.models import User
from goatedvips.db import Database
from tests.support.bot_fixtures import *  # noqa: F403
from tests.support.users import logged_in_user


@pytest.fixture(autouse=True)
async def fresh_rate_limits() -> AsyncIterator[None]:
    # User ids repeat between tests once tables are emptied; counters must not leak across them.
    await ratelimit.reset()
    yield
    await ratelimit.reset()


@dataclass
class Party:
    user: User
    http: httpx.AsyncClient


@pytest.fixture
async def player(clean_db: Database, client: httpx.AsyncClient) -> Party:
    return Party(await logged_in_user(clean_db, client, "alice"), client)


@pytest.fixture
async def other_player(clean_db: Database, new_client: Any) -> Party:
    http = new_client("198.51.100.21")
    return Party(await logged_in_user(clean_db, http, "bob"), http)


@pytest.fixture
async def staff(clean_db: Database, new_client: Any) -> Party:
    http = new_client("198.51.100.30")
    return Party(await logged_in_user(clean_db, http, "sam_staff", is_admin=True), http)


async def open_ticket(
    http: httpx.AsyncClient,
    subject: str = "Race prize missing",
    description: str = "I finished 3rd in the weekly race and got nothing.",
    priority: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"subject": subject, "description": description}
    if priority is not None:
        body["priority"] = priority
    response = await http.post("/api/support/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def csrf_token(http: httpx.AsyncClient) -> str:
    """Visit a page so the CSRF cookie is set, and return the token forms must carry."""
    response = await http.get("/support", headers={"accept": "text/html"})
    assert response.status_code == 200, response.text
    token = http.cookies.get("gv_csrf")
    assert token
    return token
