"""Bonus code spelling: codes are stored upper-case, so `goat20` and `GOAT20` are one code."""

from __future__ import annotations

import re

from goatedvips.errors import InvalidInput

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")


def normalise_code(raw: str, *, field: str = "code") -> str:
    """Trim and upper-case a code; refuse anything but 3-64 letters, digits, `-` and `_`."""
    code = (raw or "").strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            "a bonus code is 3 to 64 letters, digits, '-' or '_' and starts with a letter or digit",
            field=field,
        )
    return code
