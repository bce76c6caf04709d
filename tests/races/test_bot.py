"""/race over the webhook and the fake Bot API: the live board from a real simulator sync, the
player's own place only in a private chat, masked hidden names, exclusions, and words when there
is no live race."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goatedvips.accounts.models import User
from goatedvips.accounts.service import set_hide_name
from goatedvips.admin.audit import Actor
from goatedvips.affiliate.service import set_excluded_uids
from goatedvips.db import Database, utcnow
from goatedvips.races import service
from goatedvips.races.schemas import RaceCreate
from goatedvips.races.windows import next_window, window_for
from goatedvips.telegram import verification
from tests.races.conftest import Feed, player
from tests.support.bot_fixtures import *  # noqa: F403
from tests.support.bot_fixtures import ADMIN_TELEGRAM_ID, BotDriver, link_telegram
from tests.support.users import make_user

ALICE_TG, BOB_TG, STRANGER_TG, WHALE_TG = 1001, 1002, 1003, 1004
GROUP = {"chat_type": "group", "chat_id": -100555}
# Nine runners between the whale (1st) and Alice (11th, just outside the top 10).
RUNNERS = [player(f"uid-r{i}", f"Runner0{i}", month=10000 - 1000 * i) for i in range(1, 10)]
FEED = [
    player("uid-whale", "SecretWhale", month=50000),
    *RUNNERS,
    player("uid-alice", "Alice_01", month="777.77"),
    player("uid-bob", "Bob", month=5),
]


async def create_race(db: Database, *, upcoming: bool = False) -> None:
    """A monthly race through the admin service: this month's (live) or next month's."""
    now = utcnow()
    start, _ = next_window("monthly", now) if upcoming else window_for("monthly", now)
    async with db.sessionmaker() as session:
        await service.create_race(
            session,
            actor=Actor.system("test"),
            data=RaceCreate(
                title="Monthly · test",
                type="monthly",
                start_date=start,
                prize_pool=Decimal("1000.00"),
                prize_distribution={"1": "50", "2": "30", "3": "20"},
            ),
        )


async def verified_player(
    db: Database, username: str, goated_name: str, telegram_id: int | None = None
) -> User:
    """A site account verified through the real request + admin decision (Telegram optional)."""
    user = await make_user(db, username)
    if telegram_id is not None:
        await link_telegram(db, user.id, telegram_id)
    async with db.sessionmaker() as session:
        user = await session.get(User, user.id)
        assert user is not None
        request = await verification.request_verification(
            session, user=user, goated_name=goated_name
        )
        decision = await verification.decide(
            session,
            request_id=request.id,
            approve=True,
            actor=Actor.telegram(ADMIN_TELEGRAM_ID, is_admin=True),
        )
        return decision.user


@pytest.fixture
async def live_race(clean_db: Database, feed: Feed) -> None:
    """This month's race with standings from one real sync; the whale hides their name."""
    await create_race(clean_db)
    await feed.sync_now(FEED)
    whale = await verified_player(clean_db, "whale", "SecretWhale", telegram_id=WHALE_TG)
    async with clean_db.sessionmaker() as session:
        await set_hide_name(session, user=await session.get(User, whale.id), hide=True)


@pytest.mark.usefixtures("live_race")
async def test_private_chat_shows_the_board_and_my_position(
    tg: BotDriver, clean_db: Database
) -> None:
    await verified_player(clean_db, "alice", "Alice_01", telegram_id=ALICE_TG)
    text = await tg.reply("/race", user_id=ALICE_TG)
    assert text.startswith("Monthly · test\nEnds in ")
    assert "Prize pool: $1,000.00 · 12 players" in text
    assert "2. Runner01 — $9,000.00 · prize $300.00" in text
    assert "10. Runner09 — $1,000.00" in text
    assert "11." not in text  # the top 10 only
    assert "You: #11 with $777.77 wagered. $222.23 more to draw level with the next place." in text
    leader = await tg.reply("/race", user_id=WHALE_TG)
    assert "You: #1 with $50,000.00 wagered. You lead the race! On course for $500.00." in leader


@pytest.mark.usefixtures("live_race")
async def test_a_group_gets_the_public_board_and_a_link_never_my_position(
    tg: BotDriver, clean_db: Database
) -> None:
    await verified_player(clean_db, "alice", "Alice_01", telegram_id=ALICE_TG)
    text = await tg.reply("/race", user_id=ALICE_TG, **GROUP)
    assert "1. Se***le — $50,000.00 · prize $500.00" in text
    assert "private chat: https://t.me/GoatedTestBot" in text
    assert "You:" not in text and "777.77" not in text and "#11" not in text


@pytest.mark.usefixtures("live_race")
async def test_hidden_names_are_masked_and_excluded_uids_left_out(
    tg: BotDriver, clean_db: Database
) -> None:
    async with clean_db.sessionmaker() as session:
        await set_excluded_uids(session, uids=["uid-r1"], actor=Actor.system("test"))
    text = await tg.reply("/race", user_id=STRANGER_TG)
    assert "1. Se***le — $50,000.00" in text and "SecretWhale" not in text
    assert "Runner01" not in text and "uid-r1" not in text
    # Runner02 moves up at once: live races re-rank the stored totals with the exclusions.
    assert "2. Runner02 — $8,000.00 · prize $300.00" in text


@pytest.mark.usefixtures("live_race")
async def test_players_who_cant_see_a_position_are_told_why(
    tg: BotDriver, clean_db: Database, feed: Feed
) -> None:
    assert "Link your Telegram" in await tg.reply("/race", user_id=STRANGER_TG)
    bob = await make_user(clean_db, "bob")
    await link_telegram(clean_db, bob.id, BOB_TG)
    assert "/verify <name>" in await tg.reply("/race", user_id=BOB_TG)
    carol = await verified_player(clean_db, "carol", "Bob", telegram_id=STRANGER_TG)
    text = await tg.reply("/race", user_id=STRANGER_TG)
    assert "You: #12 with $5.00 wagered. $772.77 more" in text
    # A feed correction takes Bob's month back to 0: only positive totals are listed.
    await feed.sync_now([*FEED[:-1], player("uid-bob", "Bob", month=0)])
    assert "You have no wager in this race yet." in await tg.reply("/race", user_id=STRANGER_TG)
    assert carol.goated_uid == "uid-bob"


async def test_no_race_and_an_upcoming_race_are_said_in_words(
    tg: BotDriver, clean_db: Database
) -> None:
    assert "No race is running right now" in await tg.reply("/race", user_id=STRANGER_TG)
    await create_race(clean_db, upcoming=True)
    text = await tg.reply("/race", user_id=STRANGER_TG)
    assert text.startswith("No race is live right now. Next: Monthly · test, starts ")
    assert "prize pool $1,000.00" in text


async def test_help_lists_race(tg: BotDriver) -> None:
    assert "/race — the live race" in await tg.reply("/help", user_id=STRANGER_TG)
