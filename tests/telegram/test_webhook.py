"""The webhook's secret, polling, the sender's typed errors and users who blocked the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import select

from goatedvips.app import create_app
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.telegram.models import TelegramUser
from goatedvips.telegram.sender import TelegramBlocked, TelegramRetryLater, send_message
from tests.conftest import make_settings
from tests.support.bot_fixtures import SECRET_HEADER, BotDriver
from tests.support.fake_telegram import FakeTelegram, message_update


async def telegram_rows(db: Database) -> list[TelegramUser]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(TelegramUser)))


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({SECRET_HEADER: "wrong"}, 403), ({SECRET_HEADER: ""}, 401)],
)
async def test_webhook_without_the_right_secret_is_refused(
    telegram_client: httpx.AsyncClient,
    fake_telegram: FakeTelegram,
    clean_db: Database,
    headers: dict[str, str],
    status: int,
) -> None:
    update = message_update("/help", user_id=1001)
    response = await telegram_client.post("/telegram/webhook", json=update, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert fake_telegram.calls() == []
    assert await telegram_rows(clean_db) == []


async def test_webhook_rejects_bodies_that_are_not_updates(tg: BotDriver) -> None:
    response = await tg.http.post(
        "/telegram/webhook",
        content=b"not json",
        headers={SECRET_HEADER: "test-webhook-secret-value", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert (await tg.post({"hello": "world"})).status_code == 400


@asynccontextmanager
async def app_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_without_a_configured_secret_every_webhook_call_is_refused(
    telegram_settings: Settings, clean_db: Database, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings.model_copy(update={"telegram_webhook_secret": None})
    async with app_client(settings, clean_db) as http:
        for headers in ({}, {SECRET_HEADER: "anything"}):
            update = message_update("/help", user_id=1001)
            response = await http.post("/telegram/webhook", json=update, headers=headers)
            assert response.status_code == 403
            assert "TELEGRAM_WEBHOOK_SECRET" in response.json()["error"]["message"]
    assert fake_telegram.calls() == []


async def test_without_a_token_the_bot_is_off(database_url: str, clean_db: Database) -> None:
    async with app_client(make_settings(database_url), clean_db) as http:
        response = await http.post(
            "/telegram/webhook",
            json=message_update("/help", user_id=1),
            headers={SECRET_HEADER: "x"},
        )
    assert response.status_code == 404


async def test_polling_reads_get_updates_and_answers(
    telegram_app, fake_telegram: FakeTelegram, clean_db: Database
) -> None:
    runtime = telegram_app.state.telegram
    fake_telegram.push_update(message_update("/help", user_id=4242, username="poller"))
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.poll(stop=stop))
    try:
        answer = await fake_telegram.await_for("sendMessage", chat_id=4242)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert "/verify" in answer.text
    assert fake_telegram.calls("deleteWebhook")
    [row] = await telegram_rows(clean_db)
    assert row.telegram_id == 4242 and row.telegram_username == "poller"


async def test_webhook_registration_and_command_menu(telegram_app, fake_telegram) -> None:
    runtime = telegram_app.state.telegram
    await runtime.set_webhook()
    [call] = fake_telegram.calls("setWebhook")
    assert call.params["url"] == "http://testserver/telegram/webhook"
    assert call.params["secret_token"] == "test-webhook-secret-value"
    await runtime.publish_commands()
    [menu] = fake_telegram.calls("setMyCommands")
    names = {c["command"] for c in menu.params["commands"]}
    assert {"start", "help", "verify", "stats", "notifications"} <= names
    assert "approve" not in names


async def test_a_user_who_blocked_the_bot_is_marked_and_unmarked(
    tg: BotDriver, clean_db: Database
) -> None:
    tg.fake.block(1001)
    response = await tg.post(message_update("/help", user_id=1001))
    assert response.status_code == 200  # Telegram must not retry an update we handled
    [row] = await telegram_rows(clean_db)
    assert row.blocked_bot_at is not None
    tg.fake.unblock(1001)
    await tg.reply("/help", user_id=1001)
    [row] = await telegram_rows(clean_db)
    assert row.blocked_bot_at is None


async def test_sender_raises_typed_errors(
    telegram_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    assert await send_message(telegram_settings, 1001, "hello") > 0
    assert fake_telegram.sent_texts(1001) == ["hello"]
    fake_telegram.block(1001)
    with pytest.raises(TelegramBlocked):
        await send_message(telegram_settings, 1001, "hello")
    fake_telegram.fail_next("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryLater) as caught:
        await send_message(telegram_settings, 2002, "hello")
    assert caught.value.retry_after == 7
