"""The prize and standings engine: exact cents for any feed (hypothesis), ties, eligibility."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goatedvips.errors import InvalidInput
from goatedvips.races.prizes import position_amounts, validate_distribution
from goatedvips.races.standings import PlayerTotal, compute_standings, gap_to_next

D = Decimal


def shares_of(*values: str) -> dict[str, Decimal]:
    return validate_distribution({str(i): v for i, v in enumerate(values, start=1)})


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"1": "50", "2": "30", "3": "23.5"}, "add up to 103.5"),
        ({"1": "50", "2": "30"}, "add up to 80"),
        ({"1": "40", "2": "60"}, "position 2 gets more than position 1"),
        ({"1": "100", "2": "0"}, "positive"),
        ({"1": "110", "2": "-10"}, "positive"),
        ({"1": "60", "3": "40"}, "without gaps"),
        ({"0": "60", "1": "40"}, "without gaps"),
        ({}, "at least one"),
        ({"1": "abc"}, "not a number"),
        ({"1": "NaN"}, "finite"),
        ({"1": True}, "must be a number"),
        ({"1": "99.99999", "2": "0.00001"}, "decimal places"),
    ],
)
def test_bad_distributions_are_refused_naming_the_field(raw: dict, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_distribution(raw)
    assert caught.value.field == "prizeDistribution"
    assert words in caught.value.message
    assert caught.value.message.startswith("prizeDistribution")


def test_distribution_is_exact_decimal_not_float() -> None:
    # 33.33 + 33.33 + 33.34 = 100 exactly in Decimal (float sums would drift).
    assert sum(shares_of("33.34", "33.33", "33.33").values()) == 100
    assert shares_of("33.34", "33.33", "33.33")["1"] == D("33.34")


def test_remainder_cents_go_to_first_place() -> None:
    assert position_amounts(D("100.00"), shares_of("33.34", "33.33", "33.33")) == [3334, 3333, 3333]
    assert position_amounts(D("0.10"), shares_of("33.34", "33.33", "33.33")) == [4, 3, 3]
    assert position_amounts(D("1000.01"), shares_of("50", "30", "20")) == [50001, 30000, 20000]


def test_ties_share_ranks_and_split_the_positions_they_occupy() -> None:
    totals = [
        PlayerTotal("a", "A", D("500")),
        PlayerTotal("c", "C", D("300")),
        PlayerTotal("b", "B", D("300")),
        PlayerTotal("d", "D", D("100")),
    ]
    result = compute_standings(totals, pool=D("1000.00"), shares=shares_of("50", "30", "15", "5"))
    assert [(s.rank, s.uid) for s in result.standings] == [(1, "a"), (2, "b"), (2, "c"), (4, "d")]
    by_uid = result.by_uid()
    # b and c occupy positions 2 and 3: (300 + 150) / 2 each.
    assert by_uid["b"].prize == by_uid["c"].prize == D("225.00")
    assert by_uid["a"].prize == D("500.00") and by_uid["d"].prize == D("50.00")
    assert result.awarded == D("1000.00") and result.unawarded == 0


def test_tie_remainder_cents_go_to_the_lowest_uids_one_each() -> None:
    totals = [PlayerTotal(uid, uid, D("10")) for uid in ("zed", "amy", "kim")]
    result = compute_standings(totals, pool=D("1.00"), shares=shares_of("100"))
    prizes = {s.uid: s.prize for s in result.standings}
    assert prizes == {"amy": D("0.34"), "kim": D("0.33"), "zed": D("0.33")}
    shuffled = compute_standings(list(reversed(totals)), pool=D("1.00"), shares=shares_of("100"))
    assert shuffled == result
    two_cents = compute_standings(totals, pool=D("0.11"), shares=shares_of("100"))
    assert {s.uid: s.prize for s in two_cents.standings} == {
        "amy": D("0.04"),
        "kim": D("0.04"),
        "zed": D("0.03"),
    }


def test_a_tie_below_never_out_earns_the_player_above_it() -> None:
    # Positions pay 21, 21, 21, 21, 21, 20 cents; a five-way tie for 2nd splits 104 cents.
    # Handing all 4 remainder cents to one player would pay them 24, more than 1st place gets.
    shares = shares_of("16.8", "16.8", "16.8", "16.8", "16.8", "16")
    assert position_amounts(D("1.25"), shares) == [21, 21, 21, 21, 21, 20]
    totals = [PlayerTotal("top", "T", D("9")), *(PlayerTotal(u, u, D("5")) for u in "vwxyz")]
    prizes = [s.prize for s in compute_standings(totals, pool=D("1.25"), shares=shares).standings]
    assert prizes == [D("0.21")] * 5 + [D("0.20")]


def test_players_below_min_wager_are_listed_but_take_no_prize_position() -> None:
    totals = [
        PlayerTotal("a", "A", D("90")),  # below the minimum, highest total
        PlayerTotal("b", "B", D("150")),
        PlayerTotal("c", "C", D("120")),
        PlayerTotal("d", "D", D("100")),
    ]
    result = compute_standings(
        totals, pool=D("100.00"), shares=shares_of("60", "40"), min_wager=D("100")
    )
    assert [(s.rank, s.uid, s.eligible, s.prize) for s in result.standings] == [
        (1, "b", True, D("60.00")),
        (2, "c", True, D("40.00")),
        (3, "d", True, D("0.00")),
        (4, "a", False, D("0.00")),
    ]


def test_unheld_positions_are_reported_unawarded_not_paid() -> None:
    result = compute_standings(
        [PlayerTotal("a", "A", D("10")), PlayerTotal("b", "B", D("5"))],
        pool=D("100.00"),
        shares=shares_of("50", "30", "20"),
        min_wager=D("6"),
    )
    assert result.awarded == D("50.00")
    assert result.unawarded_positions == [2, 3] and result.unawarded == D("50.00")


def test_excluded_uids_and_zero_totals_never_appear() -> None:
    totals = [
        PlayerTotal("staff", "Staff", D("999999")),
        PlayerTotal("a", "A", D("10")),
        PlayerTotal("idle", "Idle", D("0")),
    ]
    result = compute_standings(totals, pool=D("10.00"), shares=shares_of("100"), excluded={"staff"})
    assert [(s.rank, s.uid, s.prize) for s in result.standings] == [(1, "a", D("10.00"))]


def test_gap_to_next_is_the_wager_to_draw_level_with_the_next_higher_total() -> None:
    result = compute_standings(
        [
            PlayerTotal("a", "A", D("500")),
            PlayerTotal("b", "B", D("320.50")),
            PlayerTotal("c", "C", D("320.50")),
            PlayerTotal("d", "D", D("100")),
        ],
        pool=D("0"),
        shares=shares_of("100"),
    )
    assert gap_to_next(result.standings, "a") is None
    assert gap_to_next(result.standings, "c") == D("179.50")
    assert gap_to_next(result.standings, "d") == D("220.50")


# --- properties: any feed, any valid distribution -------------------------------------------

uids = st.text(alphabet="abcdefXYZ019", min_size=1, max_size=4)
totals_strategy = st.lists(
    st.tuples(uids, st.integers(min_value=0, max_value=5_000).map(lambda c: D(c) / 10)),
    max_size=30,
    unique_by=lambda t: t[0],
)


@st.composite
def distributions(draw: st.DrawFn) -> dict[str, Decimal]:
    """Valid distributions: positive, non-increasing hundredths summing to exactly 100."""
    count = draw(st.integers(min_value=1, max_value=12))
    cuts = sorted(
        draw(st.lists(st.integers(1, 9_999), min_size=count - 1, max_size=count - 1, unique=True))
    )
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    parts.sort(reverse=True)
    return validate_distribution({str(i): str(D(p) / 100) for i, p in enumerate(parts, 1)})


@settings(max_examples=300, deadline=None)
@given(
    totals=totals_strategy,
    shares=distributions(),
    pool_cents=st.integers(min_value=0, max_value=10**9),
    min_wager=st.sampled_from([D("0"), D("50"), D("250.5")]),
)
def test_properties_hold_for_any_feed(
    totals: list[tuple[str, Decimal]],
    shares: dict[str, Decimal],
    pool_cents: int,
    min_wager: Decimal,
) -> None:
    pool = D(pool_cents) / 100
    players = [PlayerTotal(uid, uid.upper(), total) for uid, total in totals]
    result = compute_standings(players, pool=pool, shares=shares, min_wager=min_wager)
    standings = result.standings

    # Every cent of the pool is either awarded or reported unawarded; all awarded when all held.
    assert result.awarded + result.unawarded == pool
    if sum(1 for s in standings if s.eligible) >= len(shares):
        assert result.awarded == pool and result.unawarded == 0
    # Position amounts add up to the pool and never grow going down.
    amounts = position_amounts(pool, shares)
    assert sum(amounts) == pool_cents
    assert all(a >= b for a, b in itertools.pairwise(amounts))
    # Prizes never increase going down the standings (ties included).
    eligible_prizes = [s.prize for s in standings if s.eligible]
    assert all(p >= q for p, q in itertools.pairwise(eligible_prizes))
    # Tied players get equal prizes, up to one remainder cent that goes to the lowest uids.
    groups: dict[Decimal, list] = {}
    for s in standings:
        if s.eligible:
            groups.setdefault(s.total, []).append(s)
    for group in groups.values():
        base = min(s.prize for s in group)
        assert all(s.prize - base in (0, D("0.01")) for s in group)
        extra = sorted(s.uid for s in group if s.prize > base)
        assert extra == sorted(s.uid for s in group)[: len(extra)]
    # Ineligible players never get anything; ranks are competition ranks.
    assert all(s.prize == 0 for s in standings if not s.eligible)
    for index, s in enumerate(standings):
        assert s.rank == 1 + sum(1 for o in standings if o.total > s.total)
        assert index == 0 or standings[index - 1].total >= s.total
    assert all(s.prize >= 0 for s in standings)
    # Deterministic: the order of the feed changes nothing.
    again = compute_standings(
        list(reversed(players)), pool=pool, shares=shares, min_wager=min_wager
    )
    assert again == result
