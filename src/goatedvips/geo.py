"""Country and city of an IP address from a MaxMind-format database (GEOIP_DB_PATH).

Without GEOIP_DB_PATH, or for addresses the database doesn't know (private ranges), the answer
is None. A missing or unreadable file is logged once per path and treated as "no database", so a
broken GeoIP file never stops a login.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import maxminddb

from goatedvips.config import Settings
from goatedvips.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Location:
    country: str | None
    city: str | None


@lru_cache(maxsize=4)
def _reader(path: str, mtime: float) -> Any:
    # mtime is part of the cache key so a replaced database file is picked up without a restart.
    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        log.warning("geoip_database_unusable", path=path, error=str(exc))
        return None


def _english(record: Any, key: str) -> str | None:
    part = record.get(key) if isinstance(record, dict) else None
    if not isinstance(part, dict):
        return None
    names = part.get("names")
    if isinstance(names, dict) and isinstance(names.get("en"), str):
        return names["en"]
    code = part.get("iso_code")
    return code if isinstance(code, str) else None


def lookup(settings: Settings, ip: str | None) -> Location | None:
    """The location of `ip`, or None when unknown or when no database is configured."""
    if not ip or settings.geoip_db_path is None:
        return None
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return None
    path = Path(settings.geoip_db_path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        log.warning("geoip_database_missing", path=str(path))
        return None
    reader = _reader(str(path), mtime)
    if reader is None:
        return None
    try:
        record = reader.get(ip)
    except ValueError:  # an IPv6 address in an IPv4-only database
        return None
    if not record:
        return None
    country, city = _english(record, "country"), _english(record, "city")
    if country is None and city is None:
        return None
    return Location(country=country[:64] if country else None, city=city[:128] if city else None)
