"""The Telegram domain's commands: linking, verification, stats and the admin decisions."""

from __future__ import annotations

from aiogram import Router

from goatedvips.telegram import admin_commands, player_commands

router = Router(name="telegram")
router.include_routers(player_commands.router, admin_commands.router)

COMMANDS: list[tuple[str, str]] = [
    ("start", "link your account or say hello"),
    ("help", "what I can do"),
    ("verify", "verify your Goated account: /verify <Goated username>"),
    ("stats", "your wager and VIP tier"),
    ("notifications", "turn Telegram notifications on or off"),
    ("unlink", "unlink this Telegram from your site account"),
]
ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("pending", "verification requests waiting for a decision"),
    ("approve", "approve a request: /approve <id> [notes]"),
    ("reject", "reject a request: /reject <id> [notes]"),
    ("broadcast", "promotional broadcast: /broadcast <subject> | <message>"),
    ("userinfo", "look up a user: /userinfo <username | Telegram id | Goated name>"),
]
