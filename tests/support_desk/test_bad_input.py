"""Every refusal of the support API: a clear 4xx with a message, and nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from goatedvips.admin.models import AuditLog
from goatedvips.db import Database
from goatedvips.support.models import SupportTicket, TicketMessage
from tests.support.users import make_user
from tests.support_desk.conftest import Party, open_ticket


async def _counts(db: Database) -> tuple[int, int]:
    async with db.sessionmaker() as session:
        tickets = await session.scalar(select(func.count(SupportTicket.id)))
        messages = await session.scalar(select(func.count(TicketMessage.id)))
    return tickets or 0, messages or 0


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    return error


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"subject": "", "description": "d"}, "subject", "at least 3 characters"),
        ({"subject": "   \t  ", "description": "d"}, "subject", "at least 3 characters"),
        ({"subject": " ab ", "description": "d"}, "subject", "at least 3 characters"),
        ({"subject": "x" * 201, "description": "d"}, "subject", "at most 200 characters"),
        ({"subject": "Hello", "description": ""}, "description", "can't be empty"),
        ({"subject": "Hello", "description": " \n\t "}, "description", "can't be empty"),
        ({"subject": "Hello", "description": "d" * 5001}, "description", "at most 5000"),
        ({"subject": "Hel\x00lo", "description": "d"}, "subject", "control characters"),
        ({"subject": "Hello", "description": "a\x07b"}, "description", "control characters"),
        ({"subject": "Hello", "description": "d", "priority": "urgent"}, "priority", "one of"),
        ({"description": "d"}, "subject", "required"),
        ({"subject": 5, "description": "d"}, "subject", "string"),
        ({"subject": "Hello", "description": "d", "status": "closed"}, "status", "not permitted"),
    ],
)
async def test_opening_a_ticket_refuses_bad_fields(
    clean_db: Database, player: Party, body: dict[str, Any], field: str, message: str
) -> None:
    error = _error(await player.http.post("/api/support/tickets", json=body), 422)
    assert error["field"] == field
    assert message in error["message"]
    assert await _counts(clean_db) == (0, 0)


async def test_limits_are_inclusive_and_text_is_trimmed(player: Party) -> None:
    shortest = await open_ticket(player.http, subject="  abc  ", description=" x ")
    assert (shortest["subject"], shortest["description"]) == ("abc", "x")
    assert shortest["priority"] == "medium"
    longest = await open_ticket(player.http, subject="s" * 200, description="d" * 5000)
    assert len(longest["subject"]) == 200
    spaced = await open_ticket(player.http, subject="two\n  lines", description="a\r\nb")
    assert spaced["subject"] == "two lines"
    assert spaced["description"] == "a\nb"
    reply = await player.http.post(
        f"/api/support/tickets/{spaced['id']}/messages", json={"message": "m" * 5000}
    )
    assert reply.status_code == 201


@pytest.mark.parametrize(
    ("message", "expected"),
    [("", "can't be empty"), ("  \n ", "can't be empty"), ("m" * 5001, "at most 5000")],
)
async def test_messages_refuse_empty_and_over_long_text(
    clean_db: Database, player: Party, message: str, expected: str
) -> None:
    ticket = await open_ticket(player.http)
    response = await player.http.post(
        f"/api/support/tickets/{ticket['id']}/messages", json={"message": message}
    )
    error = _error(response, 422)
    assert error["field"] == "message" and expected in error["message"]
    assert await _counts(clean_db) == (1, 0)


async def test_unknown_and_foreign_tickets_answer_404_alike(
    player: Party, other_player: Party
) -> None:
    ticket = await open_ticket(player.http)
    foreign = await other_player.http.get(f"/api/support/tickets/{ticket['id']}")
    missing = await other_player.http.get("/api/support/tickets/999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


async def test_closed_tickets_take_no_messages_until_staff_reopen_them(
    clean_db: Database, player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http)
    url = f"/api/support/tickets/{ticket['id']}/messages"
    await staff.http.patch(f"/api/admin/support/tickets/{ticket['id']}", json={"status": "closed"})

    error = _error(await player.http.post(url, json={"message": "hello?"}), 409)
    assert error["code"] == "ticket_closed" and "open a new ticket" in error["message"]
    error = _error(await staff.http.post(url, json={"message": "late answer"}), 409)
    assert "reopen it" in error["message"]
    assert await _counts(clean_db) == (1, 0)

    await staff.http.patch(f"/api/admin/support/tickets/{ticket['id']}", json={"status": "open"})
    assert (await player.http.post(url, json={"message": "hello?"})).status_code == 201


async def test_a_player_has_at_most_five_tickets_waiting(
    clean_db: Database, player: Party, staff: Party
) -> None:
    ids = [(await open_ticket(player.http, subject=f"Ticket {n}"))["id"] for n in range(5)]
    body = {"subject": "One too many", "description": "d"}
    error = _error(await player.http.post("/api/support/tickets", json=body), 409)
    assert error["code"] == "too_many_open_tickets"
    assert await _counts(clean_db) == (5, 0)
    await staff.http.patch(f"/api/admin/support/tickets/{ids[0]}", json={"status": "closed"})
    assert (await player.http.post("/api/support/tickets", json=body)).status_code == 201


async def test_opening_tickets_is_rate_limited_per_player(
    clean_db: Database, player: Party, other_player: Party, staff: Party
) -> None:
    for n in range(8):
        ticket = await open_ticket(player.http, subject=f"Ticket {n}")
        await staff.http.patch(
            f"/api/admin/support/tickets/{ticket['id']}", json={"status": "closed"}
        )
    response = await player.http.post(
        "/api/support/tickets", json={"subject": "Ninth", "description": "d"}
    )
    assert _error(response, 429)["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1
    assert await _counts(clean_db) == (8, 0)
    await open_ticket(other_player.http)  # someone else's counter is untouched


async def test_posting_messages_is_rate_limited_for_players_not_staff(
    clean_db: Database, player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http)
    url = f"/api/support/tickets/{ticket['id']}/messages"
    for n in range(20):
        assert (await player.http.post(url, json={"message": f"m{n}"})).status_code == 201
    response = await player.http.post(url, json={"message": "m20"})
    assert _error(response, 429)["code"] == "rate_limited"
    assert await _counts(clean_db) == (1, 20)
    for n in range(21):
        assert (await staff.http.post(url, json={"message": f"s{n}"})).status_code == 201


async def test_the_api_needs_a_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/support/tickets")).status_code == 401
    body = {"subject": "Hello", "description": "d"}
    assert (await client.post("/api/support/tickets", json=body)).status_code == 401
    assert (await client.get("/api/admin/support/tickets")).status_code == 401


async def test_json_endpoints_refuse_other_content_types(player: Party) -> None:
    response = await player.http.post(
        "/api/support/tickets", content="subject=Hello", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415


async def test_staff_changes_are_checked(clean_db: Database, player: Party, staff: Party) -> None:
    ticket = await open_ticket(player.http)
    url = f"/api/admin/support/tickets/{ticket['id']}"
    not_staff = await make_user(clean_db, "carol")
    cases = [
        ({"assignedTo": player.user.id}, "assignedTo", "active admin"),
        ({"assignedTo": not_staff.id}, "assignedTo", "active admin"),
        ({"assignedTo": 424242}, "assignedTo", "active admin"),
        ({"assignedTo": 2**63}, "assignedTo", "active admin"),
        ({"status": "pending"}, "status", "one of open, in_progress, closed"),
        ({"priority": "urgent"}, "priority", "one of low, medium, high"),
        ({}, None, "at least one of"),
        ({"subject": "rewritten"}, "subject", "not permitted"),
    ]
    for body, field, message in cases:
        error = _error(await staff.http.patch(url, json=body), 422)
        assert error.get("field") == field, body
        assert message in error["message"], body
    assert _error(await staff.http.patch("/api/admin/support/tickets/999", json={}), 422)
    missing = await staff.http.patch("/api/admin/support/tickets/999999", json={"status": "closed"})
    assert missing.status_code == 404
    async with clean_db.sessionmaker() as session:
        assert await session.scalar(select(func.count(AuditLog.id))) == 0
        stored = await session.get(SupportTicket, ticket["id"])
        assert stored is not None
        assert (stored.status, stored.priority, stored.assigned_to) == ("open", "medium", None)


async def test_a_change_to_the_same_values_writes_no_audit_record(
    clean_db: Database, player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http)
    url = f"/api/admin/support/tickets/{ticket['id']}"
    same = await staff.http.patch(url, json={"status": "open", "priority": "medium"})
    assert same.status_code == 200
    assigned = await staff.http.patch(url, json={"assignedTo": staff.user.id})
    assert assigned.json()["assignedTo"] == staff.user.id
    unassigned = await staff.http.patch(url, json={"assignedTo": None})
    assert unassigned.json()["assignedTo"] is None
    async with clean_db.sessionmaker() as session:
        audits = list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))
    assert [(a.before, a.after) for a in audits] == [
        ({"assigned_to": None}, {"assigned_to": staff.user.id}),
        ({"assigned_to": staff.user.id}, {"assigned_to": None}),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=waiting", "status"),
        ("priority=urgent", "priority"),
        ("assignee=someone", "assignee"),
        ("assignee=99999999999999999999", "assignee"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999", "offset"),
    ],
)
async def test_staff_queue_refuses_unknown_filters(staff: Party, query: str, field: str) -> None:
    error = _error(await staff.http.get(f"/api/admin/support/tickets?{query}"), 422)
    assert error["field"] == field


async def test_ids_beyond_any_key_answer_404_not_a_database_error(
    player: Party, staff: Party
) -> None:
    huge = 2**63
    for response in (
        await player.http.get(f"/api/support/tickets/{huge}"),
        await player.http.post(f"/api/support/tickets/{huge}/messages", json={"message": "hi"}),
        await staff.http.patch(f"/api/admin/support/tickets/{huge}", json={"status": "closed"}),
        await staff.http.get(f"/admin/support/tickets/{huge}", headers={"accept": "text/html"}),
        await player.http.get("/api/support/tickets/0"),
    ):
        assert response.status_code == 404, response.text
