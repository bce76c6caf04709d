"""`goatedvips backup FILE` and `goatedvips restore FILE`: the whole database, either backend.

A backup is one consistent snapshot (one read transaction) of every application table, written
to a temporary file and renamed into place. A restore validates the whole file first, refuses a
backup from a newer schema or a database that already has data (unless forced), brings the
target to the backup's schema revision, loads every row in one transaction, resets PostgreSQL
sequences, then migrates to the current schema. The format is described in `backup_format`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)

import goatedvips.models  # noqa: F401  (every table in Base.metadata, also in the bare CLI)
from goatedvips.admin.backup_format import (
    FALLBACK_TYPES,
    FORMAT_VERSION,
    BackupError,
    Header,
    column_kind,
    decode,
    dumps_line,
    encode,
    iter_rows,
    validate,
)
from goatedvips.config import Settings
from goatedvips.db import Base, utcnow
from goatedvips.migrate import (
    MIGRATIONS_DIR,
    current_revisions,
    downgrade,
    head_revisions,
    make_sync_engine,
    upgrade,
)

INSERT_BATCH = 1000


def _engine(url: str) -> Engine:
    """A sync engine whose transactions are real on SQLite too (pysqlite defers BEGIN)."""
    engine = make_sync_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def application_tables(connection: Connection) -> list[Table]:
    """The model tables that exist in this database, parents before children."""
    present = set(inspect(connection).get_table_names())
    return [t for t in Base.metadata.sorted_tables if t.name in present]


def table_rows(connection: Connection, table: Table) -> Iterator[list[Any]]:
    """Every row of `table`, encoded for the backup, in primary-key order."""
    kinds = [column_kind(c) for c in table.columns]
    query = select(table).order_by(*table.primary_key.columns)
    for row in connection.execution_options(yield_per=INSERT_BATCH).execute(query):
        yield [encode(kind, value) for kind, value in zip(kinds, row, strict=True)]


@dataclass(frozen=True)
class Summary:
    path: Path
    rows: dict[str, int]
    revisions: list[str]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def write_backup(url: str, path: Path) -> Summary:
    """Write every table of the database at `url` to `path`."""
    revisions = sorted(current_revisions(url))
    if set(revisions) != head_revisions():
        raise BackupError(
            f"the database is at revision {', '.join(revisions) or 'none'} but this GoatedVIPs "
            f"expects {', '.join(sorted(head_revisions()))}; run `goatedvips migrate` first"
        )
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    counts: dict[str, int] = {}
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                tables = application_tables(connection)
                header = Header(
                    version=FORMAT_VERSION,
                    revisions=revisions,
                    created_at=utcnow().isoformat(),
                    source=engine.dialect.name,
                    tables={t.name: [(c.name, column_kind(c)) for c in t.columns] for t in tables},
                )
                _write_file(partial, connection, header, tables, counts)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        engine.dispose()
    return Summary(path=path, rows=counts, revisions=revisions)


def _write_file(
    partial: Path,
    connection: Connection,
    header: Header,
    tables: list[Table],
    counts: dict[str, int],
) -> None:
    import gzip

    with gzip.open(partial, "wb", compresslevel=6) as out:
        out.write(dumps_line(header.to_json()))
        for table in tables:
            counts[table.name] = 0
            for values in table_rows(connection, table):
                out.write(dumps_line([table.name, values]))
                counts[table.name] += 1
        out.write(dumps_line({"end": True, "rows": counts}))


def _check_revisions_known(header: Header, path: Path) -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    for revision in header.revisions:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(
                f"{path} comes from a newer database schema (revision {revision}) than this "
                "GoatedVIPs knows; upgrade GoatedVIPs before restoring it"
            )


def _row_counts(connection: Connection) -> int:
    return sum(
        connection.scalar(select(func.count()).select_from(t)) or 0
        for t in application_tables(connection)
    )


def _prepare_schema(url: str, header: Header) -> None:
    """Bring the target to exactly the backup's revision (its data is replaced anyway)."""
    current = current_revisions(url)
    if current == set(header.revisions):
        return
    if current:
        downgrade(url, "base")
    for revision in header.revisions or ["base"]:
        upgrade(url, revision)


def _restore_table(header: Header, name: str) -> Table:
    """A table with the backup's columns, typed like the models so values bind as the app's do."""
    model = Base.metadata.tables.get(name)
    columns = []
    for column_name, kind in header.tables[name]:
        model_column = model.columns.get(column_name) if model is not None else None
        type_ = model_column.type if model_column is not None else FALLBACK_TYPES[kind]
        columns.append(Column(column_name, type_))
    return Table(name, MetaData(), *columns)


def _reset_sequences(connection: Connection) -> None:
    for table in application_tables(connection):
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or column_kind(pk[0]) != "int":
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE(MAX("{pk[0].name}"), 1), MAX("{pk[0].name}") IS NOT NULL) '
                f'FROM "{table.name}" WHERE pg_get_serial_sequence(:table, :column) IS NOT NULL'
            ),
            {"table": table.name, "column": pk[0].name},
        )


def _load_rows(connection: Connection, path: Path, header: Header) -> dict[str, int]:
    tables = {name: _restore_table(header, name) for name in header.tables}
    kinds = {name: [kind for _c, kind in cols] for name, cols in header.tables.items()}
    names = {name: [c for c, _k in cols] for name, cols in header.tables.items()}
    for table in reversed(application_tables(connection)):
        connection.execute(table.delete())
    counts: dict[str, int] = {}
    batch: list[dict[str, Any]] = []
    batch_table: str | None = None

    def flush() -> None:
        if batch and batch_table is not None:
            connection.execute(insert(tables[batch_table]), batch)
            batch.clear()

    for item in iter_rows(path):
        if not isinstance(item, tuple):
            continue
        name, values = item
        if name != batch_table or len(batch) >= INSERT_BATCH:
            flush()
            batch_table = name
        row = {
            column: decode(kind, value)
            for column, kind, value in zip(names[name], kinds[name], values, strict=True)
        }
        batch.append(row)
        counts[name] = counts.get(name, 0) + 1
    flush()
    if connection.dialect.name == "postgresql":
        _reset_sequences(connection)
    return counts


def restore_backup(url: str, path: Path, *, force: bool = False) -> Summary:
    """Replace the contents of the database at `url` with the backup at `path`."""
    path = Path(path)
    contents = validate(path)
    header = contents.header
    _check_revisions_known(header, path)
    engine = _engine(url)
    try:
        if current_revisions(url):
            with engine.connect() as connection:
                existing = _row_counts(connection)
            if existing and not force:
                raise BackupError(
                    f"the database already has data ({existing} rows); restore into an empty "
                    "database, or pass --force to replace everything in it"
                )
        _prepare_schema(url, header)
        with engine.begin() as connection:
            counts = _load_rows(connection, path, header)
    finally:
        engine.dispose()
    upgrade(url)
    return Summary(path=path, rows=counts, revisions=header.revisions)


def backup_command(settings: Settings, file: Path) -> None:
    """The CLI's `backup FILE`."""
    import typer

    from goatedvips.cli import fail

    try:
        summary = write_backup(settings.database_url, file)
    except BackupError as exc:
        fail(str(exc))
        return
    typer.echo(
        f"backup written to {summary.path}: {summary.total} rows in {len(summary.rows)} tables "
        f"(schema {', '.join(summary.revisions)})"
    )


def restore_command(settings: Settings, file: Path, *, force: bool = False) -> None:
    """The CLI's `restore FILE [--force]`."""
    import typer

    from goatedvips.cli import fail

    try:
        summary = restore_backup(settings.database_url, file, force=force)
    except BackupError as exc:
        fail(str(exc))
        return
    typer.echo(
        f"restored {summary.total} rows in {len(summary.rows)} tables from {summary.path} "
        f"(schema {', '.join(summary.revisions)}, now migrated to the current schema)"
    )
