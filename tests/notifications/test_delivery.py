"""Outbox delivery over a real SMTP sink and the fake Bot API: channels, retries, crashes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications import delivery
from goatedvips.notifications.delivery import MAX_ATTEMPTS, STALE_AFTER, deliver_due
from goatedvips.notifications.outbox import KIND_PREFERENCE
from goatedvips.telegram.models import TelegramUser
from tests.notifications.helpers import NOW, count_rows, outbox, player, queue
from tests.support.fake_telegram import FakeTelegram
from tests.support.smtp import SmtpSink


@pytest.mark.parametrize("kind", sorted(KIND_PREFERENCE))
async def test_each_kind_reaches_exactly_the_channels_the_preferences_allow(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram, kind: str
) -> None:
    preference = KIND_PREFERENCE[kind]
    kind_on = {preference: True} if preference else {}
    both = await player(clean_db, "both", telegram_id=1001, **kind_on)
    email_only = await player(
        clean_db, "mailonly", telegram_id=1002, push_notifications=False, **kind_on
    )
    push_only = await player(
        clean_db, "pushonly", telegram_id=1003, email_notifications=False, **kind_on
    )
    unverified = await player(clean_db, "unverified", email_verified=False, **kind_on)
    kind_off = {preference: False} if preference else {}
    opted_out = await player(clean_db, "optedout", telegram_id=1005, **kind_off)

    for user in (both, email_only, push_only, unverified, opted_out):
        await queue(clean_db, user, kind, text=f"hello {user.username}")
    summary = await deliver_due(clean_db, settings, now=NOW)

    assert [str(m["To"]) for m in mail.messages].count("both@example.com") == 1
    assert len(mail.to("mailonly@example.com")) == 1
    assert mail.to("pushonly@example.com") == []
    assert mail.to("unverified@example.com") == []
    assert len(tg.calls("sendMessage", chat_id=1001)) == 1
    assert tg.calls("sendMessage", chat_id=1002) == []
    assert len(tg.calls("sendMessage", chat_id=1003)) == 1
    if preference is None:  # transactional: the kind can't be switched off
        assert len(mail.to("optedout@example.com")) == 1
        assert len(tg.calls("sendMessage", chat_id=1005)) == 1
    else:
        assert mail.to("optedout@example.com") == []
        assert tg.calls("sendMessage", chat_id=1005) == []
    assert summary.failed == summary.retrying == 0
    assert await count_rows(clean_db, status="sent") == summary.sent


async def test_email_has_text_html_and_one_click_unsubscribe_only_for_optional_kinds(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    user = await player(clean_db, "alice")
    await queue(
        clean_db,
        user,
        "race_start",
        subject="Race on",
        text="<b>Go</b> now",
        payload={"race_id": 7},
    )
    await queue(clean_db, user, "support_reply", subject="Reply", text="We answered")
    await deliver_due(clean_db, settings, now=NOW)

    race, support = mail.to("alice@example.com")
    assert race["Subject"] == "Race on"
    assert race["List-Unsubscribe"].startswith("<http://testserver/unsubscribe?token=")
    assert race["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = race.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Go&lt;/b&gt; now" in html and "<b>Go</b>" not in html
    assert "http://testserver/races/7" in html
    assert "Unsubscribe from race updates" in html
    text = SmtpSink.text_of(race)
    assert "<b>Go</b> now" in text and "http://testserver/unsubscribe?token=" in text
    assert support["List-Unsubscribe"] is None
    assert "unsubscribe" not in SmtpSink.text_of(support).lower()
    assert "can't be switched off" in SmtpSink.text_of(support)


async def test_push_is_plain_text_with_subject(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    user = await player(clean_db, "bob", telegram_id=2001, email_notifications=False)
    await queue(clean_db, user, "race_start", subject="Race on", text="<i>fast</i>")
    await deliver_due(clean_db, settings, now=NOW)
    call = tg.last_message(2001)
    assert call.text == "Race on\n\n<i>fast</i>"
    assert "parse_mode" not in call.params or call.params["parse_mode"] in (None, "")


class Killed(BaseException):
    """Stands for the process dying (SIGKILL) at the worst moment."""


async def test_killed_between_send_and_record_sends_nothing_twice(
    clean_db: Database,
    settings: Settings,
    mail: SmtpSink,
    tg: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await player(clean_db, "carol", telegram_id=3001)
    other = await player(clean_db, "dave")
    await queue(clean_db, user, "race_start")  # e-mail + push
    await queue(clean_db, other, "race_start")

    async def die_after_send(*args: object, **kwargs: object) -> str:
        raise Killed

    monkeypatch.setattr(delivery, "record_sent", die_after_send)
    with pytest.raises(Killed):
        await deliver_due(clean_db, settings, now=NOW)
    monkeypatch.undo()
    assert len(mail.messages) == 1  # the first row went out, then the process died

    # The restarted job (and a later one) sends the others once and never the interrupted row.
    await deliver_due(clean_db, settings, now=NOW)
    await deliver_due(clean_db, settings, now=NOW + dt.timedelta(minutes=1))
    assert len(mail.to("carol@example.com")) == 1
    assert len(mail.to("dave@example.com")) == 1
    assert len(tg.calls("sendMessage", chat_id=3001)) == 1

    # Once the claim is stale it is shown to admins as interrupted, still not resent.
    later = NOW + STALE_AFTER + dt.timedelta(seconds=1)
    summary = await deliver_due(clean_db, settings, now=later)
    assert summary.interrupted == 1
    (stuck,) = await outbox(clean_db, status="failed")
    assert "interrupted" in (stuck.last_error or "")
    assert len(mail.messages) == 2 and len(tg.calls("sendMessage")) == 1


async def test_smtp_outage_delays_with_backoff_then_delivers_once(
    clean_db: Database, settings: Settings, tg: FakeTelegram
) -> None:
    user = await player(clean_db, "erin")
    await queue(clean_db, user, "race_result")
    from tests.support.smtp import free_port, smtp_sink

    port = free_port()
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    summary = await deliver_due(clean_db, down, now=NOW)
    assert summary.retrying == 1
    (row,) = await outbox(clean_db)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert "SMTP unavailable" in (row.last_error or "")

    # Not due yet: nothing is tried.
    assert (await deliver_due(clean_db, down, now=NOW + dt.timedelta(seconds=30))).claimed == 0
    summary = await deliver_due(clean_db, down, now=NOW + dt.timedelta(minutes=1))
    (row,) = await outbox(clean_db)
    assert row.attempts == 2 and row.next_attempt_at == NOW + dt.timedelta(minutes=3)

    with smtp_sink(port) as (back, _url):
        await deliver_due(clean_db, down, now=NOW + dt.timedelta(minutes=3))
        await deliver_due(clean_db, down, now=NOW + dt.timedelta(hours=2))
    assert len(back.to("erin@example.com")) == 1
    (row,) = await outbox(clean_db)
    assert row.status == "sent" and row.sent_at == NOW + dt.timedelta(minutes=3)


async def test_temporary_failures_give_up_after_max_attempts(
    clean_db: Database, settings: Settings
) -> None:
    from tests.support.smtp import free_port

    user = await player(clean_db, "frank")
    await queue(clean_db, user, "race_result")
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    when = NOW
    for _ in range(MAX_ATTEMPTS):
        await deliver_due(clean_db, down, now=when)
        when += dt.timedelta(hours=2)
    (row,) = await outbox(clean_db)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert row.last_error and row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


async def test_refused_recipient_fails_permanently_and_is_not_retried(
    clean_db: Database, settings: Settings, mail: SmtpSink
) -> None:
    user = await player(clean_db, "gina")
    await queue(clean_db, user, "race_start")
    mail.refuse.add("gina@example.com")
    summary = await deliver_due(clean_db, settings, now=NOW)
    assert summary.failed == 1
    (row,) = await outbox(clean_db)
    assert row.status == "failed" and "refused" in (row.last_error or "")
    mail.refuse.clear()
    assert (await deliver_due(clean_db, settings, now=NOW + dt.timedelta(days=1))).claimed == 0
    assert mail.messages == []


async def test_telegram_403_marks_blocked_and_stops_push(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    user = await player(clean_db, "hank", telegram_id=4001)
    await queue(clean_db, user, "race_start")
    await queue(clean_db, user, "race_result")  # queued before the block is known
    tg.block(4001)
    await deliver_due(clean_db, settings, now=NOW, limit=2)  # e-mail + the first push
    async with clean_db.sessionmaker() as session:
        tg_user = await session.scalar(select(TelegramUser).where(TelegramUser.telegram_id == 4001))
        assert tg_user is not None and tg_user.blocked_bot_at is not None
    await deliver_due(clean_db, settings, now=NOW)
    assert len(tg.calls("sendMessage", chat_id=4001)) == 1  # the second push was never tried
    statuses = {(r.kind, r.channel): (r.status, r.last_error) for r in await outbox(clean_db)}
    assert statuses[("race_start", "telegram")][0] == "failed"
    assert "blocked" in statuses[("race_start", "telegram")][1]
    assert statuses[("race_result", "telegram")][0] == "cancelled"
    assert len(mail.to("hank@example.com")) == 2  # e-mail is unaffected
    await queue(clean_db, user, "race_start", dedupe_key="after-block")
    assert [r.channel for r in await outbox(clean_db, dedupe_key="after-block:email")] == ["email"]
    assert await outbox(clean_db, dedupe_key="after-block:telegram") == []


async def test_telegram_429_waits_retry_after_then_delivers(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    first = await player(clean_db, "ivy", telegram_id=5001, email_notifications=False)
    second = await player(clean_db, "jack", telegram_id=5002, email_notifications=False)
    await queue(clean_db, first, "race_start")
    await queue(clean_db, second, "race_start")
    tg.fail_next("sendMessage", code=429, retry_after=42)
    summary = await deliver_due(clean_db, settings, now=NOW)
    assert summary.retrying == 2 and summary.sent == 0
    rows = await outbox(clean_db)
    assert {r.next_attempt_at for r in rows} == {NOW + dt.timedelta(seconds=42)}
    assert [r.attempts for r in rows] == [1, 0]  # the second one was never tried
    assert len(tg.calls("sendMessage")) == 1
    assert (await deliver_due(clean_db, settings, now=NOW + dt.timedelta(seconds=41))).claimed == 0
    summary = await deliver_due(clean_db, settings, now=NOW + dt.timedelta(seconds=42))
    assert summary.sent == 2
    assert len(tg.calls("sendMessage", chat_id=5001)) == 2  # the refused try and the delivery
    assert len(tg.calls("sendMessage", chat_id=5002)) == 1


async def test_user_deleted_between_queue_and_send(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    gone = await player(clean_db, "kate", telegram_id=6001)
    stays = await player(clean_db, "liam")
    await queue(clean_db, gone, "race_start")
    await queue(clean_db, stays, "race_start")
    async with clean_db.sessionmaker() as session:
        await session.execute(delete(User).where(User.id == gone.id))
        await session.commit()
    summary = await deliver_due(clean_db, settings, now=NOW)
    assert summary.sent == 1 and summary.failed == 0
    assert mail.to("kate@example.com") == [] and tg.calls("sendMessage") == []
    assert len(mail.to("liam@example.com")) == 1


async def test_user_deleted_while_the_run_holds_the_claim(
    clean_db: Database,
    settings: Settings,
    mail: SmtpSink,
    tg: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await player(clean_db, "mona")
    await queue(clean_db, user, "race_start")
    real_send = delivery._Channels.send

    async def send_then_delete(self: delivery._Channels, row: object) -> None:
        await real_send(self, row)  # type: ignore[arg-type]
        async with clean_db.sessionmaker() as session:
            await session.execute(delete(User).where(User.id == user.id))
            await session.commit()

    monkeypatch.setattr(delivery._Channels, "send", send_then_delete)
    summary = await deliver_due(clean_db, settings, now=NOW)
    assert summary.vanished == 1 and summary.failed == 0
    assert await count_rows(clean_db) == 0


async def test_kind_switched_off_after_queueing_is_cancelled_not_sent(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    from goatedvips.notifications.models import NotificationPreferences

    user = await player(clean_db, "nina", telegram_id=7001)
    await queue(clean_db, user, "race_start")
    async with clean_db.sessionmaker() as session:
        prefs = await session.scalar(
            select(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
        )
        assert prefs is not None
        prefs.wager_race_updates = False
        await session.commit()
    summary = await deliver_due(clean_db, settings, now=NOW)
    assert summary.cancelled == 2 and mail.messages == [] and tg.calls("sendMessage") == []
