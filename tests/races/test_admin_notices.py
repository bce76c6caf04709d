"""The admin race pages show each notice once. Regression: the pages printed their flashes and the
layout (base.html) printed them again, so "Race created." and every refusal appeared twice."""

from __future__ import annotations

import httpx

from goatedvips.db import Database
from tests.support.users import logged_in_user

HTML = {"accept": "text/html"}


async def _csrf(client: httpx.AsyncClient) -> str:
    await client.get("/admin/races", headers=HTML)
    token = client.cookies.get("gv_csrf")
    assert token
    return token


async def test_each_notice_shows_once(client: httpx.AsyncClient, db: Database) -> None:
    await logged_in_user(db, client, "boss", is_admin=True)
    form = {
        "csrf_token": await _csrf(client),
        "title": "Weekend",
        "type": "custom",
        "start_date": "2031-05-03T00:00",
        "end_date": "2031-05-05T00:00",
        "prize_pool": "250",
        "min_wager": "0",
        "prize_distribution": "60, 30, 20",
    }
    refused = await client.post("/admin/races", data=form, headers=HTML)
    assert refused.status_code == 422
    assert refused.text.count("add up to 110") == 1

    created = await client.post("/admin/races", data=form | {"prize_distribution": "60, 40"})
    assert created.status_code == 303
    edit_page = await client.get(created.headers["location"], headers=HTML)
    assert edit_page.text.count("Race created.") == 1

    listing = await client.get("/admin/races?done=template", headers=HTML)
    assert listing.text.count("Template saved") == 1
