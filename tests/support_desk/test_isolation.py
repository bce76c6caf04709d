"""Every support route, found by walking the app: no player reads or changes another's ticket.

New routes under the support prefixes are covered automatically; a route whose body this test
doesn't know yet fails loudly (422 instead of 404) until a body is added to BODIES.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from goatedvips.admin.models import AuditLog
from goatedvips.db import Database
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.support.models import SupportTicket, TicketMessage
from tests.support_desk.conftest import Party, csrf_token, open_ticket

PREFIXES = ("/support", "/api/support", "/admin/support", "/api/admin/support")
SECRET = "SECRET-A-7731"
PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/support/tickets"): {"subject": "B's own", "description": "from B"},
    ("POST", "/api/support/tickets/{ticket_id}/messages"): {"message": "B was here"},
    ("PATCH", "/api/admin/support/tickets/{ticket_id}"): {
        "status": "closed",
        "priority": "low",
        "assignedTo": None,
    },
}
FORM = {
    "subject": "B was here",
    "description": "B was here",
    "message": "B was here",
    "status": "closed",
    "priority": "low",
    "assigned_to": "me",
}


def support_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route under the support prefixes, nested or not."""
    found = []
    for route in iter_route_contexts(app.routes):
        path, methods = route.path or "", route.methods or set()
        if any(path == p or path.startswith(p + "/") for p in PREFIXES):
            found.extend((method, path) for method in sorted(methods - {"HEAD"}))
    return found


def _is_admin(path: str) -> bool:
    return path.startswith(("/admin/", "/api/admin/"))


async def _request(
    http: httpx.AsyncClient, method: str, template: str, ticket_id: int, csrf: str
) -> httpx.Response:
    path = PARAM.sub(str(ticket_id), template)
    if template.startswith("/api/"):
        kwargs: dict[str, Any] = {"json": BODIES.get((method, template), {})}
        if method == "GET":
            kwargs = {}
        return await http.request(method, path, **kwargs)
    headers = {"accept": "text/html"}
    if method == "GET":
        return await http.get(path, headers=headers)
    return await http.request(method, path, data={"csrf_token": csrf, **FORM}, headers=headers)


async def _snapshot(db: Database, ticket_id: int) -> dict[str, Any]:
    async with db.sessionmaker() as session:
        ticket = await session.get(SupportTicket, ticket_id)
        assert ticket is not None
        messages = list(
            await session.scalars(
                select(TicketMessage.message).where(TicketMessage.ticket_id == ticket_id)
            )
        )
        return {
            "ticket": {
                c.key: getattr(ticket, c.key) for c in SupportTicket.__mapper__.column_attrs
            },
            "messages": messages,
            "audits": await session.scalar(select(func.count(AuditLog.id))),
            "outbox": await session.scalar(select(func.count(NotificationOutbox.id))),
        }


async def test_the_walk_finds_every_known_support_route(app: FastAPI) -> None:
    found = set(support_routes(app))
    expected = {
        ("GET", "/support"),
        ("POST", "/support"),
        ("GET", "/support/tickets/{ticket_id}"),
        ("POST", "/support/tickets/{ticket_id}/messages"),
        ("GET", "/api/support/tickets"),
        ("POST", "/api/support/tickets"),
        ("GET", "/api/support/tickets/{ticket_id}"),
        ("POST", "/api/support/tickets/{ticket_id}/messages"),
        ("GET", "/api/admin/support/tickets"),
        ("PATCH", "/api/admin/support/tickets/{ticket_id}"),
        ("GET", "/admin/support"),
        ("GET", "/admin/support/tickets/{ticket_id}"),
        ("POST", "/admin/support/tickets/{ticket_id}"),
        ("POST", "/admin/support/tickets/{ticket_id}/messages"),
    }
    assert expected <= found


async def test_no_player_reaches_another_players_ticket_on_any_route(
    app: FastAPI, clean_db: Database, player: Party, other_player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http, subject=f"Mine {SECRET}", description=SECRET)
    ticket_id = ticket["id"]
    reply = await staff.http.post(
        f"/api/support/tickets/{ticket_id}/messages", json={"message": f"staff {SECRET}"}
    )
    assert reply.status_code == 201
    # The owner can reach it (so the 404s below are about ownership, not broken routes).
    assert (await player.http.get(f"/api/support/tickets/{ticket_id}")).status_code == 200
    before = await _snapshot(clean_db, ticket_id)

    csrf = await csrf_token(other_player.http)
    routes = support_routes(app)
    for method, template in routes:
        response = await _request(other_player.http, method, template, ticket_id, csrf)
        where = f"{method} {template}: {response.status_code} {response.text[:200]}"
        assert SECRET not in response.text, where
        if _is_admin(template):
            assert response.status_code == 403, where
        elif PARAM.search(template):
            assert response.status_code == 404, where
        else:
            assert response.status_code < 500, where

    assert await _snapshot(clean_db, ticket_id) == before


async def test_logged_out_visitors_reach_no_ticket_on_any_route(
    app: FastAPI, clean_db: Database, player: Party, new_client: Any
) -> None:
    ticket = await open_ticket(player.http, subject=f"Mine {SECRET}", description=SECRET)
    before = await _snapshot(clean_db, ticket["id"])
    anonymous = new_client("198.51.100.99")
    csrf = await csrf_token(anonymous)
    for method, template in support_routes(app):
        response = await _request(anonymous, method, template, ticket["id"], csrf)
        where = f"{method} {template}: {response.status_code}"
        assert SECRET not in response.text, where
        if (method, template) == ("GET", "/support"):
            continue
        if method == "GET" and not template.startswith("/api/"):
            # Browsers are sent to the login form, and come back to this page afterwards.
            assert response.status_code == 303, where
            assert response.headers["location"].startswith("/login?next="), where
        else:
            assert response.status_code == 401, where
    assert await _snapshot(clean_db, ticket["id"]) == before
