"""The /stats answer: a verified player's wager counters and VIP tier from the latest feed."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.affiliate.models import AffiliatePlayer
from goatedvips.affiliate.tiers import tier_progress


def _usd(value: Decimal) -> str:
    return f"${value:,.2f}"


async def stats_text(session: AsyncSession, user: User) -> str:
    if not user.goated_verified or not user.goated_uid:
        return (
            "Your Goated account isn't verified yet, so I have no stats for you. "
            "Send /verify <your Goated username> first."
        )
    player = await session.get(AffiliatePlayer, user.goated_uid)
    if player is None:
        return (
            f"{user.goated_username} isn't in the latest referral feed yet; "
            "stats appear after the next sync."
        )
    progress = tier_progress(player.wagered_all_time)
    lines = [
        f"Stats for {player.name}",
        f"Today: {_usd(player.wagered_today)}",
        f"This week: {_usd(player.wagered_this_week)}",
        f"This month: {_usd(player.wagered_this_month)}",
        f"All time: {_usd(player.wagered_all_time)}",
        f"VIP tier: {progress.tier.name}",
    ]
    if progress.next_tier is not None:
        lines.append(f"Next tier: {progress.next_tier.name} in {_usd(progress.remaining)} wagered")
    else:
        lines.append("You hold the top tier.")
    lines.append(f"Updated {player.last_seen_at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)
