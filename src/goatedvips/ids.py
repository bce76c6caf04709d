"""Row ids typed by people (forms, bot commands, button data): parsed safely or not at all.

`str.isdigit()` accepts "²" (which `int()` rejects) and any length (which overflows an INTEGER
key in PostgreSQL), so every hand-typed id goes through `parse_row_id`.
"""

from __future__ import annotations

MAX_ROW_ID = 2**31 - 1


def parse_row_id(text: str, *, allow_hash: bool = True) -> int | None:
    """The id in "12" (or "#12"), or None when it isn't a positive id within the key range."""
    text = text.strip()
    if allow_hash:
        text = text.removeprefix("#")
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None
