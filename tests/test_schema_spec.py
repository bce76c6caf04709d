"""Every table, column, key and relationship of the user's spec exists in the migrated schema.

The spec is `docs/spec/schema-overview.md` (a copy of the user's document). Each `#### tableName`
section's tree leaves are columns; camelCase names map to snake_case (`isAdmin` -> `is_admin`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import JSON, Engine, Numeric, inspect
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.orm import RelationshipProperty, configure_mappers

from goatedvips import migrate
from goatedvips.models import Base
from tests.support.databases import sqlite_url

# SQLite can't reflect the case-insensitive expression indexes (test_migrations checks them).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index"
)

SPEC = Path(__file__).resolve().parents[1] / "docs" / "spec" / "schema-overview.md"

_LEAF = re.compile(r"^(?:│   |    )[├└]── (?P<text>.+?)\s*$")
_RELATIONSHIP = re.compile(r"^- (?P<kind>One-to-One|One-to-Many|Many-to-One): (?P<name>\w+)\s*$")
_ANNOTATION = re.compile(r"\(([^)]*)\)")


@dataclass
class SpecColumn:
    name: str
    annotations: list[str]


@dataclass
class SpecTable:
    name: str
    columns: list[SpecColumn] = field(default_factory=list)
    relationships: list[tuple[str, str]] = field(default_factory=list)  # (kind, attribute)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def parse_spec(markdown: str) -> dict[str, SpecTable]:
    tables: dict[str, SpecTable] = {}
    current: SpecTable | None = None
    for line in markdown.splitlines():
        if line.startswith("#### "):
            current = SpecTable(snake(line[5:].strip()))
            tables[current.name] = current
            continue
        if line.startswith("#"):
            current = None
            continue
        if current is None:
            continue
        if leaf := _LEAF.match(line):
            raw = leaf["text"]
            annotations = [a.strip() for a in _ANNOTATION.findall(raw)]
            name = _ANNOTATION.sub("", raw).strip()
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", name), f"unparsed spec line: {line!r}"
            current.columns.append(SpecColumn(snake(name), annotations))
        elif rel := _RELATIONSHIP.match(line):
            current.relationships.append((rel["kind"], snake(rel["name"])))
    return tables


SPEC_TABLES = parse_spec(SPEC.read_text(encoding="utf-8"))

# Where each relationship of the spec points: (table, attribute) -> target table.
RELATIONSHIP_TARGETS = {
    ("users", "notification_preferences"): "notification_preferences",
    ("users", "telegram_user"): "telegram_users",
    ("users", "verification_request"): "verification_requests",
    ("users", "verification_history"): "verification_history",
    ("users", "created_races"): "wager_races",
    ("users", "race_participations"): "wager_race_participants",
    ("users", "support_tickets"): "support_tickets",
    ("support_tickets", "user"): "users",
    ("support_tickets", "messages"): "ticket_messages",
    ("support_tickets", "assigned_staff"): "users",
    ("ticket_messages", "ticket"): "support_tickets",
    ("ticket_messages", "user"): "users",
    ("telegram_users", "user"): "users",
    ("verification_requests", "user"): "users",
    ("verification_history", "user"): "users",
    ("wager_races", "creator"): "users",
    ("wager_races", "participants"): "wager_race_participants",
    ("wager_race_participants", "race"): "wager_races",
    ("wager_race_participants", "user"): "users",
    ("challenges", "entries"): "challenge_entries",
    ("challenge_entries", "challenge"): "challenges",
    ("bonus_codes", "creator"): "users",
    ("bonus_codes", "claimant"): "users",
    ("notification_preferences", "user"): "users",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = sqlite_url(tmp_path_factory.mktemp("spec"), "spec.db")
    migrate.upgrade(url)
    engine = migrate.make_sync_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def inspector(engine: Engine) -> Iterator[Inspector]:
    with engine.connect() as connection:
        yield inspect(connection)


def test_spec_is_parsed_completely() -> None:
    assert set(SPEC_TABLES) == {
        "users",
        "support_tickets",
        "ticket_messages",
        "telegram_users",
        "verification_requests",
        "verification_history",
        "wager_races",
        "wager_race_participants",
        "challenges",
        "challenge_entries",
        "bonus_codes",
        "notification_preferences",
    }
    users = [c.name for c in SPEC_TABLES["users"].columns]
    assert users[:4] == ["id", "username", "email", "password"]
    assert users[-1] == "goated_verified" and len(users) == 19
    relationships = {(t.name, a) for t in SPEC_TABLES.values() for _, a in t.relationships}
    assert relationships == set(RELATIONSHIP_TARGETS)


@pytest.mark.parametrize("table", sorted(SPEC_TABLES))
def test_table_has_every_spec_column(inspector: Inspector, table: str) -> None:
    assert inspector.has_table(table), f"missing table {table}"
    columns = {c["name"]: c for c in inspector.get_columns(table)}
    missing = [c.name for c in SPEC_TABLES[table].columns if c.name not in columns]
    assert not missing, f"{table} lacks spec columns {missing}"

    pk = set(inspector.get_pk_constraint(table)["constrained_columns"])
    unique_sets = [set(u["column_names"]) for u in inspector.get_unique_constraints(table)]
    unique_sets += [set(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]]
    foreign_keys = {
        fk["constrained_columns"][0]: fk["referred_table"]
        for fk in inspector.get_foreign_keys(table)
    }
    for column in SPEC_TABLES[table].columns:
        for note in column.annotations:
            if note == "PK":
                assert pk == {column.name}, f"{table}.{column.name} is not the primary key"
            elif note == "unique":
                assert {column.name} in unique_sets, f"{table}.{column.name} is not unique"
            elif note.startswith("FK ->"):
                target = snake(note.removeprefix("FK ->").strip())
                assert foreign_keys.get(column.name) == target, f"{table}.{column.name} FK"
            elif note == "jsonb":
                assert isinstance(columns[column.name]["type"], JSON), f"{table}.{column.name}"
            elif note == "decimal":
                assert isinstance(columns[column.name]["type"], Numeric), f"{table}.{column.name}"


def test_every_spec_relationship_is_an_orm_relationship() -> None:
    configure_mappers()
    mappers = {m.local_table.name: m for m in Base.registry.mappers}
    for table in SPEC_TABLES.values():
        for kind, attribute in table.relationships:
            mapper = mappers[table.name]
            prop = mapper.relationships.get(attribute)
            assert isinstance(prop, RelationshipProperty), f"{table.name}.{attribute} missing"
            assert prop.mapper.local_table.name == RELATIONSHIP_TARGETS[(table.name, attribute)]
            assert prop.uselist == (kind == "One-to-Many"), f"{table.name}.{attribute}: {kind}"
