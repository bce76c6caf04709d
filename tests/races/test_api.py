"""The race JSON API: admin create/edit/cancel/correct with exact refusals, public standings with
privacy, the player's own position."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.admin.models import AuditLog
from goatedvips.affiliate.service import set_excluded_uids
from goatedvips.db import Database, utcnow
from goatedvips.races import lifecycle
from tests.races.conftest import Feed, add_race, player
from tests.support.users import logged_in_user, make_user

D = Decimal


def future_month() -> tuple[str, str]:
    now = utcnow()
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return start.isoformat(), dt.datetime(end_year, end_month, 1, tzinfo=dt.UTC).isoformat()


def body(**changes: Any) -> dict[str, Any]:
    start, end = future_month()
    values: dict[str, Any] = {
        "title": "Monthly <b>race</b>",
        "type": "monthly",
        "startDate": start,
        "endDate": end,
        "prizePool": "1000.00",
        "prizeDistribution": {"1": "50", "2": "30", "3": "20"},
        "minWager": "100",
        "rules": "Wager on Goated.",
        "description": "Our monthly race",
    }
    values.update(changes)
    return values


@pytest.fixture
async def admin(db: Database, client: httpx.AsyncClient) -> User:
    return await logged_in_user(db, client, "boss", is_admin=True)


async def audit_actions(db: Database) -> list[str]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


async def test_admin_creates_a_race_and_it_is_audited(
    client: httpx.AsyncClient, admin: User, db: Database
) -> None:
    response = await client.post("/api/admin/races", json=body())
    assert response.status_code == 201, response.text
    race = response.json()
    assert race["status"] == "upcoming" and race["type"] == "monthly"
    assert race["prizePool"] == "1000.00" and race["minWager"] == "100.00"
    assert race["prizeDistribution"] == {"1": "50", "2": "30", "3": "20"}
    assert race["standings"] == [] and race["title"] == "Monthly <b>race</b>"
    assert [p["amount"] for p in race["prizes"]] == ["500.00", "300.00", "200.00"]
    assert await audit_actions(db) == ["race.create"]
    listed = (await client.get("/api/races", params={"status": "upcoming"})).json()
    assert [r["id"] for r in listed["items"]] == [race["id"]] and listed["total"] == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"prizeDistribution": {"1": "50", "2": "30", "3": "23.5"}}, "prizeDistribution", "103.5"),
        ({"prizeDistribution": {"1": "30", "2": "70"}}, "prizeDistribution", "grow"),
        ({"prizeDistribution": {"1": "100", "2": "0"}}, "prizeDistribution", "positive"),
        ({"prizePool": "-1"}, "prizePool", "negative"),
        ({"minWager": "-5"}, "minWager", "negative"),
        ({"prizePool": "10.001"}, "prizePool", "cents"),
        ({"type": "custom", "endDate": "2020-01-01T00:00:00Z"}, "endDate", "after it starts"),
        ({"startDate": "2031-01-02T00:00:00Z", "endDate": None}, "startDate", "1st"),
        (
            {"type": "weekly", "startDate": "2031-01-01T00:00:00Z", "endDate": None},
            "startDate",
            "Monday",
        ),
        (
            {
                "type": "custom",
                "startDate": "2031-01-01T00:30:00Z",
                "endDate": "2031-01-03T00:00:00Z",
            },
            "startDate",
            "on the hour",
        ),
    ],
)
async def test_bad_races_are_refused_with_422_naming_the_field_and_write_nothing(
    client: httpx.AsyncClient, admin: User, db: Database, changes: dict, field: str, words: str
) -> None:
    response = await client.post("/api/admin/races", json=body(**changes))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and field in error["message"] and words in error["message"]
    assert (await client.get("/api/races")).json()["total"] == 0
    assert await audit_actions(db) == []


async def test_overlapping_races_of_one_type_are_refused(
    client: httpx.AsyncClient, admin: User
) -> None:
    assert (await client.post("/api/admin/races", json=body())).status_code == 201
    clash = await client.post("/api/admin/races", json=body(title="Again"))
    assert clash.status_code == 422 and clash.json()["error"]["field"] == "startDate"
    start, _ = future_month()
    sprint = body(type="custom", startDate=start, endDate=start.replace("T00", "T06"))
    assert (await client.post("/api/admin/races", json=sprint)).status_code == 201


async def test_only_admins_manage_races(
    client: httpx.AsyncClient, new_client: Any, db: Database
) -> None:
    assert (await client.post("/api/admin/races", json=body())).status_code == 401
    await logged_in_user(db, client, "pleb")
    assert (await client.post("/api/admin/races", json=body())).status_code == 403


async def test_a_completed_race_keeps_its_window_and_prizes(
    client: httpx.AsyncClient, admin: User, db: Database
) -> None:
    race_id = await add_race(
        db,
        status="completed",
        start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        end_date=dt.datetime(2025, 1, 3, tzinfo=dt.UTC),
        finalized_at=utcnow(),
    )
    for change in (
        {"prizePool": "5"},
        {"endDate": "2031-01-01T00:00:00Z"},
        {"prizeDistribution": {"1": "100"}},
    ):
        refused = await client.patch(f"/api/admin/races/{race_id}", json=change)
        assert refused.status_code == 409 and "correct" in refused.json()["error"]["message"]
    ok = await client.patch(f"/api/admin/races/{race_id}", json={"title": "January sprint"})
    assert ok.status_code == 200 and ok.json()["title"] == "January sprint"
    assert (await client.post(f"/api/admin/races/{race_id}/cancel", json={})).status_code == 409


async def test_cancel_an_upcoming_race(
    client: httpx.AsyncClient, admin: User, db: Database
) -> None:
    race_id = (await client.post("/api/admin/races", json=body())).json()["id"]
    cancelled = await client.post(f"/api/admin/races/{race_id}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (
        await client.patch(f"/api/admin/races/{race_id}", json={"title": "x"})
    ).status_code == 409
    assert await audit_actions(db) == ["race.create", "race.cancel"]
    # A cancelled race frees its window.
    assert (await client.post("/api/admin/races", json=body())).status_code == 201


async def live_race_with_feed(db: Database, feed: Feed) -> int:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    race_id = await add_race(
        db,
        start_date=now - dt.timedelta(hours=5),
        end_date=now + dt.timedelta(hours=5),
        prize_pool=D("100.00"),
        prize_distribution={"1": "60", "2": "40"},
        min_wager=D("10"),
    )
    await feed.sync_at(
        now - dt.timedelta(hours=6),
        [
            player("u-ann", "Annabelle", all_time=0),
            player("u-bob", "Bob", all_time=0),
            player("u-staff", "Staff", all_time=0),
            player("u-cy", "Cy", all_time=0),
        ],
    )
    await feed.sync_at(
        now - dt.timedelta(hours=1),
        [
            player("u-ann", "Annabelle", all_time=300),
            player("u-bob", "Bob", all_time=120.5),
            player("u-staff", "Staff", all_time=9000),
            player("u-cy", "Cy", all_time=5),
        ],
    )
    return race_id


async def test_public_standings_mask_hidden_names_and_leave_out_excluded_uids(
    client: httpx.AsyncClient, db: Database, feed: Feed
) -> None:
    race_id = await live_race_with_feed(db, feed)
    hider = await make_user(db, "ann")
    async with db.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == hider.id)
            .values(goated_uid="u-ann", goated_verified=True, hide_name=True)
        )
        await set_excluded_uids(session, uids=["u-staff"], actor=Actor.system())
        await session.commit()
    race = (await client.get(f"/api/races/{race_id}")).json()
    assert race["standings"] == [
        {
            "rank": 1,
            "uid": "u-ann",
            "name": "An***le",
            "totalWager": "300.00",
            "prize": "60.00",
            "eligible": True,
        },
        {
            "rank": 2,
            "uid": "u-bob",
            "name": "Bob",
            "totalWager": "120.50",
            "prize": "40.00",
            "eligible": True,
        },
        {
            "rank": 3,
            "uid": "u-cy",
            "name": "Cy",
            "totalWager": "5.00",
            "prize": "0.00",
            "eligible": False,
        },
    ]
    current = (await client.get("/api/races/current")).json()
    assert current["id"] == race_id and "Annabelle" not in str(current)
    assert (await client.get("/api/races/99999")).status_code == 404


async def test_my_race_position_for_a_linked_player(
    client: httpx.AsyncClient, db: Database, feed: Feed
) -> None:
    race_id = await live_race_with_feed(db, feed)
    user = await logged_in_user(db, client, "bobby")
    missing = await client.get("/api/me/race-position")
    assert (
        missing.status_code == 404
        and "verify your Goated account" in missing.json()["error"]["message"]
    )
    async with db.sessionmaker() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(goated_uid="u-bob", goated_verified=True)
        )
        await session.commit()
    position = (await client.get("/api/me/race-position")).json()
    assert position == {
        "raceId": race_id,
        "rank": 3,  # behind the staff account (not excluded in this test) and Annabelle
        "totalWager": "120.50",
        "gapToNext": "179.50",
        "prize": "0.00",
        "eligible": True,
    }


async def test_correcting_a_completed_race_is_its_own_audited_action(
    client: httpx.AsyncClient, admin: User, db: Database, feed: Feed
) -> None:
    race_id = await live_race_with_feed(db, feed)
    async with db.sessionmaker() as session:
        await session.execute(
            update(lifecycle.WagerRace)
            .where(lifecycle.WagerRace.id == race_id)
            .values(end_date=utcnow())
        )
        await session.commit()
        assert await lifecycle.finalize_race(session, race_id) is True
    not_live = await client.post(
        f"/api/admin/races/{race_id}/corrections",
        json={"disqualified": ["nobody"], "reason": "check"},
    )
    assert not_live.status_code == 422
    fixed = await client.post(
        f"/api/admin/races/{race_id}/corrections",
        json={"disqualified": ["u-staff"], "totals": {"u-bob": "400"}, "reason": "house account"},
    )
    assert fixed.status_code == 200, fixed.text
    rows = [(s["uid"], s["rank"], s["prize"], s["eligible"]) for s in fixed.json()["standings"]]
    assert rows == [
        ("u-staff", 1, "0.00", False),
        ("u-bob", 2, "60.00", True),
        ("u-ann", 3, "40.00", True),
        ("u-cy", 4, "0.00", False),
    ]
    assert (await audit_actions(db))[-1] == "race.correct"
