"""Challenge test helpers: a challenge straight in the database, bet links, entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from goatedvips.challenges.models import Challenge
from goatedvips.db import Database, utcnow


async def add_challenge(
    db: Database,
    *,
    max_winners: int = 2,
    prize: str = "20.00",
    starts_in: dt.timedelta = -dt.timedelta(hours=1),
    ends_in: dt.timedelta = dt.timedelta(days=1),
    **columns: Any,
) -> Challenge:
    now = utcnow()
    async with db.sessionmaker() as session:
        challenge = Challenge(
            game=columns.pop("game", "Limbo"),
            multiplier=Decimal("100"),
            min_bet=Decimal("1"),
            prize_amount=Decimal(prize),
            max_winners=max_winners,
            status=columns.pop("status", "active"),
            starts_at=now + starts_in,
            ends_at=now + ends_in,
            **columns,
        )
        session.add(challenge)
        await session.commit()
        return challenge


def bet(n: int) -> str:
    return f"https://www.goated.com/bet/BET{n:06d}"
