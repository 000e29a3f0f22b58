"""INSERT … ON CONFLICT for the rows two processes may create at the same moment.

A "read, then insert if missing" races when two jobs run at once: both read nothing, both insert,
and on PostgreSQL the second commit dies on the unique key (two `close_day` jobs for one event and
day did). SQLite and PostgreSQL share the ON CONFLICT syntax, so one statement serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_or_update(session: Session, model: Any, values: dict[str, Any], keys: Sequence[str],
                     update: Sequence[str] = (), where: Callable[[Any], Any] | None = None) -> int:
    """Insert `values`; on a conflict on `keys`, set the `update` columns to the new values (only where
    `where(excluded)` holds: a condition on the stored row and the would-be row), or do nothing when `update`
    is empty. Returns how many rows were written (0: the row existed and was left as it was)."""
    table = model.__table__
    dialect = session.get_bind().dialect.name
    stmt: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(**values)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={c: stmt.excluded[c] for c in update},
                                          where=where(stmt.excluded) if where is not None else None)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    # RETURNING, not rowcount: the PostgreSQL driver reports -1 for an INSERT … ON CONFLICT here
    return len(session.execute(stmt.returning(table.c[keys[0]])).all())

