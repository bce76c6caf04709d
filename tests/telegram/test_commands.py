"""Every command of domain.md §4 that the Telegram domain owns, for players and admins."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from goatedvips.admin.models import AuditLog
from goatedvips.db import Database
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.telegram.models import TelegramUser, VerificationRequest
from tests.support.bot_fixtures import ADMIN_TELEGRAM_ID, BotDriver
from tests.telegram.conftest import Player

pytestmark = pytest.mark.usefixtures("feed")
GROUP = {"chat_type": "group", "chat_id": -100777}


async def linked(players, tg: BotDriver, name: str, telegram_id: int, **kwargs) -> Player:
    player = await players(name, telegram_id=telegram_id, **kwargs)
    assert "Linked" in await player.link(tg)
    return player


async def verified(players, tg: BotDriver, name: str, telegram_id: int, goated: str) -> Player:
    player = await linked(players, tg, name, telegram_id)
    await player.say(tg, f"/verify {goated}")
    await tg.reply("/pending", user_id=ADMIN_TELEGRAM_ID)
    request_id = tg.fake.last_message(ADMIN_TELEGRAM_ID).buttons[0]["callback_data"].split(":")[2]
    await tg.press(f"vr:approve:{request_id}", user_id=ADMIN_TELEGRAM_ID)
    return player


async def test_start_without_a_token(tg: BotDriver, players) -> None:
    hello = await tg.reply("/start", user_id=5005)
    assert "Welcome" in hello and "/account/telegram" in hello
    alice = await linked(players, tg, "alice", 1001)
    assert "linked as alice" in await alice.say(tg, "/start")
    group = await tg.reply("/start", user_id=5005, **GROUP)
    assert "https://t.me/GoatedTestBot" in group


async def test_help_lists_admin_commands_only_to_admins(tg: BotDriver, players) -> None:
    player_help = await tg.reply("/help", user_id=5005)
    for command in ("/start", "/help", "/verify", "/stats", "/notifications"):
        assert command in player_help
    assert "/pending" not in player_help and "/approve" not in player_help
    admin_help = await tg.reply("/help", user_id=ADMIN_TELEGRAM_ID)
    for command in ("/pending", "/approve", "/reject", "/broadcast", "/userinfo"):
        assert command in admin_help
    # A site admin with a linked Telegram is an admin in the bot too.
    site_admin = await linked(players, tg, "boss", 9100, is_admin=True)
    assert "/userinfo" in await site_admin.say(tg, "/help")


async def test_stats_only_in_private_and_only_when_verified(tg: BotDriver, players) -> None:
    assert "not linked" in await tg.reply("/stats", user_id=5005)
    bob = await linked(players, tg, "bob", 2002)
    assert "isn't verified yet" in await bob.say(tg, "/stats")
    alice = await verified(players, tg, "alice", 1001, "Alice_01")
    stats = await alice.say(tg, "/stats")
    assert "Stats for Alice_01" in stats
    assert "All time: $50,000.00" in stats and "This month: $1,000.00" in stats
    assert "VIP tier: Silver" in stats and "Next tier: Gold in $50,000.00" in stats
    group = await alice.say(tg, "/stats", **GROUP)
    assert "private chat" in group and "50,000" not in group


async def test_notifications_toggle(tg: BotDriver, players, clean_db: Database) -> None:
    async def enabled() -> bool:
        async with clean_db.sessionmaker() as session:
            row = await session.scalar(select(TelegramUser).where(TelegramUser.telegram_id == 1001))
            assert row is not None
            return row.notifications_enabled

    alice = await linked(players, tg, "alice", 1001)
    assert "now off" in await alice.say(tg, "/notifications")
    assert not await enabled()
    assert "now on" in await alice.say(tg, "/notifications on")
    assert await enabled()
    assert "now off" in await alice.say(tg, "/notifications off")
    assert "Use /notifications on" in await alice.say(tg, "/notifications maybe")
    assert not await enabled()


async def test_pending_lists_requests_with_buttons(tg: BotDriver, players, clean_db) -> None:
    assert "No verification requests" in await tg.reply("/pending", user_id=ADMIN_TELEGRAM_ID)
    alice = await linked(players, tg, "alice_x", 1001)
    await alice.say(tg, "/verify Alice_01")
    answers = await tg.send("/pending", user_id=ADMIN_TELEGRAM_ID)
    assert "1 verification request(s) waiting" in answers[0].text
    async with clean_db.sessionmaker() as session:
        request = (await session.scalars(select(VerificationRequest))).one()
    # Underscores in names don't matter: the buttons carry only the request id.
    assert [b["callback_data"] for b in answers[1].buttons] == [
        f"vr:approve:{request.id}",
        f"vr:reject:{request.id}",
    ]
    assert "alice_x" in answers[1].text
    assert "admins only" in await alice.say(tg, "/pending")
    assert "private chat" in await tg.reply("/pending", user_id=ADMIN_TELEGRAM_ID, **GROUP)


async def test_userinfo(tg: BotDriver, players) -> None:
    await verified(players, tg, "alice", 1001, "Alice_01")
    by_name = await tg.reply("/userinfo alice", user_id=ADMIN_TELEGRAM_ID)
    assert "User alice" in by_name and "Alice_01 (uid uid-alice), verified" in by_name
    assert "@alice_tg" in by_name
    assert "User alice" in await tg.reply("/userinfo 1001", user_id=ADMIN_TELEGRAM_ID)
    assert "User alice" in await tg.reply("/userinfo alice_01", user_id=ADMIN_TELEGRAM_ID)
    assert "No site account matches" in await tg.reply("/userinfo zed", user_id=ADMIN_TELEGRAM_ID)
    assert "Usage: /userinfo" in await tg.reply("/userinfo", user_id=ADMIN_TELEGRAM_ID)
    assert "admins only" in await tg.reply("/userinfo alice", user_id=1001)
    group = await tg.reply("/userinfo alice", user_id=ADMIN_TELEGRAM_ID, **GROUP)
    assert "private chat" in group and "uid-alice" not in group


async def test_broadcast_queues_through_the_notifications_service(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await linked(players, tg, "alice", 1001)
    async with clean_db.sessionmaker() as session:
        await session.execute(
            update(NotificationPreferences)
            .where(NotificationPreferences.user_id == alice.user.id)
            .values(promotional_offers=True)
        )
        await session.commit()
    usage = await tg.reply("/broadcast no separator", user_id=ADMIN_TELEGRAM_ID)
    assert "Usage: /broadcast <subject> | <message>" in usage
    assert "admins only" in await alice.say(tg, "/broadcast Hi | all")
    reply = await tg.reply("/broadcast Weekend race | Double prizes!", user_id=ADMIN_TELEGRAM_ID)
    assert "Weekend race" in reply and "queued for 1 player(s)" in reply
    async with clean_db.sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(NotificationOutbox).where(NotificationOutbox.kind == "broadcast")
            )
        )
        audit = await session.scalar(
            select(AuditLog).where(AuditLog.action == "notifications.broadcast")
        )
    assert {r.user_id for r in rows} == {alice.user.id}
    assert rows[0].subject == "Weekend race" and rows[0].body_text == "Double prizes!"
    assert audit is not None and audit.actor == f"telegram:{ADMIN_TELEGRAM_ID}"


async def test_unknown_commands_and_stale_buttons_are_answered(tg: BotDriver) -> None:
    assert "I don't know the command /nope" in await tg.reply("/nope", user_id=5005)
    assert "only understand commands" in await tg.reply("hello?", user_id=5005)
    assert await tg.send("just chatting", user_id=5005, **GROUP) == []
    calls = await tg.press("something:else", user_id=5005)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "doesn't do anything" in answer.params["text"]
    calls = await tg.press("vr:approve:abc", user_id=ADMIN_TELEGRAM_ID)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "not valid" in answer.params["text"]


async def test_commands_are_rate_limited_per_user(tg: BotDriver) -> None:
    for _ in range(20):
        assert "Commands:" in await tg.reply("/help", user_id=6006)
    limited = await tg.reply("/help", user_id=6006)
    assert "too fast" in limited and "seconds" in limited
    assert "Commands:" in await tg.reply("/help", user_id=6007)  # per user, not global


async def test_admins_who_blocked_the_bot_are_marked_when_alerted(
    tg: BotDriver, players, clean_db: Database
) -> None:
    await tg.reply("/help", user_id=ADMIN_TELEGRAM_ID)
    tg.fake.block(ADMIN_TELEGRAM_ID)
    alice = await linked(players, tg, "alice", 1001)
    assert "Request #" in await alice.say(tg, "/verify Alice_01")  # the player still gets through
    async with clean_db.sessionmaker() as session:
        admin_row = await session.scalar(
            select(TelegramUser).where(TelegramUser.telegram_id == ADMIN_TELEGRAM_ID)
        )
    assert admin_row is not None and admin_row.blocked_bot_at is not None
