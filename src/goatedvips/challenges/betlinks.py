"""Goated bet links: which URLs count as a bet, and the one canonical spelling we store.

Accepted (scheme optional, http or https, host `goated.com` or `www.goated.com` in any case):

- a path with a `bet` or `bets` segment followed by the bet id: `/bet/<id>`, `/bets/<id>`,
  `/casino/bet/<id>`;
- any goated.com page with the bet in the query: `?bet=<id>`, `?betId=<id>`, `?bet_id=<id>`
  (the way Goated's bet pop-ups are shared), e.g. `/?modal=bet&betId=<id>`.

The id is 4-64 letters, digits, `-` or `_` and keeps its case. Every accepted link is stored as
`https://goated.com/bet/<id>`, so the same bet sent twice in different spellings (`www.`, upper-case
host, tracking parameters, a trailing slash, path or query form) is caught as a reused link.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import parse_qsl, urlsplit

from goatedvips.errors import InvalidInput

CANONICAL_PREFIX = "https://goated.com/bet/"
BET_ID = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
HOSTS = {"goated.com", "www.goated.com"}
QUERY_KEYS = {"bet", "betid", "bet_id"}
PATH_MARKERS = {"bet", "bets"}
MAX_LENGTH = 512

NOT_A_BET_LINK = (
    "paste the share link of your Goated bet, e.g. https://www.goated.com/bet/123456 "
    "or https://goated.com/?betId=123456"
)


def canonical_bet_link(raw: str) -> str:
    """The stored form of a Goated bet link, or InvalidInput naming `betLink`."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_LENGTH or any(c.isspace() for c in text):
        raise InvalidInput(NOT_A_BET_LINK, code="invalid_bet_link", field="betLink")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(NOT_A_BET_LINK, code="invalid_bet_link", field="betLink") from exc
    if (
        parts.scheme.lower() not in ("http", "https")
        or host not in HOSTS
        or parts.username
        or parts.password
        or port not in (None, 80, 443)
    ):
        raise InvalidInput(NOT_A_BET_LINK, code="invalid_bet_link", field="betLink")
    bet_id = _id_from_query(parts.query) or _id_from_path(parts.path)
    if bet_id is None:
        raise InvalidInput(NOT_A_BET_LINK, code="invalid_bet_link", field="betLink")
    return CANONICAL_PREFIX + bet_id


def _id_from_query(query: str) -> str | None:
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key.lower() in QUERY_KEYS and BET_ID.fullmatch(value):
            return value
    return None


def _id_from_path(path: str) -> str | None:
    segments = [s for s in path.split("/") if s]
    for marker, candidate in itertools.pairwise(segments):
        if marker.lower() in PATH_MARKERS and BET_ID.fullmatch(candidate):
            return candidate
    return None
