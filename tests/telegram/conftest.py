"""Telegram tests: the bot fixtures (webhook <-> fake Bot API) and feed players for /verify."""

from __future__ import annotations

from tests.support.bot_fixtures import *  # noqa: F403
