"""Standings of a race from players' totals: ranks, eligibility, prizes (pure, no database).

- Only players with a positive total are listed. Highest total first; equal totals share a rank (1, 2, 2, 4); display order within a tie is by uid.
- Excluded uids are dropped before anything else: they are never ranked or listed.
- Players below the minimum wager are listed (with their rank) but hold no prize position; prize
  positions go to the eligible players in order.
- Eligible players with equal totals split the sum of the positions they occupy equally; the
  remainder cents go one each to the tied players with the lowest uids (a one-cent remainder, as
  in every two-way tie, to the lowest uid), so the result never depends on the order of the input
  and prizes never increase going down the standings.
- A position that no eligible player holds is reported as unawarded: awarded + unawarded = pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from goatedvips.races.prizes import from_cents, position_amounts

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class PlayerTotal:
    uid: str
    name: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    uid: str
    name: str
    total: Decimal
    eligible: bool
    prize: Decimal


@dataclass(frozen=True, slots=True)
class Result:
    standings: list[Standing]
    unawarded_positions: list[int] = field(default_factory=list)
    unawarded: Decimal = ZERO

    @property
    def awarded(self) -> Decimal:
        return sum((s.prize for s in self.standings), ZERO)

    def by_uid(self) -> dict[str, Standing]:
        return {s.uid: s for s in self.standings}


def compute_standings(
    totals: Iterable[PlayerTotal],
    *,
    pool: Decimal,
    shares: Mapping[str, Decimal],
    min_wager: Decimal = ZERO,
    excluded: frozenset[str] | set[str] = frozenset(),
    ineligible: frozenset[str] | set[str] = frozenset(),
) -> Result:
    """`ineligible` uids (disqualified by an admin) are listed like players below the minimum."""
    players = sorted(
        (p for p in totals if p.uid not in excluded and p.total > 0),
        key=lambda p: (-p.total, p.uid),
    )
    amounts = position_amounts(pool, shares)

    def is_eligible(player: PlayerTotal) -> bool:
        return player.total >= min_wager and player.uid not in ineligible

    prizes = _prizes_for_eligible([p for p in players if is_eligible(p)], amounts)
    standings: list[Standing] = []
    rank = 0
    previous_total: Decimal | None = None
    for index, player in enumerate(players, start=1):
        if player.total != previous_total:
            rank, previous_total = index, player.total
        eligible = is_eligible(player)
        standings.append(
            Standing(
                rank=rank,
                uid=player.uid,
                name=player.name,
                total=player.total,
                eligible=eligible,
                prize=from_cents(prizes.get(player.uid, 0)),
            )
        )
    held = min(len(amounts), sum(1 for s in standings if s.eligible))
    unawarded_positions = list(range(held + 1, len(amounts) + 1))
    unawarded = from_cents(sum(amounts[held:]))
    return Result(standings, unawarded_positions, unawarded)


def _prizes_for_eligible(eligible: list[PlayerTotal], amounts: list[int]) -> dict[str, int]:
    """uid -> cents for eligible players already sorted by total (highest first)."""
    prizes: dict[str, int] = {}
    position = 0  # positions taken so far
    for _, group_iter in groupby(eligible, key=lambda p: p.total):
        group = sorted(group_iter, key=lambda p: p.uid)
        occupied = amounts[position : position + len(group)]
        position += len(group)
        if not occupied:
            break
        share, remainder = divmod(sum(occupied), len(group))
        for index, player in enumerate(group):
            # One cent each, lowest uids first: never more than a cent apart, so a tied
            # player can't end up above someone who finished ahead of the tie.
            prizes[player.uid] = share + (1 if index < remainder else 0)
    return prizes


def gap_to_next(standings: list[Standing], uid: str) -> Decimal | None:
    """Wager the player needs to draw level with the next higher total (None when first)."""
    mine = next((s for s in standings if s.uid == uid), None)
    if mine is None:
        return None
    above = [s.total for s in standings if s.total > mine.total]
    return (min(above) - mine.total) if above else None
