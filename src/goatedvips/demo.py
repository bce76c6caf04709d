"""Demo data for `make run`: races, challenges and bonus codes to look at on a fresh database.

`goatedvips run` calls `seed_demo(settings)` after migrating, in development with DEMO_DATA on
(the default). Everything goes through the domain services with `Actor.system("demo")`, so it is
validated and audited like an admin's work. It creates no accounts: admins are made with
`goatedvips create-admin`, never with a default password.

Idempotent: the app setting `demo_seeded` is written last and, once there, nothing runs again.
Each step also skips what already exists, so a run cut short is completed by the next one without
duplicates. The feed itself needs no seeding: the affiliate-sync job runs at start-up against the
built-in simulator and fills the leaderboards and the live races within seconds.

See docs/demo.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.admin.audit import Actor
from goatedvips.admin.models import AppSetting
from goatedvips.bonuses import service as bonuses
from goatedvips.bonuses.models import BonusCode
from goatedvips.challenges import service as challenges
from goatedvips.challenges.models import Challenge
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.logging import get_logger
from goatedvips.races import lifecycle
from goatedvips.races import service as races
from goatedvips.races.models import RaceTemplate
from goatedvips.races.schemas import TemplateIn

log = get_logger(__name__)
MARKER_KEY = "demo_seeded"
ACTOR = Actor.system("demo")
DAY = dt.timedelta(days=1)

TEMPLATES = (
    TemplateIn(
        title="Monthly Wager Race",
        type="monthly",
        prize_pool=Decimal("5000.00"),
        prize_distribution={"1": "40", "2": "25", "3": "15", "4": "10", "5": "5", "6": "5"},
        min_wager=Decimal("100.00"),
        rules="Every wager on Goated under our code counts. Prizes are paid within 48 hours.",
        description="The big one: $5,000 shared by the top 6 of the month.",
    ),
    TemplateIn(
        title="Weekly Sprint",
        type="weekly",
        prize_pool=Decimal("1000.00"),
        prize_distribution={"1": "50", "2": "30", "3": "20"},
        description="Monday to Monday: $1,000 for the top 3 of the week.",
    ),
)


@dataclass(frozen=True)
class DemoChallenge:
    game: str
    multiplier: str
    min_bet: str
    prize: str
    winners: int
    starts_in: dt.timedelta  # from now; zero = open now
    lasts: dt.timedelta
    description: str


CHALLENGES = (
    DemoChallenge(
        game="Limbo", multiplier="100", min_bet="1.00", prize="20.00", winners=10,
        starts_in=dt.timedelta(0), lasts=7 * DAY,
        description="Demo: hit 100x on Limbo betting at least $1.",
    ),
    DemoChallenge(
        game="Dice", multiplier="50", min_bet="0.50", prize="10.00", winners=5,
        starts_in=dt.timedelta(0), lasts=3 * DAY,
        description="Demo: a 50x win on Dice betting at least $0.50.",
    ),
    DemoChallenge(
        game="Mines", multiplier="25", min_bet="2.00", prize="25.00", winners=3,
        starts_in=2 * DAY, lasts=7 * DAY,
        description="Demo, coming up: a 25x cash-out on Mines with at least $2.",
    ),
)  # fmt: skip

DROPS = (  # code, value, days until it expires, description
    ("DEMO-GOAT10", "10.00", 7, "Demo drop: $10 for the first to claim it"),
    ("DEMO-WEEKEND25", "25.00", 3, "Demo drop: weekend bonus"),
    ("DEMO-VIP50", "50.00", 14, "Demo drop: VIP reload"),
)
EXPIRED_DROP = ("DEMO-OLD5", "5.00", "Demo drop that has already expired")
PRIZE_POOL = (("20.00", 3), ("10.00", 2))  # (value, how many): the Limbo and Dice prizes


async def seed_demo(settings: Settings) -> bool:
    """Create the demo data once; True when it was created now, False when it already existed."""
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            if await session.get(AppSetting, MARKER_KEY) is not None:
                return False
            await seed_races(session)
            await seed_challenges(session)
            await seed_bonus_codes(session)
            created = await mark_seeded(session)
        log.info("demo_data_seeded" if created else "demo_data_seeded_elsewhere")
        return created
    finally:
        await db.dispose()


async def seed_races(session: AsyncSession) -> None:
    """Race templates; the lifecycle then creates this and next month's/week's races and starts
    the current ones at once (rather than on its first 15 s tick) so the first sync fills them."""
    existing = set(
        (await session.execute(select(RaceTemplate.type, RaceTemplate.title))).tuples().all()
    )
    for template in TEMPLATES:
        if (template.type, template.title) not in existing:
            await races.create_template(session, actor=ACTOR, data=template)
    await lifecycle.ensure_template_races(session)
    await lifecycle.start_due_races(session)


async def seed_challenges(session: AsyncSession, *, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    existing = set(await session.scalars(select(Challenge.description)))
    for demo in CHALLENGES:
        if demo.description in existing:
            continue
        await challenges.create_challenge(
            session, actor=ACTOR, now=now, **_challenge_values(demo, now=now)
        )


def _challenge_values(demo: DemoChallenge, *, now: dt.datetime) -> dict[str, Any]:
    starts_at = now + demo.starts_in
    return {
        "game": demo.game,
        "multiplier": Decimal(demo.multiplier),
        "min_bet": Decimal(demo.min_bet),
        "prize_amount": Decimal(demo.prize),
        "max_winners": demo.winners,
        "starts_at": starts_at if demo.starts_in else None,  # None: open from now
        "ends_at": starts_at + demo.lasts,
        "description": demo.description,
        "timeframe": f"{demo.lasts.days} days",
    }


async def seed_bonus_codes(session: AsyncSession, *, now: dt.datetime | None = None) -> None:
    """Public drops (one of them already expired) and the challenge prize pool."""
    now = now or utcnow()
    existing = set(await session.scalars(select(BonusCode.code)))

    async def add(
        code: str,
        value: str,
        expires_at: dt.datetime,
        description: str,
        *,
        purpose: str = "drop",
        at: dt.datetime = now,
    ) -> None:
        if code in existing:
            return
        await bonuses.create_code(
            session,
            actor=ACTOR,
            code=code,
            description=description,
            value=Decimal(value),
            expires_at=expires_at,
            purpose=purpose,
            now=at,
        )

    for code, value, days, description in DROPS:
        await add(code, value, now + days * DAY, description)
    # The service refuses an expiry in the past, so the expired drop is made "two days ago" with
    # one day to live, then flagged by the same service call as the expiry job.
    code, value, description = EXPIRED_DROP
    await add(code, value, now - DAY, description, at=now - 2 * DAY)
    await bonuses.mark_expired(session, now=now)
    for value, count in PRIZE_POOL:
        for n in range(1, count + 1):
            prize_code = f"DEMO-PRIZE{value.split('.')[0]}-{n}"
            await add(prize_code, value, now + 30 * DAY, "Demo challenge prize", purpose="prize")


async def mark_seeded(session: AsyncSession) -> bool:
    """Write the marker; False when another process wrote it first."""
    session.add(AppSetting(key=MARKER_KEY, value={"seededAt": utcnow().isoformat()}))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True
