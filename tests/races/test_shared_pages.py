"""Anonymous viewers of the race and leaderboard pages share one rendering (goatedvips.pagecache):
each still gets their own CSRF token, logged-in viewers never get the shared page, and a change
(a sync, an exclusion, another process's write a second later) shows on the next request."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
import threading
from decimal import Decimal

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from goatedvips.admin.audit import Actor
from goatedvips.affiliate.service import set_excluded_uids
from goatedvips.db import Database, utcnow
from tests.races.conftest import Feed, add_race, player
from tests.support.users import logged_in_user

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


async def cache_counts(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    found = re.findall(r'^goatedvips_page_cache_total\{result="(\w+)"\} ([\d.e+]+)$', text, re.M)
    counts = {"hit": 0.0, "stale": 0.0, "miss": 0.0, "bypass": 0.0}
    counts.update({result: float(value) for result, value in found})
    return counts


async def delta(client: httpx.AsyncClient, before: dict[str, float]) -> dict[str, int]:
    after = await cache_counts(client)
    return {k: int(after[k] - before[k]) for k in before}


def anonymous(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50002))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def live_race(db: Database, feed: Feed) -> int:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    race_id = await add_race(
        db,
        title="Shared",
        start_date=now - dt.timedelta(hours=5),
        end_date=now + dt.timedelta(hours=5),
        prize_pool=Decimal("100.00"),
        prize_distribution={"1": "60", "2": "40"},
    )
    await feed.sync_at(
        now - dt.timedelta(hours=6), [player("u1", "Whale", all_time=0), player("u2", "Shrimp")]
    )
    await feed.sync_at(
        now - dt.timedelta(hours=1),
        [player("u1", "Whale", all_time=20000), player("u2", "Shrimp", all_time=700)],
    )
    return race_id


@pytest.fixture
def frozen() -> object:
    """A clock that moves only when the test says (so one second is one epoch of the cache)."""
    with time_machine.travel(utcnow(), tick=False) as traveller:
        yield traveller


async def test_anonymous_viewers_share_one_rendering_with_their_own_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, db: Database, feed: Feed, frozen: object
) -> None:
    race_id = await live_race(db, feed)
    await client.get("/races", headers=HTML)  # the first rendering of this epoch
    before = await cache_counts(client)
    pages, tokens = [], []
    for _ in range(5):
        async with anonymous(app) as viewer:
            response = await viewer.get("/races", headers=HTML)
            assert response.status_code == 200
            token = TOKEN.search(response.text).group(1)  # type: ignore[union-attr]
            assert response.cookies["gv_csrf"] == token  # the double-submit pair
            assert int(response.headers["content-length"]) == len(response.content)
            pages.append(response.text.replace(token, "T"))
            tokens.append(token)
    assert len(set(tokens)) == 5 and len(set(pages)) == 1
    assert "Whale" in pages[0] and f"/races/{race_id}/stream" in pages[0]
    assert await delta(client, before) == {"hit": 5, "stale": 0, "miss": 0, "bypass": 0}

    # A returning visitor keeps the token its cookie holds, and gets no new cookie.
    async with anonymous(app) as viewer:
        first = await viewer.get("/races", headers=HTML)
        again = await viewer.get("/races", headers=HTML)
    assert "set-cookie" not in again.headers
    assert TOKEN.search(again.text).group(1) == first.cookies["gv_csrf"]  # type: ignore[union-attr]


async def test_concurrent_misses_render_once(
    app: FastAPI, client: httpx.AsyncClient, db: Database, feed: Feed, frozen: object
) -> None:
    race_id = await live_race(db, feed)
    before = await cache_counts(client)
    async with anonymous(app) as viewer:
        answers = await asyncio.gather(
            *(viewer.get(f"/api/races/{race_id}", headers={"cookie": ""}) for _ in range(20))
        )
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert "set-cookie" not in answers[0].headers  # JSON holds no token: no cookie for it
    assert await delta(client, before) == {"hit": 19, "stale": 0, "miss": 1, "bypass": 0}


async def test_logged_in_viewers_get_their_own_page_and_leave_the_shared_one_alone(
    app: FastAPI, client: httpx.AsyncClient, db: Database, feed: Feed, frozen: object
) -> None:
    await live_race(db, feed)
    await logged_in_user(db, client, "shrimpy")
    before = await cache_counts(client)
    mine = (await client.get("/races", headers=HTML)).text
    assert "shrimpy" in mine and "Log out" in mine
    async with anonymous(app) as viewer:
        shared = (await viewer.get("/races", headers=HTML)).text
    assert "shrimpy" not in shared and "Log in" in shared
    counts = await delta(client, before)
    assert counts["bypass"] >= 1 and counts["miss"] == 1


async def test_a_change_in_this_process_shows_on_the_next_request(
    app: FastAPI, db: Database, feed: Feed, frozen: object
) -> None:
    race_id = await live_race(db, feed)
    async with anonymous(app) as viewer:
        assert "Whale" in (await viewer.get(f"/races/{race_id}", headers=HTML)).text
        async with db.sessionmaker() as session:
            await set_excluded_uids(session, uids=["u1"], actor=Actor.system())
            await session.commit()
        assert "Whale" not in (await viewer.get(f"/races/{race_id}", headers=HTML)).text

        now = utcnow()
        await feed.sync_at(
            now,
            [
                player("u1", "Whale", all_time=20000, month=20000),
                player("u2", "Shrimp", all_time=9700, month=9000),
            ],
        )
        board = (await viewer.get("/api/races/current")).json()
        assert [(s["uid"], s["totalWager"]) for s in board["standings"]] == [("u2", "9700.00")]
        page = (await viewer.get("/leaderboard", headers=HTML)).text
        assert "Shrimp" in page and "Whale" not in page


async def test_another_process_s_write_shows_within_a_second(
    app: FastAPI, db: Database, feed: Feed, database_url: str, frozen: time_machine.Coordinates
) -> None:
    race_id = await live_race(db, feed)
    async with anonymous(app) as viewer:
        assert ">Shared<" in (await viewer.get(f"/races/{race_id}", headers=HTML)).text
        _rename_race_outside_this_process(database_url, race_id, "Renamed")
        # The same second: the kept answer (this process saw no write).
        assert ">Shared<" in (await viewer.get(f"/races/{race_id}", headers=HTML)).text
        frozen.shift(1)
        # A second later the kept answer still serves while it is rendered again, once.
        before = await cache_counts(viewer)
        pages = []
        for _ in range(50):
            pages.append((await viewer.get(f"/races/{race_id}", headers=HTML)).text)
            if ">Renamed<" in pages[-1]:
                break
            await asyncio.to_thread(threading.Event().wait, 0.02)  # a real wait: the clock stands
        assert ">Shared<" in pages[0] and ">Renamed<" in pages[-1]
        counts = await delta(viewer, before)
        assert counts["stale"] == len(pages) - 1 and counts["miss"] == 0
        frozen.shift(3600)  # far past what may be served stale: rendered before answering
        assert ">Renamed<" in (await viewer.get(f"/races/{race_id}", headers=HTML)).text


def _rename_race_outside_this_process(database_url: str, race_id: int, title: str) -> None:
    """Write without SQLAlchemy, as another process would (this process's engines see nothing)."""
    sql = "UPDATE wager_races SET title = %s WHERE id = %s"
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database or "") as conn:
            conn.execute(sql.replace("%s", "?"), (title, race_id))
        return
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(sql, (title, race_id))


async def test_errors_and_odd_requests_go_to_the_route(
    app: FastAPI, client: httpx.AsyncClient, db: Database, feed: Feed, frozen: object
) -> None:
    await live_race(db, feed)
    before = await cache_counts(client)
    async with anonymous(app) as viewer:
        for _ in range(2):
            assert (await viewer.get("/races/424242", headers=HTML)).status_code == 404
        nul = await viewer.get("/leaderboard?q=%00", headers=HTML)
        assert nul.status_code == 422
        odd = await viewer.get("/races", headers={**HTML, "cookie": "gv_csrf=<x>"})
        assert odd.status_code == 200 and 'content="&lt;x&gt;"' in odd.text
    counts = await delta(client, before)
    # Each 404 was rendered by the route (never kept); the NUL and the odd cookie bypassed.
    assert counts == {"hit": 0, "stale": 0, "miss": 2, "bypass": 2}
