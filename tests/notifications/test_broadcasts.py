"""Admin broadcasts: audience by preferences and channels, one audit record, bad input refused."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications.delivery import deliver_due
from goatedvips.notifications.service import queue_broadcast
from goatedvips.security import CSRF_COOKIE
from tests.notifications.helpers import NOW, count_rows, outbox, player
from tests.support.audit import no_audit_record, one_audit_record
from tests.support.fake_telegram import FakeTelegram
from tests.support.smtp import SmtpSink
from tests.support.users import logged_in_user

HTML = {"accept": "text/html"}


async def _audience(db: Database) -> None:
    await player(db, "mailfan", promotional_offers=True)
    await player(
        db, "pushfan", telegram_id=8001, promotional_offers=True, email_notifications=False
    )
    await player(db, "both", telegram_id=8002, promotional_offers=True)
    await player(db, "nopromo", telegram_id=8003)  # promotional offers are off by default
    await player(db, "nochannel", promotional_offers=True, email_verified=False)
    await player(
        db,
        "muted",
        telegram_id=8004,
        promotional_offers=True,
        email_notifications=False,
        push_notifications=False,
    )
    disabled = await player(db, "disabled", promotional_offers=True)
    async with db.sessionmaker() as session:
        row = await session.get(User, disabled.id)
        assert row is not None
        row.disabled = True
        await session.commit()


async def test_broadcast_reaches_the_promotional_audience_once_with_one_audit_record(
    clean_db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    mail: SmtpSink,
    tg: FakeTelegram,
) -> None:
    await _audience(clean_db)
    admin = await logged_in_user(clean_db, client, "boss", is_admin=True)

    audience = await client.get("/api/admin/broadcasts/audience")
    assert audience.json() == {"kind": "promotional", "recipients": 3}

    async with one_audit_record(
        clean_db,
        action="notifications.broadcast",
        actor_user_id=admin.id,
        ip="203.0.113.7",
    ) as audit:
        response = await client.post(
            "/api/admin/broadcasts",
            json={
                "kind": "promotional",
                "subject": "Double points",
                "body": "All weekend <b>long</b>.",
            },
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["recipients"] == 3 and body["messages"] == 4 and body["kind"] == "promotional"
    assert audit.record.target_id == body["id"]
    assert audit.record.after["recipients"] == 3

    await deliver_due(clean_db, settings)
    assert sorted(str(m["To"]) for m in mail.messages) == [
        "both@example.com",
        "mailfan@example.com",
    ]
    assert {c.chat_id for c in tg.calls("sendMessage")} == {8001, 8002}
    html = mail.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;long&lt;/b&gt;" in html
    assert mail.messages[0]["List-Unsubscribe"]


async def test_bad_broadcasts_are_refused_and_write_nothing(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    await _audience(clean_db)
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    cases = [
        ({"kind": "announcement", "subject": "Hi", "body": "x"}, "kind"),
        ({"kind": "promotional", "subject": "  ", "body": "x"}, "subject"),
        ({"kind": "promotional", "subject": "a\nb", "body": "x"}, "subject"),
        ({"kind": "promotional", "subject": "Hi", "body": ""}, "body"),
        ({"kind": "promotional", "subject": "Hi", "body": "x" * 5001}, "body"),
    ]
    async with no_audit_record(clean_db):
        for payload, field in cases:
            response = await client.post("/api/admin/broadcasts", json=payload)
            assert response.status_code == 422, payload
            assert response.json()["error"]["field"] == field
        missing = await client.post("/api/admin/broadcasts", json={"kind": "promotional"})
        assert missing.status_code == 422
    assert await count_rows(clean_db) == 0


async def test_only_admins_broadcast(
    clean_db: Database, client: httpx.AsyncClient, new_client: object
) -> None:
    anonymous = await client.post(
        "/api/admin/broadcasts", json={"kind": "promotional", "subject": "s", "body": "b"}
    )
    assert anonymous.status_code == 401
    await logged_in_user(clean_db, client, "pleb")
    refused = await client.post(
        "/api/admin/broadcasts", json={"kind": "promotional", "subject": "s", "body": "b"}
    )
    assert refused.status_code == 403
    assert (await client.get("/admin/broadcasts", headers=HTML)).status_code == 403
    assert await count_rows(clean_db) == 0


async def test_service_is_shared_with_the_bot(clean_db: Database) -> None:
    await _audience(clean_db)
    async with clean_db.sessionmaker() as session:
        result = await queue_broadcast(
            session,
            actor=Actor.telegram(555, is_admin=True),
            kind="promotional",
            subject="From the bot",
            body="Hello",
        )
    assert (result.recipients, result.messages) == (3, 4)
    assert {r.kind for r in await outbox(clean_db)} == {"broadcast"}


async def test_admin_page_previews_escaped_and_sends(
    clean_db: Database, client: httpx.AsyncClient
) -> None:
    await _audience(clean_db)
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    page = await client.get("/admin/broadcasts", headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="audience">3<' in page.text and "Send to 3 players" in page.text
    token = client.cookies.get(CSRF_COOKIE)
    assert token

    preview = await client.post(
        "/admin/broadcasts",
        data={
            "csrf_token": token,
            "subject": "<script>x</script>",
            "body": "<img src=x onerror=alert(1)>",
            "action": "preview",
        },
        headers=HTML,
    )
    assert preview.status_code == 200
    assert "<img src=x" not in preview.text and "<script>x</script>" not in preview.text
    assert 'sandbox=""' in preview.text
    assert await count_rows(clean_db) == 0  # a preview queues nothing

    empty = await client.post(
        "/admin/broadcasts",
        data={"csrf_token": token, "subject": "", "body": "b", "action": "send"},
        headers=HTML,
    )
    assert empty.status_code == 422 and "subject" in empty.text
    forged = await client.post(
        "/admin/broadcasts",
        data={"csrf_token": "nope", "subject": "s", "body": "b", "action": "send"},
        headers=HTML,
    )
    assert forged.status_code == 403
    assert await count_rows(clean_db) == 0

    sent = await client.post(
        "/admin/broadcasts",
        data={"csrf_token": token, "subject": "Weekend", "body": "Bonus", "action": "send"},
        headers=HTML,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/admin/broadcasts?sent=3"
    assert await count_rows(clean_db, kind="broadcast") == 4


async def test_failures_are_listed_and_retry_is_audited(
    clean_db: Database, settings: Settings, client: httpx.AsyncClient, mail: SmtpSink
) -> None:
    user = await player(clean_db, "refused", promotional_offers=True)
    admin = await logged_in_user(clean_db, client, "boss", is_admin=True)
    from tests.notifications.helpers import queue

    await queue(clean_db, user, "race_start")
    mail.refuse.add("refused@example.com")
    await deliver_due(clean_db, settings, now=NOW)
    (row,) = await outbox(clean_db, status="failed")

    overview = (await client.get("/api/admin/notifications")).json()
    assert overview["counts"]["failed"] == 1
    assert overview["recentFailures"][0]["id"] == row.id
    assert "refused" in overview["recentFailures"][0]["lastError"]
    page = await client.get("/admin/broadcasts", headers=HTML)
    assert f'action="/admin/notifications/{row.id}/retry"' in page.text

    async with one_audit_record(
        clean_db,
        action="notifications.retry",
        actor_user_id=admin.id,
        target=("notification", row.id),
    ):
        response = await client.post(f"/api/admin/notifications/{row.id}/retry", json={})
    assert response.status_code == 200 and response.json()["status"] == "pending"
    async with no_audit_record(clean_db):
        again = await client.post(f"/api/admin/notifications/{row.id}/retry", json={})
        assert again.status_code == 409
        missing = await client.post("/api/admin/notifications/99999/retry", json={})
        assert missing.status_code == 404

    mail.refuse.clear()
    await deliver_due(clean_db, settings)
    assert len(mail.to("refused@example.com")) == 1
    async with clean_db.sessionmaker() as session:
        assert (await session.scalar(select(User.id).where(User.username == "refused"))) == user.id
