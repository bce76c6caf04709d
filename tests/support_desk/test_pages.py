"""The support pages over HTTP: forms with CSRF, both sides of a thread, escaping, refusals."""

from __future__ import annotations

import re

import httpx

from tests.support_desk.conftest import Party, csrf_token, open_ticket

HTML = {"accept": "text/html"}
MARKUP = '<script>alert("x")</script><b>bold</b>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"


async def _post_form(http: httpx.AsyncClient, url: str, **fields: str) -> httpx.Response:
    data = {"csrf_token": await csrf_token(http), **fields}
    return await http.post(url, data=data, headers=HTML)


async def test_logged_out_visitors_are_invited_to_log_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/support", headers=HTML)
    assert page.status_code == 200
    assert "/login?next=/support" in page.text


async def test_player_and_staff_talk_through_the_pages(player: Party, staff: Party) -> None:
    opened = await _post_form(
        player.http,
        "/support",
        subject="Bonus code did not work",
        description="Code GOAT50 says expired.",
        priority="low",
    )
    assert opened.status_code == 303
    ticket_url = opened.headers["location"].split("?")[0]
    ticket_id = int(ticket_url.rsplit("/", 1)[1])

    queue = await staff.http.get("/admin/support", headers=HTML)
    assert queue.status_code == 200
    assert "Bonus code did not work" in queue.text
    assert "unread-dot" in queue.text and "1 unread" in queue.text

    assigned = await _post_form(
        staff.http, f"/admin/support/tickets/{ticket_id}", assigned_to="me", back="queue"
    )
    assert assigned.status_code == 303
    assert assigned.headers["location"].startswith("/admin/support?")

    staff_view = await staff.http.get(f"/admin/support/tickets/{ticket_id}", headers=HTML)
    assert "Code GOAT50 says expired." in staff_view.text
    assert f'<option value="{staff.user.id}" selected>sam_staff (me)' in staff_view.text
    replied = await _post_form(
        staff.http, f"/admin/support/tickets/{ticket_id}/messages", message="Fixed, try again."
    )
    assert replied.status_code == 303

    mine = await player.http.get("/support", headers=HTML)
    assert "unread-dot" in mine.text and "1 unread" in mine.text
    assert "in progress" in mine.text
    thread = await player.http.get(ticket_url, headers=HTML)
    assert "Fixed, try again." in thread.text
    assert "staff-badge" in thread.text and "new-badge" in thread.text
    assert "unread-dot" not in (await player.http.get("/support", headers=HTML)).text

    answered = await _post_form(player.http, f"{ticket_url}/messages", message="Works now!")
    assert answered.status_code == 303
    closed = await _post_form(
        staff.http, f"/admin/support/tickets/{ticket_id}", status="closed", assigned_to="me"
    )
    assert closed.status_code == 303
    too_long = await _post_form(
        staff.http, f"/admin/support/tickets/{ticket_id}/messages", message="x" * 5001
    )
    assert too_long.status_code == 409  # closed comes first for staff too

    thread = await player.http.get(ticket_url, headers=HTML)
    assert "This ticket is closed" in thread.text
    assert f'action="/support/tickets/{ticket_id}/messages"' not in thread.text
    late = await _post_form(player.http, f"{ticket_url}/messages", message="Another thing")
    assert late.status_code == 409
    assert "this ticket is closed; open a new ticket" in late.text


async def test_markup_is_shown_as_text_on_every_page(player: Party, staff: Party) -> None:
    created = await open_ticket(player.http, subject=f"Help {MARKUP}", description=MARKUP)
    ticket_id = created["id"]
    reply = await staff.http.post(
        f"/api/support/tickets/{ticket_id}/messages", json={"message": f"staff {MARKUP}"}
    )
    assert reply.status_code == 201
    answer = await player.http.post(
        f"/api/support/tickets/{ticket_id}/messages", json={"message": f"player {MARKUP}"}
    )
    assert answer.status_code == 201
    pages = [
        (player.http, "/support"),
        (player.http, f"/support/tickets/{ticket_id}"),
        (staff.http, "/admin/support"),
        (staff.http, f"/admin/support/tickets/{ticket_id}"),
    ]
    for http, url in pages:
        page = await http.get(url, headers=HTML)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text, url
        assert "<b>bold</b>" not in page.text, url
        assert ESCAPED in page.text, url
    # The JSON gives the text back exactly as written; escaping is the renderer's job.
    detail = (await player.http.get(f"/api/support/tickets/{ticket_id}")).json()
    assert detail["description"] == MARKUP


async def test_a_refused_form_comes_back_with_its_message_and_keeps_the_text(
    player: Party,
) -> None:
    response = await _post_form(
        player.http, "/support", subject="  hi ", description="Something broke", priority="medium"
    )
    assert response.status_code == 422
    assert "the subject needs at least 3 characters" in response.text
    assert "Something broke" in response.text
    assert 'aria-invalid="true"' in response.text
    assert "No tickets yet" in response.text


async def test_forms_without_the_csrf_token_are_refused(player: Party) -> None:
    await csrf_token(player.http)
    response = await player.http.post(
        "/support", data={"subject": "Valid subject", "description": "x"}, headers=HTML
    )
    assert response.status_code == 403
    mine = (await player.http.get("/api/support/tickets")).json()
    assert mine["total"] == 0


async def test_players_cannot_open_the_staff_pages(player: Party) -> None:
    created = await open_ticket(player.http)
    for url in ("/admin/support", f"/admin/support/tickets/{created['id']}"):
        page = await player.http.get(url, headers=HTML)
        assert page.status_code == 403, url


async def test_staff_queue_filters_by_status_priority_and_assignee(
    player: Party, staff: Party
) -> None:
    low = await open_ticket(player.http, subject="Low one", priority="low")
    high = await open_ticket(player.http, subject="High one", priority="high")
    await staff.http.patch(
        f"/api/admin/support/tickets/{high['id']}", json={"assignedTo": staff.user.id}
    )

    async def subjects(query: str) -> list[str]:
        page = await staff.http.get(f"/admin/support?{query}", headers=HTML)
        assert page.status_code == 200, page.text
        return re.findall(r'class="ticket-subject">#\d+ ([^<]+)</a>', page.text)

    assert await subjects("priority=low") == ["Low one"]
    assert await subjects("assignee=me") == ["High one"]
    assert await subjects("assignee=unassigned") == ["Low one"]
    assert await subjects(f"assignee={staff.user.id}") == ["High one"]
    assert await subjects("status=closed") == []
    assert sorted(await subjects("")) == ["High one", "Low one"]
    assert low["id"] != high["id"]
    bad = await staff.http.get("/admin/support?status=pending", headers=HTML)
    assert bad.status_code == 422
    assert "status must be one of open, in_progress, closed" in bad.text


async def test_the_account_page_counts_open_tickets_and_unread_answers(
    player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http)
    await open_ticket(player.http, subject="Another one")
    await staff.http.post(
        f"/api/support/tickets/{ticket['id']}/messages", json={"message": "Answered"}
    )
    page = await player.http.get("/account", headers=HTML)
    assert page.status_code == 200
    assert 'id="support"' in page.text
    assert "1 unread" in page.text and "2 open tickets." in page.text
