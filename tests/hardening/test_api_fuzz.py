"""Schemathesis over /openapi.json: no 500s, and every answer is one the document promises.

The site runs as a real HTTP server (its own engine, on the server's loop) over a migrated
database seeded with a player, an admin, a race, a challenge with an entry, a bonus code, a
ticket, a verification request and outbox rows. Every operation is fuzzed three times — as an
anonymous visitor, a logged-in (Goated-verified) player and an admin — with generated path ids
swapped for seeded rows half of the time, so handlers reach real data, not only 404s.

Each operation first gets its documented examples (a valid body for every create/update, seeded
ids in the path), so success answers and their schemas are checked too, then MAX_EXAMPLES
generated cases. Checks: no server error, the status code is documented, the content type is
documented, the body matches the documented schema. Hypothesis runs derandomized, without
shrinking, so the run is deterministic and bounded (about 1.5 minutes on SQLite and 2-4 on
PostgreSQL on a 2-core machine). A failing operation is reported with a curl line to reproduce.

Nothing is excluded: the affiliate sync runs against the built-in feed simulator, the Telegram
webhook answers its documented 404 (no bot is configured), and logout is fuzzed too — before every
operation the roles are put back (admin flag, not disabled) and logged in again when needed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.models import APIOperation
from sqlalchemy import select, update

from goatedvips.accounts.models import User
from goatedvips.accounts.sessions import SESSION_COOKIE
from goatedvips.app import create_app
from goatedvips.db import Database, utcnow
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.races.models import WagerRace
from goatedvips.telegram.models import VerificationRequest
from tests.conftest import empty_all_tables, make_settings
from tests.support.servers import run_asgi_server
from tests.support.users import DEFAULT_PASSWORD, make_user

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
MAX_EXAMPLES = 15
ROLES = ("anonymous", "player", "admin")
# Each role (and the harness itself) comes from its own address through a trusted proxy, so one
# role's refused logins never rate-limit another's.
ROLE_IPS = {"anonymous": "198.51.100.1", "player": "198.51.100.2", "admin": "198.51.100.3"}
HARNESS_IP = "198.51.100.99"
PLAYER, ADMIN = "fuzz_player", "fuzz_admin"


@dataclass
class Site:
    base_url: str
    db: Database
    ids: dict[str, int]
    users: dict[str, int]
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)


async def _login(base_url: str, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-Forwarded-For": HARNESS_IP}) as h:
        answer = await h.post(
            "/api/auth/login", json={"login": username, "password": DEFAULT_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {SESSION_COOKIE: answer.cookies[SESSION_COOKIE]}


async def _post(base_url: str, cookies: dict[str, str], path: str, body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=base_url, cookies=cookies, headers={"X-Forwarded-For": HARNESS_IP}
    ) as http:
        answer = await http.post(path, json=body)
        assert answer.status_code in (200, 201), (path, answer.text)
        return answer.json()


async def _seed(db: Database, base_url: str) -> Site:
    admin = await make_user(db, ADMIN, is_admin=True)
    player = await make_user(db, PLAYER)
    applicant = await make_user(db, "fuzz_applicant")
    now = utcnow()
    async with db.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == player.id)
            .values(goated_verified=True, goated_uid="FUZZ-UID-1", goated_username="FuzzGoat")
        )
        race = WagerRace(
            title="Fuzz race",
            type="custom",
            status="live",
            prize_pool=Decimal("1000.00"),
            prize_distribution={"1": "60", "2": "40"},
            start_date=now - dt.timedelta(days=1),
            end_date=now + dt.timedelta(days=6),
        )
        request = VerificationRequest(
            user_id=applicant.id,
            goated_username="ApplicantGoat",
            goated_uid="FUZZ-UID-2",
            unique_request="pending:FUZZ-UID-2",
        )
        await session.execute(
            update(NotificationPreferences)
            .where(NotificationPreferences.user_id == player.id)
            .values(promotional_offers=True)
        )
        session.add_all([race, request])
        await session.commit()
        ids = {"race_id": race.id, "request_id": request.id}
    site = Site(base_url, db, ids, {"player": player.id, "admin": admin.id})
    site.cookies = {
        "player": await _login(base_url, PLAYER),
        "admin": await _login(base_url, ADMIN),
    }
    boss, me = site.cookies["admin"], site.cookies["player"]
    later = (now + dt.timedelta(days=3)).isoformat()
    challenge = await _post(
        base_url,
        boss,
        "/api/admin/challenges",
        {
            "game": "Limbo",
            "multiplier": "100",
            "minBet": "1",
            "prizeAmount": "25",
            "maxWinners": 3,
            "startsAt": (now - dt.timedelta(hours=1)).isoformat(),
            "endsAt": later,
            "description": "Hit 100x",
        },
    )
    ids["challenge_id"] = challenge["id"]
    code = await _post(
        base_url,
        boss,
        "/api/admin/bonus-codes",
        {"code": "FUZZ20", "description": "fuzz", "value": "20", "expiresAt": later},
    )
    ids["code_id"] = code["id"]
    await _post(
        base_url,
        boss,
        "/api/admin/broadcasts",
        {"kind": "promotional", "subject": "Hi", "body": "Hello"},
    )
    ticket = await _post(
        base_url, me, "/api/support/tickets", {"subject": "Prize", "description": "Where is it?"}
    )
    ids["ticket_id"] = ticket["id"]
    entry = await _post(
        base_url,
        me,
        f"/api/challenges/{challenge['id']}/entries",
        {"betLink": "https://www.goated.com/bet/FUZZ000001"},
    )
    ids["entry_id"] = entry["id"]
    ids["user_id"] = player.id
    async with db.sessionmaker() as session:
        outbox_id = await session.scalar(select(NotificationOutbox.id).limit(1))
    ids["outbox_id"] = outbox_id or 1
    return site


# The site is seeded once for the module (and emptied by its fixture at the end).
pytestmark = pytest.mark.seeded_module


@pytest.fixture(scope="module")
async def site(database_url: str, db: Database) -> AsyncIterator[Site]:
    settings = make_settings(database_url, trusted_proxies="127.0.0.1/32")
    try:
        async with run_asgi_server(create_app(settings)) as base_url:
            yield await _seed(db, base_url)
    finally:
        await empty_all_tables(db)


async def _restore(site: Site) -> None:
    """Undo what an admin's fuzzing may have done to the roles, then make sure both are logged in."""
    async with site.db.sessionmaker() as session:
        for role, user_id in site.users.items():
            await session.execute(
                update(User)
                .where(User.id == user_id)
                .values(is_admin=role == "admin", disabled=False)
            )
        await session.commit()
    for role, username in (("player", PLAYER), ("admin", ADMIN)):
        async with httpx.AsyncClient(base_url=site.base_url, cookies=site.cookies[role]) as http:
            answer = await http.get("/api/auth/me")
        if answer.status_code != 200:
            site.cookies[role] = await _login(site.base_url, username)


def _valid_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    """One valid body per create/update operation: the explicit phase sends it first, so the
    success path and its response schema are checked too, not only refusals of random bodies."""
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    soon, later = (now + dt.timedelta(days=1)).isoformat(), (now + dt.timedelta(days=8)).isoformat()
    return {
        ("POST", "/api/auth/register"): {
            "username": "fuzz_newcomer",
            "email": "fuzz_newcomer@example.com",
            "password": "correct horse battery staple",
        },
        ("POST", "/api/admin/races"): {
            "title": "Fuzz weekly",
            "type": "custom",
            # on the hour, after the seeded race (custom races may not overlap)
            "startDate": (hour + dt.timedelta(days=10)).isoformat(),
            "endDate": (hour + dt.timedelta(days=17)).isoformat(),
            "prizePool": "500",
            "prizeDistribution": {"1": "70", "2": "30"},
            "minWager": "0",
        },
        ("POST", "/api/admin/race-templates"): {
            "title": "Fuzz monthly",
            "type": "monthly",
            "prizePool": "1000",
            "prizeDistribution": {"1": "100"},
        },
        ("POST", "/api/admin/challenges"): {
            "game": "Dice",
            "multiplier": "50",
            "minBet": "0.5",
            "prizeAmount": "10",
            "maxWinners": 2,
            "startsAt": soon,
            "endsAt": later,
        },
        ("POST", "/api/admin/bonus-codes"): {"code": "FUZZEX1", "value": "5", "expiresAt": later},
        ("POST", "/api/admin/bonus-codes/import"): {
            "csv": f"code,description,value,expiresAt\nFUZZCSV1,fuzz,5,{later}\n"
        },
        ("POST", "/api/admin/broadcasts"): {"kind": "promotional", "subject": "Hi", "body": "Yo"},
        ("POST", "/api/support/tickets"): {"subject": "Help", "description": "Where is my prize?"},
        ("POST", "/api/support/tickets/{ticket_id}/messages"): {"message": "Any news?"},
        ("PATCH", "/api/admin/support/tickets/{ticket_id}"): {"status": "in_progress"},
        ("PUT", "/api/admin/settings/excluded-uids"): {"uids": ["FUZZ-UID-9"]},
    }


def _load_schema(site: Site) -> Any:
    raw = httpx.get(f"{site.base_url}/openapi.json").json()
    for (method, path), body in _valid_bodies().items():
        content = raw["paths"][path][method.lower()]["requestBody"]["content"]
        content["application/json"]["example"] = body
    for operations in raw["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in site.ids:
                    parameter["example"] = site.ids[parameter["name"]]
    # FastAPI writes OpenAPI 3.1 (`anyOf [..., {"type": "null"}]`); schemathesis 3 reads it as
    # an experimental feature.
    schemathesis.experimental.OPEN_API_3_1.enable()
    return schemathesis.from_dict(raw, base_url=site.base_url)


def _fuzz(operation: APIOperation, site: Site, role: str, statuses: Counter[int]) -> None:
    """The documented examples first (valid bodies, seeded ids), then generated cases."""
    headers = {"Content-Type": "application/json", "X-Forwarded-For": ROLE_IPS[role]}

    def check(case: Any, real_rows: bool) -> None:
        if real_rows and case.path_parameters:
            for name in case.path_parameters:
                if name in site.ids:
                    case.path_parameters[name] = site.ids[name]
        response = case.call(
            headers=headers, cookies=site.cookies.get(role, {}), allow_redirects=False, timeout=30
        )
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    examples = operation.get_strategies_from_examples()
    runs = [(st.one_of(examples), 3)] if examples else []
    runs.append((operation.as_strategy(), MAX_EXAMPLES))
    for strategy, count in runs:

        @settings(
            max_examples=count,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, real_rows=st.booleans())
        def run(case: Any, real_rows: bool) -> None:
            check(case, real_rows)

        run()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", ROLES)
async def test_every_operation_answers_as_documented(site: Site, role: str) -> None:
    schema = _load_schema(site)
    failures: list[str] = []
    summary: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        await _restore(site)
        statuses: Counter[int] = Counter()
        op_started = time.monotonic()
        try:
            _fuzz(operation, site, role, statuses)
        except Exception as exc:  # every operation is fuzzed; failures are reported together
            failures.append(f"{operation.verbose_name} as {role}:\n{exc}")
        elapsed = time.monotonic() - op_started
        summary.append(f"{operation.verbose_name}: {dict(sorted(statuses.items()))} {elapsed:.1f}s")
    print(f"\n{role}: {len(summary)} operations in {time.monotonic() - started:.1f}s")
    print("\n".join(summary))
    assert not failures, "\n\n".join(failures)
