"""Files holding personal data are this user's only (issue 9 item 15): the SQLite database, its WAL and
shared-memory files are created 0600, a `var/`-like directory the code creates is 0700, and files an
older version left 0644 are tightened at the next start."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.db import make_database, private_dir, write_unit
from shared.migrate import upgrade
from tests.conftest import make_settings


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems run with (files 0644 unless the code asks otherwise)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_fresh_database_its_wal_and_shm_are_0600_and_its_new_directory_0700(tmp_path: Path) -> None:
    path = tmp_path / "var" / "posko.db"
    db = make_database(make_settings(f"sqlite:///{path}"))
    try:
        with write_unit(db) as uow:
            uow.session.execute(text("CREATE TABLE t (x TEXT)"))
            uow.session.execute(text("INSERT INTO t VALUES ('Siti Aminah 1275045205850001')"))
        with db.read_engine.connect() as conn:  # a reader keeps the WAL and the shared memory open
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
            for name in (str(path), f"{path}-wal", f"{path}-shm"):
                assert os.path.exists(name), name
                assert mode(name) == 0o600, (name, oct(mode(name)))
        assert mode(path.parent) == 0o700
    finally:
        db.dispose()


def test_migrations_create_the_database_0600(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "posko.db"
    upgrade(make_settings(f"sqlite:///{path}"))
    assert mode(path) == 0o600
    for name in (f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            assert mode(name) == 0o600, name


def test_files_an_older_version_left_readable_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "posko.db"
    own_mode = mode(tmp_path)
    settings = make_settings(f"sqlite:///{path}")
    db = make_database(settings)
    with write_unit(db) as uow:
        uow.session.execute(text("CREATE TABLE t (x TEXT)"))
    db.dispose()
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            os.chmod(name, 0o644)
    db = make_database(settings)
    try:
        with db.read_engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
            for name in (str(path), f"{path}-wal", f"{path}-shm"):
                if os.path.exists(name):
                    assert mode(name) == 0o600, name
    finally:
        db.dispose()
    assert mode(tmp_path) == own_mode  # a directory the code did not create (and is not var/) keeps its mode


def test_private_dir_is_0700_even_when_it_existed(tmp_path: Path) -> None:
    d = tmp_path / "var" / "redis"
    d.mkdir(parents=True, mode=0o755)
    private_dir(d)
    assert mode(d) == 0o700


def posix_locks(path: Path) -> list[str]:
    """This process's POSIX (fcntl) locks on `path`, as /proc/locks lists them."""
    inode, pid, found = os.stat(path).st_ino, str(os.getpid()), []
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            if "POSIX" in parts:
                at = parts.index("POSIX")
                if parts[at + 3] == pid and parts[at + 4].rsplit(":", 1)[-1] == str(inode):
                    found.append(" ".join(parts[at:]))
    return found


def test_opening_the_database_again_in_the_same_process_keeps_sqlites_locks(tmp_path: Path) -> None:
    """A second `make_database` on a database this process has open (two apps in one process, a test and
    the API) must not open and close the file itself: closing any descriptor of a file drops every POSIX
    lock the process holds on it, SQLite's included (seen as "disk I/O error" in the live tests)."""
    path = tmp_path / "shared.db"
    settings = make_settings(f"sqlite:///{path}")
    first = make_database(settings)
    try:
        with write_unit(first) as uow:
            uow.session.execute(text("CREATE TABLE t (x INTEGER)"))
        with first.read_engine.connect() as reader:
            # the read engine begins a transaction on first use: SQLite holds a read lock until the block ends
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
            held = posix_locks(path)
            assert held, "SQLite holds a lock on the database file while reading"
            second = make_database(settings)
            try:
                assert posix_locks(path) == held
                with write_unit(second) as uow:
                    uow.session.execute(text("INSERT INTO t VALUES (1)"))
            finally:
                second.dispose()
    finally:
        first.dispose()
