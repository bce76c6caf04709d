"""Public leaderboards: ranks, amounts, tiers, ETags, privacy and freshness after a sync."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from goatedvips.accounts.models import User
from goatedvips.affiliate.leaderboard import LeaderboardCache, _redis_prefix
from goatedvips.affiliate.service import sync_once
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.affiliate.conftest import feed_client, player, script
from tests.support.users import make_user

BOARD = [
    player("uid-a", "Yels789", 500, today=5, week=50, all_time=150_000),
    player("uid-b", "bravo", 300, week=30, all_time=12_000),
    player("uid-c", "charlie", 300, week=30, all_time=300),
    player("uid-d", "delta", 100, all_time=100),
    player("uid-e", "echo", 0, all_time=0),
    player("uid-f", "<b>foxtrot</b>", 50, all_time=20_000_000),
]


@pytest.fixture
async def synced(db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str) -> None:
    await script(sim, BOARD)
    await sync(db, settings, sim_url)


async def sync(db: Database, settings: Settings, sim_url: str) -> None:
    async with feed_client(sim_url) as client:
        await sync_once(db, settings, client=client)


async def board(client: httpx.AsyncClient, **params: object) -> dict:
    response = await client.get("/api/leaderboard", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("synced")
async def test_month_board_ranks_ties_amounts_and_tiers(client: httpx.AsyncClient) -> None:
    body = await board(client, period="month")
    assert set(body) == {"period", "updatedAt", "stale", "total", "entries"}
    assert (body["period"], body["stale"], body["total"]) == ("month", False, 5)
    assert body["updatedAt"].endswith("+00:00")
    assert [(e["rank"], e["uid"], e["wagered"], e["tier"]) for e in body["entries"]] == [
        (1, "uid-a", "500.00", "Gold"),
        (2, "uid-b", "300.00", "Bronze"),
        (2, "uid-c", "300.00", "Copper"),
        (4, "uid-d", "100.00", "Copper"),
        (5, "uid-f", "50.00", "Diamond"),
    ]
    assert set(body["entries"][0]) == {"rank", "uid", "name", "wagered", "tier"}


@pytest.mark.usefixtures("synced")
async def test_each_period_leaves_out_zero_wagers(client: httpx.AsyncClient) -> None:
    assert [e["uid"] for e in (await board(client, period="today"))["entries"]] == ["uid-a"]
    week = await board(client, period="week")
    assert [e["rank"] for e in week["entries"]] == [1, 2, 2]
    all_time = await board(client, period="all_time")
    assert all_time["entries"][0]["uid"] == "uid-f" and "uid-e" not in str(all_time)


@pytest.mark.usefixtures("synced")
async def test_paging_search_and_bad_input(client: httpx.AsyncClient) -> None:
    page = await board(client, period="month", limit=2, offset=2)
    assert (page["total"], [e["rank"] for e in page["entries"]]) == (5, [2, 4])
    found = await board(client, period="month", q="CHAR")
    assert (found["total"], found["entries"][0]["rank"]) == (1, 2)
    for params, field in [
        ({"period": "year"}, "period"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
    ]:
        response = await client.get("/api/leaderboard", params=params)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == field


async def test_a_new_sync_shows_at_once_with_a_new_etag(
    db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    sim: httpx.AsyncClient,
    sim_url: str,
) -> None:
    await script(sim, BOARD)
    await sync(db, settings, sim_url)
    first = await client.get("/api/leaderboard?period=month")
    etag = first.headers["etag"]
    again = await client.get("/api/leaderboard?period=month", headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)

    await script(sim, [*BOARD[:-1], player("uid-f", "<b>foxtrot</b>", 900, all_time=20_000_900)])
    await sync(db, settings, sim_url)
    moved = await client.get("/api/leaderboard?period=month", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["etag"] != etag
    assert moved.json()["entries"][0] == {
        "rank": 1,
        "uid": "uid-f",
        "name": "<b>foxtrot</b>",
        "wagered": "900.00",
        "tier": "Diamond",
    }


async def test_before_any_sync_the_board_is_empty_and_stale(client: httpx.AsyncClient) -> None:
    body = await board(client)
    assert body == {"period": "month", "updatedAt": None, "stale": True, "total": 0, "entries": []}


async def hide(db: Database, username: str, uid: str, *, verified: bool = True) -> None:
    user = await make_user(db, username)
    async with db.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(hide_name=True, goated_uid=uid, goated_verified=verified)
        )
        await session.commit()


@pytest.mark.usefixtures("synced")
async def test_hidden_names_are_masked_on_the_api_and_the_page(
    db: Database, client: httpx.AsyncClient
) -> None:
    await client.get("/api/leaderboard")  # a snapshot exists; the change must still show
    await hide(db, "yels", "uid-a")
    await hide(db, "claimer", "uid-b", verified=False)  # an unverified claim hides nothing
    from goatedvips.affiliate.leaderboard import cache_for

    cache_for(db).invalidate()  # what the once-a-second freshness check does
    for period in ("today", "week", "month", "all_time"):
        body = (await client.get("/api/leaderboard", params={"period": period})).text
        assert "Yels789" not in body
    entries = (await board(client))["entries"]
    assert entries[0]["name"] == "Ye***89" and entries[1]["name"] == "bravo"
    assert (await board(client, q="yels"))["total"] == 0
    assert (await board(client, q="ye***"))["total"] == 1
    page = await client.get("/leaderboard")
    assert "Ye***89" in page.text and "Yels789" not in page.text


@pytest.mark.usefixtures("synced")
async def test_markup_in_names_is_escaped_on_the_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/leaderboard?period=month")
    assert page.status_code == 200
    assert "&lt;b&gt;foxtrot&lt;/b&gt;" in page.text and "<b>foxtrot</b>" not in page.text


@pytest.mark.usefixtures("synced")
async def test_page_tabs_search_partial_and_paging(client: httpx.AsyncClient) -> None:
    page = await client.get("/leaderboard?period=week")
    assert page.status_code == 200
    for label in ("Today", "This week", "This month", "All time"):
        assert label in page.text
    assert 'aria-current="page">This week' in page.text
    assert "<time datetime=" in page.text and "Updated" in page.text
    partial = await client.get("/leaderboard?q=delta", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="board"')
    assert "delta" in partial.text and "bravo" not in partial.text
    none = await client.get("/leaderboard?q=zzz", headers={"HX-Request": "true"})
    assert "No player matches" in none.text


async def test_stale_data_is_flagged(
    db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    sim: httpx.AsyncClient,
    sim_url: str,
) -> None:
    import time_machine

    await script(sim, BOARD)
    await sync(db, settings, sim_url)
    with time_machine.travel(
        __import__("datetime").datetime.now().astimezone()
        + __import__("datetime").timedelta(hours=2)
    ):
        body = await board(client)
        page = await client.get("/leaderboard")
    assert body["stale"] is True and body["total"] == 5
    assert "out of date" in page.text


@pytest.mark.usefixtures("clean_db")  # its sync's rows must not reach the next test
async def test_rows_are_shared_through_redis(
    db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    import os

    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    shared = settings.model_copy(update={"redis_url": redis_url})
    await script(sim, BOARD)
    await sync(db, shared, sim_url)  # the syncing process builds and publishes the rows
    async with db.engine.begin() as conn:  # another process would now find them in Redis only
        await conn.exec_driver_sql("DELETE FROM affiliate_players")
    other_process = LeaderboardCache()
    snapshot = await other_process.current(db, shared)
    assert snapshot.boards["month"].uids[:2] == ["uid-a", "uid-b"]
    import redis.asyncio as redis

    async with redis.from_url(redis_url) as r:
        await r.delete(*[k async for k in r.scan_iter(_redis_prefix(db) + ":*")])
