"""A new player's whole journey in Chromium, against the real app over HTTP.

Sign up -> confirm the e-mail from the link that reached the SMTP sink -> link Telegram (the
deep-link token sent to the bot's webhook as `/start <token>`) -> claim a Goated name -> an admin
approves it in a second browser -> follow the live race while the admin syncs new feeds (the page
updates without reloading, the player's row highlighted) -> enter a challenge and claim a bonus
code -> open a support ticket and read the staff reply.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page, expect

from goatedvips.admin.audit import Actor
from goatedvips.races import service as races
from goatedvips.races.schemas import RaceCreate
from tests.bonuses.helpers import add_code
from tests.challenges.helpers import add_challenge
from tests.e2e.journey_helpers import (  # noqa: F401  (fixtures: see journey_helpers)
    ADMIN_TELEGRAM_ID,
    LIVE_UPDATE_MS,
    Journey,
    deliver_notifications,
    expect_listening,
    goated_feed_fixture,
    goated_player,
    journey_fixture,
    live_server_fixture,
    log_in,
    mail_sink_fixture,
    send_to_bot,
    staff_page_fixture,
    sync_the_feed,
    telegram_api_fixture,
    this_hour,
    watch_live_updates,
)
from tests.support.users import DEFAULT_PASSWORD, make_user

PLAYER = "lucky_player"
EMAIL = "lucky.player@example.com"
PASSWORD = "a long journey password"
TELEGRAM_ID = 424242
TELEGRAM_NAME = "lucky_tg"
ADMIN = "staff_anna"

LUCKY = "GVPluckyGoat00000001"  # the player's Goated uid
RIVAL = "GVPrivalOne000000002"
THIRD = "GVPthirdOne000000003"
RACE_TITLE = "Sunday Sprint"


def feed(lucky: float, rival: float, third: float) -> list[dict[str, object]]:
    return [
        goated_player(LUCKY, "LuckyGoat", all_time=lucky),
        goated_player(RIVAL, "RivalOne", all_time=rival),
        goated_player(THIRD, "ThirdOne", all_time=third),
    ]


async def open_the_site(journey: Journey) -> tuple[int, int, int]:
    """What is already there: an admin, a live race, an open challenge, a code drop."""
    admin = await make_user(journey.db, ADMIN, is_admin=True)
    start = this_hour()
    async with journey.db.sessionmaker() as session:
        race = await races.create_race(
            session,
            actor=Actor.for_user(admin),
            data=RaceCreate(
                title=RACE_TITLE,
                type="custom",
                start_date=start,
                end_date=start + dt.timedelta(hours=3),
                prize_pool=Decimal("1000"),
                prize_distribution={"1": "60", "2": "30", "3": "10"},
            ),
        )
    challenge = await add_challenge(journey.db, max_winners=3, description="Hit 100x on Limbo")
    drop = await add_code(journey.db, "WELCOME25", value="25.00", description="Welcome drop")
    await journey.feed.script(feed(lucky=1000, rival=5000, third=3000))
    return race.id, challenge.id, drop.id


async def sign_up(page: Page) -> None:
    await page.goto("/")
    await page.get_by_role("link", name="Join").click()
    await page.fill("#username", PLAYER)
    await page.fill("#email", EMAIL)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_url("**/account?notice=welcome")
    await expect(page.locator("h1")).to_have_text(PLAYER)
    await expect(page.locator("#profile .status-no")).to_have_text("· not confirmed")


async def confirm_email(page: Page, journey: Journey) -> None:
    message = await journey.mail.mail_to(EMAIL, subject="onfirm")
    text = journey.mail.text_of(message)
    link = re.search(r"\S+/verify-email\?token=\S+", text)
    assert link, text
    assert link.group(0).startswith(f"{journey.base_url}/verify-email?token=")
    await page.goto(link.group(0))
    await expect(page.locator("h1")).to_have_text("E-mail confirmed")
    await page.get_by_role("link", name="Go to your account").click()
    await expect(page.locator("#profile .status-ok")).to_have_text("· confirmed")


async def link_telegram(page: Page, journey: Journey) -> None:
    await page.locator("#telegram").get_by_role("button", name="Link Telegram").click()
    deep_link = await page.locator(".tg-url code").inner_text()
    assert deep_link.startswith("https://t.me/GoatedTestBot?start=")
    token = parse_qs(urlsplit(deep_link).query)["start"][0]
    answers = await send_to_bot(
        journey, f"/start {token}", user_id=TELEGRAM_ID, username=TELEGRAM_NAME
    )
    assert f"connected to the GoatedVIPs account {PLAYER}" in answers[-1].text
    await page.goto("/account/telegram")
    section = page.locator("#telegram")
    await expect(section.locator(".badge").first).to_have_text("linked")
    await expect(section).to_contain_text(f"as @{TELEGRAM_NAME}")


async def claim_goated_name(page: Page, journey: Journey) -> None:
    await page.fill("#goated_username", "luckygoat")  # any letter case
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Verification requested")
    section = page.locator("#telegram")
    await expect(section).to_contain_text("waiting for an admin")
    await expect(section).to_contain_text("LuckyGoat")
    alert = journey.telegram.last_message(ADMIN_TELEGRAM_ID)  # admins are told in Telegram too
    assert "LuckyGoat" in alert.text
    assert [b["callback_data"].split(":")[1] for b in alert.buttons] == ["approve", "reject"]


async def approve_claim(staff: Page) -> None:
    await staff.goto("/admin/verifications")
    row = staff.locator("tbody tr", has_text=PLAYER)
    await expect(row).to_contain_text("LuckyGoat")
    await expect(row).to_contain_text(LUCKY)
    await expect(row).to_contain_text(f"@{TELEGRAM_NAME}")
    await row.get_by_role("textbox").fill("uid matches the referral list")
    await row.get_by_role("button", name="Approve").click()
    await expect(staff.locator(".flash.ok")).to_have_text("Request approved.")
    await expect(staff.get_by_text("Nothing here.")).to_be_visible()


async def see_the_approval(page: Page, journey: Journey) -> None:
    await deliver_notifications(journey)  # the worker's run: e-mail and Telegram
    mail = await journey.mail.mail_to(EMAIL, subject="Goated verification approved")
    assert "Your Goated account LuckyGoat is verified" in journey.mail.text_of(mail)
    told = journey.telegram.sent_texts(TELEGRAM_ID)
    assert any("Your Goated account LuckyGoat is verified" in text for text in told), told
    await page.goto("/account")
    await expect(page.locator("#linked")).to_contain_text("verified as LuckyGoat")


async def follow_the_live_race(page: Page, staff: Page, journey: Journey, race_id: int) -> None:
    await watch_live_updates(page)
    await page.get_by_role("navigation", name="main").get_by_role("link", name="Races").click()
    await expect(page.locator("h1")).to_have_text(RACE_TITLE)
    standings = page.locator("#standings")
    await expect(standings).to_contain_text("No wager counted yet")
    await page.evaluate("document.body.dataset.journey = 'same page'")
    await expect_listening(page, race_id)

    await journey.feed.script(feed(lucky=1200, rival=5500, third=3100))
    await sync_the_feed(staff, players_stored=3)
    rows = standings.locator("tbody tr")
    await expect(rows).to_have_count(3, timeout=LIVE_UPDATE_MS)
    await expect(rows.locator("td:nth-child(2)")).to_have_text(
        ["RivalOne", "LuckyGoat", "ThirdOne"]
    )
    me = standings.locator("tr.me")
    await expect(me).to_have_count(1)
    await expect(me).to_have_attribute("data-uid", LUCKY)
    await expect(me.locator("td")).to_have_text(["2", "LuckyGoat", "$200.00", "$300.00"])
    await expect(page.locator("#my-position")).to_contain_text("You: #2")
    await expect(page.locator("#my-position .race-gap")).to_have_text(
        "$300.00 behind the next place"
    )

    await journey.feed.script(feed(lucky=2000, rival=5600, third=3100))
    await sync_the_feed(staff, players_stored=3)
    await expect(rows.locator("td:nth-child(2)")).to_have_text(
        ["LuckyGoat", "RivalOne", "ThirdOne"], timeout=LIVE_UPDATE_MS
    )
    await expect(rows.first).to_have_class(re.compile(r"\bme\b"))
    await expect(me.locator("td")).to_have_text(["1", "LuckyGoat", "$1,000.00", "$600.00"])
    await expect(page.locator("#my-position")).to_contain_text("you lead")
    assert await page.evaluate("document.body.dataset.journey") == "same page"  # never reloaded


async def enter_challenge_and_claim_code(page: Page, challenge_id: int) -> None:
    await page.get_by_role("navigation", name="main").get_by_role("link", name="Challenges").click()
    card = page.locator(f"[data-challenge='{challenge_id}']")
    await expect(card).to_contain_text("3 of 3 places left")
    await card.get_by_role("textbox", name="bet link").fill("https://goated.com/bet/LUCKY1000X")
    await card.get_by_role("button", name="Enter").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Entry received")
    await expect(card).to_contain_text("You entered")
    await expect(page.locator("#mine + .table-wrap tbody tr")).to_contain_text("pending")

    await (
        page.get_by_role("navigation", name="main").get_by_role("link", name="Bonus codes").click()
    )
    drop = page.locator("[data-drop]")
    await expect(drop).to_contain_text("Welcome drop")
    await expect(page.get_by_text("WELCOME25")).to_have_count(0)  # hidden until claimed
    await drop.get_by_role("button", name="Claim").click()
    await expect(page.locator(".flash.ok")).to_have_text(
        "Claimed! Your code is WELCOME25. Redeem it on Goated."
    )
    await expect(page.locator(".code-reveal")).to_have_text("WELCOME25")
    await expect(page.locator("[data-drop]")).to_have_count(0)


async def ask_support_and_read_the_answer(page: Page, staff: Page, journey: Journey) -> None:
    subject = "Where is my race prize?"
    await page.goto("/support")
    await page.fill("#subject", subject)
    await page.fill("#description", "I finished first in the Sunday Sprint. When is it paid?")
    await page.get_by_role("button", name="Send to support").click()
    await page.wait_for_url(re.compile(r"/support/tickets/\d+\?notice=opened$"))
    ticket_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    await expect(page.locator(".ticket-status")).to_have_text("open")

    await staff.goto(f"/admin/support/tickets/{ticket_id}")
    await expect(staff.locator(".thread")).to_contain_text("I finished first in the Sunday Sprint")
    answer = "Prizes are paid within 24 hours of the race end. Congratulations!"
    await staff.fill("#message", answer)
    await staff.get_by_role("button", name="Send reply").click()
    await expect(staff.locator(".ticket-status")).to_have_text("in progress")

    await page.goto("/support")
    await expect(page.locator(".support-list .badge.live")).to_have_text("1 unread")
    await page.locator(".ticket-card", has_text=subject).click()
    reply = page.locator(".post.from-staff")
    await expect(reply.locator(".post-body")).to_have_text(answer)
    await expect(reply.locator(".staff-badge")).to_have_text("Staff")
    await expect(reply.locator(".new-badge")).to_have_text("New")
    await expect(page.locator(".ticket-status")).to_have_text("in progress")

    await deliver_notifications(journey)
    mail = await journey.mail.mail_to(EMAIL, subject=f"Support replied: {subject}")
    assert f"{journey.base_url}/support/tickets/{ticket_id}" in journey.mail.text_of(mail)


async def test_a_new_player_from_sign_up_to_a_support_answer(
    page: Page, staff_page: Page, journey: Journey
) -> None:
    race_id, challenge_id, _ = await open_the_site(journey)
    await log_in(staff_page, ADMIN, DEFAULT_PASSWORD)
    await sync_the_feed(staff_page, players_stored=3)

    await sign_up(page)
    await confirm_email(page, journey)
    await link_telegram(page, journey)
    await claim_goated_name(page, journey)
    await approve_claim(staff_page)
    await see_the_approval(page, journey)
    await follow_the_live_race(page, staff_page, journey, race_id)
    await enter_challenge_and_claim_code(page, challenge_id)
    await ask_support_and_read_the_answer(page, staff_page, journey)
