"""Goated verification: requests from the bot and the site, admin decisions from Telegram buttons,
commands and the web queue, and every refusal leaving nothing half-written."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select, update

from goatedvips.accounts.models import User
from goatedvips.admin.models import AuditLog
from goatedvips.db import Database, utcnow
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.telegram.models import VerificationHistory, VerificationRequest
from tests.support.bot_fixtures import ADMIN_TELEGRAM_ID, BotDriver
from tests.telegram.conftest import Player, reload_user

pytestmark = pytest.mark.usefixtures("feed")


async def linked(players, tg: BotDriver, name: str, telegram_id: int, **kwargs) -> Player:
    player = await players(name, telegram_id=telegram_id, **kwargs)
    assert "Linked" in await player.link(tg)
    return player


async def only_request(db: Database) -> VerificationRequest:
    async with db.sessionmaker() as session:
        return (await session.scalars(select(VerificationRequest))).one()


async def history(db: Database) -> list[VerificationHistory]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(select(VerificationHistory).order_by(VerificationHistory.id))
        )


async def count(db: Database, model) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_verify_in_the_bot_then_approve_with_the_button(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await linked(players, tg, "alice", 1001, tg_username="ali_ce")
    tg.fake.clear()
    reply = await alice.say(tg, "/verify alice_01")  # any letter case
    assert "Request #" in reply and "Alice_01" in reply and "uid-alice" in reply

    request = await only_request(clean_db)
    assert request.status == "pending" and request.unique_request == "pending:uid-alice"
    assert request.goated_username == "Alice_01" and request.goated_uid == "uid-alice"
    assert request.telegram_id == 1001 and request.telegram_username == "ali_ce"
    assert request.user_id == alice.user.id and request.requested_at is not None

    alert = tg.fake.last_message(ADMIN_TELEGRAM_ID)
    assert "alice" in alert.text and "Alice_01" in alert.text
    assert [b["callback_data"] for b in alert.buttons] == [
        f"vr:approve:{request.id}",
        f"vr:reject:{request.id}",
    ]

    calls = await tg.press(f"vr:approve:{request.id}", user_id=ADMIN_TELEGRAM_ID, username="boss")
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers and "approved" in answers[0].params["text"]
    edits = [c for c in calls if c.method == "editMessageText"]
    assert edits and "approved by @boss" in edits[0].text

    user = await reload_user(clean_db, alice.user.id)
    assert user.goated_verified and user.goated_username == "Alice_01"
    assert user.goated_uid == "uid-alice"
    decided = await only_request(clean_db)
    assert decided.status == "approved" and decided.unique_request == f"approved:{decided.id}"
    assert decided.verified_by == f"telegram:{ADMIN_TELEGRAM_ID}" and decided.verified_at
    [entry] = await history(clean_db)
    assert (entry.status, entry.goated_username, entry.goated_uid) == (
        "approved",
        "Alice_01",
        "uid-alice",
    )
    assert entry.verified_by == f"telegram:{ADMIN_TELEGRAM_ID}" and entry.telegram_id == 1001
    assert entry.request_id == decided.id and entry.user_id == alice.user.id
    async with clean_db.sessionmaker() as session:
        kinds = [r.kind for r in await session.scalars(select(NotificationOutbox))]
        actions = [a.action for a in await session.scalars(select(AuditLog))]
    assert "verification_decision" in kinds
    assert "verification.approve" in actions
    assert "Stats for Alice_01" in await alice.say(tg, "/stats")


async def test_verify_from_the_site_and_approve_from_the_web(
    tg: BotDriver, players, clean_db: Database
) -> None:
    carol = await players("carol", telegram_id=3003)
    admin = await players("admin", telegram_id=9100, is_admin=True)
    response = await carol.http.post("/api/me/goated/verify", json={"goatedUsername": "CAROL"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and set(body) == {"requestId", "status"}
    # Carol has no Telegram: the request carries none; the admins are told anyway.
    assert (await only_request(clean_db)).telegram_id is None
    assert "carol" in tg.fake.last_message(ADMIN_TELEGRAM_ID).text

    listed = await admin.http.get("/api/admin/verification-requests", params={"status": "pending"})
    assert listed.status_code == 200
    item = listed.json()["items"][0]
    assert item["goatedUsername"] == "carol" and item["username"] == "carol"
    assert item["status"] == "pending" and item["goatedUid"] == "uid-carol"

    decided = await admin.http.post(
        f"/api/admin/verification-requests/{body['requestId']}/approve", json={"notes": "ok"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["verifiedBy"] == f"user:{admin.user.id}"
    user = await reload_user(clean_db, carol.user.id)
    assert user.goated_verified and user.goated_uid == "uid-carol"
    [entry] = await history(clean_db)
    assert entry.admin_notes == "ok" and entry.verified_by == f"user:{admin.user.id}"


async def test_reject_from_the_web_queue_page_tells_the_player(
    tg: BotDriver, players, clean_db: Database
) -> None:
    bob = await linked(players, tg, "bob", 2002)
    admin = await players("admin", telegram_id=9100, is_admin=True)
    await bob.say(tg, "/verify bob_the_builder")
    request = await only_request(clean_db)

    page = await admin.http.get("/admin/verifications")
    assert page.status_code == 200 and "bob_the_builder" in page.text
    csrf = admin.http.cookies.get("gv_csrf")
    done = await admin.http.post(
        f"/admin/verifications/{request.id}/reject",
        data={"csrf_token": csrf, "notes": "<b>wrong</b> account"},
    )
    assert done.status_code == 303
    user = await reload_user(clean_db, bob.user.id)
    assert not user.goated_verified and user.goated_uid is None
    [entry] = await history(clean_db)
    assert entry.status == "rejected" and entry.admin_notes == "<b>wrong</b> account"
    async with clean_db.sessionmaker() as session:
        notice = await session.scalar(
            select(NotificationOutbox).where(NotificationOutbox.kind == "verification_decision")
        )
    assert notice is not None and "declined" in notice.body_text and "wrong" in notice.body_text

    decided_page = await admin.http.get("/admin/verifications", params={"status": "rejected"})
    assert "&lt;b&gt;wrong&lt;/b&gt; account" in decided_page.text  # escaped, never markup
    section = await bob.http.get("/account/telegram")
    assert "declined" in section.text and "<b>wrong</b>" not in section.text

    # Rejected: the uid is free again and bob may ask once more (after the cooldown).
    with time_machine.travel(utcnow() + dt.timedelta(seconds=31), tick=True):
        assert "Request #" in await bob.say(tg, "/verify bob_the_builder")


async def test_approve_and_reject_commands(tg: BotDriver, players, clean_db: Database) -> None:
    alice = await linked(players, tg, "alice", 1001)
    bob = await linked(players, tg, "bob", 2002)
    await alice.say(tg, "/verify Alice_01")
    await bob.say(tg, "/verify bob_the_builder")
    async with clean_db.sessionmaker() as session:
        ids = {r.goated_uid: r.id for r in await session.scalars(select(VerificationRequest))}

    usage = await tg.reply("/approve", user_id=ADMIN_TELEGRAM_ID)
    assert "Usage: /approve <request id>" in usage
    reply = await tg.reply(f"/approve {ids['uid-alice']} looks right", user_id=ADMIN_TELEGRAM_ID)
    assert "approved" in reply and "alice" in reply
    reply = await tg.reply(f"/reject #{ids['uid-bob']} not you", user_id=ADMIN_TELEGRAM_ID)
    assert "rejected" in reply
    entries = {e.goated_uid: e for e in await history(clean_db)}
    assert entries["uid-alice"].admin_notes == "looks right"
    assert entries["uid-bob"].status == "rejected" and entries["uid-bob"].admin_notes == "not you"
    missing = await tg.reply("/approve 99999", user_id=ADMIN_TELEGRAM_ID)
    assert "no verification request #99999" in missing


async def test_a_non_admin_pressing_approve_changes_nothing(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await linked(players, tg, "alice", 1001)
    await alice.say(tg, "/verify Alice_01")
    request = await only_request(clean_db)
    calls = await tg.press(f"vr:approve:{request.id}", user_id=1001)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "admins only" in answer.params["text"] and answer.params.get("show_alert") in (
        True,
        "true",
    )
    assert (await only_request(clean_db)).status == "pending"
    assert not (await reload_user(clean_db, alice.user.id)).goated_verified
    assert await count(clean_db, VerificationHistory) == 0
    assert "admins only" in await alice.say(tg, f"/approve {request.id}")


async def test_two_admins_deciding_at_once_exactly_one_wins(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await linked(players, tg, "alice", 1001)
    site_admin = await linked(players, tg, "admin", 9100, is_admin=True)
    await alice.say(tg, "/verify Alice_01")
    request = await only_request(clean_db)
    tg.fake.clear()
    from tests.support.fake_telegram import callback_update

    results = await asyncio.gather(
        tg.post(callback_update(f"vr:approve:{request.id}", user_id=ADMIN_TELEGRAM_ID)),
        tg.post(callback_update(f"vr:reject:{request.id}", user_id=site_admin.telegram_id)),
    )
    assert [r.status_code for r in results] == [200, 200]
    answers = [c.params["text"] for c in tg.fake.calls("answerCallbackQuery")]
    assert len(answers) == 2
    assert sum("already" in text for text in answers) == 1
    entries = await history(clean_db)
    assert len(entries) == 1
    decided = await only_request(clean_db)
    assert decided.status == entries[0].status
    user = await reload_user(clean_db, alice.user.id)
    assert user.goated_verified == (decided.status == "approved")
    loser = next(text for text in answers if "already" in text)
    assert f"already {decided.status} by {decided.verified_by}" in loser
    async with clean_db.sessionmaker() as session:
        decisions = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action.like("verification.%"))
        )
    assert decisions == 1


async def test_unknown_and_ambiguous_names(tg: BotDriver, players, clean_db: Database) -> None:
    alice = await linked(players, tg, "alice", 1001)
    reply = await alice.say(tg, "/verify nobody_here")
    assert "No player named" in reply and "nobody_here" in reply
    # The cooldown is shared by the bot and the site, so each attempt waits it out.
    with time_machine.travel(utcnow() + dt.timedelta(seconds=31), tick=True):
        response = await alice.http.post("/api/me/goated/verify", json={"goatedUsername": "ghost"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "goated_name_unknown"
    with time_machine.travel(utcnow() + dt.timedelta(seconds=62), tick=True):
        response = await alice.http.post("/api/me/goated/verify", json={"goatedUsername": "TWIN"})
    assert response.status_code == 409
    assert "More than one Goated player" in response.json()["error"]["message"]
    assert response.json()["error"]["code"] == "goated_name_ambiguous"
    assert await count(clean_db, VerificationRequest) == 0
    # The way out the message gives: the exact uid.
    with time_machine.travel(utcnow() + dt.timedelta(seconds=93), tick=True):
        reply = await alice.say(tg, "/verify uid-twin-2")
    assert "Request #" in reply and "twin" in reply
    assert (await only_request(clean_db)).goated_uid == "uid-twin-2"


async def test_open_requests_and_taken_uids_are_refused(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await linked(players, tg, "alice", 1001)
    bob = await linked(players, tg, "bob", 2002)
    await alice.say(tg, "/verify Alice_01")
    # Another account asking for the same uid while it is open.
    reply = await bob.say(tg, "/verify alice_01")
    assert "already asked to verify that Goated account" in reply
    # The same account asking again (after the cooldown): its request is already open.
    with time_machine.travel(utcnow() + dt.timedelta(seconds=31), tick=True):
        response = await alice.http.post("/api/me/goated/verify", json={"goatedUsername": "carol"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "request_open"
    assert await count(clean_db, VerificationRequest) == 1

    request = await only_request(clean_db)
    await tg.press(f"vr:approve:{request.id}", user_id=ADMIN_TELEGRAM_ID)
    with time_machine.travel(utcnow() + dt.timedelta(seconds=62), tick=True):
        response = await bob.http.post("/api/me/goated/verify", json={"goatedUsername": "Alice_01"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "goated_uid_taken"
    assert await count(clean_db, VerificationRequest) == 1


async def test_approval_refused_when_the_uid_got_verified_elsewhere(
    tg: BotDriver, players, clean_db: Database
) -> None:
    alice = await linked(players, tg, "alice", 1001)
    await alice.say(tg, "/verify carol")
    carol = await players("carol", telegram_id=3003)
    async with clean_db.sessionmaker() as session:  # e.g. set by an earlier, audited correction
        await session.execute(
            update(User)
            .where(User.id == carol.user.id)
            .values(goated_uid="uid-carol", goated_username="carol", goated_verified=True)
        )
        await session.commit()
    request = await only_request(clean_db)
    calls = await tg.press(f"vr:approve:{request.id}", user_id=ADMIN_TELEGRAM_ID)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "already verified for user carol" in answer.params["text"]
    assert (await only_request(clean_db)).status == "pending"
    assert not (await reload_user(clean_db, alice.user.id)).goated_verified
    assert await count(clean_db, VerificationHistory) == 0


async def test_verify_needs_a_link_a_name_a_private_chat_and_patience(
    tg: BotDriver, players, clean_db: Database
) -> None:
    stranger = await tg.reply("/verify Alice_01", user_id=5005)
    assert "not linked" in stranger and "Link Telegram" in stranger
    alice = await linked(players, tg, "alice", 1001)
    assert "Tell me your Goated username" in await alice.say(tg, "/verify")
    group = await alice.say(tg, "/verify Alice_01", chat_type="group", chat_id=-100500)
    assert "private chat" in group and "https://t.me/GoatedTestBot" in group
    assert await count(clean_db, VerificationRequest) == 0
    assert "No player named" in await alice.say(tg, "/verify nobody")
    cooldown = await alice.say(tg, "/verify Alice_01")
    assert "too fast" in cooldown and "seconds" in cooldown
    assert await count(clean_db, VerificationRequest) == 0


async def test_admin_api_permissions(players, telegram_client) -> None:
    assert (await telegram_client.get("/api/admin/verification-requests")).status_code == 401
    alice = await players("alice", telegram_id=1001)
    assert (await alice.http.get("/api/admin/verification-requests")).status_code == 403
    refused = await alice.http.post("/api/admin/verification-requests/1/approve", json={})
    assert refused.status_code == 403
    assert (await alice.http.get("/admin/verifications")).status_code in (401, 403)
    admin = await players("admin", telegram_id=9100, is_admin=True)
    missing = await admin.http.post("/api/admin/verification-requests/424242/reject", json={})
    assert missing.status_code == 404
    bad = await admin.http.get("/api/admin/verification-requests", params={"status": "weird"})
    assert bad.status_code == 422
