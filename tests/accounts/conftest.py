"""Accounts test fixtures: an app that mails a real SMTP sink, knows a tiny GeoIP database and
trusts the proxy network 10.0.0.0/8 (clients at 10.x may speak for others via X-Forwarded-For)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goatedvips.config import Settings
from tests.conftest import make_settings
from tests.support.geoip import build_geoip_db
from tests.support.smtp import SmtpSink, smtp_sink

PROXY_IP = "10.0.0.5"


@pytest.fixture
def mail_server() -> Iterator[tuple[SmtpSink, str]]:
    with smtp_sink() as (sink, url):
        yield sink, url


@pytest.fixture
def sink(mail_server: tuple[SmtpSink, str]) -> SmtpSink:
    return mail_server[0]


@pytest.fixture
def geoip_path(tmp_path: Path) -> Path:
    return build_geoip_db(tmp_path)


@pytest.fixture
def settings(database_url: str, mail_server: tuple[SmtpSink, str], geoip_path: Path) -> Settings:
    return make_settings(
        database_url,
        smtp_url=mail_server[1],
        geoip_db_path=geoip_path,
        trusted_proxies="10.0.0.0/8",
    )
