"""The support forms carry the page's CSRF token, so a browser (which sends only the form's fields)
can post them. Regression: the macros were imported without the template context, so every
support form rendered an empty token and browsers got 403 on each ticket, reply and change."""

from __future__ import annotations

import re

import httpx

from tests.support_desk.conftest import Party, open_ticket

HTML = {"accept": "text/html"}
TOKEN_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
OPEN_TICKET_FORM = re.compile(r'action="/support">\s*' + TOKEN_FIELD.pattern)


async def _form_tokens(http: httpx.AsyncClient, path: str) -> list[str]:
    response = await http.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    return TOKEN_FIELD.findall(response.text)


async def test_every_support_form_carries_the_csrf_cookie_value(
    player: Party, staff: Party
) -> None:
    ticket = await open_ticket(player.http)
    pages = [
        (player.http, "/support", 2),  # open a ticket, log out
        (player.http, f"/support/tickets/{ticket['id']}", 2),  # reply, log out
        (staff.http, "/admin/support", 2),  # assign to me, log out
        (staff.http, f"/admin/support/tickets/{ticket['id']}", 3),  # reply, update, log out
    ]
    for http, path, forms in pages:
        tokens = await _form_tokens(http, path)
        cookie = http.cookies.get("gv_csrf")
        assert cookie, path
        assert tokens == [cookie] * forms, path


async def test_a_ticket_opened_with_only_the_forms_fields_is_accepted(player: Party) -> None:
    page = await player.http.get("/support", headers=HTML)
    found = OPEN_TICKET_FORM.search(page.text)
    assert found, "no open-ticket form on /support"
    token = found.group(1)
    response = await player.http.post(
        "/support",
        data={"csrf_token": token, "subject": "From the form", "description": "As a browser."},
        headers=HTML,
    )
    assert response.status_code == 303, response.text
    assert re.fullmatch(r"/support/tickets/\d+\?notice=opened", response.headers["location"])
