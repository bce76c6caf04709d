"""The attacks: forged forms (CSRF), brute force, account enumeration, markup in names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from goatedvips.accounts.models import User
from goatedvips.accounts.service import LOGIN_PER_ACCOUNT
from goatedvips.db import Database
from goatedvips.security import CSRF_COOKIE, CSRF_FIELD
from tests.accounts.helpers import PASSWORD, csrf, login_api, post_form, register_api
from tests.support.smtp import SmtpSink

ACCOUNT_LIMIT = int(LOGIN_PER_ACCOUNT.split()[0])


@pytest.mark.parametrize(
    "path",
    [
        "/register",
        "/login",
        "/logout",
        "/forgot-password",
        "/reset-password",
        "/account/preferences",
        "/account/privacy",
        "/account/password",
        "/account/resend-verification",
    ],
)
async def test_forms_without_a_matching_csrf_token_are_refused(
    client: httpx.AsyncClient, path: str
) -> None:
    await register_api(client, "victim")
    await login_api(client, "victim")
    await csrf(client, "/account")
    missing = await post_form(
        client, path, {"login": "victim", "password": PASSWORD}, with_csrf=False
    )
    assert missing.status_code == 403 and "reload the page" in missing.text
    forged = await client.post(
        path, data={CSRF_FIELD: "attacker-guess"}, headers={"accept": "text/html"}
    )
    assert forged.status_code == 403
    assert (
        await client.get("/api/auth/me")
    ).status_code == 200  # still logged in: nothing happened


async def test_csrf_failure_on_a_form_changes_nothing(client: httpx.AsyncClient) -> None:
    await register_api(client, "victim")
    await login_api(client, "victim")
    await csrf(client, "/account")
    client.cookies.set(CSRF_COOKIE, "x")
    response = await client.post(
        "/account/preferences",
        data={CSRF_FIELD: "y", "promotional_offers": "1"},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 403
    prefs = (await client.get("/api/me/notification-preferences")).json()
    assert prefs["promotionalOffers"] is False


async def test_brute_force_on_one_account_is_throttled_with_retry_after(
    client: httpx.AsyncClient, new_client: Any
) -> None:
    await register_api(client, "target")
    for attempt in range(ACCOUNT_LIMIT):
        # A different address each time: the per-account limit still catches it.
        response = await login_api(
            new_client(f"192.0.2.{attempt + 1}"), "target", f"guess number {attempt}"
        )
        assert response.status_code == 401
    blocked = await login_api(new_client("192.0.2.99"), "target", "guess number 99")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    # Even the right password waits: the limit is checked before the password.
    assert (await login_api(new_client("192.0.2.100"), "target")).status_code == 429
    # A missing account is throttled exactly the same way (no enumeration through 429s).
    for attempt in range(ACCOUNT_LIMIT):
        await login_api(new_client(f"198.51.100.{attempt + 1}"), "ghost", "whatever password")
    ghost = await login_api(new_client("198.51.100.99"), "ghost", "whatever password")
    assert ghost.status_code == 429 and ghost.json() == blocked.json()


async def test_one_ip_trying_many_accounts_is_throttled(client: httpx.AsyncClient) -> None:
    from goatedvips.accounts.service import LOGIN_PER_IP

    per_ip = int(LOGIN_PER_IP.split()[0])
    statuses = [
        (await login_api(client, f"user{n}", "wrong password here")).status_code
        for n in range(per_ip + 1)
    ]
    assert statuses[:per_ip] == [401] * per_ip and statuses[-1] == 429


async def test_login_form_shows_429_with_retry_after(client: httpx.AsyncClient) -> None:
    for _ in range(ACCOUNT_LIMIT):
        await post_form(client, "/login", {"login": "someone", "password": "wrong password"})
    page = await post_form(client, "/login", {"login": "someone", "password": "wrong password"})
    assert (
        page.status_code == 429
        and "retry-after" in page.headers
        and "too many attempts" in page.text
    )


async def test_reset_request_is_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, sink: SmtpSink
) -> None:
    await register_api(client, "known")
    known = await client.post(
        "/api/auth/password-reset/request", json={"email": "known@example.com"}
    )
    unknown = await client.post(
        "/api/auth/password-reset/request", json={"email": "unknown@example.com"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(sink.to("known@example.com")) == 2  # verification + reset
    assert sink.to("unknown@example.com") == []
    page_known = await post_form(client, "/forgot-password", {"email": "known@example.com"})
    page_unknown = await post_form(client, "/forgot-password", {"email": "unknown@example.com"})
    assert page_known.status_code == page_unknown.status_code == 200
    assert page_known.text == page_unknown.text


async def test_reset_and_resend_are_rate_limited_per_address(
    client: httpx.AsyncClient, new_client: Any
) -> None:
    from goatedvips.accounts.service import RESEND_PER_ACCOUNT, RESET_PER_ACCOUNT

    for n in range(int(RESET_PER_ACCOUNT.split()[0])):
        r = await new_client(f"192.0.2.{n + 1}").post(
            "/api/auth/password-reset/request", json={"email": "a@example.com"}
        )
        assert r.status_code == 202
    limited = await new_client("192.0.2.50").post(
        "/api/auth/password-reset/request", json={"email": "a@example.com"}
    )
    assert limited.status_code == 429 and "retry-after" in limited.headers
    for n in range(int(RESEND_PER_ACCOUNT.split()[0])):
        r = await new_client(f"192.0.2.{n + 1}").post(
            "/api/auth/resend-verification", json={"email": "b@example.com"}
        )
        assert r.status_code == 202
    limited = await new_client("192.0.2.50").post(
        "/api/auth/resend-verification", json={"email": "b@example.com"}
    )
    assert limited.status_code == 429


async def test_resend_answers_alike_and_mails_only_unverified_accounts(
    client: httpx.AsyncClient, new_client: Any, sink: SmtpSink
) -> None:
    await register_api(client, "pending")
    known = await new_client().post(
        "/api/auth/resend-verification", json={"email": "pending@example.com"}
    )
    unknown = await new_client().post(
        "/api/auth/resend-verification", json={"email": "nope@example.com"}
    )
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    assert len(sink.to("pending@example.com")) == 2
    await login_api(client, "pending")
    mine = await client.post("/api/auth/resend-verification", json={})
    assert mine.status_code == 202 and len(sink.to("pending@example.com")) == 3
    anonymous_without_email = await new_client().post("/api/auth/resend-verification", json={})
    assert anonymous_without_email.status_code == 422


MARKUP = "<script>alert('x')</script>"


async def test_markup_in_names_is_escaped_on_every_page(
    client: httpx.AsyncClient, clean_db: Database, sink: SmtpSink
) -> None:
    await register_api(client, "plainname")
    async with clean_db.sessionmaker() as session:
        # Names that bypassed today's rules (older data, a Goated name) must still render inert.
        await session.execute(
            update(User)
            .where(User.username == "plainname")
            .values(username=MARKUP, goated_username=MARKUP, goated_verified=True)
        )
        await session.commit()
    assert (await login_api(client, "plainname@example.com")).status_code == 200
    for path in [
        "/",
        "/account",
        "/forgot-password",
        "/verify-email?token=x",
        "/reset-password?token=x",
    ]:
        page = await client.get(path, headers={"accept": "text/html"})
        assert MARKUP not in page.text, path
        assert "&lt;script&gt;" in page.text, path
    # The e-mail's HTML body escapes it too; its text body shows it as typed.
    await client.post("/api/auth/resend-verification", json={})
    mail = sink.to("plainname@example.com")[-1]
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert MARKUP not in html and "&lt;script&gt;" in html


async def test_markup_in_the_login_field_is_escaped_when_the_form_comes_back(
    client: httpx.AsyncClient,
) -> None:
    page = await post_form(client, "/login", {"login": MARKUP, "password": "wrong password"})
    assert page.status_code == 401 and MARKUP not in page.text and "&lt;script&gt;" in page.text


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/races/3", "/races/3"),
        ("//evil.example", "/account"),
        ("https://evil.example/", "/account"),
        ("/\\evil.example", "/account"),
        ("javascript:alert(1)", "/account"),
    ],
)
async def test_login_next_goes_only_to_local_paths(
    client: httpx.AsyncClient, next_value: str, expected: str
) -> None:
    await register_api(client, "nextuser")
    response = await post_form(
        client, "/login", {"login": "nextuser", "password": PASSWORD, "next": next_value}
    )
    assert response.status_code == 303 and response.headers["location"] == expected
