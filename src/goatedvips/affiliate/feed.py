"""Parsing the Goated referral-leaderboard body into checked player records.

The feed is trusted for nothing: every quirk listed in domain.md §1 is handled here, so the rest of
the code only ever sees `PlayerRecord`s with a non-empty uid and four `Decimal` counters (USD,
quantised to cents, never negative, never a float).

Decisions, pinned by tests:

- The player list is a bare top-level array, or sits under `data` or `results` (also one level
  deeper, e.g. `{"data": {"results": [...]}}`). `{"success": false}` is an error whatever else the
  body holds. Anything else raises `FeedFormatError`.
- A counter that is missing, null or a blank string is 0. Numbers may be JSON numbers or plain
  numeric strings (`"1234.5"`, `" 12 "`, `"1e3"`). Strings with thousands separators, currency
  signs or words are refused: a refused record is visible, a misread amount is not.
- A record is *rejected* (left out and counted) when it is not an object, when a counter is not a
  number, negative, or not finite, or when its uid is longer than `MAX_UID_LENGTH`.
- A record without a uid (missing, null, blank) is *skipped* and counted: the uid is the identity.
- A uid seen twice in one feed keeps the last record; the earlier ones are counted as duplicates.
- A missing or null name becomes the empty string (the player still counts; pages fall back to a
  masked uid). Names are NFC-normalised, stripped and cut to `MAX_NAME_LENGTH`; they are neither
  unique nor stable, so nothing may key on them.
- A non-empty list in which no record is usable raises `FeedFormatError`: such a feed is broken,
  and treating it as "no players" would wipe good data downstream.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import orjson

COUNTERS = ("today", "this_week", "this_month", "all_time")
LIST_KEYS = ("data", "results")
MAX_UID_LENGTH = 64
MAX_NAME_LENGTH = 128
MAX_PROBLEMS_KEPT = 20
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class GoatedError(Exception):
    """Base of every error raised while talking to the Goated affiliate API."""


class FeedFormatError(GoatedError):
    """The body is not a usable referral list (not JSON, wrong shape, `success: false`...)."""


class RecordError(ValueError):
    """One record of the feed can't be used; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class PlayerRecord:
    """One referred player as the feed reports them, counters in USD."""

    uid: str
    name: str
    today: Decimal = ZERO
    this_week: Decimal = ZERO
    this_month: Decimal = ZERO
    all_time: Decimal = ZERO


@dataclass(slots=True)
class ParsedFeed:
    """The usable players of one feed and what was left out of it.

    `len(players) + skipped == total`: every raw entry is either a player or counted once.
    """

    players: list[PlayerRecord]
    total: int = 0
    missing_uid: int = 0
    rejected: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.missing_uid + self.rejected + self.duplicates

    def __len__(self) -> int:
        return len(self.players)

    def __iter__(self) -> Iterator[PlayerRecord]:
        return iter(self.players)

    def by_uid(self) -> dict[str, PlayerRecord]:
        return {player.uid: player for player in self.players}

    def _note(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)


def parse_feed(body: Any) -> ParsedFeed:
    """Parse a feed body: raw bytes/str (JSON) or an already decoded JSON value."""
    entries = extract_entries(decode_body(body))
    feed = ParsedFeed(players=[], total=len(entries))
    by_uid: dict[str, PlayerRecord] = {}
    for index, entry in enumerate(entries):
        try:
            record = parse_record(entry)
        except RecordError as exc:
            feed.rejected += 1
            feed._note(f"entry {index}: {exc}")
            continue
        if record is None:
            feed.missing_uid += 1
            feed._note(f"entry {index}: no uid")
            continue
        if record.uid in by_uid:
            feed.duplicates += 1
            feed._note(f"entry {index}: uid {record.uid} repeated, the last one kept")
        by_uid[record.uid] = record
    feed.players = list(by_uid.values())
    if entries and not feed.players:
        raise FeedFormatError(
            f"none of the {len(entries)} entries is usable; first problems: "
            + "; ".join(feed.problems[:3])
        )
    return feed


def decode_body(body: Any) -> Any:
    if isinstance(body, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise FeedFormatError(
                f"body is not JSON ({exc}); starts with {_preview(body)}"
            ) from exc
    return body


def extract_entries(data: Any, *, depth: int = 0) -> list[Any]:
    """Find the player list in a decoded body."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise FeedFormatError(f"expected a JSON object or array, got {type(data).__name__}")
    if data.get("success") is False:
        reason = data.get("message") or data.get("error") or "no reason given"
        raise FeedFormatError(f"the API answered success=false: {str(reason)[:200]}")
    for key in LIST_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and depth == 0:
            try:
                return extract_entries(value, depth=1)
            except FeedFormatError:
                continue
    keys = ", ".join(sorted(str(key) for key in data)[:10]) or "none"
    raise FeedFormatError(f"no player list under 'data' or 'results' (keys: {keys})")


def parse_record(entry: Any) -> PlayerRecord | None:
    """One player, or None when it has no uid. Raises `RecordError` for unusable values."""
    if not isinstance(entry, dict):
        raise RecordError(f"expected an object, got {type(entry).__name__}")
    uid = _clean_uid(entry.get("uid"))
    if uid is None:
        return None
    wagered = entry.get("wagered")
    if wagered is None:
        wagered = {}
    elif not isinstance(wagered, dict):
        raise RecordError(f"uid {uid}: 'wagered' is a {type(wagered).__name__}, not an object")
    amounts = {}
    for counter in COUNTERS:
        try:
            amounts[counter] = parse_amount(wagered.get(counter))
        except RecordError as exc:
            raise RecordError(f"uid {uid}: {counter} {exc}") from None
    return PlayerRecord(uid=uid, name=_clean_name(entry.get("name")), **amounts)


def parse_amount(value: Any) -> Decimal:
    """A USD amount as Decimal cents. Missing/null/blank -> 0; bad values raise `RecordError`."""
    kind = type(value)
    if kind is float:  # the common case first: a feed has millions of these
        if not math.isfinite(value):
            raise RecordError(f"is not finite ({value})")
        if value < 0:
            raise RecordError(f"is negative ({value!r})")
        # repr() is the shortest text that round-trips, i.e. what the JSON said.
        return _to_cents(Decimal(repr(value)), value) if value else ZERO
    if value is None:
        return ZERO
    if kind is int:
        amount = Decimal(value)
    elif kind is str:
        amount = _amount_from_text(value)
    else:
        raise RecordError(f"is a {kind.__name__}, not a number")
    if not amount.is_finite():
        raise RecordError(f"is not finite ({value!r})")
    if amount < 0:
        raise RecordError(f"is negative ({value!r})")
    return _to_cents(amount, value)


def _to_cents(amount: Decimal, original: Any) -> Decimal:
    try:
        cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise RecordError(f"is out of range ({original!r})") from None
    return cents if cents else ZERO  # no "-0.00"


def _amount_from_text(text: str) -> Decimal:
    stripped = text.strip()
    if not stripped:
        return ZERO
    try:
        return Decimal(stripped)
    except InvalidOperation:
        raise RecordError(f"is not a plain number ({text[:40]!r})") from None


def _clean_uid(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise RecordError(f"uid is a {type(value).__name__}, not a string")
    uid = value.strip()
    if len(uid) > MAX_UID_LENGTH:
        raise RecordError(f"uid longer than {MAX_UID_LENGTH} characters")
    return uid or None


def _clean_name(value: Any) -> str:
    if value is None:
        return ""
    name = unicodedata.normalize("NFC", str(value)).strip()
    return name[:MAX_NAME_LENGTH]


def _preview(body: bytes | bytearray | memoryview | str) -> str:
    text = body if isinstance(body, str) else bytes(body[:80]).decode("utf-8", "replace")
    return repr(text[:80])
