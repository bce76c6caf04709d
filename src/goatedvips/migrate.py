"""Run the Alembic migrations from code: the CLI, the app start-up and the tests use these.

The API is synchronous and uses a synchronous driver (the async URL is converted), so it can be
called from inside a running event loop (e.g. a pytest-asyncio fixture) without nesting loops.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from goatedvips.db import normalise_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_SYNC_DRIVERS = {
    "sqlite+aiosqlite": "sqlite",
    "postgresql+asyncpg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
}


def sync_url(url: str) -> str:
    """The synchronous-driver equivalent of an application (async) database URL."""
    parsed = make_url(normalise_url(url))
    driver = _SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def make_sync_engine(url: str) -> Engine:
    """A short-lived synchronous engine for migrations and schema inspection."""
    url = sync_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, poolclass=NullPool)


def alembic_config(url: str) -> Config:
    """An Alembic Config for `url` that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revisions(url: str) -> set[str]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def head_revisions() -> set[str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return set(script.get_heads())
