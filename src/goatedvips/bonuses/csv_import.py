"""Parsing a bonus code CSV: `code,description,value,expiresAt` per line, header optional.

Every problem is reported with its line number; the service writes nothing unless every line is
good. `expiresAt` is ISO 8601; a time without an offset is taken as UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from goatedvips.bonuses.codes import normalise_code
from goatedvips.errors import InvalidInput

MAX_LINES = 5000
MAX_VALUE = Decimal("1000000")
HEADER = ("code", "description", "value", "expiresat")


@dataclass(frozen=True)
class ParsedCode:
    code: str
    description: str | None
    value: Decimal
    expires_at: dt.datetime | None
    purpose: str = "drop"

    def as_columns(self) -> dict[str, object]:
        return {
            "code": self.code,
            "description": self.description,
            "value": self.value,
            "expires_at": self.expires_at,
            "purpose": self.purpose,
            "expired": False,
        }


def parse_value(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip().lstrip("$").replace(",", ""))
    except InvalidOperation as exc:
        raise InvalidInput(f"value {raw!r} is not a number") from exc
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise InvalidInput(f"value must be between 0 and {MAX_VALUE}")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput("value has more than 2 decimals")
    return value


def parse_expiry(raw: str, *, now: dt.datetime) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"expiresAt {raw!r} is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when <= now:
        raise InvalidInput("expiresAt is in the past")
    return when.astimezone(dt.UTC)


def parse_csv(
    text: str, *, purpose: str, now: dt.datetime
) -> tuple[list[tuple[int, ParsedCode]], list[tuple[int, str]]]:
    """(line number, code) for the good lines and (line number, message) for the bad ones."""
    if purpose not in ("drop", "prize"):
        return [], [(0, "purpose is 'drop' or 'prize'")]
    lines = text.lstrip("\ufeff").splitlines()
    if len(lines) > MAX_LINES + 1:
        return [], [(0, f"at most {MAX_LINES} codes per import")]
    parsed: list[tuple[int, ParsedCode]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(csv.reader(io.StringIO("\n".join(lines))), start=1):
        if not cells or not "".join(cells).strip():
            continue
        if number == 1 and tuple(c.strip().lower() for c in cells[:4]) == HEADER:
            continue
        if len(cells) != 4:
            errors.append(
                (number, f"expected 4 columns (code,description,value,expiresAt), got {len(cells)}")
            )
            continue
        try:
            code = normalise_code(cells[0])
            item = ParsedCode(
                code=code,
                description=cells[1].strip()[:500] or None,
                value=parse_value(cells[2]),
                expires_at=parse_expiry(cells[3], now=now),
                purpose=purpose,
            )
        except InvalidInput as exc:
            errors.append((number, exc.message))
            continue
        if code in seen:
            errors.append((number, f"the code {code} is also on line {seen[code]}"))
            continue
        seen[code] = number
        parsed.append((number, item))
    return parsed, errors
