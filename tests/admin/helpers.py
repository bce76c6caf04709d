"""Comparing whole databases: every application table's rows, encoded like a backup."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from goatedvips.admin.backup import application_tables, table_rows
from goatedvips.db import Database


def dump_connection(connection: Connection) -> dict[str, list[list[Any]]]:
    return {t.name: list(table_rows(connection, t)) for t in application_tables(connection)}


async def dump_rows(db: Database) -> dict[str, list[list[Any]]]:
    """table -> rows (primary-key order) of the whole database."""
    async with db.engine.connect() as connection:
        return await connection.run_sync(dump_connection)
