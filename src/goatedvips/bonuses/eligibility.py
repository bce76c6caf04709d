"""Who may take part in challenges and bonus drops: enabled players with a verified Goated account."""

from __future__ import annotations

from goatedvips.accounts.models import User
from goatedvips.errors import PermissionDenied

HOW_TO_VERIFY = (
    "only verified players can do this: link your Telegram on your account page, then send "
    "/verify <your Goated username> to the bot and wait for an admin to approve it"
)


def require_verified_player(user: User) -> None:
    if user.disabled or not user.goated_verified:
        raise PermissionDenied(HOW_TO_VERIFY, code="not_verified")
