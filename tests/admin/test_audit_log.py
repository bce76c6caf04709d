"""The audit trail: records written by services, read back filtered on the page and in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest

from goatedvips.admin.audit import Actor, record_audit
from goatedvips.admin.models import AuditLog
from goatedvips.db import Database
from tests.support.users import logged_in_user, make_user

T0 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)


async def _seed(db: Database, admin_id: int) -> None:
    async with db.sessionmaker() as session:
        admin_actor = Actor(label=f"user:{admin_id}", user_id=admin_id, ip="198.51.100.1")
        rows: list[tuple[Actor, str, str, Any, dt.datetime]] = [
            (admin_actor, "race.create", "race", 1, T0),
            (admin_actor, "race.cancel", "race", 1, T0 + dt.timedelta(days=1)),
            (
                Actor.telegram(4242, is_admin=True),
                "verification.approve",
                "verification",
                7,
                T0 + dt.timedelta(days=2),
            ),
            (Actor.system("job:races"), "race.complete", "race", 2, T0 + dt.timedelta(days=3)),
            (admin_actor, "user.disable", "user", 9, T0 + dt.timedelta(days=4)),
        ]
        for actor, action, target_type, target_id, when in rows:
            entry = record_audit(
                session,
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                before={"status": "live"},
                after={"status": "<i>x</i>", "amount": "1.50"},
            )
            entry.created_at = when
        await session.commit()


async def _actions(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/api/admin/audit-log", params=params)
    assert response.status_code == 200, response.text
    return [item["action"] for item in response.json()["items"]]


async def test_audit_log_items_have_the_documented_fields(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    admin = await logged_in_user(clean_db, client, "boss", is_admin=True)
    await _seed(clean_db, admin.id)
    body = (await client.get("/api/admin/audit-log", params={"limit": 1})).json()
    assert body["total"] == 5 and body["limit"] == 1 and body["offset"] == 0
    item = body["items"][0]
    assert set(item) == {
        "id",
        "actor",
        "actorUserId",
        "action",
        "targetType",
        "targetId",
        "before",
        "after",
        "ip",
        "createdAt",
    }
    assert item["action"] == "user.disable" and item["actorUserId"] == admin.id
    assert item["targetType"] == "user" and item["targetId"] == "9"
    assert item["before"] == {"status": "live"} and item["ip"] == "198.51.100.1"
    assert dt.datetime.fromisoformat(item["createdAt"]) == T0 + dt.timedelta(days=4)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {},
            ["user.disable", "race.complete", "verification.approve", "race.cancel", "race.create"],
        ),
        ({"action": "race"}, ["race.complete", "race.cancel", "race.create"]),
        ({"action": "race.cancel"}, ["race.cancel"]),
        ({"action": "rac"}, []),  # a domain is matched whole, not as a prefix of letters
        ({"actor": "system"}, []),
        ({"actor": "job:races"}, ["race.complete"]),
        ({"actor": "telegram:4242"}, ["verification.approve"]),
        ({"actor": "BOSS"}, ["user.disable", "race.cancel", "race.create"]),  # a username
        (
            {"since": "2025-01-12T09:00:00Z"},
            ["user.disable", "race.complete", "verification.approve"],
        ),
        (
            {"since": "2025-01-11T09:00:00", "until": "2025-01-13T09:00:00+00:00"},
            ["verification.approve", "race.cancel"],
        ),
        ({"targetType": "race", "targetId": "1"}, ["race.cancel", "race.create"]),
    ],
)
async def test_audit_log_filters(
    client: httpx.AsyncClient, clean_db: Database, params: dict[str, str], expected: list[str]
) -> None:
    admin = await logged_in_user(clean_db, client, "boss", is_admin=True)
    await _seed(clean_db, admin.id)
    assert await _actions(client, **params) == expected


async def test_audit_log_filter_by_user_id_and_bad_filters(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    admin = await logged_in_user(clean_db, client, "boss", is_admin=True)
    await _seed(clean_db, admin.id)
    assert len(await _actions(client, actor=str(admin.id))) == 3
    backwards = await client.get(
        "/api/admin/audit-log", params={"since": "2025-02-01", "until": "2025-01-01"}
    )
    assert backwards.status_code == 422 and "since" in backwards.json()["error"]["message"]
    not_a_time = await client.get("/api/admin/audit-log", params={"since": "yesterday"})
    assert not_a_time.status_code == 422
    too_many = await client.get("/api/admin/audit-log", params={"limit": 501})
    assert too_many.status_code == 422


async def test_audit_page_filters_and_escapes(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    admin = await logged_in_user(clean_db, client, "boss", is_admin=True)
    await _seed(clean_db, admin.id)
    page = await client.get("/admin/audit", params={"action": "race", "since": "2025-01-11T00:00"})
    assert page.status_code == 200
    assert "race.cancel" in page.text and "race.complete" in page.text
    assert "race.create" not in page.text.split("<tbody>")[1]
    assert "<i>x</i>" not in page.text
    bad = await client.get(
        "/admin/audit", params={"since": "soon"}, headers={"accept": "text/html"}
    )
    assert bad.status_code == 422 and "since" in bad.text


async def test_record_audit_keeps_values_json_safe(clean_db: Database) -> None:
    user = await make_user(clean_db, "someone")
    async with clean_db.sessionmaker() as session:
        entry = record_audit(
            session,
            actor=Actor.for_user(user, ip="192.0.2.1"),
            action="code.create",
            target_type="bonus_code",
            target_id=5,
            before=None,
            after={"value": Decimal("10.50"), "at": T0, "ids": {1}},
        )
        await session.commit()
        stored = await session.get(AuditLog, entry.id)
    assert stored is not None
    assert stored.after == {"value": "10.50", "at": T0.isoformat(), "ids": [1]}
    assert stored.target_id == "5" and stored.actor == f"user:{user.id}"
