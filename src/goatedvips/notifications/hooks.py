"""After every successful affiliate sync: announce VIP tier-ups of players with a site account.

A durable mark per user (`vip_tier_marks`) holds the highest tier already seen, so each tier-up is
announced once, across restarts and repeated syncs. A user's first sighting only sets the mark
(reaching a tier before we knew the player is not news); a lower tier (a feed correction) never
lowers the mark, so a dip and a recovery don't announce the same tier again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.affiliate.models import AffiliatePlayer
from goatedvips.affiliate.tiers import TIER_BY_NAME, TIERS, tier_index, tier_progress
from goatedvips.notifications.models import VipTierMark
from goatedvips.notifications.outbox import enqueue
from goatedvips.notifications.rendering import render_template

KIND = "vip_tier_up"


async def after_sync(ctx: Any, result: Any = None) -> None:
    """The affiliate sync calls this after each successful sync (`ctx.db` is the Database)."""
    async with ctx.db.sessionmaker() as session:
        await announce_tier_ups(session)


async def announce_tier_ups(session: AsyncSession) -> int:
    """Queue a tier-up notification for every linked player above their mark; commits."""
    rows = await session.execute(
        select(User, AffiliatePlayer.wagered_all_time, VipTierMark)
        .join(AffiliatePlayer, AffiliatePlayer.uid == User.goated_uid)
        .outerjoin(VipTierMark, VipTierMark.user_id == User.id)
        .where(User.goated_uid.is_not(None))
        .order_by(User.id)
    )
    announced = 0
    for user, all_time, mark in rows.all():
        current = tier_index(all_time)
        if mark is None:
            session.add(VipTierMark(user_id=user.id, tier=TIERS[current].name))
            continue
        marked = TIERS.index(TIER_BY_NAME[mark.tier]) if mark.tier in TIER_BY_NAME else 0
        if current <= marked:
            continue
        mark.tier = TIERS[current].name
        progress = tier_progress(all_time)
        context = {
            "username": user.username,
            "tier": progress.tier.name,
            "all_time": all_time,
            "next_tier": progress.next_tier.name if progress.next_tier else None,
            "remaining": progress.remaining,
        }
        await enqueue(
            session,
            user=user,
            kind=KIND,
            subject=f"You reached {progress.tier.name}",
            text=render_template("notifications/vip_tier_up.txt", context),
            payload={"tier": progress.tier.name, "allTime": str(all_time)},
            dedupe_key=f"vip:{user.id}:{progress.tier.slug}",
        )
        announced += 1
    await session.commit()
    return announced
