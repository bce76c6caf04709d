"""Staff user management: search by every field, the detail view, roles and disabling.

Every change is asserted to leave exactly one audit record with actor, target, before/after and
the client's IP; refusals leave none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from goatedvips.accounts.models import User, UserSession
from goatedvips.admin.audit import Actor
from goatedvips.admin.service import update_user_access
from goatedvips.db import Database
from goatedvips.errors import Conflict
from goatedvips.security import CSRF_COOKIE
from goatedvips.telegram.models import TelegramUser, VerificationHistory
from tests.support.audit import no_audit_record, one_audit_record
from tests.support.users import logged_in_user, login, make_user

CLIENT_IP = "203.0.113.7"  # the `client` fixture's peer address


async def _update_user(db: Database, user_id: int, **values: Any) -> None:
    async with db.sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        for key, value in values.items():
            setattr(user, key, value)
        await session.commit()


async def _seed_searchable(db: Database) -> dict[str, int]:
    alice = await make_user(db, "alice", email="alice.w@mailhost.com")
    bob = await make_user(db, "bob_the_player", email="bob@corpmail.com")
    carol = await make_user(db, "carol")
    await _update_user(
        db,
        alice.id,
        registration_ip="198.51.100.4",
        ip_history=[{"ip": "192.0.2.55", "firstSeen": "2025-01-01T00:00:00+00:00", "count": 2}],
        goated_username="GoatKing",
        goated_uid="QBbCmlNl63xCjX3S7OZL",
        goated_verified=True,
    )
    await _update_user(db, bob.id, last_login_ip="2001:db8::17", telegram_id=777000111)
    async with db.sessionmaker() as session:
        session.add(TelegramUser(telegram_id=555123, telegram_username="CarolTG", user_id=carol.id))
        await session.commit()
    return {"alice": alice.id, "bob": bob.id, "carol": carol.id}


async def _search(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await client.get("/api/admin/users", params={"q": q})
    assert response.status_code == 200, response.text
    return sorted(item["username"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ALI", ["alice"]),  # username, any case
        ("corpmail.com", ["bob_the_player"]),  # e-mail
        ("198.51.100.4", ["alice"]),  # registration IP
        ("192.0.2.55", ["alice"]),  # IP history (JSON)
        ("192.0.2.", ["alice"]),  # IP prefix
        ("2001:db8::17", ["bob_the_player"]),  # last login IP (IPv6)
        ("777000111", ["bob_the_player"]),  # Telegram id on the user
        ("555123", ["carol"]),  # Telegram id of the linked Telegram account
        ("@caroltg", ["carol"]),  # Telegram username
        ("goatk", ["alice"]),  # Goated username
        ("QBbCmlNl63xCjX3S7OZL", ["alice"]),  # Goated uid
        ("nobody-here", []),
        ("100%_", []),  # LIKE wildcards are literal
    ],
)
async def test_search_finds_users_by_each_field(
    client: httpx.AsyncClient, clean_db: Database, query: str, expected: list[str]
) -> None:
    await _seed_searchable(clean_db)
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    assert await _search(client, query) == expected


async def test_search_by_session_ip_and_paging(
    client: httpx.AsyncClient, clean_db: Database, new_client: Any
) -> None:
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    for n in range(5):
        await make_user(clean_db, f"user{n}")
    await login(new_client("198.51.100.99"), "user3")
    assert await _search(client, "198.51.100.99") == ["user3"]

    response = await client.get("/api/admin/users", params={"limit": 2, "offset": 1})
    body = response.json()
    assert body["total"] == 6 and body["limit"] == 2 and body["offset"] == 1
    assert [i["username"] for i in body["items"]] == ["user3", "user2"]  # newest first
    too_long = await client.get("/api/admin/users", params={"q": "x" * 101})
    assert too_long.status_code == 422


async def test_user_detail_shows_ips_logins_sessions_and_links(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    ids = await _seed_searchable(clean_db)
    await logged_in_user(clean_db, client, "boss", is_admin=True)
    logins = [
        {
            "at": "2025-02-01T10:00:00+00:00",
            "event": "login",
            "ip": "192.0.2.55",
            "userAgent": "Firefox",
            "country": "DE",
            "city": "Berlin",
        },
    ]
    await _update_user(clean_db, ids["alice"], login_history=logins, country="DE", city="Berlin")
    async with clean_db.sessionmaker() as session:
        now = dt.datetime.now(dt.UTC)
        session.add(
            UserSession(
                id="a" * 64,
                user_id=ids["alice"],
                csrf_token="x",
                expires_at=now + dt.timedelta(days=1),
                ip="192.0.2.55",
            )
        )
        session.add(
            VerificationHistory(
                user_id=ids["alice"],
                status="approved",
                goated_username="GoatKing",
                verified_by="user:1",
            )
        )
        await session.commit()

    response = await client.get(f"/api/admin/users/{ids['alice']}")
    assert response.status_code == 200
    body = response.json()
    assert body["registrationIp"] == "198.51.100.4"
    assert body["ipHistory"][0]["ip"] == "192.0.2.55"
    assert body["loginHistory"] == logins
    assert body["city"] == "Berlin" and body["country"] == "DE"
    assert body["goatedUsername"] == "GoatKing" and body["goatedVerified"] is True
    assert [(s["ip"], s["active"]) for s in body["sessions"]] == [("192.0.2.55", True)]
    assert "id" not in body["sessions"][0]
    assert body["verificationHistory"][0]["status"] == "approved"

    carol = (await client.get(f"/api/admin/users/{ids['carol']}")).json()
    assert carol["telegram"]["telegramUsername"] == "CarolTG"
    assert (await client.get("/api/admin/users/999999")).status_code == 404


async def test_granting_and_removing_admin_is_audited(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    helper = await make_user(clean_db, "helper")
    async with one_audit_record(
        clean_db,
        action="user.grant_admin",
        actor_user_id=boss.id,
        actor=f"user:{boss.id}",
        target=("user", helper.id),
        before={"isAdmin": False},
        after={"isAdmin": True},
        ip=CLIENT_IP,
    ):
        response = await client.patch(f"/api/admin/users/{helper.id}", json={"isAdmin": True})
    assert response.status_code == 200 and response.json()["isAdmin"] is True

    async with one_audit_record(
        clean_db, action="user.revoke_admin", before={"isAdmin": True}, after={"isAdmin": False}
    ):
        response = await client.patch(f"/api/admin/users/{helper.id}", json={"isAdmin": False})
    assert response.json()["isAdmin"] is False

    async with no_audit_record(clean_db):  # nothing changes, nothing is recorded
        response = await client.patch(f"/api/admin/users/{helper.id}", json={"isAdmin": False})
    assert response.status_code == 200


async def test_disabling_revokes_every_session_and_enabling_restores_login(
    client: httpx.AsyncClient, clean_db: Database, new_client: Any
) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    player_client = new_client()
    player = await logged_in_user(clean_db, player_client, "player1")
    assert (await player_client.get("/api/auth/me")).status_code == 200

    async with one_audit_record(
        clean_db,
        action="user.disable",
        actor_user_id=boss.id,
        target=("user", player.id),
        before={"disabled": False},
        after={"disabled": True},
        ip=CLIENT_IP,
    ):
        response = await client.patch(f"/api/admin/users/{player.id}", json={"disabled": True})
    assert response.status_code == 200
    assert response.json()["disabled"] is True
    assert all(not s["active"] for s in response.json()["sessions"])
    assert (await player_client.get("/api/auth/me")).status_code == 401
    async with clean_db.sessionmaker() as session:
        live = await session.scalars(
            select(UserSession).where(
                UserSession.user_id == player.id, UserSession.revoked_at.is_(None)
            )
        )
        assert live.all() == []

    async with one_audit_record(clean_db, action="user.enable", after={"disabled": False}):
        response = await client.patch(f"/api/admin/users/{player.id}", json={"disabled": False})
    assert response.json()["disabled"] is False
    await login(player_client, "player1")


async def test_the_last_admin_keeps_the_role(client: httpx.AsyncClient, clean_db: Database) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    async with no_audit_record(clean_db):
        response = await client.patch(f"/api/admin/users/{boss.id}", json={"isAdmin": False})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_admin"
    assert "last active admin" in response.json()["error"]["message"]

    # A disabled admin does not count as a working admin.
    other = await make_user(clean_db, "dormant", is_admin=True)
    await _update_user(clean_db, other.id, disabled=True)
    response = await client.patch(f"/api/admin/users/{boss.id}", json={"isAdmin": False})
    assert response.status_code == 409

    # With a second working admin, an admin may step down.
    await _update_user(clean_db, other.id, disabled=False)
    async with one_audit_record(clean_db, action="user.revoke_admin", target=("user", boss.id)):
        response = await client.patch(f"/api/admin/users/{boss.id}", json={"isAdmin": False})
    assert response.status_code == 200
    assert (await client.get("/api/admin/users")).status_code == 403


async def test_the_last_admin_cannot_be_disabled_and_nobody_disables_themselves(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    async with no_audit_record(clean_db):
        response = await client.patch(f"/api/admin/users/{boss.id}", json={"disabled": True})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cannot_disable_self"

    # A Telegram admin (TELEGRAM_ADMIN_IDS, no site account) can't disable the last admin either.
    async with no_audit_record(clean_db), clean_db.sessionmaker() as session:
        with pytest.raises(Conflict) as refused:
            await update_user_access(
                session, actor=Actor.telegram(4242, is_admin=True), user_id=boss.id, disabled=True
            )
    assert refused.value.code == "last_admin"
    async with clean_db.sessionmaker() as session:
        kept = await session.get(User, boss.id)
        assert kept is not None and kept.is_admin and not kept.disabled


async def test_patch_rejects_bad_bodies_and_unknown_users(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    async with no_audit_record(clean_db):
        empty = await client.patch(f"/api/admin/users/{boss.id}", json={})
        wrong_type = await client.patch(f"/api/admin/users/{boss.id}", json={"isAdmin": "maybe"})
        unknown_field = await client.patch(f"/api/admin/users/{boss.id}", json={"role": "god"})
        missing = await client.patch("/api/admin/users/424242", json={"disabled": True})
        huge = await client.get("/api/admin/users/99999999999999999999")
        huge_page = await client.get("/admin/users/99999999999999999999")
    assert empty.status_code == 422 and "isAdmin" in empty.json()["error"]["message"]
    assert wrong_type.status_code == 422
    assert unknown_field.status_code == 422
    assert missing.status_code == 404
    assert huge.status_code == 422 and huge_page.status_code == 422


async def _csrf(client: httpx.AsyncClient) -> str:
    await client.get("/admin/users", headers={"accept": "text/html"})
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    return token


async def test_user_pages_search_detail_and_forms(
    client: httpx.AsyncClient, clean_db: Database
) -> None:
    ids = await _seed_searchable(clean_db)
    boss = await logged_in_user(clean_db, client, "boss", is_admin=True)
    await _update_user(clean_db, ids["carol"], goated_username="<script>alert(1)</script>")

    page = await client.get("/admin/users", params={"q": "192.0.2.55"})
    assert page.status_code == 200
    assert f'href="/admin/users/{ids["alice"]}"' in page.text
    assert "carol" not in page.text

    listing = await client.get("/admin/users")
    assert "<script>alert(1)</script>" not in listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text

    detail = await client.get(f"/admin/users/{ids['alice']}")
    assert detail.status_code == 200
    assert "192.0.2.55" in detail.text and "GoatKing" in detail.text

    token = await _csrf(client)
    async with one_audit_record(
        clean_db,
        action="user.disable",
        actor_user_id=boss.id,
        target=("user", ids["alice"]),
        ip=CLIENT_IP,
    ):
        response = await client.post(
            f"/admin/users/{ids['alice']}/access",
            data={"csrf_token": token, "change": "disable"},
        )
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{ids['alice']}?done=disable"
    shown = await client.get(response.headers["location"])
    assert "Account disabled" in shown.text

    async with no_audit_record(clean_db):
        refused = await client.post(
            f"/admin/users/{boss.id}/access",
            data={"csrf_token": token, "change": "revoke_admin"},
            headers={"accept": "text/html"},
        )
        forged = await client.post(
            f"/admin/users/{ids['bob']}/access", data={"csrf_token": "nope", "change": "disable"}
        )
        bogus = await client.post(
            f"/admin/users/{ids['bob']}/access", data={"csrf_token": token, "change": "delete"}
        )
    assert refused.status_code == 409 and "last active admin" in refused.text
    assert forged.status_code == 403
    assert bogus.status_code == 422
