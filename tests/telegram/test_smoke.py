"""Smoke: /help over the webhook reaches the fake Bot API."""

from tests.support.bot_fixtures import BotDriver


async def test_help_answers(tg: BotDriver) -> None:
    text = await tg.reply("/help", user_id=1001, username="some_player")
    assert "/verify" in text
    assert "/pending" not in text
