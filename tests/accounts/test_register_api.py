"""Registration over JSON: the api.md shape, every invalid input with its own 4xx, nothing written."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from goatedvips.accounts.models import User
from goatedvips.db import Database
from goatedvips.notifications.models import NotificationPreferences
from tests.accounts.helpers import PASSWORD, register_api


async def count_users(db: Database) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_register_answers_201_with_the_account(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    response = await register_api(client, "bob_99", "Bob@Example.COM")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "username": "bob_99",
        "email": "Bob@example.com",
        "emailVerified": False,
    }
    async with clean_db.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.id == body["id"]))
        prefs = await session.scalar(
            select(NotificationPreferences).where(NotificationPreferences.user_id == body["id"])
        )
    assert user is not None and user.password_hash.startswith("$argon2")
    assert user.registration_ip == "203.0.113.7" and user.email_verification_token
    assert (
        prefs is not None and prefs.promotional_offers is False and prefs.wager_race_updates is True
    )


@pytest.mark.parametrize(
    ("username", "email", "password", "field", "words"),
    [
        ("ab", "x@example.com", PASSWORD, "username", "3 to 32"),
        ("a" * 33, "x@example.com", PASSWORD, "username", "3 to 32"),
        ("bad name", "x@example.com", PASSWORD, "username", "letters, digits"),
        ("<script>", "x@example.com", PASSWORD, "username", "letters, digits"),
        ("goodname", "not-an-email", PASSWORD, "email", "e-mail address is not valid"),
        ("goodname", "", PASSWORD, "email", "required"),
        ("goodname", "x@example.com", "short", "password", "at least 10"),
        ("goodname", "x@example.com", "p" * 257, "password", "at most 256"),
    ],
)
async def test_invalid_input_is_refused_by_field(
    client: httpx.AsyncClient,
    clean_db: Database,
    username: str,
    email: str,
    password: str,
    field: str,
    words: str,
) -> None:
    response = await register_api(client, username, email, password)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == field and words in error["message"]
    assert await count_users(clean_db) == 0


async def test_password_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    assert (await register_api(client, "tenchars", password="p" * 10)).status_code == 201
    assert (await register_api(client, "longest", password="p" * 256)).status_code == 201


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("ALICE", "other@example.com"),
        ("someone", "ALICE@EXAMPLE.COM"),
        ("alice", "alice@example.com"),
    ],
)
async def test_duplicates_in_any_letter_case_conflict_with_one_wording(
    client: httpx.AsyncClient, clean_db: Database, username: str, email: str
) -> None:
    assert (await register_api(client, "alice")).status_code == 201
    response = await register_api(client, username, email)
    assert response.status_code == 409
    # The same sentence whichever of the two is taken.
    assert response.json()["error"]["message"] == "that username or e-mail is already registered"
    assert await count_users(clean_db) == 1


async def test_wrong_content_type_is_415_and_writes_nothing(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    response = await client.post(
        "/api/auth/register",
        data={"username": "formuser", "email": "f@example.com", "password": PASSWORD},
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]["message"]
    assert await count_users(clean_db) == 0


async def test_missing_and_unknown_fields_are_422(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/auth/register", json={"username": "x1x"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "email"
    extra = await client.post(
        "/api/auth/register",
        json={"username": "xyz", "email": "x@example.com", "password": PASSWORD, "isAdmin": True},
    )
    assert extra.status_code == 422 and extra.json()["error"]["field"] == "isAdmin"


async def test_create_admin_obeys_the_same_rules(settings: object, clean_db: Database) -> None:
    from goatedvips.accounts.admin_cli import create_admin_account
    from goatedvips.errors import InvalidInput

    with pytest.raises(InvalidInput, match="at least 10"):
        await create_admin_account(
            settings, username="boss", email="boss@example.com", password="short"
        )  # type: ignore[arg-type]
    user_id = await create_admin_account(
        settings,
        username="boss",
        email="boss@example.com",
        password=PASSWORD,  # type: ignore[arg-type]
    )
    async with clean_db.sessionmaker() as session:
        admin = await session.get(User, user_id)
    assert admin is not None and admin.is_admin and admin.email_verified
