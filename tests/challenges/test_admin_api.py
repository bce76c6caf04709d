"""Admins create, edit and cancel challenges over the API; the job opens and closes them on time."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from goatedvips.challenges import service
from goatedvips.challenges.models import Challenge, ChallengeEntry
from goatedvips.db import Database, utcnow
from goatedvips.notifications.models import NotificationOutbox
from tests.bonuses.helpers import admin, opt_in_promotions
from tests.challenges.helpers import add_challenge, bet
from tests.support.users import make_user


def _body(**changes: object) -> dict[str, object]:
    now = utcnow()
    body: dict[str, object] = {
        "game": "Limbo", "multiplier": "100", "minBet": "1", "prizeAmount": "20",
        "maxWinners": 10, "startsAt": now.isoformat(),
        "endsAt": (now + dt.timedelta(days=1)).isoformat(), "description": "first 10 win",
    }  # fmt: skip
    return body | changes


async def test_create_answers_201_and_announces(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    fan = await make_user(clean_db, "fan")
    await opt_in_promotions(clean_db, fan.id)
    await admin(clean_db, client)
    response = await client.post("/api/admin/challenges", json=_body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "active" and created["placesLeft"] == 10 and created["open"]
    assert created["multiplier"] == "100.00" and created["prizeAmount"] == "20.00"
    listed = (await client.get("/api/challenges?status=active")).json()
    assert [c["id"] for c in listed["items"]] == [created["id"]]
    async with clean_db.sessionmaker() as session:
        told = (await session.scalars(select(NotificationOutbox))).all()
    assert [(n.kind, n.user_id) for n in told] == [("new_challenge", fan.id)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"multiplier": "1.00"}, "multiplier"),
        ({"minBet": "-1"}, "minBet"),
        ({"prizeAmount": "0"}, "prizeAmount"),
        ({"maxWinners": 0}, "maxWinners"),
        ({"maxWinners": 1001}, "maxWinners"),
        ({"endsAt": utcnow().isoformat(), "startsAt": utcnow().isoformat()}, "endsAt"),
        ({"game": ""}, "game"),
    ],
)
async def test_bad_settings_are_422_naming_the_field(
    client: httpx.AsyncClient, clean_db: Database, changes: dict[str, object], field: str
) -> None:
    await admin(clean_db, client)
    response = await client.post("/api/admin/challenges", json=_body(**changes))
    assert response.status_code == 422 and response.json()["error"]["field"] == field
    async with clean_db.sessionmaker() as session:
        assert await session.scalar(select(Challenge.id)) is None


async def test_scheduled_challenges_are_upcoming_until_they_open(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    await admin(clean_db, client)
    start = utcnow() + dt.timedelta(hours=1)
    body = _body(startsAt=start.isoformat(), endsAt=(start + dt.timedelta(hours=2)).isoformat())
    created = (await client.post("/api/admin/challenges", json=body)).json()
    assert created["status"] == "draft" and created["open"] is False and created["startsIn"] > 0
    assert (await client.get("/api/challenges?status=upcoming")).json()["total"] == 1
    assert (await client.get("/api/challenges?status=active")).json()["total"] == 0


async def test_patch_and_cancel(client: httpx.AsyncClient, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db, max_winners=3)
    entrant = await make_user(clean_db, "entrant")
    winner = await make_user(clean_db, "winner")
    async with clean_db.sessionmaker() as session:
        session.add_all(
            [
                ChallengeEntry(
                    challenge_id=challenge.id, user_id=winner.id, bet_link=bet(1), status="approved"
                ),
                ChallengeEntry(challenge_id=challenge.id, user_id=entrant.id, bet_link=bet(2)),
            ]
        )
        await session.commit()
    await admin(clean_db, client)
    url = f"/api/admin/challenges/{challenge.id}"
    patched = await client.patch(url, json={"prizeAmount": "25", "maxWinners": 2})
    assert patched.status_code == 200 and patched.json()["prizeAmount"] == "25.00"
    assert patched.json()["placesLeft"] == 1
    too_few = await client.patch(url, json={"maxWinners": 0})
    assert too_few.status_code == 422
    below = await client.patch(url, json={"maxWinners": 1})
    assert below.status_code == 200 and below.json()["status"] == "completed"
    reopened = await add_challenge(clean_db)
    cancelled = await client.post(f"/api/admin/challenges/{reopened.id}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (
        await client.post(f"/api/admin/challenges/{reopened.id}/cancel", json={})
    ).status_code == 409
    assert (
        await client.patch(f"/api/admin/challenges/{reopened.id}", json={"game": "Dice"})
    ).status_code == 409


async def test_the_job_opens_scheduled_and_completes_past_challenges(clean_db: Database) -> None:
    scheduled = await add_challenge(
        clean_db, status="draft", starts_in=dt.timedelta(minutes=5), ends_in=dt.timedelta(hours=1)
    )
    running = await add_challenge(clean_db, ends_in=dt.timedelta(minutes=30))
    later = utcnow() + dt.timedelta(minutes=10)
    async with clean_db.sessionmaker() as session:
        assert await service.advance_statuses(session, now=later) == {
            "completed": 0,
            "activated": 1,
        }
        much_later = utcnow() + dt.timedelta(hours=2)
        assert await service.advance_statuses(session, now=much_later) == {
            "completed": 2,
            "activated": 0,
        }
        for challenge in (scheduled, running):
            row = await session.get(Challenge, challenge.id, populate_existing=True)
            assert row is not None and row.status == "completed"
