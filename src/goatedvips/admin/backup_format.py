"""The backup file format: gzip'd JSON lines, portable between SQLite and PostgreSQL.

    {"format": "goatedvips-backup", "version": 1, "revisions": [...], "createdAt": ...,
     "source": "postgresql", "tables": {"users": [["id", "int"], ["email", "str"], ...], ...}}
    ["users", [1, "alice@example.com", ...]]          one line per row, tables in FK-safe order
    {"end": true, "rows": {"users": 1, ...}}           the trailer: a file without it is incomplete

Values are encoded by the column's kind so nothing is lost: decimals as strings, timestamps as
ISO 8601 with offset, bytes as base64, JSON columns as the JSON itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from goatedvips.db import JSONType, UTCDateTime

FORMAT = "goatedvips-backup"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup or restore that can't go ahead; the message says why, in one line."""


def column_kind(column: Column[Any]) -> str:
    type_: Any = column.type
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    checks: list[tuple[type, str]] = [
        (JSON, "json"),
        (Boolean, "bool"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Float, "float"),
        (Numeric, "decimal"),
        (Integer, "int"),
        (LargeBinary, "bytes"),
    ]
    for cls, kind in checks:
        if isinstance(type_, cls):
            return kind
    return "str"


def encode(kind: str, value: Any) -> Any:
    if value is None or kind in ("json", "bool", "int", "str", "float"):
        return value
    if kind == "decimal":
        return str(value)
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode()
    raise BackupError(f"unknown column kind {kind!r}")


def decode(kind: str, value: Any) -> Any:
    if value is None or kind in ("json", "bool", "str"):
        return value
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "datetime":
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    raise BackupError(f"unknown column kind {kind!r}")


class PortableDecimal(TypeDecorator[Decimal]):
    """NUMERIC for columns the current models no longer have (SQLite can't bind Decimal)."""

    impl = Numeric(asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return str(value) if value is not None and dialect.name == "sqlite" else value


FALLBACK_TYPES: dict[str, TypeEngine[Any]] = {
    "json": JSONType,
    "bool": Boolean(),
    "int": BigInteger(),
    "float": Float(),
    "decimal": PortableDecimal(),
    "datetime": UTCDateTime(),
    "date": Date(),
    "bytes": LargeBinary(),
    "str": Text(),
}


@dataclass(frozen=True)
class Header:
    version: int
    revisions: list[str]
    created_at: str
    source: str
    tables: dict[str, list[tuple[str, str]]]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "revisions": self.revisions,
            "createdAt": self.created_at,
            "source": self.source,
            "tables": {name: [list(c) for c in cols] for name, cols in self.tables.items()},
        }


def dumps_line(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS) + b"\n"


def _parse_header(line: bytes, path: Path) -> Header:
    not_a_backup = BackupError(f"{path} is not a GoatedVIPs backup")
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise not_a_backup from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise not_a_backup
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise not_a_backup
    if version > FORMAT_VERSION:
        raise BackupError(
            f"{path} was written by a newer GoatedVIPs (backup format {version}, this version "
            f"reads {FORMAT_VERSION}); upgrade GoatedVIPs to restore it"
        )
    tables = data.get("tables")
    revisions = data.get("revisions")
    if not isinstance(tables, dict) or not isinstance(revisions, list):
        raise not_a_backup
    return Header(
        version=version,
        revisions=[str(r) for r in revisions],
        created_at=str(data.get("createdAt", "")),
        source=str(data.get("source", "")),
        tables={name: [(str(c), str(k)) for c, k in cols] for name, cols in tables.items()},
    )


@dataclass
class Contents:
    header: Header
    rows: dict[str, int]


def read_lines(path: Path) -> Iterator[bytes]:
    """The file's lines; a file that is not gzip or is cut short raises a clear BackupError."""
    try:
        with gzip.open(path, "rb") as handle:
            yield from handle
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except gzip.BadGzipFile:
        raise BackupError(f"{path} is not a GoatedVIPs backup (not a gzip file)") from None
    except EOFError:
        raise BackupError(f"{path} is incomplete: the file was cut short") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None


def read_header(path: Path) -> Header:
    for line in read_lines(path):
        return _parse_header(line, path)
    raise BackupError(f"{path} is not a GoatedVIPs backup (empty)")


def iter_rows(path: Path) -> Iterator[Header | tuple[str, list[Any]] | dict[str, Any]]:
    """The header, then (table, values) per row, then the trailer dict; validates as it goes."""
    lines = read_lines(path)
    header = None
    for number, line in enumerate(lines, start=1):
        if header is None:
            header = _parse_header(line, path)
            yield header
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise BackupError(f"{path} is damaged at line {number}") from None
        if isinstance(item, dict) and item.get("end") is True:
            yield item
            return
        if (
            not isinstance(item, list)
            or len(item) != 2
            or item[0] not in header.tables
            or not isinstance(item[1], list)
            or len(item[1]) != len(header.tables[item[0]])
        ):
            raise BackupError(f"{path} is damaged at line {number}")
        yield item[0], item[1]
    if header is None:
        raise BackupError(f"{path} is not a GoatedVIPs backup (empty)")
    raise BackupError(f"{path} is incomplete: it has no end marker")


def validate(path: Path) -> Contents:
    """Read the whole file once before touching any database."""
    header: Header | None = None
    counts: dict[str, int] = {}
    for item in iter_rows(path):
        if isinstance(item, Header):
            header = item
        elif isinstance(item, tuple):
            counts[item[0]] = counts.get(item[0], 0) + 1
        else:
            expected = item.get("rows", {})
            if {k: v for k, v in expected.items() if v} != counts:
                raise BackupError(f"{path} is damaged: row counts differ from its end marker")
    assert header is not None
    return Contents(header=header, rows=counts)
