"""The admin dashboard: every figure comes from the tables, the feed health and the token."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import orjson
import pytest
from fastapi import FastAPI

from goatedvips.accounts.models import User
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun
from goatedvips.app import create_app
from goatedvips.db import Database, utcnow
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from goatedvips.support.models import SupportTicket
from goatedvips.telegram.models import VerificationRequest
from tests.conftest import make_settings
from tests.support.users import login, make_user


def _jwt(exp: dt.datetime) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'uid': 'u', 'exp': int(exp.timestamp())})}.sig"


@pytest.fixture
async def expired_token_client(
    database_url: str, clean_db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    token = _jwt(utcnow() - dt.timedelta(hours=1))
    app: FastAPI = create_app(
        make_settings(database_url, goated_api_token=token), database=clean_db
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _populate(db: Database) -> None:
    admin = await make_user(db, "boss", is_admin=True)
    player = await make_user(db, "player1")
    now = utcnow()
    async with db.sessionmaker() as session:
        linked = await session.get(User, player.id)
        assert linked is not None
        linked.telegram_id, linked.goated_verified = 111, True
        for n in range(3):
            session.add(AffiliatePlayer(uid=f"u{n}", name=f"P{n}", name_lower=f"p{n}"))
        session.add(
            VerificationRequest(
                user_id=player.id,
                goated_username="P1",
                goated_uid="u1",
                unique_request="pending:u1",
            )
        )
        session.add_all(
            [
                SupportTicket(user_id=player.id, subject="a", description="a"),
                SupportTicket(
                    user_id=player.id, subject="b", description="b", status="in_progress"
                ),
                SupportTicket(user_id=player.id, subject="c", description="c", status="closed"),
            ]
        )
        race = WagerRace(
            title="<b>March</b> madness",
            type="monthly",
            status="live",
            prize_pool=Decimal("1000"),
            prize_distribution={"1": "100"},
            start_date=now - dt.timedelta(days=3),
            end_date=now + dt.timedelta(days=5),
            created_by=admin.id,
        )
        session.add(race)
        await session.flush()
        session.add_all(
            [
                WagerRaceParticipant(race_id=race.id, goated_uid=f"u{n}", goated_name=f"P{n}")
                for n in range(2)
            ]
        )
        session.add(
            SyncRun(
                status="success",
                finished_at=now - dt.timedelta(minutes=10),
                started_at=now - dt.timedelta(minutes=10),
            )
        )
        session.add(
            SyncRun(
                status="failed",
                error="Goated answered 503",
                finished_at=now - dt.timedelta(minutes=2),
                started_at=now - dt.timedelta(minutes=2),
            )
        )
        await session.commit()


async def test_dashboard_shows_the_figures_race_and_feed_health(
    expired_token_client: httpx.AsyncClient, clean_db: Database
) -> None:
    await _populate(clean_db)
    await login(expired_token_client, "boss")
    page = await expired_token_client.get("/admin")
    assert page.status_code == 200
    text = page.text

    def stat(label: str) -> str:
        before = text.split(f'<span class="label">{label}')[0]
        return before.rsplit('<span class="value">', 1)[1].split("<")[0]

    assert stat("Goated players in the feed") == "3"
    assert stat("Site accounts") == "2"
    assert stat("Linked Telegram accounts") == "1"
    assert stat("Verified Goated accounts") == "1"
    assert stat("Pending verifications") == "1"
    assert stat("Open tickets") == "2"
    assert "&lt;b&gt;March&lt;/b&gt; madness" in text and "<b>March</b>" not in text
    assert "<dt>Participants</dt><dd>2</dd>" in text
    assert "Goated answered 503" in text
    assert "expired" in text and "replace it now" in text
    assert "10 min ago" in text


async def test_dashboard_without_any_data(client: httpx.AsyncClient, clean_db: Database) -> None:
    await make_user(clean_db, "boss", is_admin=True)
    await login(client, "boss")
    page = await client.get("/admin")
    assert page.status_code == 200
    assert "No race is live" in page.text
    assert "not set" in page.text  # no GOATED_API_TOKEN in tests
    assert "stale" in page.text
