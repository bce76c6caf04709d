"""/leaderboard over the webhook and the fake Bot API, from the per-sync snapshot of a real sync
of the simulator: top 10 per period, excluded uids left out, hidden names masked, words for a bad
period and before the first sync."""

from __future__ import annotations

import httpx
import pytest

from goatedvips.accounts.models import User
from goatedvips.accounts.service import set_hide_name
from goatedvips.admin.audit import Actor
from goatedvips.affiliate.service import set_excluded_uids, sync_once
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.telegram import verification
from tests.affiliate.conftest import feed_client, player, script
from tests.support.bot_fixtures import *  # noqa: F403
from tests.support.bot_fixtures import ADMIN_TELEGRAM_ID, BotDriver
from tests.support.users import make_user

TG_ID = 3003
GROUP = {"chat_type": "group", "chat_id": -100321}
# Eleven players below the whale this month (Juliett and Kilo fall off the top 10), and staff.
RANKED = [
    player(f"uid-{i:02d}", name, 1200 - 100 * i, all_time=10_000 * i)
    for i, name in enumerate(
        [
            "Alpha",
            "Bravo",
            "Charlie",
            "Delta",
            "Echo",
            "Foxtrot",
            "Golf",
            "Hotel",
            "India",
            "Juliett",
            "Kilo",
        ],
        start=1,
    )
]
BOARD = [
    *RANKED,
    player("uid-whale", "SecretWhale", 5000, today=7, week=70, all_time=500_000),
    player("uid-staff", "HouseStaff", 9000, today=9, week=90, all_time=9000),
]


async def sync(db: Database, settings: Settings, sim_url: str) -> None:
    async with feed_client(sim_url) as client:
        await sync_once(db, settings, client=client)


async def hide_name_of(db: Database, goated_name: str) -> None:
    """A site account verifies `goated_name` (request + admin approval) and hides its name."""
    user = await make_user(db, "whale")
    async with db.sessionmaker() as session:
        user = await session.get(User, user.id)
        assert user is not None
        request = await verification.request_verification(
            session, user=user, goated_name=goated_name
        )
        await verification.decide(
            session,
            request_id=request.id,
            approve=True,
            actor=Actor.telegram(ADMIN_TELEGRAM_ID, is_admin=True),
        )
        await set_hide_name(session, user=user, hide=True)


@pytest.fixture
async def synced(
    clean_db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    await script(sim, BOARD)
    await sync(clean_db, settings, sim_url)
    await hide_name_of(clean_db, "SecretWhale")
    async with clean_db.sessionmaker() as session:
        await set_excluded_uids(session, uids=["uid-staff"], actor=Actor.system("test"))
    # The next sync builds the snapshot the bot reads, under the privacy rules set above.
    await sync(clean_db, settings, sim_url)


@pytest.mark.usefixtures("synced")
async def test_month_is_the_default_top_10_masked_and_without_excluded_uids(
    tg: BotDriver,
) -> None:
    text = await tg.reply("/leaderboard", user_id=TG_ID)
    lines = text.splitlines()
    assert lines[0] == "Leaderboard — This month (12 players)"
    assert lines[1] == "1. Se***le — $5,000.00 (Platinum)"
    assert lines[2] == "2. Alpha — $1,100.00 (Bronze)"
    assert lines[10] == "10. India — $300.00 (Silver)"
    assert lines[11].startswith("Updated ") and lines[11].endswith(" UTC")
    assert len(lines) == 12
    for hidden in ("SecretWhale", "HouseStaff", "uid-staff", "Juliett", "Kilo"):
        assert hidden not in text


@pytest.mark.usefixtures("synced")
async def test_each_period(tg: BotDriver) -> None:
    today = await tg.reply("/leaderboard today", user_id=TG_ID)
    assert today.splitlines()[:2] == [
        "Leaderboard — Today (1 player)",
        "1. Se***le — $7.00 (Platinum)",
    ]
    week = await tg.reply("/leaderboard WEEK", user_id=TG_ID)
    assert week.startswith("Leaderboard — This week (1 player)\n1. Se***le — $70.00")
    everything = await tg.reply("/leaderboard all", user_id=TG_ID)
    assert everything.splitlines()[1:3] == [
        "1. Se***le — $500,000.00 (Platinum)",
        "2. Kilo — $110,000.00 (Gold)",
    ]
    # A public board: a group gets the same answer.
    assert await tg.reply("/leaderboard all", user_id=TG_ID, **GROUP) == everything


@pytest.mark.usefixtures("synced")
async def test_a_bad_period_is_answered_in_words(tg: BotDriver) -> None:
    text = await tg.reply("/leaderboard yesterday", user_id=TG_ID)
    assert text.startswith("I don't know the period “yesterday”.")
    assert "/leaderboard today, /leaderboard week" in text


async def test_before_the_first_sync_and_an_empty_period(
    tg: BotDriver, clean_db: Database, settings: Settings, sim: httpx.AsyncClient, sim_url: str
) -> None:
    assert "No leaderboard data yet" in await tg.reply("/leaderboard", user_id=TG_ID)
    await script(sim, [player("uid-a", "Alpha", 100)])
    await sync(clean_db, settings, sim_url)
    assert "nobody has wagered in this period yet" in await tg.reply(
        "/leaderboard today", user_id=TG_ID
    )


async def test_help_lists_leaderboard(tg: BotDriver) -> None:
    assert "/leaderboard — top 10" in await tg.reply("/help", user_id=TG_ID)
