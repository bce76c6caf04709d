"""A web process whose jobs run in another process, without Redis, relays race changes to its
open pages itself (goatedvips.races.relay): nothing at start-up, one message per change after."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from sqlalchemy import update

from goatedvips import live
from goatedvips.db import Database, utcnow
from goatedvips.races.models import WagerRace
from goatedvips.races.relay import Seen, read_races, relay_once
from tests.races.conftest import add_race


async def _change(db: Database, race_id: int, **values: object) -> None:
    """A write as the job process makes it (this process publishes nothing for it)."""
    async with db.sessionmaker() as session:
        await session.execute(update(WagerRace).where(WagerRace.id == race_id).values(**values))
        await session.commit()


async def test_race_changes_made_elsewhere_reach_this_process_s_pages(clean_db: Database) -> None:
    now = utcnow().replace(microsecond=0)
    live_id = await add_race(clean_db, start_date=now, end_date=now + dt.timedelta(days=1))
    other_id = await add_race(clean_db, start_date=now, end_date=now + dt.timedelta(days=2))
    page = await live.broker().open(f"race:{live_id}")
    try:
        seen: Seen = await read_races(clean_db)  # what the relay starts from: no news
        assert set(seen) == {live_id, other_id}
        assert await relay_once(clean_db, seen) == []  # nothing changed

        await _change(clean_db, live_id, updated_at=now + dt.timedelta(seconds=5))
        assert await relay_once(clean_db, seen) == [live_id]
        message = json.loads(await asyncio.wait_for(page.next(), 5))
        assert message == {"type": "standings", "raceId": live_id}
        assert await relay_once(clean_db, seen) == []  # told once

        await _change(
            clean_db, live_id, status="completed", updated_at=now + dt.timedelta(seconds=9)
        )
        assert await relay_once(clean_db, seen) == [live_id]
        message = json.loads(await asyncio.wait_for(page.next(), 5))
        assert message == {"type": "completed", "raceId": live_id}

        new_id = await add_race(clean_db, start_date=now, end_date=now + dt.timedelta(days=3))
        assert await relay_once(clean_db, seen) == [new_id]  # a race made elsewhere is news
        assert other_id not in await relay_once(clean_db, seen)
    finally:
        page.close()
