"""The whole life of an account over HTTP: register, confirm the e-mail from the SMTP sink, log in
through a trusted proxy, see history and location, change preferences, reset the password by
e-mail, log out."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from goatedvips.accounts.sessions import SESSION_COOKIE
from tests.accounts.conftest import PROXY_IP
from tests.accounts.helpers import PASSWORD, csrf, link_in_last_mail, post_form
from tests.support.smtp import SmtpSink

NEW_PASSWORD = "an even longer new password"


async def test_life_of_an_account(
    client: httpx.AsyncClient, new_client: Any, sink: SmtpSink, app: FastAPI
) -> None:
    # Register through the form: logged in at once, confirmation link on its way.
    response = await post_form(
        client,
        "/register",
        {
            "username": "Alice.W",
            "email": "Alice@Example.com",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/account?notice=welcome"
    me = (await client.get("/api/auth/me")).json()
    assert me["username"] == "Alice.W" and me["emailVerified"] is False
    page = await client.get(response.headers["location"])
    assert "not confirmed" in page.text and "Welcome!" in page.text

    # The e-mail came through SMTP with a text and an HTML body; following its link confirms.
    [mail] = sink.to("alice@example.com")
    assert mail["Subject"] == "Confirm your GoatedVIPs e-mail"
    assert mail.get_body(preferencelist=("html",)) is not None
    token = link_in_last_mail(sink, "alice@example.com", "/verify-email")
    confirmed = await client.get("/verify-email", params={"token": token})
    assert confirmed.status_code == 200 and "E-mail confirmed" in confirmed.text
    assert (await client.get("/api/auth/me")).json()["emailVerified"] is True
    again = await client.get("/verify-email", params={"token": token})
    assert again.status_code == 410

    # Log in from another device behind our proxy: the forwarded address and its city count.
    phone = new_client(PROXY_IP)
    login = await phone.post(
        "/api/auth/login",
        json={"login": "alice@example.com", "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.23", "user-agent": "PhoneBrowser/1.0"},
    )
    assert login.status_code == 200
    assert login.json() == {"id": me["id"], "username": "Alice.W", "isAdmin": False}
    account = await phone.get("/account")
    assert "198.51.100.23" in account.text and "Berlin, Germany" in account.text
    assert "PhoneBrowser/1.0" in account.text

    # Preferences: created with the account, all on but promotional; changed through the form.
    prefs = (await phone.get("/api/me/notification-preferences")).json()
    assert prefs == {
        "wagerRaceUpdates": True,
        "vipStatusChanges": True,
        "promotionalOffers": False,
        "monthlyStatements": True,
        "emailNotifications": True,
        "pushNotifications": True,
    }
    saved = await post_form(
        phone, "/account/preferences", {"promotional_offers": "1", "wager_race_updates": "1"}
    )
    assert saved.status_code == 303
    prefs = (await phone.get("/api/me/notification-preferences")).json()
    assert prefs["promotionalOffers"] is True and prefs["monthlyStatements"] is False

    # Forgot the password: the reset link arrives, sets a new one and logs out every device.
    forgot = await post_form(new_client(), "/forgot-password", {"email": "ALICE@example.com"})
    assert forgot.status_code == 200 and "Check your e-mail" in forgot.text
    reset_token = link_in_last_mail(sink, "alice@example.com", "/reset-password")
    stranger = new_client("192.0.2.40")
    form_page = await stranger.get("/reset-password", params={"token": reset_token})
    assert form_page.status_code == 200 and "Choose a new password" in form_page.text
    done = await post_form(
        stranger,
        "/reset-password",
        {"token": reset_token, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert done.status_code == 303 and done.headers["location"] == "/login?notice=reset"
    assert (await phone.get("/api/auth/me")).status_code == 401
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (
        await phone.post("/api/auth/login", json={"login": "Alice.W", "password": PASSWORD})
    ).status_code == 401

    # Log in with the new password through the form, then log out.
    await csrf(stranger)
    logged = await post_form(
        stranger, "/login", {"login": "alice.w", "password": NEW_PASSWORD, "next": "/account"}
    )
    assert logged.status_code == 303 and logged.headers["location"] == "/account"
    history = (await stranger.get("/account")).text
    assert "192.0.2.40" in history and "Toronto, Canada" in history
    out = await post_form(stranger, "/logout", {})
    assert out.status_code == 303
    assert SESSION_COOKIE not in stranger.cookies
    assert (await stranger.get("/api/auth/me")).status_code == 401
