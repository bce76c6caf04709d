"""Admins add codes one by one or by CSV (all or nothing); new drops are announced; the expiry job."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import func, select

from goatedvips.admin.models import AuditLog
from goatedvips.bonuses import service
from goatedvips.bonuses.models import BonusCode
from goatedvips.bonuses.promotions import announce_to_opted_in
from goatedvips.db import Database, utcnow
from goatedvips.notifications.models import NotificationOutbox
from tests.bonuses.helpers import add_code, admin, csrf_of, opt_in_promotions, verified_player
from tests.support.users import make_user

LATER = (utcnow() + dt.timedelta(days=7)).isoformat()


async def _count(db: Database, model: type) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_create_normalises_refuses_duplicates_and_announces(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    fan = await make_user(clean_db, "fan")
    await opt_in_promotions(clean_db, fan.id)
    await make_user(clean_db, "quiet")  # promotional offers are off by default
    await admin(clean_db, client)
    body = {"code": " goat20 ", "description": "Weekend", "value": "20", "expiresAt": LATER}
    created = await client.post("/api/admin/bonus-codes", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["code"] == "GOAT20" and created.json()["value"] == "20.00"
    assert created.json()["claimedBy"] is None and created.json()["purpose"] == "drop"

    duplicate = await client.post("/api/admin/bonus-codes", json=body | {"code": "Goat20"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate_code"
    for bad, field in [
        ({"code": "no spaces"}, "code"),
        ({"value": "-1"}, "value"),
        ({"expiresAt": (utcnow() - dt.timedelta(minutes=1)).isoformat()}, "expiresAt"),
    ]:
        response = await client.post("/api/admin/bonus-codes", json=body | {"code": "OTHER1"} | bad)
        assert response.status_code == 422 and response.json()["error"]["field"] == field
    assert await _count(clean_db, BonusCode) == 1
    async with clean_db.sessionmaker() as session:
        told = (await session.scalars(select(NotificationOutbox))).all()
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "bonus_code.create"))
    assert [(n.kind, n.user_id) for n in told] == [("new_bonus_code", fan.id)]
    assert audit is not None and audit.after["code"] == "GOAT20"


async def test_players_cannot_manage_codes(client: httpx.AsyncClient, clean_db: Database) -> None:
    await verified_player(clean_db, client, "player")
    body = {"code": "MINE1", "value": "5", "expiresAt": LATER}
    assert (await client.post("/api/admin/bonus-codes", json=body)).status_code == 403
    assert (await client.get("/api/admin/bonus-codes")).status_code == 403


async def test_csv_import_is_all_or_nothing(client: httpx.AsyncClient, clean_db: Database) -> None:
    await add_code(clean_db, "EXISTS1")
    await admin(clean_db, client)
    bad = "\n".join(
        [
            "code,description,value,expiresAt",
            f"NEW1,First,10,{LATER}",
            f"NEW1,Again,10,{LATER}",
            f"EXISTS1,Taken,10,{LATER}",
            "NEW2,Bad value,ten,2030-01-01T00:00:00Z",
            "NEW3,Old,5,2001-01-01T00:00:00",
            "NEW4,short row",
        ]
    )
    response = await client.post("/api/admin/bonus-codes/import", json={"csv": bad})
    assert response.status_code == 422
    assert [line["line"] for line in response.json()["error"]["lines"]] == [3, 4, 5, 6, 7]
    assert await _count(clean_db, BonusCode) == 1

    good = f"new1,First,10,{LATER}\nNEW2,Second,$12.50,2030-01-01T00:00:00\n"
    response = await client.post("/api/admin/bonus-codes/import", json={"csv": good})
    assert response.status_code == 201 and response.json() == {"created": 2}
    listed = (await client.get("/api/admin/bonus-codes?q=new")).json()
    assert sorted(c["code"] for c in listed["items"]) == ["NEW1", "NEW2"]


async def test_admin_page_creates_and_imports(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    await admin(clean_db, client)
    token = await csrf_of(client, "/admin/bonus-codes")
    html = {"accept": "text/html"}
    later = (utcnow() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"csrf_token": token, "code": "page1", "value": "5", "expires_at": later}
    created = await client.post("/admin/bonus-codes", data=form, headers=html)
    assert created.status_code == 303
    page = await client.get(created.headers["location"], headers=html)
    assert "Created the code PAGE1" in page.text
    refused = await client.post(
        "/admin/bonus-codes/import",
        data={"csrf_token": token, "csv": "BAD CODE,x,1,2030-01-01", "purpose": "prize"},
        headers=html,
    )
    assert refused.status_code == 422 and "Line 1:" in refused.text
    assert await _count(clean_db, BonusCode) == 1


async def test_expiry_job_flags_only_past_codes(clean_db: Database) -> None:
    past = await add_code(clean_db, "PAST1", expires_in=dt.timedelta(seconds=-5))
    future = await add_code(clean_db, "FUTURE1")
    async with clean_db.sessionmaker() as session:
        assert await service.mark_expired(session) == 1
        assert await service.mark_expired(session) == 0
        assert (await session.get(BonusCode, past.id, populate_existing=True)).expired  # type: ignore[union-attr]
        assert not (await session.get(BonusCode, future.id, populate_existing=True)).expired  # type: ignore[union-attr]


async def test_announcements_walk_the_audience_in_batches(clean_db: Database) -> None:
    fans = [await make_user(clean_db, f"fan{i}") for i in range(5)]
    for fan in fans:
        await opt_in_promotions(clean_db, fan.id)
    async with clean_db.sessionmaker() as session:
        told = await announce_to_opted_in(
            session, kind="new_bonus_code", subject="s", text="t", dedupe_key="k", batch_size=2
        )
        await session.commit()
    assert told == 5 and await _count(clean_db, NotificationOutbox) == 5
