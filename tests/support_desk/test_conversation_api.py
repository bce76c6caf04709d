"""Both sides of a support conversation over the JSON API, with unread markers and notices."""

from __future__ import annotations

from sqlalchemy import select

from goatedvips.admin.models import AuditLog
from goatedvips.db import Database
from goatedvips.notifications.models import NotificationOutbox
from tests.support_desk.conftest import Party, open_ticket


async def _outbox(db: Database) -> list[NotificationOutbox]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(select(NotificationOutbox).order_by(NotificationOutbox.id))
        )


async def test_a_whole_conversation_between_player_and_staff(
    clean_db: Database, player: Party, staff: Party
) -> None:
    created = await open_ticket(player.http, priority="high")
    assert created["status"] == "open"
    assert created["priority"] == "high"
    assert created["unread"] is False
    ticket_id = created["id"]

    queue = (await staff.http.get("/api/admin/support/tickets")).json()
    assert queue["total"] == 1 and queue["unreadCount"] == 1
    assert queue["items"][0]["unread"] is True
    assert queue["items"][0]["username"] == "alice"

    assign = await staff.http.patch(
        f"/api/admin/support/tickets/{ticket_id}", json={"assignedTo": staff.user.id}
    )
    assert assign.status_code == 200, assign.text
    assert assign.json()["assignedTo"] == staff.user.id
    assert assign.json()["assigneeUsername"] == "sam_staff"

    seen = await staff.http.get(f"/api/support/tickets/{ticket_id}")
    assert seen.status_code == 200
    assert seen.json()["description"].startswith("I finished 3rd")
    queue = (await staff.http.get("/api/admin/support/tickets")).json()
    assert queue["unreadCount"] == 0 and queue["items"][0]["unread"] is False

    reply = await staff.http.post(
        f"/api/support/tickets/{ticket_id}/messages", json={"message": "  Checking now.  "}
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["isStaffReply"] is True
    assert reply.json()["message"] == "Checking now."

    mine = (await player.http.get("/api/support/tickets")).json()
    assert mine["unreadCount"] == 1
    assert mine["items"][0]["unread"] is True
    assert mine["items"][0]["status"] == "in_progress"

    notices = await _outbox(clean_db)
    assert [(n.user_id, n.kind) for n in notices] == [(player.user.id, "support_reply")]
    assert f"/support/tickets/{ticket_id}" in notices[0].body_text
    assert "Checking now." in notices[0].body_text

    thread = (await player.http.get(f"/api/support/tickets/{ticket_id}")).json()
    assert [(m["message"], m["isStaffReply"]) for m in thread["messages"]] == [
        ("Checking now.", True)
    ]
    assert (await player.http.get("/api/support/tickets")).json()["unreadCount"] == 0

    answer = await player.http.post(
        f"/api/support/tickets/{ticket_id}/messages", json={"message": "Thanks!"}
    )
    assert answer.status_code == 201
    assert answer.json()["isStaffReply"] is False
    queue = (await staff.http.get("/api/admin/support/tickets")).json()
    assert queue["items"][0]["unread"] is True
    notices = await _outbox(clean_db)
    assert notices[-1].user_id == staff.user.id
    assert f"/admin/support/tickets/{ticket_id}" in notices[-1].body_text

    close = await staff.http.patch(
        f"/api/admin/support/tickets/{ticket_id}", json={"status": "closed"}
    )
    assert close.json()["status"] == "closed"
    refused = await player.http.post(
        f"/api/support/tickets/{ticket_id}/messages", json={"message": "One more thing"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ticket_closed"
    assert "closed" in refused.json()["error"]["message"]

    async with clean_db.sessionmaker() as session:
        audits = list(
            await session.scalars(select(AuditLog).where(AuditLog.action == "support.update"))
        )
    assert [a.after for a in audits] == [{"assigned_to": staff.user.id}, {"status": "closed"}]
    assert audits[1].before == {"status": "in_progress"}
    assert all(a.actor_user_id == staff.user.id for a in audits)
