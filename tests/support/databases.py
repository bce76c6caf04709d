"""Throw-away databases for tests: a SQLite file, or a uniquely named PostgreSQL database.

Each test session (and each helper running tests at the same time) gets its own database, so runs
never see each other's rows. PostgreSQL databases are created on the server named by
TEST_DATABASE_URL and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from goatedvips.db import normalise_url


def pg_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalise_url(url) if url else None


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def create_pg_database(server_url: str, prefix: str = "gv_test") -> str:
    """Create an empty database next to the one in `server_url`; return its async URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(database="postgres")
    with psycopg.connect(_admin_conninfo(admin.render_as_string(False)), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(directory: Path, name: str = "test.db") -> str:
    return f"sqlite+aiosqlite:///{directory / name}"
