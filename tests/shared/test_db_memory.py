"""SQLite's memory settings reach the connections the API and the worker actually use, and a bad value stops
the process at start-up (docs/operations.md, "Memory")."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from services.api.main import create_app
from services.worker import jobs
from shared.config import ROOT, Settings
from shared.db import Database
from shared.migrate import upgrade
from tests.conftest import make_settings

MEMORY = {"sqlite_read_cache_mib": 3, "sqlite_write_cache_mib": 5, "sqlite_worker_cache_mib": 7,
          "sqlite_pool_size": 2, "sqlite_max_overflow": 3}


@pytest.fixture
def memory_settings(tmp_path: Path) -> Settings:
    s = make_settings(f"sqlite:///{tmp_path / 'memory.db'}", **MEMORY)
    upgrade(s)
    return s


def pooled(engine: Engine, pragma: str, connections: int) -> list[int]:
    """`PRAGMA <pragma>` on `connections` connections checked out of `engine`'s pool at once.

    Raw pool checkouts: no transaction begins (the write engine's `BEGIN IMMEDIATE` would make the second
    connection wait for the first)."""
    with ExitStack() as stack:
        conns = [engine.raw_connection() for _ in range(connections)]
        for conn in conns:
            stack.callback(conn.close)  # back to the pool
        return [int(c.cursor().execute(f"PRAGMA {pragma}").fetchone()[0]) for c in conns]


def assert_engine(engine: Engine, cache_mib: int, mmap_mib: int) -> None:
    size, overflow = MEMORY["sqlite_pool_size"], MEMORY["sqlite_max_overflow"]
    # every connection the pool can hand out at once (kept ones and overflow) has the configured cache
    assert pooled(engine, "cache_size", size + overflow) == [-cache_mib * 1024] * (size + overflow)
    assert pooled(engine, "mmap_size", 1) == [mmap_mib * 2**20]
    assert engine.pool.size() == size  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == overflow  # type: ignore[attr-defined]
    # given back, only pool_size connections (and their caches) stay open; the overflow ones were closed
    assert engine.pool.checkedin() == size  # type: ignore[attr-defined]
    # and a connection reused from the pool still carries the setting
    assert pooled(engine, "cache_size", 1) == [-cache_mib * 1024]


def test_the_apis_connections_carry_the_configured_cache_and_pools(memory_settings: Settings) -> None:
    db: Database = create_app(memory_settings).state.db
    try:
        assert_engine(db.read_engine, MEMORY["sqlite_read_cache_mib"], 64)
        assert_engine(db.write_engine, MEMORY["sqlite_write_cache_mib"], 256)
    finally:
        db.dispose()


@pytest.fixture
def worker_context(memory_settings: Settings) -> Iterator[jobs.WorkerContext]:
    before = jobs._context
    ctx = jobs.configure(memory_settings)
    try:
        yield ctx
    finally:
        ctx.db.dispose()
        jobs._context = before


def test_the_workers_connections_carry_the_worker_cache(worker_context: jobs.WorkerContext) -> None:
    assert_engine(worker_context.db.read_engine, MEMORY["sqlite_worker_cache_mib"], 64)
    assert_engine(worker_context.db.write_engine, MEMORY["sqlite_worker_cache_mib"], 64)


def test_cache_size_zero_keeps_sqlites_default(tmp_path: Path) -> None:
    s = make_settings(f"sqlite:///{tmp_path / 'default.db'}", sqlite_read_cache_mib=0)
    db: Database = create_app(s).state.db
    try:
        assert pooled(db.read_engine, "cache_size", 1) == [-2000]  # SQLite's compiled-in default
    finally:
        db.dispose()


@pytest.mark.parametrize(("name", "value"), [
    ("sqlite_read_cache_mib", -1), ("sqlite_write_cache_mib", 5000), ("sqlite_worker_cache_mib", -64),
    ("sqlite_pool_size", 0), ("sqlite_max_overflow", -1), ("sqlite_pool_size", 1001),
])
def test_a_bad_value_is_refused_naming_its_variable(name: str, value: int, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=f"POSKO_{name.upper()}"):
        make_settings(f"sqlite:///{tmp_path / 'x.db'}", **{name: value})


def test_the_process_refuses_to_start_with_a_bad_value(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSKO_")}
    env.update(POSKO_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", POSKO_SQLITE_READ_CACHE_MIB="-8")
    for command in (["api"], ["worker"]):
        proc = subprocess.run([sys.executable, "-m", "services.cli", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert "POSKO_SQLITE_READ_CACHE_MIB: -8" in proc.stderr and "invalid setting" in proc.stderr
        assert not (tmp_path / "x.db").exists()  # refused before touching the database
    env["POSKO_SQLITE_POOL_SIZE"] = "many"
    env.pop("POSKO_SQLITE_READ_CACHE_MIB")
    proc = subprocess.run([sys.executable, "-m", "services.cli", "api"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "sqlite_pool_size" in proc.stderr and "integer" in proc.stderr, proc.stderr
