"""Each test gets a unit of work on the session's database (SQLite, then PostgreSQL), rolled back after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.db import Database, UnitOfWork
from tests.shared.rollback import rolled_back


@pytest.fixture
def uow(database: Database) -> Iterator[UnitOfWork]:
    with rolled_back(database) as unit:
        yield unit
