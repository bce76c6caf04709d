"""Text with NUL characters is refused at the door (422): PostgreSQL can't store or compare it.

Without this, a NUL in a login name, a search box or a ticket reaches the driver and comes back as
a 500 on PostgreSQL (while SQLite would store it). Checked: the path, the query string, JSON
bodies (`\\u0000` inside any string or key; the error names the field) and form bodies (`%00`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request

MESSAGE = "text can't contain control characters such as NUL (\\u0000)"


@dataclass(frozen=True)
class NulFound:
    field: str | None = None

    @property
    def message(self) -> str:
        return f"{self.field}: {MESSAGE}" if self.field else MESSAGE


def _find(value: Any, path: tuple[str, ...]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return path
            found = _find(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find(item, (*path, str(index)))
            if found is not None:
                return found
    return None


async def find_nul(request: Request) -> NulFound | None:
    """Where the request carries a NUL character, or None when it carries none."""
    if "\x00" in request.url.path or "\x00" in unquote_plus(request.url.query):
        return NulFound()
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        body = await request.body()
        if b"\\u0000" not in body:
            return None
        try:
            path = _find(json.loads(body), ())
        except ValueError:  # not JSON: validation answers that
            return None
        return None if path is None else NulFound(".".join(path) or None)
    is_form = ctype == "application/x-www-form-urlencoded"
    if is_form and "\x00" in unquote_plus((await request.body()).decode("latin-1")):
        return NulFound()
    return None
