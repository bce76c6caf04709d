"""Claiming a bonus drop: one claimant per code, every refusal with its own status and message."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from goatedvips.bonuses import service
from goatedvips.bonuses.models import BonusCode
from goatedvips.db import Database
from goatedvips.errors import Conflict
from tests.bonuses.helpers import add_code, set_verified, verified_player
from tests.support.users import login, make_user


async def test_claim_reveals_the_code_only_to_the_claimant(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    code = await add_code(clean_db, "SECRET20", description="Weekend <b>drop</b>")
    listed = (await client.get("/api/bonus-codes")).json()
    assert listed["total"] == 1
    assert listed["items"][0] == {
        "id": code.id,
        "description": "Weekend <b>drop</b>",
        "value": "20.00",
        "expiresAt": listed["items"][0]["expiresAt"],
    }
    assert "SECRET20" not in (await client.get("/bonus-codes")).text

    await verified_player(clean_db, client, "winner")
    response = await client.post(f"/api/bonus-codes/{code.id}/claim", json={})
    assert response.status_code == 200, response.text
    assert response.json()["code"] == "SECRET20"
    assert (await client.get("/api/bonus-codes")).json()["total"] == 0
    mine = (await client.get("/api/me/bonus-codes")).json()["items"]
    assert [c["code"] for c in mine] == ["SECRET20"] and mine[0]["claimedAt"]


async def test_second_claim_is_refused_with_409(
    client: httpx.AsyncClient, new_client: Any, clean_db: Database
) -> None:
    code = await add_code(clean_db)
    await verified_player(clean_db, client, "first")
    assert (await client.post(f"/api/bonus-codes/{code.id}/claim", json={})).status_code == 200

    again = await client.post(f"/api/bonus-codes/{code.id}/claim", json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_claimed_by_you"

    other = new_client()
    await verified_player(clean_db, other, "second")
    late = await other.post(f"/api/bonus-codes/{code.id}/claim", json={})
    assert late.status_code == 409
    assert late.json()["error"] == {
        "code": "already_claimed",
        "message": "too late: another player already claimed this code",
    }


async def test_expired_codes_answer_410(client: httpx.AsyncClient, clean_db: Database) -> None:
    past_expiry = await add_code(clean_db, "OLD1", expires_in=dt.timedelta(seconds=-1))
    flagged = await add_code(clean_db, "OLD2", expired=True)
    await verified_player(clean_db, client, "player")
    for code in (past_expiry, flagged):
        response = await client.post(f"/api/bonus-codes/{code.id}/claim", json={})
        assert response.status_code == 410
        assert response.json()["error"]["code"] == "code_expired"
    assert (await client.get("/api/bonus-codes")).json()["total"] == 0
    async with clean_db.sessionmaker() as session:
        claimed = await session.scalar(select(BonusCode.id).where(BonusCode.user_id.is_not(None)))
    assert claimed is None


async def test_unverified_and_anonymous_players_cannot_claim(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    code = await add_code(clean_db)
    anonymous = await client.post(f"/api/bonus-codes/{code.id}/claim", json={})
    assert anonymous.status_code == 401

    await make_user(clean_db, "newbie")
    await login(client, "newbie")
    refused = await client.post(f"/api/bonus-codes/{code.id}/claim", json={})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_verified"
    assert "/verify" in refused.json()["error"]["message"]
    async with clean_db.sessionmaker() as session:
        assert (await session.get(BonusCode, code.id)).user_id is None  # type: ignore[union-attr]


async def test_prize_pool_codes_and_unknown_ids_are_not_claimable(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    prize = await add_code(clean_db, "PRIZE1", purpose="prize")
    await verified_player(clean_db, client, "player")
    assert (await client.get("/api/bonus-codes")).json()["total"] == 0
    assert (await client.post(f"/api/bonus-codes/{prize.id}/claim", json={})).status_code == 404
    assert (await client.post("/api/bonus-codes/999999/claim", json={})).status_code == 404


async def test_twenty_concurrent_sessions_give_exactly_one_claimant(clean_db: Database) -> None:
    code = await add_code(clean_db, "RACE20")
    players = [await make_user(clean_db, f"racer{i}") for i in range(20)]
    for player in players:
        await set_verified(clean_db, player.id)
        player.goated_verified = True

    async def attempt(player: Any) -> str:
        async with clean_db.sessionmaker() as session:
            try:
                await service.claim_code(session, user=player, code_id=code.id)
            except Conflict:
                return "refused"
            return "won"

    outcomes = await asyncio.gather(*(attempt(p) for p in players))
    assert sorted(outcomes).count("won") == 1
    assert outcomes.count("refused") == 19
    async with clean_db.sessionmaker() as session:
        row = await session.get(BonusCode, code.id)
    assert row is not None and row.user_id in {p.id for p in players}


async def test_twenty_concurrent_http_clients_give_one_200(
    new_client: Any, clean_db: Database
) -> None:
    code = await add_code(clean_db, "HTTP20")
    clients = [new_client(f"198.51.100.{i + 1}") for i in range(20)]
    for i, http in enumerate(clients):
        await verified_player(clean_db, http, f"fan{i}")

    responses = await asyncio.gather(
        *(http.post(f"/api/bonus-codes/{code.id}/claim", json={}) for http in clients)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19
    winners = [r.json()["code"] for r in responses if r.status_code == 200]
    assert winners == ["HTTP20"]
