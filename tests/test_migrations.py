"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL.

Upgrade from empty to head, no autogenerate diff against `Base.metadata`, downgrade to base
leaves nothing behind, upgrade again works; plus the constraints the services rely on.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from goatedvips import migrate
from goatedvips.models import metadata
from tests.support.databases import create_pg_database, drop_pg_database, pg_server_url, sqlite_url

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(pg_server_url() is None, reason="TEST_DATABASE_URL is not set"),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The async URL of a fresh, empty database (dropped afterwards on PostgreSQL)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "migrations.db")
        return
    server = pg_server_url()
    assert server is not None
    url = create_pg_database(server, prefix="gv_migr")
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    engine = migrate.make_sync_engine(empty_db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def migrated(empty_db_url: str, engine: Engine) -> Engine:
    migrate.upgrade(empty_db_url)
    return engine


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite can't reflect expression indexes; they are checked explicitly below.
        warnings.simplefilter("ignore")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _insert_user(engine: Engine, username: str, email: str) -> int:
    with engine.begin() as connection:
        return connection.execute(
            text(
                "INSERT INTO users (username, email, password) "
                "VALUES (:username, :email, 'argon2-hash') RETURNING id"
            ),
            {"username": username, "email": email},
        ).scalar_one()


def test_upgrade_matches_models_and_downgrade_removes_everything(
    empty_db_url: str, engine: Engine
) -> None:
    assert migrate.current_revisions(empty_db_url) == set()
    migrate.upgrade(empty_db_url)
    heads = migrate.head_revisions()
    assert len(heads) == 1, f"the migrations must have one head, not {heads}"
    assert migrate.current_revisions(empty_db_url) == heads
    assert _tables(engine) == set(metadata.tables) | {"alembic_version"}
    assert _diff(engine) == []

    migrate.downgrade(empty_db_url, "base")
    assert migrate.current_revisions(empty_db_url) == set()
    assert _tables(engine) <= {"alembic_version"}

    migrate.upgrade(empty_db_url)
    assert migrate.current_revisions(empty_db_url) == heads
    assert _diff(engine) == []


def test_case_insensitive_username_and_email(migrated: Engine) -> None:
    with migrated.connect() as connection:
        if migrated.dialect.name == "sqlite":
            rows = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'")
            )
        else:
            rows = connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'users'")
            )
        names = set(rows.scalars())
    assert {"uq_users_lower_username", "uq_users_lower_email"} <= names

    _insert_user(migrated, "Alice", "alice@example.com")
    with pytest.raises(IntegrityError):
        _insert_user(migrated, "alice", "other@example.com")
    with pytest.raises(IntegrityError):
        _insert_user(migrated, "bob", "ALICE@example.com")
    _insert_user(migrated, "bob", "bob@example.com")


def test_one_pending_verification_request_per_user(migrated: Engine) -> None:
    user_id = _insert_user(migrated, "carol", "carol@example.com")
    insert = text(
        "INSERT INTO verification_requests (user_id, status, goated_username, goated_uid, "
        "unique_request) VALUES (:user_id, :status, 'Carol', :uid, :unique_request)"
    )
    with migrated.begin() as connection:
        connection.execute(
            insert, {"user_id": user_id, "status": "pending", "uid": "u1", "unique_request": "p:u1"}
        )
        connection.execute(
            insert, {"user_id": user_id, "status": "rejected", "uid": "u1", "unique_request": "r:1"}
        )
    with pytest.raises(IntegrityError), migrated.begin() as connection:
        connection.execute(
            insert, {"user_id": user_id, "status": "pending", "uid": "u2", "unique_request": "p:u2"}
        )
    with pytest.raises(IntegrityError), migrated.begin() as connection:
        connection.execute(
            insert, {"user_id": user_id, "status": "maybe", "uid": "u3", "unique_request": "x:u3"}
        )


def test_deleting_a_user_cascades_and_nulls(migrated: Engine) -> None:
    user_id = _insert_user(migrated, "dave", "dave@example.com")
    with migrated.begin() as connection:
        connection.execute(
            text("INSERT INTO notification_preferences (user_id) VALUES (:u)"), {"u": user_id}
        )
        connection.execute(
            text("INSERT INTO bonus_codes (code, value, created_by) VALUES ('X1', 5, :u)"),
            {"u": user_id},
        )
    with migrated.begin() as connection:
        if migrated.dialect.name == "sqlite":
            # The app turns this on for every connection (db.py); pysqlite has no open
            # transaction yet here, so the pragma takes effect.
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})
    with migrated.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM notification_preferences")).scalar() == 0
        )
        assert connection.execute(text("SELECT created_by FROM bonus_codes")).scalar() is None


@pytest.mark.postgres
@pytest.mark.skipif(pg_server_url() is None, reason="TEST_DATABASE_URL is not set")
def test_postgres_column_types() -> None:
    server = pg_server_url()
    assert server is not None
    url = create_pg_database(server, prefix="gv_types")
    try:
        migrate.upgrade(url)
        engine = migrate.make_sync_engine(url)
        try:
            with engine.connect() as connection:
                types = {
                    (table, column): (data_type, precision, scale)
                    for table, column, data_type, precision, scale in connection.execute(
                        text(
                            "SELECT table_name, column_name, data_type, numeric_precision, "
                            "numeric_scale FROM information_schema.columns "
                            "WHERE table_schema = 'public'"
                        )
                    )
                }
        finally:
            engine.dispose()
    finally:
        drop_pg_database(url)

    json_columns = {
        (table.name, column.name)
        for table in metadata.tables.values()
        for column in table.columns
        if column.type.__class__.__name__ == "JSON"
    }
    assert ("users", "ip_history") in json_columns
    assert ("wager_races", "prize_distribution") in json_columns
    for key in json_columns:
        assert types[key][0] == "jsonb", key

    for key in [
        ("wager_races", "prize_pool"),
        ("wager_races", "min_wager"),
        ("wager_race_participants", "total_wager"),
        ("bonus_codes", "value"),
        ("challenges", "prize_amount"),
        ("challenges", "min_bet"),
        ("affiliate_players", "wagered_all_time"),
        ("wager_snapshots", "all_time"),
    ]:
        assert types[key] == ("numeric", 18, 2), key
    assert types[("challenges", "multiplier")] == ("numeric", 12, 2)
    assert types[("users", "telegram_id")][0] == "bigint"
    assert types[("telegram_users", "telegram_id")][0] == "bigint"
    assert types[("users", "created_at")][0] == "timestamp with time zone"
