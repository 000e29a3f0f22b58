"""A unit of work that is always rolled back: unit tests of repositories and services run on the real
SQLite and PostgreSQL databases of the session and leave nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from shared.db import Database, UnitOfWork


@contextmanager
def rolled_back(db: Database) -> Iterator[UnitOfWork]:
    """A write transaction (SQLite: IMMEDIATE, under the process's writer lock) that never commits."""
    lock = db.write_lock
    if lock is not None:
        lock.acquire()
    try:
        with Session(db.write_engine, expire_on_commit=False) as session:
            try:
                yield UnitOfWork(session, db.tz)
            finally:
                session.rollback()
    finally:
        if lock is not None:
            lock.release()
