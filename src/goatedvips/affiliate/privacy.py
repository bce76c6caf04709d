"""Who may be shown, and how: masked names and excluded uids for every public surface.

Every public board (leaderboards, races, exports, the bot) asks `load_privacy(session)` and then
`rules.public_name(uid, name)` / `rules.is_excluded(uid)`; nothing public prints a feed name
directly.

- A player hides their name with `users.hide_name`; it applies to the Goated uid their *verified*
  site account is linked to (an unverified claim must not hide somebody else's name).
- Excluded uids (staff, house accounts) are the JSON list under app_settings key `excluded_uids`;
  they are left out of every public board and never ranked.
- Masking keeps at most two characters at each end and never more than half the name:
  "Yels789" -> "Ye***89"; 2 to 4 characters keep only the first ("Zoë" -> "Z***"); one character
  or an empty name gives "***". A feed record without a name is shown as its masked uid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.models import AppSetting

EXCLUDED_UIDS_KEY = "excluded_uids"
MASK = "***"


def mask_name(name: str) -> str:
    """The masked form of a name shown for players who hide theirs."""
    if len(name) >= 5:
        return f"{name[:2]}{MASK}{name[-2:]}"
    if len(name) >= 2:
        return f"{name[0]}{MASK}"
    return MASK


@dataclass(frozen=True, slots=True)
class PrivacyRules:
    """The hidden and excluded uids at one moment."""

    hidden: frozenset[str]
    excluded: frozenset[str]

    def is_excluded(self, uid: str) -> bool:
        return uid in self.excluded

    def public_name(self, uid: str, name: str) -> str:
        if uid in self.hidden:
            return mask_name(name or uid)
        return name or mask_name(uid)

    @property
    def fingerprint(self) -> str:
        """Changes whenever a name is hidden or shown or the exclusions change (cache keys)."""
        digest = hashlib.blake2b(digest_size=8)
        for group in (self.hidden, self.excluded):
            for uid in sorted(group):
                digest.update(uid.encode() + b"\0")
            digest.update(b"\1")
        return digest.hexdigest()


NO_RULES = PrivacyRules(frozenset(), frozenset())


async def hidden_uids(session: AsyncSession) -> frozenset[str]:
    """Goated uids whose verified site account asked to hide its name."""
    rows = await session.scalars(
        select(User.goated_uid).where(
            User.hide_name.is_(True),
            User.goated_verified.is_(True),
            User.goated_uid.is_not(None),
        )
    )
    return frozenset(uid for uid in rows if uid)


async def excluded_uids(session: AsyncSession) -> frozenset[str]:
    value = await session.scalar(
        select(AppSetting.value).where(AppSetting.key == EXCLUDED_UIDS_KEY)
    )
    return frozenset(clean_uids(value or []))


def clean_uids(values: Iterable[object]) -> list[str]:
    """Stripped, non-empty, de-duplicated string uids in their first order."""
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


async def load_privacy(session: AsyncSession) -> PrivacyRules:
    return PrivacyRules(hidden=await hidden_uids(session), excluded=await excluded_uids(session))
