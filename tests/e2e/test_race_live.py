"""A browser watches a live race's standings change after a sync, without reloading."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from goatedvips import live
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from tests.races.conftest import Feed, add_race, player

SUBSCRIBE_TIMEOUT_SECONDS = 10.0


@pytest.fixture
def feed(clean_db: Database, settings: Settings) -> Feed:
    return Feed(clean_db, settings)


async def wait_for_subscriber(channel: str) -> None:
    """The page's EventSource is connected once the broker has a subscriber on the channel."""
    deadline = asyncio.get_running_loop().time() + SUBSCRIBE_TIMEOUT_SECONDS
    while live.broker().hub.subscriber_count(channel) == 0:
        assert asyncio.get_running_loop().time() < deadline, "the page never subscribed"
        await asyncio.sleep(0.02)


async def test_standings_update_after_a_sync_without_reload(
    page: Any, db: Database, feed: Feed
) -> None:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    race_id = await add_race(
        db,
        title="Live race",
        start_date=now - dt.timedelta(hours=5),
        end_date=now + dt.timedelta(hours=5),
    )
    await feed.sync_at(
        now - dt.timedelta(hours=6),
        [
            player("u1", "Leader", all_time=0),
            player("u2", "Chaser", all_time=0),
        ],
    )
    await feed.sync_at(
        now - dt.timedelta(hours=1),
        [
            player("u1", "Leader", all_time=500),
            player("u2", "Chaser", all_time=100),
        ],
    )

    await page.goto(f"/races/{race_id}")
    rows = page.locator("#standings tbody tr")
    assert await rows.first.get_attribute("data-uid") == "u1"
    await page.evaluate("document.body.dataset.marker = 'same-page'")
    await wait_for_subscriber(f"race:{race_id}")

    await feed.sync_now(
        [player("u1", "Leader", all_time=500), player("u2", "Chaser", all_time=900)]
    )

    await page.wait_for_selector('#standings tbody tr:first-child[data-uid="u2"]')
    assert "$900.00" in await rows.first.inner_text()
    assert await page.evaluate("document.body.dataset.marker") == "same-page"  # no reload
