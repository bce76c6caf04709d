"""Test fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.

Each backend's database is created fresh for the run and built by the Alembic migrations; tables
are emptied after each test, so tests see real commits, real constraints and real concurrency.
"""

from __future__ import annotations

import os

os.environ["GOATEDVIPS_ENV"] = "test"
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)
for _var in ("DATABASE_URL", "REDIS_URL", "GOATED_API_BASE_URL", "TELEGRAM_BOT_TOKEN", "SMTP_URL"):
    os.environ.pop(_var, None)

from collections.abc import AsyncIterator, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import text  # noqa: E402

from goatedvips.app import create_app  # noqa: E402
from goatedvips.config import Settings, reset_settings_cache  # noqa: E402
from goatedvips.db import Base, Database  # noqa: E402
from goatedvips.migrate import upgrade  # noqa: E402
from tests.support.databases import (  # noqa: E402
    create_pg_database,
    drop_pg_database,
    pg_server_url,
    sqlite_url,
)

reset_settings_cache()

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database per backend for the whole run."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("sqlite"))
        upgrade(url)
        yield url
        return
    server = pg_server_url()
    if not server:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = create_pg_database(server)
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "goatedvips_env": "test",
        "database_url": database_url,
        "secret_key": os.environ["SECRET_KEY"],
        "jobs_enabled": False,
        "demo_data": False,
        "base_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def empty_all_tables(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
async def clean_db(db: Database) -> AsyncIterator[Database]:
    """The database, emptied after the test whatever it committed."""
    yield db
    await empty_all_tables(db)


@pytest.fixture(autouse=True)
async def _empty_tables_after_database_tests(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test that touched the shared database leaves it empty, even without `clean_db`."""
    yield
    seeded_once = request.node.get_closest_marker("seeded_module") is not None
    if "db" in request.fixturenames and "clean_db" not in request.fixturenames and not seeded_once:
        await empty_all_tables(request.getfixturevalue("db"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings, clean_db: Database) -> AsyncIterator[FastAPI]:
    application = create_app(settings, database=clean_db)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process (cookies kept between calls)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as http:
        yield http


@pytest.fixture
def new_client(app: FastAPI) -> Any:
    """A factory for more clients (other users, other IPs) on the same app."""
    clients: list[httpx.AsyncClient] = []

    def factory(ip: str = "198.51.100.20") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 50001))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(http)
        return http

    yield factory


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
