"""Admin controls of the feed: status, sync on demand, excluded uids (audited), /health, pages."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from goatedvips.admin.models import AuditLog
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.affiliate.conftest import player, script, set_mode
from tests.support.users import logged_in_user

JWT_EXPIRING_2030 = (
    "eyJhbGciOiJIUzI1NiJ9."
    "eyJ1aWQiOiJ4Iiwic2Vzc2lvbiI6InkiLCJpYXQiOjE4OTM0NTYwMDAsImV4cCI6MTg5MzQ1NjAwMH0.sig"
)


@pytest.fixture
def settings(settings: Settings, sim_url: str) -> Settings:
    return settings.model_copy(
        update={"goated_api_base_url": sim_url, "goated_api_token": JWT_EXPIRING_2030}
    )


@pytest.fixture
async def admin(db: Database, client: httpx.AsyncClient, app: FastAPI) -> None:
    await logged_in_user(db, client, "boss", is_admin=True)


async def test_admin_endpoints_need_an_admin(
    db: Database, client: httpx.AsyncClient, new_client
) -> None:
    for method, path, body in [
        ("GET", "/api/admin/affiliate/status", None),
        ("POST", "/api/admin/affiliate/sync", {}),
        ("PUT", "/api/admin/settings/excluded-uids", {"uids": []}),
    ]:
        assert (await client.request(method, path, json=body)).status_code == 401
    player_client = new_client()
    await logged_in_user(db, player_client, "pleb")
    assert (await player_client.get("/api/admin/affiliate/status")).status_code == 403


@pytest.mark.usefixtures("admin")
async def test_sync_on_demand_then_status_and_health(
    client: httpx.AsyncClient, sim: httpx.AsyncClient
) -> None:
    health = (await client.get("/health")).json()
    assert health["status"] == "degraded" and health["affiliate"]["stale"] is True

    await script(sim, [player("u1", "Yels789", 10), player("u2", "other", 5)])
    summary = await client.post("/api/admin/affiliate/sync", json={})
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["status"], body["players"], body["changed"], body["newPlayers"]) == (
        "success",
        2,
        2,
        2,
    )
    assert (await client.get("/api/leaderboard")).json()["total"] == 2

    status = (await client.get("/api/admin/affiliate/status")).json()
    assert status["lastSuccessAt"] == body["finishedAt"]
    assert (status["lastError"], status["players"]) == (None, 2)
    assert status["tokenExpiresAt"] == "2030-01-01T00:00:00+00:00"
    health = (await client.get("/health")).json()
    assert health["status"] == "ok" and health["affiliate"]["lastSuccessAt"] == body["finishedAt"]

    await set_mode(sim, mode="unauthorized")
    failed = await client.post("/api/admin/affiliate/sync", json={})
    assert failed.status_code == 502
    assert failed.json()["error"]["code"] == "sync_failed"
    assert "GOATED_API_TOKEN" in failed.json()["error"]["message"]
    status = (await client.get("/api/admin/affiliate/status")).json()
    assert "token rejected" in status["lastError"] and status["players"] == 2
    assert status["lastSuccessAt"] == body["finishedAt"]
    metrics = (await client.get("/metrics")).text
    assert 'goatedvips_affiliate_sync_failures_total{reason="token"}' in metrics
    assert "goatedvips_affiliate_token_expiry_timestamp_seconds 1.8934" in metrics


@pytest.mark.usefixtures("admin")
async def test_excluded_uids_leave_every_board_and_are_audited(
    db: Database, client: httpx.AsyncClient, sim: httpx.AsyncClient
) -> None:
    await script(sim, [player("house", "HouseAcct", 999, today=9, week=99), player("u2", "p", 5)])
    assert (await client.post("/api/admin/affiliate/sync", json={})).status_code == 200

    for bad in ({"uids": [""]}, {"uids": "house"}, {"uids": [1]}, {"uids": ["x" * 65]}, {}):
        response = await client.put("/api/admin/settings/excluded-uids", json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["field"] == "uids"
    saved = await client.put(
        "/api/admin/settings/excluded-uids", json={"uids": [" house ", "house"]}
    )
    assert saved.json() == {"uids": ["house"]}

    for period in ("today", "week", "month", "all_time"):
        text = (await client.get("/api/leaderboard", params={"period": period})).text
        assert "house" not in text and "HouseAcct" not in text
    assert "HouseAcct" not in (await client.get("/leaderboard")).text
    async with db.sessionmaker() as session:
        audits = list(await session.scalars(select(AuditLog)))
    assert [(a.action, a.before, a.after) for a in audits] == [
        ("affiliate.excluded_uids.set", [], ["house"])
    ]


@pytest.mark.usefixtures("admin")
async def test_admin_page_shows_health_token_and_runs(
    client: httpx.AsyncClient, sim: httpx.AsyncClient
) -> None:
    await script(sim, [player("u1", "<script>x</script>", 10)])
    await client.post("/api/admin/affiliate/sync", json={})
    await set_mode(sim, mode="malformed")
    await client.post("/api/admin/affiliate/sync", json={})
    page = await client.get("/admin/affiliate")
    assert page.status_code == 200
    for words in ("Sync health", "malformed feed", "2030-01-01", "Recent syncs", "Excluded uids"):
        assert words in page.text
    assert "<script>x</script>" not in page.text


async def test_admin_page_needs_an_admin(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/affiliate", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Faffiliate"
