"""Race test helpers: a scripted Goated feed synced at chosen moments, races, standings."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select

from goatedvips.affiliate.client import GoatedClient
from goatedvips.affiliate.service import SyncResult, sync_once
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.races.models import WagerRace, WagerRaceParticipant

UTC = dt.UTC


def player(
    uid: str,
    name: str,
    *,
    month: float | str = 0,
    week: float | str = 0,
    today: float | str = 0,
    all_time: float | str = 0,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "name": name,
        "wagered": {"today": today, "this_week": week, "this_month": month, "all_time": all_time},
    }


class Feed:
    """The simulator in-process: script the list, then sync it at an exact moment."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.app = create_simulator_app(seed=3, players=5)
        self.transport = httpx.ASGITransport(app=self.app)

    async def set(self, players: list[dict[str, Any]]) -> None:
        async with httpx.AsyncClient(transport=self.transport, base_url="http://sim") as control:
            (await control.post("/_sim/feed", json=players)).raise_for_status()

    async def sync_now(self, players: list[dict[str, Any]]) -> SyncResult:
        await self.set(players)
        client = GoatedClient("http://sim", None, "TEST", transport=self.transport, max_attempts=1)
        try:
            return await sync_once(self.db, self.settings, client=client, lock_wait=5)
        finally:
            await client.close()

    async def sync_at(self, moment: dt.datetime, players: list[dict[str, Any]]) -> SyncResult:
        with time_machine.travel(moment, tick=False):
            return await self.sync_now(players)


@pytest.fixture
async def feed(clean_db: Database, settings: Settings) -> AsyncIterator[Feed]:
    yield Feed(clean_db, settings)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


async def add_race(db: Database, **values: Any) -> int:
    values.setdefault("title", "Test race")
    values.setdefault("type", "custom")
    values.setdefault("status", "live")
    values.setdefault("prize_pool", Decimal("1000.00"))
    values.setdefault("prize_distribution", {"1": "50", "2": "30", "3": "20"})
    async with db.sessionmaker() as session:
        race = WagerRace(**values)
        session.add(race)
        await session.commit()
        return race.id


async def standings(db: Database, race_id: int) -> list[tuple[Any, ...]]:
    """(rank, uid, name, total, prize, eligible) in order."""
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(WagerRaceParticipant)
            .where(WagerRaceParticipant.race_id == race_id)
            .order_by(WagerRaceParticipant.rank, WagerRaceParticipant.goated_uid)
        )
        return [
            (r.rank, r.goated_uid, r.goated_name, r.total_wager, r.prize, r.eligible) for r in rows
        ]


async def load_race(db: Database, race_id: int) -> WagerRace:
    async with db.sessionmaker() as session:
        race = await session.get(WagerRace, race_id)
        assert race is not None
        return race
