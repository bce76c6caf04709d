"""What a registration or login leaves on the user row: IPs, bounded histories, location.

`ip_history` holds distinct addresses, newest first: {"ip", "firstSeen", "lastSeen", "count"}.
`login_history` holds events, newest first: {"at", "event", "ip", "userAgent", "country", "city"}.
Both are JSON columns, so they are capped here to keep the rows small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from goatedvips.accounts.models import User
from goatedvips.geo import Location

IP_HISTORY_LIMIT = 20
LOGIN_HISTORY_LIMIT = 50
USER_AGENT_LIMIT = 300


def record_visit(
    user: User,
    *,
    event: str,
    ip: str,
    user_agent: str,
    location: Location | None,
    now: dt.datetime,
) -> None:
    """Apply one registration/login to `user` (the caller commits)."""
    stamp = now.isoformat()
    previous = next((e for e in user.ip_history or [] if e.get("ip") == ip), None)
    seen: dict[str, Any] = {
        "ip": ip,
        "firstSeen": previous.get("firstSeen", stamp) if previous else stamp,
        "lastSeen": stamp,
        "count": int(previous.get("count", 0)) + 1 if previous else 1,
    }
    others = [e for e in user.ip_history or [] if e.get("ip") != ip]
    # New lists, not in-place edits: JSON columns only notice assignment.
    user.ip_history = [seen, *others][:IP_HISTORY_LIMIT]
    entry = {
        "at": stamp,
        "event": event,
        "ip": ip,
        "userAgent": user_agent[:USER_AGENT_LIMIT],
        "country": location.country if location else None,
        "city": location.city if location else None,
    }
    user.login_history = [entry, *(user.login_history or [])][:LOGIN_HISTORY_LIMIT]
    user.last_login_ip = ip[:45]
    user.last_active = now
    if location is not None:
        user.country = location.country
        user.city = location.city
