"""Set-based inserts straight through the driver's executemany.

The write path stages plain dicts; converting them here, once per column type, and handing the
driver ready tuples costs a fraction of SQLAlchemy's per-row parameter processing (the difference
between ~5,000 and ~20,000 synced records a second). Values are stored exactly as the ORM stores
them (see shared.db.UTCDateTime), so rows written either way read back the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Table
from sqlmodel import Session

from shared.db import UTCDateTime

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for SQLite DATETIME


def _utc_naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime(_SQLITE_DATETIME)


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _identity(value: Any) -> Any:
    return value


def _converter(column: Any, sqlite: bool) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_instant if sqlite else _utc_naive
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, Date) and sqlite:
        return _sqlite_date
    return _identity


_plans: dict[tuple[str, tuple[str, ...], bool], tuple[str, list[Callable[[Any], Any]]]] = {}


def insert_many(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one executemany."""
    if not rows:
        return
    table: Table = model.__table__
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    names = tuple(rows[0])
    key = (table.name, names, sqlite)
    plan = _plans.get(key)
    if plan is None:
        mark = "?" if sqlite else "%s"
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(mark for _ in names)})"
        plan = (sql, [_converter(table.c[name], sqlite) for name in names])
        _plans[key] = plan
    sql, converters = plan
    pairs = list(zip(names, converters, strict=True))
    params = [tuple(conv(row[name]) for name, conv in pairs) for row in rows]
    conn.exec_driver_sql(sql, params)
