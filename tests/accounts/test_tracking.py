"""IP and login history, location from GeoIP, and which address counts as the client's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from goatedvips.accounts.models import User
from goatedvips.accounts.tracking import IP_HISTORY_LIMIT, LOGIN_HISTORY_LIMIT
from goatedvips.db import Database
from goatedvips.geo import Location, lookup
from tests.accounts.conftest import PROXY_IP
from tests.accounts.helpers import login_api, register_api
from tests.conftest import make_settings


async def stored(db: Database, username: str) -> User:
    async with db.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


async def test_registration_and_logins_are_recorded_newest_first(
    client: httpx.AsyncClient, new_client: Any, clean_db: Database
) -> None:
    await register_api(client, "trav", **{"user-agent": "Desk/1"})
    await login_api(new_client("198.51.100.9"), "trav", **{"user-agent": "Phone/2"})
    await login_api(new_client("203.0.113.7"), "trav", **{"user-agent": "Desk/1"})
    user = await stored(clean_db, "trav")
    assert user.registration_ip == "203.0.113.7" and user.last_login_ip == "203.0.113.7"
    assert [(e["event"], e["ip"], e["userAgent"]) for e in user.login_history] == [
        ("login", "203.0.113.7", "Desk/1"),
        ("login", "198.51.100.9", "Phone/2"),
        ("register", "203.0.113.7", "Desk/1"),
    ]
    assert (
        user.login_history[1]["country"] == "Germany" and user.login_history[1]["city"] == "Berlin"
    )
    assert [(e["ip"], e["count"]) for e in user.ip_history] == [
        ("203.0.113.7", 2),
        ("198.51.100.9", 1),
    ]
    # The last known location stays when a later address is unknown to the database.
    assert (user.country, user.city) == ("Germany", "Berlin")
    assert user.last_active is not None


async def test_histories_are_bounded(
    client: httpx.AsyncClient, new_client: Any, clean_db: Database
) -> None:
    await register_api(client, "busy")
    for n in range(LOGIN_HISTORY_LIMIT + 5):
        assert (
            await login_api(new_client(f"192.0.2.{n % (IP_HISTORY_LIMIT + 5) + 1}"), "busy")
        ).status_code == 200
    user = await stored(clean_db, "busy")
    assert len(user.login_history) == LOGIN_HISTORY_LIMIT
    assert len(user.ip_history) == IP_HISTORY_LIMIT
    assert len({e["ip"] for e in user.ip_history}) == IP_HISTORY_LIMIT
    assert user.login_history[0]["at"] >= user.login_history[-1]["at"]


async def test_forwarded_for_counts_only_from_a_trusted_proxy(
    new_client: Any, clean_db: Database
) -> None:
    spoofer = new_client("192.0.2.10")
    await register_api(spoofer, "spoof", **{"x-forwarded-for": "198.51.100.77"})
    assert (await stored(clean_db, "spoof")).registration_ip == "192.0.2.10"
    proxied = new_client(PROXY_IP)
    await register_api(proxied, "proxied", **{"x-forwarded-for": "1.2.3.4, 198.51.100.77"})
    user = await stored(clean_db, "proxied")
    assert user.registration_ip == "198.51.100.77" and user.city == "Berlin"


def test_geo_lookup(geoip_path: Path, database_url: str) -> None:
    settings = make_settings(database_url, geoip_db_path=geoip_path)
    assert lookup(settings, "192.0.2.1") == Location("Canada", "Toronto")
    assert lookup(settings, "2001:db8::1") == Location("Japan", None)
    assert lookup(settings, "203.0.113.9") is None
    assert lookup(settings, "not an ip") is None
    assert lookup(make_settings(database_url), "192.0.2.1") is None
    assert (
        lookup(
            make_settings(database_url, geoip_db_path=geoip_path.parent / "missing.mmdb"),
            "192.0.2.1",
        )
        is None
    )
