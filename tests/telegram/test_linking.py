"""Linking a Telegram account: one-time deep-link tokens, refused hijacks, explicit relinking."""

from __future__ import annotations

import datetime as dt
import hashlib

import time_machine
from sqlalchemy import func, select

from goatedvips.admin.models import AuditLog
from goatedvips.db import Database, utcnow
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.telegram.models import TelegramLinkToken, TelegramUser
from tests.support.bot_fixtures import BotDriver
from tests.telegram.conftest import reload_user


async def test_link_binds_the_telegram_account_atomically(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await players("alice", telegram_id=1001, tg_username="alice_tg_")
    response = await alice.http.post("/api/me/telegram/link", json={})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "deepLink", "expiresAt"}
    assert body["deepLink"] == f"https://t.me/GoatedTestBot?start={body['token']}"
    expires = dt.datetime.fromisoformat(body["expiresAt"])
    assert dt.timedelta(minutes=14) < expires - utcnow() <= dt.timedelta(minutes=15)

    async with clean_db.sessionmaker() as session:
        stored = (await session.scalars(select(TelegramLinkToken))).one()
    assert stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in stored.token_hash

    reply = await tg.reply(f"/start {body['token']}", user_id=1001, username="alice_tg_")
    assert "Linked" in reply and "alice" in reply and "/verify" in reply

    user = await reload_user(clean_db, alice.user.id)
    assert user.telegram_id == 1001 and user.telegram_verified and user.telegram_verified_at
    async with clean_db.sessionmaker() as session:
        tg_user = (await session.scalars(select(TelegramUser))).one()
        outbox = list(await session.scalars(select(NotificationOutbox)))
        audit = list(await session.scalars(select(AuditLog)))
    assert tg_user.telegram_id == 1001 and tg_user.telegram_username == "alice_tg_"
    assert tg_user.user_id == alice.user.id and tg_user.is_verified
    assert tg_user.verified_by == "link" and tg_user.verified_at is not None
    assert tg_user.notifications_enabled
    assert {row.kind for row in outbox} == {"telegram_linked"}
    assert [a.action for a in audit] == ["telegram.link"]

    page = await alice.http.get("/account/telegram")
    assert page.status_code == 200 and "@alice_tg_" in page.text and "Unlink Telegram" in page.text


async def test_a_used_token_is_refused(tg: BotDriver, players, clean_db: Database) -> None:
    alice = await players("alice", telegram_id=1001)
    token = (await alice.http.post("/api/me/telegram/link", json={})).json()["token"]
    assert "Linked" in await tg.reply(f"/start {token}", user_id=1001)
    again = await tg.reply(f"/start {token}", user_id=1002, username="intruder")
    assert "already used" in again
    async with clean_db.sessionmaker() as session:
        intruder = await session.scalar(
            select(TelegramUser).where(TelegramUser.telegram_id == 1002)
        )
    assert intruder is not None and intruder.user_id is None
    assert (await reload_user(clean_db, alice.user.id)).telegram_id == 1001


async def test_an_expired_token_is_refused(tg: BotDriver, players, clean_db: Database) -> None:
    alice = await players("alice", telegram_id=1001)
    token = (await alice.http.post("/api/me/telegram/link", json={})).json()["token"]
    with time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=True):
        reply = await tg.reply(f"/start {token}", user_id=1001)
    assert "expired" in reply and "15 minutes" in reply
    assert (await reload_user(clean_db, alice.user.id)).telegram_id is None


async def test_an_unknown_token_is_refused(tg: BotDriver, players, clean_db: Database) -> None:
    await players("alice", telegram_id=1001)
    reply = await tg.reply("/start not-a-real-token", user_id=1001)
    assert "not valid" in reply
    async with clean_db.sessionmaker() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(TelegramUser)
                .where(TelegramUser.user_id.is_not(None))
            )
            == 0
        )


async def test_a_new_token_replaces_the_previous_one(tg: BotDriver, players) -> None:
    alice = await players("alice", telegram_id=1001)
    first = (await alice.http.post("/api/me/telegram/link", json={})).json()["token"]
    second = (await alice.http.post("/api/me/telegram/link", json={})).json()["token"]
    assert "not valid" in await tg.reply(f"/start {first}", user_id=1001)
    assert "Linked" in await tg.reply(f"/start {second}", user_id=1001)


async def test_someone_elses_token_cannot_move_a_linked_telegram(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await players("alice", telegram_id=1001)
    bob = await players("bob", telegram_id=2002)
    await alice.link(tg)
    bob_token = (await bob.http.post("/api/me/telegram/link", json={})).json()["token"]
    # Alice's Telegram (already linked to alice) opens bob's link: refused, nothing written.
    reply = await tg.reply(f"/start {bob_token}", user_id=1001)
    assert "already linked to another GoatedVIPs account" in reply and "/unlink" in reply
    assert (await reload_user(clean_db, bob.user.id)).telegram_id is None
    assert (await reload_user(clean_db, alice.user.id)).telegram_id == 1001
    # The refused attempt did not burn bob's token: his own Telegram can still use it.
    assert "Linked" in await tg.reply(f"/start {bob_token}", user_id=2002)


async def test_a_linked_account_cannot_ask_for_another_link(tg: BotDriver, players) -> None:
    alice = await players("alice", telegram_id=1001)
    await alice.link(tg)
    response = await alice.http.post("/api/me/telegram/link", json={})
    assert response.status_code == 409
    assert "unlink it first" in response.json()["error"]["message"]


async def test_a_token_posted_in_a_group_is_not_redeemed(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await players("alice", telegram_id=1001)
    token = (await alice.http.post("/api/me/telegram/link", json={})).json()["token"]
    reply = await tg.reply(f"/start {token}", user_id=1001, chat_type="group", chat_id=-100500)
    assert "private chat" in reply and "https://t.me/GoatedTestBot" in reply
    assert (await reload_user(clean_db, alice.user.id)).telegram_id is None


async def test_link_requires_login(telegram_client) -> None:
    response = await telegram_client.post("/api/me/telegram/link", json={})
    assert response.status_code == 401


async def test_relink_after_unlink_in_the_bot(tg: BotDriver, players, clean_db: Database) -> None:
    alice = await players("alice", telegram_id=1001)
    await alice.link(tg)
    reply = await tg.reply("/unlink", user_id=1001)
    assert "no longer linked" in reply
    user = await reload_user(clean_db, alice.user.id)
    assert (
        user.telegram_id is None
        and not user.telegram_verified
        and user.telegram_verified_at is None
    )
    async with clean_db.sessionmaker() as session:
        old = await session.scalar(select(TelegramUser).where(TelegramUser.telegram_id == 1001))
    assert (
        old is not None and old.user_id is None and not old.is_verified and old.verified_by is None
    )

    alice.telegram_id = 3003  # a new phone, a new Telegram account
    assert "Linked" in await alice.link(tg)
    assert (await reload_user(clean_db, alice.user.id)).telegram_id == 3003
    assert "not linked" in await tg.reply("/unlink", user_id=1001)


async def test_relink_after_unlink_on_the_site(tg: BotDriver, players, clean_db: Database) -> None:
    alice = await players("alice", telegram_id=1001)
    await alice.link(tg)
    page = await alice.http.get("/account/telegram")
    csrf = alice.http.cookies.get("gv_csrf")
    assert csrf and page.status_code == 200
    refused = await alice.http.post("/account/telegram/unlink", data={})
    assert refused.status_code == 403
    assert (await reload_user(clean_db, alice.user.id)).telegram_id == 1001
    done = await alice.http.post("/account/telegram/unlink", data={"csrf_token": csrf})
    assert (
        done.status_code == 303 and done.headers["location"] == "/account/telegram?notice=unlinked"
    )
    assert (await reload_user(clean_db, alice.user.id)).telegram_id is None

    linked_page = await alice.http.post("/account/telegram/link", data={"csrf_token": csrf})
    assert linked_page.status_code == 200
    assert "https://t.me/GoatedTestBot?start=" in linked_page.text
    assert linked_page.headers["cache-control"] == "no-store"
    token = linked_page.text.split("https://t.me/GoatedTestBot?start=")[1].split('"')[0]
    assert "Linked" in await tg.reply(f"/start {token}", user_id=1001)


async def test_the_account_page_shows_the_telegram_section(tg: BotDriver, players) -> None:
    alice = await players("alice", telegram_id=1001)
    page = await alice.http.get("/account")
    assert page.status_code == 200
    assert 'id="telegram"' in page.text and "Link Telegram" in page.text
    await alice.link(tg)
    page = await alice.http.get("/account")
    assert "@alice_tg" in page.text and "Unlink Telegram" in page.text


async def test_the_link_helper_for_other_domains_tests(tg: BotDriver, clean_db: Database) -> None:
    from tests.support.bot_fixtures import link_telegram
    from tests.support.users import make_user

    user = await make_user(clean_db, "dave")
    await link_telegram(clean_db, user.id, 4004, "dave_tg")
    assert "linked as dave" in await tg.reply("/start", user_id=4004)
