"""The ASGI fast path of GET /api/leaderboard answers exactly what the route answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from goatedvips.affiliate.fastpaths import parse_query
from goatedvips.affiliate.leaderboard import cache_for
from goatedvips.affiliate.service import sync_once
from goatedvips.config import Settings
from goatedvips.db import Database
from tests.affiliate.conftest import feed_client, player, script

pytestmark = pytest.mark.usefixtures("clean_db")

BOARD = [
    player("uid-a", "Yels789", 500, today=5, week=50, all_time=150_000),
    player("uid-b", "bravo", 300, week=30, all_time=12_000),
    player("uid-c", "charlie", 300, week=30, all_time=300),
    player("uid-d", "delta", 100, all_time=100),
]
ANSWER_HEADERS = ("etag", "cache-control", "content-type", "content-length", "set-cookie")


@pytest.fixture
async def synced(db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str) -> None:
    await script(sim, BOARD)
    async with feed_client(sim_url) as client:
        await sync_once(db, settings, client=client)


def answer(response: httpx.Response) -> tuple[Any, ...]:
    headers = tuple(response.headers.get(name) for name in ANSWER_HEADERS)
    return response.status_code, response.content, headers


async def fast_answers(db: Database) -> int:
    snapshot = cache_for(db).snapshot
    return len(snapshot.fast) if snapshot is not None else 0


@pytest.mark.usefixtures("synced")
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?period=month&limit=100",
        "?period=week&limit=2&offset=1",
        "?period=all_time&q=YE",
        "?q=br%61vo",
        "?period=today&limit=500&offset=0",
    ],
)
async def test_plain_queries_take_the_fast_path_with_the_same_answer(
    db: Database, client: httpx.AsyncClient, query: str
) -> None:
    cache_for(db).invalidate()
    routed = await client.get(f"/api/leaderboard{query}")  # due for its check: the route
    assert await fast_answers(db) == 0
    fast = await client.get(f"/api/leaderboard{query}")
    assert await fast_answers(db) == 1
    assert answer(fast) == answer(routed) and routed.status_code == 200
    etag = routed.headers["etag"]
    not_modified = await client.get(f"/api/leaderboard{query}", headers={"If-None-Match": etag})
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == etag and "content-length" not in not_modified.headers
    assert not_modified.headers["cache-control"] == "no-cache"
    other = await client.get(f"/api/leaderboard{query}", headers={"If-None-Match": '"nope"'})
    assert answer(other) == answer(routed)


@pytest.mark.usefixtures("synced")
@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?limit=050", 200),
        ("?limit=+5", 200),
        ("?period=month&period=week", 200),
        ("?unknown=1", 200),
        ("?limit=0", 422),
        ("?limit=501", 422),
        ("?limit=", 422),
        ("?offset=-1", 422),
        ("?period=year", 422),
        ("?period=", 422),
        ("?q=" + "x" * 65, 422),
        ("?q=a%00b", 422),
        ("?limit=99999999999999999999", 422),
    ],
)
async def test_anything_else_goes_to_the_route(
    db: Database, client: httpx.AsyncClient, query: str, status: int
) -> None:
    await client.get("/api/leaderboard")  # a fresh snapshot: the fast path would answer
    before = await fast_answers(db)
    first = await client.get(f"/api/leaderboard{query}")
    second = await client.get(f"/api/leaderboard{query}")
    assert first.status_code == status, first.text
    assert answer(first) == answer(second)
    assert await fast_answers(db) == before  # the route answered both


@pytest.mark.usefixtures("synced")
async def test_fast_answers_are_counted_under_the_route_template(
    client: httpx.AsyncClient,
) -> None:
    label = 'goatedvips_http_requests_total{method="GET",route="/api/leaderboard",status="200"}'

    async def count() -> float:
        text = (await client.get("/metrics")).text
        line = next((x for x in text.splitlines() if x.startswith(label)), f"{label} 0")
        return float(line.rsplit(" ", 1)[1])

    await client.get("/api/leaderboard")
    before = await count()
    for _ in range(3):
        assert (await client.get("/api/leaderboard")).status_code == 200
    assert await count() == before + 3


async def test_before_the_first_sync_the_route_answers(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/leaderboard")
    second = await client.get("/api/leaderboard")
    assert first.status_code == second.status_code == 200
    assert first.json()["total"] == 0 and first.json()["stale"] is True
    assert answer(first) == answer(second)


def test_parse_query_accepts_only_plain_spellings() -> None:
    assert parse_query(b"") == ("month", 50, 0, "")
    assert parse_query(b"period=week&limit=10&offset=20&q=Ye%2A") == ("week", 10, 20, "Ye*")
    assert parse_query(b"q=a+b") == ("month", 50, 0, "a b")
    for query in (b"limit=1.0", b"limit=\xd9\xa1", b"offset=00", b"period=Month", b"x=1"):
        assert parse_query(query) is None, query
