"""Set-based inserts straight through the driver's executemany.

The write path stages plain dicts; converting them here, once per column type, and handing the
driver ready tuples costs a fraction of SQLAlchemy's per-row parameter processing (the difference
between ~5,000 and ~20,000 synced records a second). Values are stored exactly as the ORM stores
them (see shared.db.UTCDateTime), so rows written either way read back the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from pydantic_core import to_json
from sqlalchemy import JSON, Date, Table
from sqlmodel import Session

from shared.db import UTCDateTime

T = TypeVar("T")


def _utc_naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


@lru_cache(maxsize=4096)  # a batch shares a handful of instants (its "now", the times a phone sent)
def _sqlite_instant(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME storage format: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _json(value: Any) -> str | None:
    return None if value is None else to_json(value).decode()


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


_plans: dict[tuple[str, tuple[str, ...], bool], tuple[str, list[Callable[[Any], Any] | None]]] = {}


def insert_many(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one executemany.

    The parameters are built a column at a time (`itemgetter`, `zip`, `map` run in C): only the
    columns that need converting cost a Python call per row, and those are few (instants, JSON).
    """
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
        plan = (sql, [None if conv is _identity else conv
                      for conv in (_converter(table.c[name], sqlite) for name in names)])
        _plans[key] = plan
    sql, converters = plan
    if len(names) == 1:
        params: list[tuple[Any, ...]] = [(row[names[0]],) for row in rows]
        if converters[0] is not None:
            params = [(converters[0](v),) for (v,) in params]
    else:
        columns: list[Any] = list(zip(*map(itemgetter(*names), rows), strict=True))
        for i, conv in enumerate(converters):
            if conv is not None:
                columns[i] = map(conv, columns[i])
        params = list(zip(*columns, strict=True))
    conn.exec_driver_sql(sql, params)


def instant_param(session: Session, value: datetime) -> Any:
    """An instant as a raw-SQL parameter, in the form the column stores it (see UTCDateTime)."""
    return _sqlite_instant(value) if session.connection().dialect.name == "sqlite" else _utc_naive(value)


IN_CHUNK = 1000  # values per statement: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters


def in_chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """The distinct values in lists of at most `size`, for `col.in_(part)` queries over lists of any
    length: an `IN` with one parameter per value fails past the driver's limit (a tracing pass once
    asked for 79,101 persons at once on PostgreSQL)."""
    unique = list(dict.fromkeys(values))
    for i in range(0, len(unique), size):
        yield unique[i : i + size]


def select_in(session: Session, sql: str, values: Iterable[Any], *params: Any) -> list[tuple[Any, ...]]:
    """Rows of `sql` for many values at once, straight through the driver (the write path's prefetch).

    `sql` marks the one parameter with `{p}` and the value list with `{values}`: that becomes
    `IN (?, ?, …)` on SQLite and `= ANY(%s)` (one array parameter) on PostgreSQL. The `params` fill
    the `{p}` marks before the list. Values are de-duplicated; rows come back as plain tuples.
    """
    unique = sorted(set(values))
    if not unique:
        return []
    conn = session.connection()
    out: list[tuple[Any, ...]] = []
    if conn.dialect.name == "sqlite":
        for i in range(0, len(unique), IN_CHUNK):
            part = unique[i : i + IN_CHUNK]
            text = sql.format(p="?", values="IN (" + ",".join("?" * len(part)) + ")")
            out.extend(conn.exec_driver_sql(text, (*params, *part)).fetchall())
    else:
        text = sql.format(p="%s", values="= ANY(%s)")
        out.extend(conn.exec_driver_sql(text, (*params, unique)).fetchall())
    return out
