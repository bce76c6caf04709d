"""VIP tiers by all-time wager (domain.md §2), with the next tier and the progress towards it.

Races, notifications (tier-up detection) and the leaderboards import these; nothing else may
hard-code the thresholds.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    threshold: Decimal  # all-time wager (USD) from which a player holds this tier

    @property
    def slug(self) -> str:
        return self.name.lower()


TIERS: tuple[Tier, ...] = (
    Tier("Copper", Decimal("0")),
    Tier("Bronze", Decimal("10000")),
    Tier("Silver", Decimal("40000")),
    Tier("Gold", Decimal("100000")),
    Tier("Platinum", Decimal("450000")),
    Tier("Pearl", Decimal("1500000")),
    Tier("Sapphire", Decimal("3000000")),
    Tier("Emerald", Decimal("7000000")),
    Tier("Diamond", Decimal("20000000")),
)
_THRESHOLDS = [tier.threshold for tier in TIERS]
TIER_BY_NAME = {tier.name: tier for tier in TIERS}


def tier_index(all_time: Decimal) -> int:
    """Position of the tier held with this all-time wager (a threshold reached is the tier held)."""
    return max(0, bisect_right(_THRESHOLDS, all_time) - 1)


def tier_for(all_time: Decimal) -> Tier:
    return TIERS[tier_index(all_time)]


@dataclass(frozen=True, slots=True)
class TierProgress:
    tier: Tier
    next_tier: Tier | None  # None at the top tier
    remaining: Decimal  # wager still needed for the next tier (0 at the top)
    progress: Decimal  # 0..1 of the way from this tier's threshold to the next one (1 at the top)


def tier_progress(all_time: Decimal) -> TierProgress:
    index = tier_index(all_time)
    tier = TIERS[index]
    if index + 1 == len(TIERS):
        return TierProgress(tier, None, Decimal("0"), Decimal("1"))
    nxt = TIERS[index + 1]
    span = nxt.threshold - tier.threshold
    done = max(Decimal("0"), all_time - tier.threshold)
    return TierProgress(
        tier,
        nxt,
        nxt.threshold - max(all_time, tier.threshold),
        (done / span).quantize(Decimal("0.0001")),
    )


def is_tier_up(before_all_time: Decimal | None, after_all_time: Decimal) -> bool:
    """True when a player crossed into a higher tier (a first sighting is not a tier-up)."""
    return before_all_time is not None and tier_index(after_all_time) > tier_index(before_all_time)
