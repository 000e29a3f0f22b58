"""SQLite housekeeping: the write-ahead log is checkpointed off the request path; instants read as numbers."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, select, text

from shared.db import (
    WAL_AUTOCHECKPOINT_PAGES,
    Database,
    UTCDateTime,
    epoch_seconds,
    instant_seconds,
    make_database,
    start_checkpoints,
    write_unit,
)
from shared.migrate import upgrade
from tests.conftest import make_settings


def _rows_in_database_file(path: Path) -> int | None:
    """Rows of `filler` in the database file itself, the WAL ignored (`immutable=1` reads only the main file,
    takes no lock and never checkpoints): None while the table still lives only in the log."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM filler").fetchone()[0])
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoint"]


def test_checkpoints_fold_the_wal_back_into_the_database(tmp_path: Path) -> None:
    """The background thread of `start_checkpoints`, and nothing else, moves committed pages from the WAL into
    the database file; once stopped, it checkpoints no more."""
    path = tmp_path / "wal.db"
    s = make_settings(f"sqlite:///{path}")
    upgrade(s)
    db = make_database(s)
    try:
        with db.write_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_AUTOCHECKPOINT_PAGES
        with write_unit(db) as uow:
            uow.session.execute(text("CREATE TABLE filler (x TEXT)"))
            uow.session.execute(text("INSERT INTO filler VALUES (:x)"), [{"x": "x" * 500} for _ in range(2000)])
        assert _rows_in_database_file(path) is None  # committed, but only in the log (below the autocheckpoint)
        assert not _checkpoint_threads()

        stop = start_checkpoints(db, interval=0.05)
        deadline = time.monotonic() + 10
        while _rows_in_database_file(path) != 2000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _rows_in_database_file(path) == 2000  # the thread folded the log into the file
        [thread] = _checkpoint_threads()
        assert thread.daemon  # never holds a process open at exit
        stop()
        thread.join(timeout=5)
        assert not thread.is_alive()

        with write_unit(db) as uow:
            uow.session.execute(text("INSERT INTO filler VALUES ('after stop')"))
        time.sleep(0.3)  # six intervals: a thread still running would have checkpointed by now
        assert _rows_in_database_file(path) == 2000
    finally:
        db.dispose()


def test_checkpoints_do_nothing_without_sqlite(tmp_path: Path) -> None:
    """On PostgreSQL there is no WAL of ours to fold: no thread starts, and the stop function is harmless."""
    db = make_database(make_settings(f"sqlite:///{tmp_path / 'x.db'}"))
    try:
        stop = start_checkpoints(replace(db, url="postgresql://posko@localhost/posko"), interval=0.01)
        assert not _checkpoint_threads()
        stop()
    finally:
        db.dispose()


def test_instants_read_as_seconds_equal_python_timestamps(database: Database) -> None:
    """The needs engine compares instants read as POSIX seconds with ones Python computes: bit for bit equal,
    microseconds included (SQLite's own date functions keep only milliseconds)."""
    rng = random.Random(7)
    instants = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(10**14)) for _ in range(2000)]
    instants += [datetime(2026, 11, 1, 7, 0, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
                 datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC), datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)]
    probe = Table("epoch_probe", MetaData(), Column("n", Integer), Column("at", UTCDateTime, nullable=True),
                  prefixes=["TEMPORARY"])
    with write_unit(database) as uow:
        s = uow.session
        probe.create(s.connection())
        s.execute(probe.insert(), [{"n": n, "at": at} for n, at in enumerate(instants)] + [{"n": -1, "at": None}])
        got = dict(s.execute(select(probe.c.n, epoch_seconds(s, probe.c.at))).all())
        selected, seconds = instant_seconds(s, probe.c.at)
        read = {n: seconds(v) for n, v in s.execute(select(probe.c.n, selected)).all()}
        if database.is_sqlite:  # fewer than six digits after the point, or none, as other writers might store
            s.execute(text("INSERT INTO epoch_probe VALUES (-2, '2026-10-31 02:59:59.5'), (-3, '2026-10-31 02:59:59')"))
            short = dict(s.execute(select(probe.c.n, epoch_seconds(s, probe.c.at)).where(probe.c.n < -1)).all())
            assert short == {n: seconds(v) for n, v in s.execute(select(probe.c.n, selected).where(probe.c.n < -1))}
            assert short == {-2: datetime(2026, 10, 31, 2, 59, 59, 500_000, tzinfo=UTC).timestamp(),
                             -3: datetime(2026, 10, 31, 2, 59, 59, tzinfo=UTC).timestamp()}
        probe.drop(s.connection())
    assert got == read  # the two ways of reading instants as seconds agree
    assert got.pop(-1) is None
    assert [got[n] for n in range(len(instants))] == [at.timestamp() for at in instants]
    assert all(type(v) is float for v in got.values())


def test_a_writer_waits_for_another_process_writer_and_begins_once_it_is_done(tmp_path: Path) -> None:
    """Writers give SQLite's busy handler 1 ms and wait themselves (shared.db._begin_immediate): a write
    that meets another connection's open write transaction still succeeds, and only after it ended."""
    import sqlite3
    import threading

    s = make_settings(f"sqlite:///{tmp_path / 'busy.db'}")
    upgrade(s)
    db = make_database(s)
    other = sqlite3.connect(tmp_path / "busy.db", isolation_level=None, check_same_thread=False)
    try:
        with db.write_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1
        with write_unit(db) as uow:
            uow.session.execute(text("CREATE TABLE marks (who TEXT)"))
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock for 0.3 s
        other.execute("INSERT INTO marks VALUES ('other')")
        released = threading.Event()

        def release() -> None:
            time.sleep(0.3)
            other.execute("COMMIT")
            released.set()

        threading.Thread(target=release).start()
        with write_unit(db) as uow:
            uow.session.execute(text("INSERT INTO marks VALUES ('posko')"))  # the transaction begins here
            assert released.is_set(), "began while the other writer still held the lock"
        with db.read_engine.connect() as conn:
            assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM marks ORDER BY rowid")] == ["other", "posko"]
    finally:
        other.close()
        db.dispose()
