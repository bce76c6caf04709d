"""The feed parser: every quirk of domain.md §1, decided once and pinned here."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goatedvips.affiliate.feed import (
    COUNTERS,
    FeedFormatError,
    GoatedError,
    PlayerRecord,
    RecordError,
    parse_amount,
    parse_feed,
    parse_record,
)

SAMPLE = Path(__file__).with_name("goated-feed-sample.json")


def player(uid: Any = "U1", name: Any = "alice", **wagered: Any) -> dict[str, Any]:
    return {"uid": uid, "name": name, "wagered": wagered}


def test_sample_file_parses_to_exact_decimals() -> None:
    feed = parse_feed(SAMPLE.read_bytes())
    assert len(feed) == 7 and feed.skipped == 0 and feed.total == 7
    goombas = feed.by_uid()["a8Kd02LmQz9XbTr4uWcE"]
    assert goombas == PlayerRecord(
        uid="a8Kd02LmQz9XbTr4uWcE",
        name="GoombasFan",
        today=Decimal("152.40"),
        this_week=Decimal("2210.00"),
        this_month=Decimal("18440.55"),
        all_time=Decimal("402118.90"),
    )
    assert all(isinstance(p.all_time, Decimal) for p in feed)
    assert feed.by_uid()["Zk3PqR7sT1vW9xY2bN4m"].all_time == Decimal("1250333.12")


def test_sample_file_keeps_duplicate_names_apart_and_non_ascii_names() -> None:
    feed = parse_feed(SAMPLE.read_text(encoding="utf-8"))
    yels = [p for p in feed if p.name == "Yels789"]
    assert {p.uid for p in yels} == {"QBbCmlNl63xCjX3S7OZL", "pO1iU3yT5rE7wQ9aS2dF"}
    assert feed.by_uid()["rT6yU8iO0pA2sD4fG6hJ"].name == "naïve_üser"


@pytest.mark.parametrize(
    "body",
    [
        [player()],
        {"data": [player()]},
        {"results": [player()]},
        {"success": True, "data": [player()]},
        {"data": {"results": [player()]}},
        json.dumps({"results": [player()]}).encode(),
    ],
    ids=["bare", "data", "results", "success", "nested", "bytes"],
)
def test_every_envelope_gives_the_same_players(body: Any) -> None:
    assert [p.uid for p in parse_feed(body)] == ["U1"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b'{"data": [{"uid": "x"', "not JSON"),
        ("", "not JSON"),
        (42, "expected a JSON object or array"),
        ({"players": []}, "no player list under 'data' or 'results' (keys: players)"),
        ({"data": "nope"}, "no player list"),
        ({"success": False, "message": "rate limited"}, "success=false: rate limited"),
        ({"success": False, "data": [player()]}, "success=false"),
    ],
)
def test_malformed_bodies_raise_a_clear_feed_format_error(body: Any, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_feed(body)
    assert issubclass(FeedFormatError, GoatedError)


def test_missing_null_and_blank_fields_count_as_zero() -> None:
    feed = parse_feed(
        [
            {"uid": "A"},
            {"uid": "B", "name": None, "wagered": None},
            player("C", today=None, this_week="", all_time=5),
        ]
    )
    a, b, c = feed.players
    assert a.name == "" and a.all_time == Decimal("0.00") and b.today == Decimal("0")
    assert (c.today, c.this_week, c.this_month, c.all_time) == (0, 0, 0, Decimal("5.00"))
    assert feed.skipped == 0


def test_numbers_as_plain_strings_are_accepted() -> None:
    (p,) = parse_feed([player(today="12", this_week=" 120.5 ", this_month="1e3", all_time="0.125")])
    assert (p.today, p.this_week, p.this_month, p.all_time) == (
        Decimal("12.00"),
        Decimal("120.50"),
        Decimal("1000.00"),
        Decimal("0.13"),
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1,234.50", "not a plain number"),
        ("$12", "not a plain number"),
        ("lots", "not a plain number"),
        (-1, "negative"),
        ("-0.5", "negative"),
        ("NaN", "not finite"),
        ("Infinity", "not finite"),
        (True, "is a bool"),
        ([1], "is a list"),
        ("1e400", "out of range"),
    ],
)
def test_bad_amounts_reject_only_that_record(value: Any, reason: str) -> None:
    feed = parse_feed([player("BAD", all_time=value), player("GOOD", all_time=1)])
    assert [p.uid for p in feed] == ["GOOD"]
    assert feed.rejected == 1 and feed.skipped == 1
    assert reason in feed.problems[0] and "BAD" in feed.problems[0]


def test_amounts_are_quantised_from_the_json_text_not_the_binary_float() -> None:
    assert parse_amount(1.005) == Decimal("1.01")  # the binary double is 1.00499...
    assert parse_amount(1773.78) == Decimal("1773.78")
    assert str(parse_amount(-0.0)) == "0.00"
    assert str(parse_amount(7)) == "7.00"


def test_records_without_uid_are_skipped_and_counted() -> None:
    feed = parse_feed([{"name": "ghost"}, player(uid=None), player(uid="  "), player("OK")])
    assert [p.uid for p in feed] == ["OK"]
    assert feed.missing_uid == 3 and feed.skipped == 3 and feed.total == 4


def test_non_object_entries_and_overlong_uids_are_rejected() -> None:
    feed = parse_feed(["nope", None, player("X" * 65), player("OK")])
    assert [p.uid for p in feed] == ["OK"] and feed.rejected == 3


def test_duplicate_uid_keeps_the_last_record() -> None:
    feed = parse_feed([player("U", "old", all_time=1), player("V"), player("U", "new", all_time=2)])
    assert feed.by_uid()["U"] == PlayerRecord("U", "new", all_time=Decimal("2.00"))
    assert len(feed) == 2 and feed.duplicates == 1 and len(feed) + feed.skipped == feed.total


def test_names_are_kept_as_text_nfc_normalised() -> None:
    decomposed = "nai\u0308ve_u\u0308ser"
    feed = parse_feed([player("A", decomposed), player("B", 1234), player("C", " 東京 ")])
    assert [p.name for p in feed] == ["naïve_üser", "1234", "東京"]


def test_nul_characters_leave_names_and_reject_uids() -> None:
    # PostgreSQL text can't hold NUL: one such record must not fail every sync.
    feed = parse_feed([player("A", "ev\x00il"), player("B\x00", "x"), player("C", "\x00")])
    assert [(p.uid, p.name) for p in feed] == [("A", "evil"), ("C", "")]
    assert feed.rejected == 1 and "NUL" in feed.problems[0]


def test_numeric_uids_become_strings() -> None:
    assert parse_feed([player(uid=12345)]).players[0].uid == "12345"


def test_an_empty_list_is_a_valid_empty_feed() -> None:
    feed = parse_feed({"success": True, "data": []})
    assert feed.players == [] and feed.skipped == 0


def test_a_list_with_no_usable_record_is_an_error_not_an_empty_feed() -> None:
    with pytest.raises(FeedFormatError, match="none of the 2 entries is usable"):
        parse_feed([{"name": "no uid"}, player("X", all_time="garbage")])


def test_problems_kept_are_bounded() -> None:
    feed = parse_feed([{"name": "x"}] * 500 + [player("OK")])
    assert feed.missing_uid == 500 and len(feed.problems) == 20


@settings(max_examples=400, deadline=None)
@given(
    amounts=st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(min_value=0, max_value=1e14),
            st.decimals(min_value=0, max_value=10**12, places=2).map(float),
            st.integers(min_value=-5, max_value=10**14),
            st.none(),
            st.sampled_from(["", " 12.5 ", "1e3", "x", True]),
        ),
        min_size=4,
        max_size=4,
    ),
    uid=st.sampled_from(["U1", " U1 ", "", "x" * 65, "ü-ñ", "U\x001"]),
    name=st.sampled_from(["alice", " Zoë ", "nai\u0308ve", "", "東京ゴート", "x" * 200, "a\x00b"]),
)
def test_the_fast_path_decides_like_the_record_checks(
    amounts: list[Any], uid: str, name: str
) -> None:
    entry = {"uid": uid, "name": name, "wagered": dict(zip(COUNTERS, amounts, strict=True))}
    try:
        expected: Any = parse_record(entry)
    except RecordError as exc:
        expected = type(exc)
    feed = parse_feed([entry, player("OTHER")])  # OTHER keeps the feed usable
    if expected is RecordError:
        assert feed.rejected == 1 and len(feed) == 1
    elif expected is None:
        assert feed.missing_uid == 1 and len(feed) == 1
    else:
        got = feed.by_uid()[expected.uid]
        assert got == expected
        assert [str(getattr(got, c)) for c in COUNTERS] == [
            str(getattr(expected, c)) for c in COUNTERS
        ]
