"""The bot fixtures (webhook <-> fake Bot API) for the /challenges, /enter and /bonus tests."""

from tests.support.bot_fixtures import *  # noqa: F403
