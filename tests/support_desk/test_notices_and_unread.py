"""Who hears about a reply, when a ticket counts as unread for each side, and list paging."""

from __future__ import annotations

from sqlalchemy import select

from goatedvips.db import Database
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.support.queries import count_unread_for_staff
from goatedvips.support.rules import MAX_STAFF_NOTIFIED
from tests.support.users import make_user
from tests.support_desk.conftest import Party, open_ticket


async def _notified(db: Database) -> list[int]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(NotificationOutbox)
            .where(
                NotificationOutbox.kind == "support_reply", NotificationOutbox.channel == "email"
            )
            .order_by(NotificationOutbox.id)
        )
        return [row.user_id for row in rows if row.user_id is not None]


async def test_a_player_reply_tells_the_assignee_only(
    clean_db: Database, player: Party, staff: Party
) -> None:
    other_admin = await make_user(clean_db, "olga_admin", is_admin=True)
    ticket = await open_ticket(player.http)
    await staff.http.patch(
        f"/api/admin/support/tickets/{ticket['id']}", json={"assignedTo": staff.user.id}
    )
    await player.http.post(
        f"/api/support/tickets/{ticket['id']}/messages", json={"message": "any news?"}
    )
    assert await _notified(clean_db) == [staff.user.id]
    assert other_admin.id not in await _notified(clean_db)


async def test_an_unassigned_reply_tells_a_bounded_number_of_admins(
    clean_db: Database, player: Party, staff: Party
) -> None:
    for n in range(MAX_STAFF_NOTIFIED + 2):
        await make_user(clean_db, f"admin{n}", is_admin=True)
    disabled = await make_user(clean_db, "gone_admin", is_admin=True)
    async with clean_db.sessionmaker() as session:
        row = await session.get(type(disabled), disabled.id)
        assert row is not None
        row.disabled = True
        await session.commit()
    ticket = await open_ticket(player.http)
    await player.http.post(
        f"/api/support/tickets/{ticket['id']}/messages", json={"message": "hello?"}
    )
    told = await _notified(clean_db)
    assert len(told) == MAX_STAFF_NOTIFIED
    assert staff.user.id in told  # the oldest admins first
    assert player.user.id not in told and disabled.id not in told


async def test_a_staff_reply_tells_the_player_with_a_link(
    clean_db: Database, player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http, subject="Where is my prize")
    await staff.http.post(
        f"/api/support/tickets/{ticket['id']}/messages", json={"message": "Sent today."}
    )
    async with clean_db.sessionmaker() as session:
        notice = await session.scalar(select(NotificationOutbox))
    assert notice is not None
    assert (notice.user_id, notice.kind, notice.recipient) == (
        player.user.id,
        "support_reply",
        "alice@example.com",
    )
    assert "Where is my prize" in (notice.subject or "")
    assert f"http://testserver/support/tickets/{ticket['id']}" in notice.body_text
    assert notice.payload == {
        "ticketId": ticket["id"],
        "messageId": notice.payload["messageId"],
        "url": f"http://testserver/support/tickets/{ticket['id']}",
    }


async def test_unread_follows_the_other_sides_messages_only(player: Party, staff: Party) -> None:
    ticket = await open_ticket(player.http)
    url = f"/api/support/tickets/{ticket['id']}"

    async def player_unread() -> bool:
        return (await player.http.get("/api/support/tickets")).json()["items"][0]["unread"]

    async def staff_unread() -> bool:
        return (await staff.http.get("/api/admin/support/tickets")).json()["items"][0]["unread"]

    assert not await player_unread()  # nothing from staff yet
    assert await staff_unread()  # nobody on staff has looked yet
    await staff.http.get(url)
    assert not await staff_unread()
    # A player's own message is news for staff, not for the player.
    await player.http.post(f"{url}/messages", json={"message": "more detail"})
    assert not await player_unread()
    assert await staff_unread()
    # A staff reply marks staff's side read and the player's side unread.
    await staff.http.post(f"{url}/messages", json={"message": "on it"})
    assert not await staff_unread()
    assert await player_unread()
    # Status changes are not messages: they leave the markers alone.
    await player.http.get(url)
    changed = await staff.http.patch(
        f"/api/admin/support/tickets/{ticket['id']}", json={"priority": "high"}
    )
    assert changed.status_code == 200
    assert not await player_unread()
    # Staff unread filter and the count of unread tickets.
    await player.http.post(f"{url}/messages", json={"message": "thanks"})
    only_unread = (await staff.http.get("/api/admin/support/tickets?unread=true")).json()
    assert only_unread["total"] == 1 and only_unread["unreadCount"] == 1


async def test_staff_reply_moves_open_to_in_progress_only(player: Party, staff: Party) -> None:
    ticket = await open_ticket(player.http)
    url = f"/api/support/tickets/{ticket['id']}"
    await player.http.post(f"{url}/messages", json={"message": "player note"})
    assert (await player.http.get(url)).json()["status"] == "open"
    await staff.http.post(f"{url}/messages", json={"message": "staff note"})
    assert (await player.http.get(url)).json()["status"] == "in_progress"


async def test_an_admins_own_ticket_is_a_player_conversation_for_them(
    clean_db: Database, staff: Party, new_client: object
) -> None:
    ticket = await open_ticket(staff.http)
    reply = await staff.http.post(
        f"/api/support/tickets/{ticket['id']}/messages", json={"message": "my own note"}
    )
    assert reply.json()["isStaffReply"] is False


async def test_lists_page_with_limit_and_offset(player: Party, staff: Party) -> None:
    made = [(await open_ticket(player.http, subject=f"Ticket {n}"))["id"] for n in range(3)]
    first = (await player.http.get("/api/support/tickets?limit=2")).json()
    second = (await player.http.get("/api/support/tickets?limit=2&offset=2")).json()
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [t["id"] for t in first["items"] + second["items"]] == list(reversed(made))
    queue = (await staff.http.get("/api/admin/support/tickets?limit=1&offset=1")).json()
    assert queue["total"] == 3 and [t["id"] for t in queue["items"]] == [made[1]]


async def test_players_see_only_their_own_tickets_in_lists(
    player: Party, other_player: Party
) -> None:
    await open_ticket(player.http, subject="Alice's")
    await open_ticket(other_player.http, subject="Bob's")
    mine = (await player.http.get("/api/support/tickets")).json()
    assert [t["subject"] for t in mine["items"]] == ["Alice's"]
    assert (await other_player.http.get("/api/admin/support/tickets")).status_code == 403


async def test_the_staff_badge_counts_unread_tickets_that_are_not_closed(
    clean_db: Database, player: Party, staff: Party
) -> None:
    first = await open_ticket(player.http, subject="First")
    await open_ticket(player.http, subject="Second")
    async with clean_db.sessionmaker() as session:
        assert await count_unread_for_staff(session) == 2
    await staff.http.patch(f"/api/admin/support/tickets/{first['id']}", json={"status": "closed"})
    async with clean_db.sessionmaker() as session:
        assert await count_unread_for_staff(session) == 1
