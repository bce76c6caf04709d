"""In Chromium: a verified player logs in, enters a challenge with a bet link and claims a drop."""

from __future__ import annotations

from typing import Any

from goatedvips.db import Database
from tests.bonuses.helpers import add_code, set_verified
from tests.challenges.helpers import add_challenge
from tests.support.users import DEFAULT_PASSWORD, make_user


async def test_a_player_enters_a_challenge_and_claims_a_code(page: Any, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db, max_winners=10, description="Hit 100x on Limbo")
    await add_code(clean_db, "BROWSER20", description="Browser drop")
    player = await make_user(clean_db, "browserfan")
    await set_verified(clean_db, player.id)

    await page.goto("/login")
    await page.fill("#login", "browserfan")
    await page.fill("#password", DEFAULT_PASSWORD)
    await page.click("form button[type=submit] >> nth=-1")
    await page.wait_for_url(lambda url: "/login" not in url)

    await page.goto("/challenges")
    card = page.locator(f"[data-challenge='{challenge.id}']")
    assert "10 of 10 places left" in await card.inner_text()
    assert (await card.locator(".countdown").inner_text()).endswith("s")
    await card.locator("input[name=bet_link]").fill("https://www.goated.com/bet/E2E12345")
    await card.locator("button[type=submit]").click()
    await page.wait_for_url("**/challenges?entered=*")
    assert "Entry received" in await page.locator(".flash.ok").inner_text()
    assert "pending" in await page.locator("#mine ~ .table-wrap").inner_text()

    await page.goto("/bonus-codes")
    assert "BROWSER20" not in await page.content()
    await page.locator("[data-drop] button[type=submit]").click()
    await page.wait_for_url("**/bonus-codes?claimed=*")
    assert "BROWSER20" in await page.locator(".flash.ok").inner_text()
    assert await page.locator(".code-reveal", has_text="BROWSER20").count() == 1
    assert await page.locator("[data-drop]").count() == 0
