"""Per-user rate limits and cooldowns for the bot, on the shared `goatedvips.ratelimit`.

Keys are per Telegram id (commands) or per site account (verification requests), so a person
can't dodge the cooldown by switching between the bot and the site. Exceeding a limit raises
`errors.RateLimited` with `retry_after`, which the bot and the web answer in words.
"""

from __future__ import annotations

from goatedvips import ratelimit
from goatedvips.errors import RateLimited

# Every command and button press of one Telegram user.
COMMAND_RATE = "20/minute"
# Verification requests (bot and site alike): one attempt per window, successful or not.
VERIFY_COOLDOWN = "1/30seconds"
# Link tokens asked for from the site.
LINK_TOKEN_RATE = "5/15minutes"


async def limit(key: str, rate: str, *, what: str) -> None:
    """Count one `what` for `key`; over the rate, refuse with the wait in words."""
    try:
        await ratelimit.hit(f"tg:{key}", rate)
    except RateLimited as exc:
        raise RateLimited(
            f"You're sending {what} too fast. Try again in {exc.retry_after} seconds.",
            retry_after=exc.retry_after,
        ) from exc
