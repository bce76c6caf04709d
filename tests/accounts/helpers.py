"""Helpers for accounts tests: links out of e-mails, CSRF-carrying form posts, registration."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from goatedvips.security import CSRF_COOKIE, CSRF_FIELD
from tests.support.smtp import SmtpSink

PASSWORD = "a long enough password"


def link_in_last_mail(sink: SmtpSink, address: str, path: str) -> str:
    """The `token` of the last link to `path` mailed to `address` (text body)."""
    messages = sink.to(address)
    assert messages, f"no e-mail to {address}"
    text = SmtpSink.text_of(messages[-1])
    match = re.search(r"https?://\S+" + re.escape(path) + r"\?\S+", text)
    assert match, text
    return parse_qs(urlparse(match.group(0)).query)["token"][0]


async def csrf(client: httpx.AsyncClient, page: str = "/forgot-password") -> str:
    """The token a form on `page` carries, read from its hidden field (it must match the cookie)."""
    response = await client.get(page)
    assert response.status_code == 200, response.text
    match = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', response.text)
    assert match, f"no CSRF field on {page}"
    assert match.group(1) == client.cookies[CSRF_COOKIE]
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], *, with_csrf: bool = True
) -> httpx.Response:
    body = dict(data)
    if with_csrf:
        body[CSRF_FIELD] = await csrf(client)
    return await client.post(path, data=body, headers={"accept": "text/html"})


async def register_api(
    client: httpx.AsyncClient,
    username: str = "alice",
    email: str | None = None,
    password: str = PASSWORD,
    **headers: str,
) -> httpx.Response:
    return await client.post(
        "/api/auth/register",
        json={
            "username": username,
            "email": f"{username}@example.com" if email is None else email,
            "password": password,
        },
        headers=headers,
    )


async def login_api(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD, **headers: str
) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"login": login, "password": password}, headers=headers
    )
