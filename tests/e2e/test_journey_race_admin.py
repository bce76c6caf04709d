"""An admin runs a race from creation to its frozen result, in Chromium against the real app.

Create the race with the form on /admin/races -> sync the scripted Goated feed from the admin
feed page -> watch the standings on /races/{id} -> the race's end passes and the lifecycle freezes
it -> the result shows as final, and stays exactly the same after the feed rolls over (counters
reset, a player races ahead) and another sync runs.
"""

from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import Page, expect

from goatedvips.races import lifecycle
from tests.e2e.journey_helpers import (  # noqa: F401  (fixtures: see journey_helpers)
    Journey,
    goated_feed_fixture,
    goated_player,
    journey_fixture,
    live_server_fixture,
    log_in,
    mail_sink_fixture,
    sync_the_feed,
    telegram_api_fixture,
    this_hour,
)
from tests.support.users import DEFAULT_PASSWORD, make_user

ADMIN = "race_director"
TITLE = "Night Sprint"
ACE, BLAZE, COMET = "GVPace00000000000001", "GVPblaze000000000002", "GVPcomet000000000003"

# Rank, player (a "min" badge when below the minimum wager), wagered in the window, prize.
STANDINGS = [
    ["1", "Ace", "$900.00", "$500.00"],
    ["2", "Blaze", "$450.00", "$300.00"],
    ["3", "Comet min", "$50.00", "—"],
]
PRIZES = [["1", "50%", "$500.00"], ["2", "30%", "$300.00"], ["3", "20%", "$200.00"]]


def feed(ace: float, blaze: float, comet: float, *, month: float = 0) -> list[dict[str, object]]:
    return [
        goated_player(ACE, "Ace", all_time=ace, month=month),
        goated_player(BLAZE, "Blaze", all_time=blaze, month=month),
        goated_player(COMET, "Comet", all_time=comet, month=month),
    ]


async def create_race(page: Page, start: dt.datetime, end: dt.datetime) -> int:
    await page.goto("/admin")
    await page.get_by_role("navigation", name="admin").get_by_role("link", name="Races").click()
    form = page.get_by_role("form", name="new race")
    await form.get_by_label("Title").fill(TITLE)
    await form.get_by_label("Type").select_option("custom")
    await form.get_by_label("Start (UTC)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    await form.get_by_label("End (UTC").fill(end.strftime("%Y-%m-%dT%H:%M"))
    await form.get_by_label("Prize pool (USD)").fill("1000")
    await form.get_by_label("Minimum wager (USD)").fill("100")
    await form.get_by_label("Prize shares").fill("50, 30, 20")
    await form.get_by_label("Description").fill("Three hours, top three paid.")
    await form.get_by_role("button", name="Create race").click()
    await expect(page.locator(".flash.ok")).to_have_text("Race created.")
    # A window that has already begun starts at once.
    await expect(page.locator("h1 .badge")).to_have_text("live")
    found = re.search(r"/admin/races/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


async def expect_standings(page: Page, expected: list[list[str]]) -> None:
    rows = page.locator("#standings tbody tr")
    await expect(rows).to_have_count(len(expected))
    for index, cells in enumerate(expected):
        await expect(rows.nth(index).locator("td")).to_have_text(cells)


async def open_public_page(page: Page, race_id: int) -> None:
    await page.goto(f"/admin/races/{race_id}")
    await page.get_by_role("link", name="public page").click()
    await page.wait_for_url(f"**/races/{race_id}")
    await expect(page.locator("h1")).to_have_text(TITLE)


async def freeze_when_the_end_has_passed(journey: Journey, end: dt.datetime) -> list[int]:
    """The races lifecycle job's run one minute after the end (its clock given explicitly)."""
    async with journey.db.sessionmaker() as session:
        return await lifecycle.finalize_due_races(session, now=end + dt.timedelta(minutes=1))


async def expect_final_result(page: Page) -> None:
    clock = page.locator(".race-clock")
    await expect(clock).to_contain_text("Final")
    await expect(clock.locator("strong")).to_have_text("Completed")
    await expect(page.locator(".race-head .badge")).to_have_text("completed")
    await expect_standings(page, STANDINGS)
    await expect(page.get_by_text("Unawarded (no eligible player): $200.00")).to_be_visible()


async def test_an_admin_runs_a_race_to_its_frozen_result(page: Page, journey: Journey) -> None:
    await make_user(journey.db, ADMIN, is_admin=True)
    await journey.feed.script(feed(ace=10_000, blaze=2_000, comet=500, month=300))
    await log_in(page, ADMIN, DEFAULT_PASSWORD)
    await sync_the_feed(page, players_stored=3)

    start = this_hour()
    end = start + dt.timedelta(hours=3)
    race_id = await create_race(page, start, end)
    await page.goto("/admin/races")
    listed = page.locator("tbody tr", has_text=TITLE)
    await expect(listed).to_contain_text("custom")
    await expect(listed.locator(".badge")).to_have_text("live")

    await journey.feed.script(feed(ace=10_900, blaze=2_450, comet=550, month=800))
    await sync_the_feed(page, players_stored=3)
    await open_public_page(page, race_id)
    await expect(page.locator(".race-head .badge")).to_have_text("live")
    await expect(page.locator(".race-pool")).to_have_text("$1,000.00")
    await expect(page.locator(".race-prizes tbody tr")).to_have_count(3)
    for index, cells in enumerate(PRIZES):
        await expect(page.locator(".race-prizes tbody tr").nth(index).locator("td")).to_have_text(
            cells
        )
    await expect_standings(page, STANDINGS)

    assert await freeze_when_the_end_has_passed(journey, end) == [race_id]
    await page.reload()
    await expect_final_result(page)

    # After the end the feed rolls over: the period counters start again from zero, all_time keeps
    # growing, and Comet wagers more than anyone did in the race. None of it may reach the result.
    await journey.feed.script(feed(ace=10_910, blaze=2_450, comet=9_550, month=0))
    await sync_the_feed(page, players_stored=3)
    await open_public_page(page, race_id)
    await expect_final_result(page)

    await page.get_by_role("link", name="← All races").click()
    await expect(page.locator("h1")).to_have_text("No race right now")
    winners = page.locator(".race-winners a.card", has_text=TITLE)
    await expect(winners.locator(".race-podium li")).to_have_text(
        ["Ace $500.00", "Blaze $300.00", "Comet $0.00"]  # the top three, prizes as frozen
    )
