"""The account page: needs a login, shows the account, takes sections from other domains."""

from __future__ import annotations

import types
from typing import Any

import httpx
import pytest
from jinja2 import ChoiceLoader, DictLoader

from goatedvips.accounts import sections
from goatedvips.web import templates
from tests.accounts.helpers import PASSWORD, login_api, post_form, register_api


async def test_account_page_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/account"


async def test_account_page_shows_profile_links_and_forms(client: httpx.AsyncClient) -> None:
    await register_api(client, "pat")
    await login_api(client, "pat")
    page = (await client.get("/account")).text
    for expected in (
        "pat@example.com",
        "not confirmed",
        "Telegram",
        "not linked",
        "Goated",
        "Hide my name",
        "Promotional offers",
        "Change password",
        "Recent sign-ins",
    ):
        assert expected in page, expected


async def test_hide_name_switch_and_password_form_errors(client: httpx.AsyncClient) -> None:
    await register_api(client, "quin")
    await login_api(client, "quin")
    assert (await post_form(client, "/account/privacy", {"hide_name": "1"})).status_code == 303
    assert (await client.get("/api/auth/me")).json()["hideName"] is True
    assert (await post_form(client, "/account/privacy", {})).status_code == 303
    assert (await client.get("/api/auth/me")).json()["hideName"] is False
    differ = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "one new password",
            "new_password_confirm": "another one!!",
        },
    )
    assert differ.status_code == 422 and "differ" in differ.text
    wrong = await post_form(
        client,
        "/account/password",
        {
            "current_password": "not my password",
            "new_password": "one new password",
            "new_password_confirm": "one new password",
        },
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text


async def test_register_form_keeps_input_and_names_the_problem(client: httpx.AsyncClient) -> None:
    page = await post_form(
        client,
        "/register",
        {
            "username": "ok_name",
            "email": "bad-address",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert page.status_code == 422 and "e-mail address is not valid" in page.text
    assert 'value="ok_name"' in page.text and PASSWORD not in page.text
    await register_api(client, "taken")
    conflict = await post_form(
        client,
        "/register",
        {
            "username": "TAKEN",
            "email": "new@example.com",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert conflict.status_code == 409 and "already registered" in conflict.text


@pytest.fixture
def contributed_section(monkeypatch: pytest.MonkeyPatch) -> None:
    async def good(session: Any, user: Any) -> dict[str, Any]:
        return {"template": "test/_section.html", "title": "Bonus things", "name": user.username}

    async def hidden(session: Any, user: Any) -> None:
        return None

    async def broken(session: Any, user: Any) -> dict[str, Any]:
        raise RuntimeError("this domain has a bug")

    modules = [
        types.SimpleNamespace(__name__=f"fake{n}", account_section=f)
        for n, f in enumerate((good, hidden, broken))
    ]
    monkeypatch.setattr(sections, "_section_modules", lambda: modules)
    loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "test/_section.html": '<section class="card"><h2>{{ section.title }}</h2>{{ section.name }}</section>'
                }
            ),
            templates.env.loader,
        ]
    )
    monkeypatch.setattr(templates.env, "loader", loader)


async def test_other_domains_add_sections(
    client: httpx.AsyncClient, contributed_section: None
) -> None:
    await register_api(client, "rita")
    await login_api(client, "rita")
    page = await client.get("/account")
    assert page.status_code == 200
    assert "<h2>Bonus things</h2>rita" in page.text
    assert "Change password" in page.text  # the broken section didn't take the page down
