"""Verification and reset links: signed, expiring, single use; superseded links die too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import time_machine

from tests.accounts.helpers import PASSWORD, link_in_last_mail, login_api, post_form, register_api
from tests.support.smtp import SmtpSink


async def verify(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/verify-email", json={"token": token})


async def test_verification_token_is_single_use(client: httpx.AsyncClient, sink: SmtpSink) -> None:
    await register_api(client, "vera")
    token = link_in_last_mail(sink, "vera@example.com", "/verify-email")
    first = await verify(client, token)
    assert first.status_code == 200 and first.json()["emailVerified"] is True
    reused = await verify(client, token)
    assert reused.status_code == 410 and reused.json()["error"]["code"] == "token_used"


async def test_a_new_link_replaces_the_old_one(client: httpx.AsyncClient, sink: SmtpSink) -> None:
    await register_api(client, "walt")
    old = link_in_last_mail(sink, "walt@example.com", "/verify-email")
    await client.post("/api/auth/resend-verification", json={"email": "walt@example.com"})
    new = link_in_last_mail(sink, "walt@example.com", "/verify-email")
    assert old != new
    assert (await verify(client, old)).status_code == 410
    assert (await verify(client, new)).status_code == 200


async def test_expired_and_forged_verification_tokens(
    client: httpx.AsyncClient, sink: SmtpSink
) -> None:
    await register_api(client, "xena")
    token = link_in_last_mail(sink, "xena@example.com", "/verify-email")
    forged = await verify(client, token[:-4] + "AAAA")
    assert forged.status_code == 422 and forged.json()["error"]["code"] == "token_invalid"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)):
        expired = await verify(client, token)
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "token_expired"
    assert (await verify(client, token)).status_code == 200  # still within 48 h now


async def request_reset(client: httpx.AsyncClient, sink: SmtpSink, address: str) -> str:
    assert (
        await client.post("/api/auth/password-reset/request", json={"email": address})
    ).status_code == 202
    return link_in_last_mail(sink, address, "/reset-password")


async def confirm(client: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "password": password}
    )


async def test_reset_token_is_single_use_and_revokes_sessions(
    client: httpx.AsyncClient, new_client: Any, sink: SmtpSink
) -> None:
    await register_api(client, "yuri")
    await login_api(client, "yuri")
    token = await request_reset(new_client(), sink, "yuri@example.com")
    weak = await confirm(client, token, "short")
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password"
    assert (await client.get("/api/auth/me")).status_code == 200  # nothing written by the refusal
    assert (await confirm(client, token, "a brand new password")).status_code == 200
    assert (await client.get("/api/auth/me")).status_code == 401
    again = await confirm(client, token, "yet another password")
    assert again.status_code == 410
    assert (await login_api(new_client(), "yuri", "a brand new password")).status_code == 200


async def test_older_reset_links_die_when_the_password_changes(
    client: httpx.AsyncClient, new_client: Any, sink: SmtpSink
) -> None:
    await register_api(client, "zoe")
    first = await request_reset(client, sink, "zoe@example.com")
    second = await request_reset(client, sink, "zoe@example.com")
    assert (await confirm(client, second, "a brand new password")).status_code == 200
    assert (await confirm(client, first, "another new password")).status_code == 410


async def test_expired_reset_link_is_refused_on_the_page(
    client: httpx.AsyncClient, sink: SmtpSink
) -> None:
    await register_api(client, "amos")
    token = await request_reset(client, sink, "amos@example.com")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)):
        page = await client.get(
            "/reset-password", params={"token": token}, headers={"accept": "text/html"}
        )
        submitted = await post_form(
            client,
            "/reset-password",
            {"token": token, "password": PASSWORD * 2, "password_confirm": PASSWORD * 2},
        )
    assert page.status_code == 410 and "expired" in page.text and "Ask for a new link" in page.text
    assert submitted.status_code == 410
    assert (await login_api(client, "amos")).status_code == 200


async def test_mismatched_confirmation_on_the_reset_form(
    client: httpx.AsyncClient, sink: SmtpSink
) -> None:
    await register_api(client, "bea")
    token = await request_reset(client, sink, "bea@example.com")
    page = await post_form(
        client,
        "/reset-password",
        {"token": token, "password": "first version!!", "password_confirm": "second one!!!"},
    )
    assert page.status_code == 422 and "differ" in page.text and 'name="token"' in page.text
