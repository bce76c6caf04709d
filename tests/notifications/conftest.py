"""Notification test fixtures: a real SMTP sink, the fake Bot API server, settings for both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from goatedvips.config import Settings
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import run_asgi_server
from tests.support.smtp import SmtpSink, smtp_sink

BOT_TOKEN = "123456:TEST-notifications-token"


@pytest.fixture(scope="session")
def sink() -> Iterator[tuple[SmtpSink, str]]:
    with smtp_sink() as running:
        yield running


@pytest.fixture(scope="session")
def fake_tg() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    with run_asgi_server(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def mail(sink: tuple[SmtpSink, str]) -> Iterator[SmtpSink]:
    """The shared SMTP sink, empty and accepting everyone at the start of each test."""
    sink[0].messages.clear()
    sink[0].refuse.clear()
    yield sink[0]
    sink[0].refuse.clear()


@pytest.fixture
def tg(fake_tg: tuple[FakeTelegram, str]) -> Iterator[FakeTelegram]:
    """The shared fake Bot API, with no calls, blocks or pending failures at the start."""
    fake = fake_tg[0]
    fake.clear()
    with fake._lock:
        fake._blocked.clear()
        fake._failures.clear()
    yield fake


@pytest.fixture
def settings(
    database_url: str, sink: tuple[SmtpSink, str], fake_tg: tuple[FakeTelegram, str]
) -> Settings:
    """Settings delivering to the SMTP sink and the fake Bot API (overrides the root fixture)."""
    return make_settings(
        database_url,
        smtp_url=sink[1],
        telegram_bot_token=BOT_TOKEN,
        telegram_api_base_url=fake_tg[1],
    )
