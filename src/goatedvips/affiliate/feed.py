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
  number, negative, or not finite, or when its uid is longer than `MAX_UID_LENGTH` or holds a NUL.
- A record without a uid (missing, null, blank) is *skipped* and counted: the uid is the identity.
- A uid seen twice in one feed keeps the last record; the earlier ones are counted as duplicates.
- A missing or null name becomes the empty string (the player still counts; pages fall back to a
  masked uid). Names lose any NUL character (PostgreSQL text can't hold one, and one such name
  would fail every sync), are NFC-normalised, stripped and cut to `MAX_NAME_LENGTH`; they are neither
  unique nor stable, so nothing may key on them.
- A non-empty list in which no record is usable raises `FeedFormatError`: such a feed is broken,
  and treating it as "no players" would wipe good data downstream.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import orjson

from goatedvips.affiliate.bulk import without_gc

COUNTERS = ("today", "this_week", "this_month", "all_time")
LIST_KEYS = ("data", "results")
MAX_UID_LENGTH = 64
MAX_NAME_LENGTH = 128
MAX_PROBLEMS_KEPT = 20
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FAST_LIMIT = 10**13  # amounts below this many dollars may take the fast path
State = tuple[str, int, int, int, int]  # name and today, this_week, this_month, all_time in cents


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


class ParsedFeed:
    """The usable players of one feed and what was left out of it.

    `len(players) + skipped == total`: every raw entry is either a player or counted once.
    The players are kept compactly as `states` (uid -> `State`: name and the four counters in
    integer cents, in feed order); `players` (`PlayerRecord`s with `Decimal`s) is built from
    them on first use.
    """

    __slots__ = ("_players", "duplicates", "missing_uid", "problems", "rejected", "states", "total")

    def __init__(self, states: dict[str, State] | None = None, *, total: int = 0) -> None:
        self.states: dict[str, State] = states if states is not None else {}
        self.total = total
        self.missing_uid = 0
        self.rejected = 0
        self.duplicates = 0
        self.problems: list[str] = []
        self._players: list[PlayerRecord] | None = None

    @property
    def players(self) -> list[PlayerRecord]:
        if self._players is None:
            self._players = [record_from_state(uid, s) for uid, s in self.states.items()]
        return self._players

    @property
    def skipped(self) -> int:
        return self.missing_uid + self.rejected + self.duplicates

    def __len__(self) -> int:
        return len(self.states)

    def __iter__(self) -> Iterator[PlayerRecord]:
        return iter(self.players)

    def __repr__(self) -> str:
        return (
            f"ParsedFeed(players={len(self)}, total={self.total}, missing_uid={self.missing_uid},"
            f" rejected={self.rejected}, duplicates={self.duplicates})"
        )

    def by_uid(self) -> dict[str, PlayerRecord]:
        return {player.uid: player for player in self.players}

    def _note(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)


def to_cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2) if cents else ZERO


def record_state(player: PlayerRecord) -> State:
    return (
        player.name,
        to_cents(player.today),
        to_cents(player.this_week),
        to_cents(player.this_month),
        to_cents(player.all_time),
    )


def record_from_state(uid: str, state: State) -> PlayerRecord:
    name, today, week, month, all_time = state
    return PlayerRecord(
        uid, name, from_cents(today), from_cents(week), from_cents(month), from_cents(all_time)
    )


@without_gc
def parse_feed(body: Any) -> ParsedFeed:
    """Parse a feed body: raw bytes/str (JSON) or an already decoded JSON value."""
    entries = extract_entries(decode_body(body))
    feed = ParsedFeed(total=len(entries))
    states = feed.states
    # The fast path takes a well-formed record (string uid and name, an object of JSON numbers
    # that are whole cents below 1e13) without a function call or a Decimal: a feed has 100k+ of
    # them. Anything else goes through `parse_record`, which decides every quirk. Both give the
    # same state for the same record: a float is whole cents exactly when round(x * 100) / 100
    # gives x back (below 1e13 distinct cents are distinct doubles), and then the shortest repr
    # of x, which `parse_amount` quantises, is those cents.
    as_float = _as_float
    for index, entry in enumerate(entries):
        if type(entry) is dict:
            uid = entry.get("uid")
            name = entry.get("name")
            wagered = entry.get("wagered")
            if (
                type(uid) is str
                and type(name) is str
                and type(wagered) is dict
                and "\x00" not in uid
                and "\x00" not in name
            ):
                t = wagered.get("today")
                w = wagered.get("this_week")
                m = wagered.get("this_month")
                a = wagered.get("all_time")
                if type(t) is not float:
                    t = as_float(t)
                if type(w) is not float:
                    w = as_float(w)
                if type(m) is not float:
                    m = as_float(m)
                if type(a) is not float:
                    a = as_float(a)
                if 0.0 <= t < 1e13 and 0.0 <= w < 1e13 and 0.0 <= m < 1e13 and 0.0 <= a < 1e13:
                    ct = round(t * 100.0)
                    cw = round(w * 100.0)
                    cm = round(m * 100.0)
                    ca = round(a * 100.0)
                    if ct / 100 == t and cw / 100 == w and cm / 100 == m and ca / 100 == a:
                        uid = uid.strip()
                        if uid and len(uid) <= MAX_UID_LENGTH:
                            if not name.isascii():
                                name = unicodedata.normalize("NFC", name)
                            if uid in states:
                                feed.duplicates += 1
                                feed._note(f"entry {index}: uid {uid} repeated, the last one kept")
                            states[uid] = (name.strip()[:MAX_NAME_LENGTH], ct, cw, cm, ca)
                            continue
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
        if record.uid in states:
            feed.duplicates += 1
            feed._note(f"entry {index}: uid {record.uid} repeated, the last one kept")
        states[record.uid] = record_state(record)
    if entries and not states:
        raise FeedFormatError(
            f"none of the {len(entries)} entries is usable; first problems: "
            + "; ".join(feed.problems[:3])
        )
    return feed


def _as_float(value: Any) -> float:
    """The fast path's view of a counter that isn't a float: -1.0 sends it to `parse_record`."""
    if value is None:
        return 0.0
    if type(value) is int and 0 <= value < FAST_LIMIT:
        return float(value)
    return -1.0


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
    if "\x00" in uid:
        raise RecordError("uid contains a NUL character")
    return uid or None


def _clean_name(value: Any) -> str:
    if value is None:
        return ""
    name = unicodedata.normalize("NFC", str(value).replace("\x00", "")).strip()
    return name[:MAX_NAME_LENGTH]


def _preview(body: bytes | bytearray | memoryview | str) -> str:
    text = body if isinstance(body, str) else bytes(body[:80]).decode("utf-8", "replace")
    return repr(text[:80])
