"""Entering a challenge over the API: one entry per player, one use per bet link, open window only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import func, select

from goatedvips.challenges.models import ChallengeEntry
from goatedvips.db import Database
from tests.bonuses.helpers import verified_player
from tests.challenges.helpers import add_challenge, bet
from tests.support.users import login, make_user


async def _entries(db: Database) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(ChallengeEntry)) or 0)


async def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_a_verified_player_enters_with_a_bet_link(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db)
    player = await verified_player(clean_db, client, "hitter")
    response = await client.post(
        f"/api/challenges/{challenge.id}/entries",
        json={"betLink": "https://WWW.goated.com/bet/XYZ123/?utm_source=tg"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["betLink"] == "https://goated.com/bet/XYZ123"
    assert body["status"] == "pending" and body["userId"] == player.id
    assert body["bonusCode"] is None
    listed = (await client.get("/api/challenges?status=active")).json()["items"][0]
    assert listed["placesLeft"] == 2 and listed["open"] is True and listed["timeLeft"] > 0
    mine = (await client.get("/api/me/challenge-entries")).json()["items"]
    assert [e["id"] for e in mine] == [body["id"]]


async def test_entering_twice_is_409(client: httpx.AsyncClient, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db)
    await verified_player(clean_db, client, "hitter")
    url = f"/api/challenges/{challenge.id}/entries"
    assert (await client.post(url, json={"betLink": bet(1)})).status_code == 201
    await _refused(await client.post(url, json={"betLink": bet(2)}), 409, "already_entered")
    assert await _entries(clean_db) == 1


async def test_reusing_a_bet_link_is_409_in_any_spelling_and_any_challenge(
    client: httpx.AsyncClient, new_client: Any, clean_db: Database
) -> None:
    first = await add_challenge(clean_db)
    second = await add_challenge(clean_db, game="Dice")
    await verified_player(clean_db, client, "hitter")
    assert (
        await client.post(f"/api/challenges/{first.id}/entries", json={"betLink": bet(7)})
    ).status_code == 201
    thief = new_client()
    await verified_player(clean_db, thief, "thief")
    respelled = "goated.com/?modal=bet&betId=BET000007&utm_campaign=copy"
    for challenge in (first, second):
        response = await thief.post(
            f"/api/challenges/{challenge.id}/entries", json={"betLink": respelled}
        )
        await _refused(response, 409, "bet_link_used")
    await _refused(
        await client.post(f"/api/challenges/{second.id}/entries", json={"betLink": bet(7)}),
        409,
        "bet_link_used",
    )
    assert await _entries(clean_db) == 1


async def test_a_link_that_is_not_a_goated_bet_is_422(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db)
    await verified_player(clean_db, client, "hitter")
    response = await client.post(
        f"/api/challenges/{challenge.id}/entries", json={"betLink": "https://stake.com/?betId=1234"}
    )
    await _refused(response, 422, "invalid_bet_link")
    assert response.json()["error"]["field"] == "betLink"
    assert await _entries(clean_db) == 0


async def test_closed_full_early_and_late_challenges_answer_410_each_in_its_words(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    cancelled = await add_challenge(clean_db, status="cancelled")
    ended = await add_challenge(clean_db, ends_in=-dt.timedelta(minutes=1))
    completed = await add_challenge(clean_db, status="completed")
    not_open = await add_challenge(clean_db, status="draft", starts_in=dt.timedelta(hours=2))
    full = await add_challenge(clean_db, max_winners=1)
    winner = await make_user(clean_db, "winner")
    async with clean_db.sessionmaker() as session:
        session.add(
            ChallengeEntry(
                challenge_id=full.id, user_id=winner.id, bet_link=bet(99), status="approved"
            )
        )
        await session.commit()
    await verified_player(clean_db, client, "latecomer")

    messages = set()
    for n, (challenge, code) in enumerate(
        [
            (cancelled, "challenge_closed"),
            (ended, "challenge_ended"),
            (completed, "challenge_ended"),
            (not_open, "challenge_not_open"),
            (full, "challenge_full"),
        ]
    ):
        response = await client.post(
            f"/api/challenges/{challenge.id}/entries", json={"betLink": bet(n)}
        )
        await _refused(response, 410, code)
        messages.add(response.json()["error"]["message"])
    assert (
        len(messages) == 4
    )  # ended and completed share their words; every other reason is its own
    assert await _entries(clean_db) == 1


async def test_only_verified_players_enter(client: httpx.AsyncClient, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db)
    url = f"/api/challenges/{challenge.id}/entries"
    await _refused(await client.post(url, json={"betLink": bet(1)}), 401, "not_authenticated")
    await make_user(clean_db, "unverified")
    await login(client, "unverified")
    response = await client.post(url, json={"betLink": bet(1)})
    await _refused(response, 403, "not_verified")
    assert "verify" in response.json()["error"]["message"]
    await _refused(
        await client.post("/api/challenges/999/entries", json={"betLink": bet(1)}),
        403,
        "not_verified",
    )
    assert await _entries(clean_db) == 0


async def test_unknown_challenge_is_404(client: httpx.AsyncClient, clean_db: Database) -> None:
    await verified_player(clean_db, client, "hitter")
    response = await client.post("/api/challenges/999/entries", json={"betLink": bet(1)})
    assert response.status_code == 404
