"""The challenge pages: entering through the form, errors in words, admins creating and reviewing."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from goatedvips.challenges.models import Challenge, ChallengeEntry
from goatedvips.db import Database, utcnow
from tests.bonuses.helpers import admin, csrf_of, verified_player
from tests.challenges.helpers import add_challenge, bet

HTML = {"accept": "text/html"}


async def test_players_enter_through_the_form_and_see_their_entry(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db, description="<script>alert(1)</script>")
    page = await client.get("/challenges", headers=HTML)
    assert page.status_code == 200 and "Log in with a verified account" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text

    await verified_player(clean_db, client, "hitter")
    token = await csrf_of(client, "/challenges")
    response = await client.post(
        f"/challenges/{challenge.id}/enter",
        data={"csrf_token": token, "bet_link": bet(1)},
        headers=HTML,
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"], headers=HTML)
    assert "Entry received" in page.text and "https://goated.com/bet/BET000001" in page.text
    assert "2 of 2 places left" in page.text

    again = await client.post(
        f"/challenges/{challenge.id}/enter",
        data={"csrf_token": token, "bet_link": bet(2)},
        headers=HTML,
    )
    assert again.status_code == 409 and "you already entered this challenge" in again.text
    no_csrf = await client.post(
        f"/challenges/{challenge.id}/enter", data={"bet_link": bet(3)}, headers=HTML
    )
    assert no_csrf.status_code == 403


async def test_admins_create_and_review_from_the_page(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    await admin(clean_db, client)
    token = await csrf_of(client, "/admin/challenges")
    ends = (utcnow() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    fields = {
        "csrf_token": token, "game": "Limbo", "multiplier": "100", "min_bet": "1",
        "prize_amount": "20", "max_winners": "1", "ends_at": ends,
    }  # fmt: skip
    bad = await client.post("/admin/challenges", data=fields | {"multiplier": "1"}, headers=HTML)
    assert bad.status_code == 422 and "multiplier must be at least 1.01" in bad.text
    created = await client.post("/admin/challenges", data=fields, headers=HTML)
    assert created.status_code == 303
    async with clean_db.sessionmaker() as session:
        challenge = await session.scalar(select(Challenge))
    assert challenge is not None and challenge.status == "active"

    player = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    async with player:
        await verified_player(clean_db, player, "hitter")
        assert (
            await player.post(f"/api/challenges/{challenge.id}/entries", json={"betLink": bet(5)})
        ).status_code == 201
    overview = await client.get("/admin/challenges", headers=HTML)
    assert "BET000005" in overview.text
    async with clean_db.sessionmaker() as session:
        entry = await session.scalar(select(ChallengeEntry))
    assert entry is not None
    approved = await client.post(
        f"/admin/challenge-entries/{entry.id}/approve",
        data={"csrf_token": token, "bonus_code": "typed-20"},
        headers=HTML,
    )
    assert approved.status_code == 303
    page = await client.get(approved.headers["location"], headers=HTML)
    assert "Entry approved" in page.text and "completed" in page.text
