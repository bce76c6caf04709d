"""Reviewing entries: approvals hand out codes, never exceed the places, and tell the player."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from goatedvips.admin.audit import Actor
from goatedvips.admin.models import AuditLog
from goatedvips.bonuses.models import BonusCode
from goatedvips.challenges import service
from goatedvips.challenges.models import Challenge, ChallengeEntry
from goatedvips.db import Database
from goatedvips.errors import Conflict
from goatedvips.notifications.models import NotificationOutbox
from tests.bonuses.helpers import add_code, admin, set_verified
from tests.challenges.helpers import add_challenge, bet
from tests.support.users import make_user


async def _entry(db: Database, challenge: Challenge, username: str, n: int) -> ChallengeEntry:
    user = await make_user(db, username)
    await set_verified(db, user.id)
    user.goated_verified = True
    async with db.sessionmaker() as session:
        return await service.enter_challenge(
            session, user=user, challenge_id=challenge.id, bet_link=bet(n)
        )


async def test_approval_hands_a_pool_code_over_and_tells_the_player(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db, max_winners=2, prize="20.00")
    await add_code(clean_db, "WRONGVALUE", value="50.00", purpose="prize")
    await add_code(clean_db, "PUBLICDROP", value="20.00", purpose="drop")
    await add_code(clean_db, "POOL20", value="20.00", purpose="prize")
    entry = await _entry(clean_db, challenge, "hitter", 1)
    await admin(clean_db, client)

    queue = (await client.get("/api/admin/challenge-entries?status=pending")).json()
    assert [e["id"] for e in queue["items"]] == [entry.id] and queue["items"][0][
        "username"
    ] == "hitter"
    response = await client.post(f"/api/admin/challenge-entries/{entry.id}/approve", json={})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved" and response.json()["bonusCode"] == "POOL20"

    async with clean_db.sessionmaker() as session:
        code = await session.scalar(select(BonusCode).where(BonusCode.code == "POOL20"))
        assert code is not None and code.user_id == entry.user_id and code.claimed_at
        told = (await session.scalars(select(NotificationOutbox))).all()
        assert [(n.kind, n.user_id) for n in told] == [("challenge_entry_decision", entry.user_id)]
        assert "POOL20" in told[0].body_text
        audit = await session.scalar(
            select(AuditLog).where(AuditLog.action == "challenge_entry.approve")
        )
        assert audit is not None and audit.target_id == str(entry.id)
    again = await client.post(f"/api/admin/challenge-entries/{entry.id}/approve", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


async def test_typed_codes_and_an_empty_pool(client: httpx.AsyncClient, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db, max_winners=3)
    first, second, third = [await _entry(clean_db, challenge, f"player{i}", i) for i in range(3)]
    await add_code(clean_db, "TAKEN1", purpose="prize", user_id=first.user_id)
    await admin(clean_db, client)
    url = "/api/admin/challenge-entries/{}/approve"

    empty = await client.post(url.format(first.id), json={})
    assert empty.status_code == 409 and empty.json()["error"]["code"] == "prize_pool_empty"
    taken = await client.post(url.format(first.id), json={"bonusCode": "taken1"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "code_unavailable"
    bad = await client.post(url.format(first.id), json={"bonusCode": "no spaces!"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "bonusCode"

    typed = await client.post(url.format(first.id), json={"bonusCode": "handmade-1"})
    assert typed.status_code == 200 and typed.json()["bonusCode"] == "HANDMADE-1"
    async with clean_db.sessionmaker() as session:
        made = await session.scalar(select(BonusCode).where(BonusCode.code == "HANDMADE-1"))
    assert made is not None and made.user_id == first.user_id and made.purpose == "prize"
    mine_count = await client.get("/api/admin/challenge-entries?status=approved")
    assert mine_count.json()["total"] == 1
    assert second.status == third.status == "pending"


async def test_the_last_place_completes_the_challenge_and_rejects_the_rest(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db, max_winners=1)
    winner = await _entry(clean_db, challenge, "fast", 1)
    loser = await _entry(clean_db, challenge, "slow", 2)
    await add_code(clean_db, "ONLYONE", purpose="prize")
    await admin(clean_db, client)
    approved = await client.post(f"/api/admin/challenge-entries/{winner.id}/approve", json={})
    assert approved.status_code == 200
    state = (await client.get(f"/api/challenges/{challenge.id}")).json()
    assert state["status"] == "completed" and state["placesLeft"] == 0 and state["open"] is False
    late = await client.post(
        f"/api/admin/challenge-entries/{loser.id}/approve", json={"bonusCode": "X123"}
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "already_decided"
    async with clean_db.sessionmaker() as session:
        rejected = await session.get(ChallengeEntry, loser.id)
        assert rejected is not None and rejected.status == "rejected"
        told = await session.scalar(
            select(NotificationOutbox).where(NotificationOutbox.user_id == loser.user_id)
        )
        assert told is not None and "all winner places were taken" in told.body_text


async def test_approving_beyond_the_places_is_409(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db, max_winners=1)
    pending = await _entry(clean_db, challenge, "pending", 1)
    other = await make_user(clean_db, "winner")
    async with clean_db.sessionmaker() as session:
        session.add(
            ChallengeEntry(
                challenge_id=challenge.id, user_id=other.id, bet_link=bet(2), status="approved"
            )
        )
        await session.commit()
    await admin(clean_db, client)
    response = await client.post(
        f"/api/admin/challenge-entries/{pending.id}/approve", json={"bonusCode": "Z999"}
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_places_left"
    async with clean_db.sessionmaker() as session:
        assert await session.scalar(select(BonusCode.id).where(BonusCode.code == "Z999")) is None


async def test_reject_with_notes_tells_the_player(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db)
    entry = await _entry(clean_db, challenge, "cheeky", 1)
    await admin(clean_db, client)
    response = await client.post(
        f"/api/admin/challenge-entries/{entry.id}/reject", json={"notes": "bet was $0.10"}
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    async with clean_db.sessionmaker() as session:
        told = await session.scalar(select(NotificationOutbox))
        assert told is not None and "bet was $0.10" in told.body_text
    assert (
        await client.post(f"/api/admin/challenge-entries/{entry.id}/reject", json={})
    ).status_code == 409


async def test_players_cannot_review(client: httpx.AsyncClient, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db)
    entry = await _entry(clean_db, challenge, "sneaky", 1)
    from tests.support.users import login

    await login(client, "sneaky")
    response = await client.post(
        f"/api/admin/challenge-entries/{entry.id}/approve", json={"bonusCode": "MINE1"}
    )
    assert response.status_code == 403
    assert (await client.get("/api/admin/challenge-entries")).status_code == 403


async def test_concurrent_approvals_never_exceed_the_places(clean_db: Database) -> None:
    challenge = await add_challenge(clean_db, max_winners=3)
    entries = [await _entry(clean_db, challenge, f"racer{i}", i) for i in range(10)]
    boss = await make_user(clean_db, "boss", is_admin=True)
    actor = Actor.for_user(boss)

    async def approve(entry: ChallengeEntry) -> str:
        async with clean_db.sessionmaker() as session:
            try:
                await service.approve_entry(
                    session, actor=actor, entry_id=entry.id, bonus_code=f"CODE{entry.id}"
                )
            except Conflict as exc:
                return exc.code
            return "approved"

    outcomes = await asyncio.gather(*(approve(e) for e in entries))
    assert outcomes.count("approved") == 3
    assert set(outcomes) <= {"approved", "already_decided", "no_places_left"}
    async with clean_db.sessionmaker() as session:
        approved = await session.scalar(
            select(func.count())
            .select_from(ChallengeEntry)
            .where(ChallengeEntry.status == "approved")
        )
        handed = await session.scalar(select(func.count()).select_from(BonusCode))
        final = await session.get(Challenge, challenge.id)
    assert approved == 3 and handed == 3
    assert final is not None and final.status == "completed"


async def test_concurrent_http_approvals_from_several_admins(
    new_client: Any, clean_db: Database
) -> None:
    challenge = await add_challenge(clean_db, max_winners=2)
    entries = [await _entry(clean_db, challenge, f"hit{i}", i) for i in range(6)]
    for i in range(6):
        await add_code(clean_db, f"POOLCODE{i}", purpose="prize")
    admins = [new_client(f"198.51.100.{i + 1}") for i in range(6)]
    for i, http in enumerate(admins):
        await admin(clean_db, http, f"admin{i}")
    responses = await asyncio.gather(
        *(
            http.post(f"/api/admin/challenge-entries/{entry.id}/approve", json={})
            for http, entry in zip(admins, entries, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 409, 409, 409, 409]
    codes = {r.json()["bonusCode"] for r in responses if r.status_code == 200}
    assert len(codes) == 2
