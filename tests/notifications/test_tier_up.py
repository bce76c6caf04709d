"""VIP tier-up announcements after each sync: once per tier, never for a first sighting."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from goatedvips.accounts.models import User
from goatedvips.affiliate.models import AffiliatePlayer
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.jobs import JobContext
from goatedvips.notifications.delivery import deliver_due
from goatedvips.notifications.hooks import after_sync
from goatedvips.notifications.models import VipTierMark
from tests.notifications.helpers import outbox, player
from tests.support.fake_telegram import FakeTelegram
from tests.support.smtp import SmtpSink


async def _link(db: Database, user: User, uid: str, all_time: str) -> None:
    async with db.sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.goated_uid = uid
        row.goated_verified = True
        session.add(
            AffiliatePlayer(
                uid=uid, name=uid, name_lower=uid.lower(), wagered_all_time=Decimal(all_time)
            )
        )
        await session.commit()


async def _wager(db: Database, uid: str, all_time: str) -> None:
    async with db.sessionmaker() as session:
        await session.execute(
            update(AffiliatePlayer)
            .where(AffiliatePlayer.uid == uid)
            .values(wagered_all_time=Decimal(all_time))
        )
        await session.commit()


async def test_tier_up_is_announced_once_per_tier(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    ctx = JobContext(db=clean_db, settings=settings)
    riser = await player(clean_db, "riser", telegram_id=9101)
    steady = await player(clean_db, "steady")
    silent = await player(clean_db, "silent", vip_status_changes=False)
    await _link(clean_db, riser, "R1", "9000")
    await _link(clean_db, steady, "S1", "50000")
    await _link(clean_db, silent, "Q1", "9000")
    await player(clean_db, "unlinked")

    await after_sync(ctx, None)  # first sighting: marks only
    assert await outbox(clean_db) == []

    await _wager(clean_db, "R1", "45000.00")  # Copper -> Silver (skipping Bronze)
    await _wager(clean_db, "Q1", "10000.00")  # Copper -> Bronze, but switched off
    await after_sync(ctx, None)
    await after_sync(ctx, None)  # the next sync: nothing new
    rows = await outbox(clean_db, kind="vip_tier_up")
    assert {(r.channel, r.subject) for r in rows} == {
        ("email", "You reached Silver"),
        ("telegram", "You reached Silver"),
    }

    await _wager(clean_db, "R1", "39000.00")  # a feed correction below Silver...
    await after_sync(ctx, None)
    await _wager(clean_db, "R1", "45500.00")  # ...and back: not news
    await after_sync(ctx, None)
    assert len(await outbox(clean_db, kind="vip_tier_up")) == 2

    async with clean_db.sessionmaker() as session:
        marks = dict((await session.execute(select(VipTierMark.user_id, VipTierMark.tier))).all())
    assert marks == {riser.id: "Silver", steady.id: "Silver", silent.id: "Bronze"}

    await deliver_due(clean_db, settings)
    (message,) = mail.to("riser@example.com")
    text = SmtpSink.text_of(message)
    assert "$45,000.00 puts you in the Silver tier" in text
    assert "$55,000.00 more to reach Gold" in text
    assert "Unsubscribe from VIP status changes" in text
    assert "Silver tier" in tg.last_message(9101).text
    assert mail.to("silent@example.com") == []
