"""SQLite housekeeping: the write-ahead log is checkpointed off the request path."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from shared.db import WAL_AUTOCHECKPOINT_PAGES, checkpoint, make_database, start_checkpoints, write_unit
from shared.migrate import upgrade
from tests.conftest import make_settings


def test_checkpoints_fold_the_wal_back_into_the_database(tmp_path: Path) -> None:
    s = make_settings(f"sqlite:///{tmp_path / 'wal.db'}")
    upgrade(s)
    db = make_database(s)
    try:
        with db.write_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_AUTOCHECKPOINT_PAGES
        with write_unit(db) as uow:
            uow.session.execute(text("CREATE TABLE filler (x TEXT)"))
            uow.session.execute(text("INSERT INTO filler VALUES (:x)"), [{"x": "x" * 500} for _ in range(2000)])
        stop = start_checkpoints(db, interval=0.05)
        time.sleep(0.5)
        stop()
        checkpoint(db)
        with db.read_engine.connect() as conn:
            busy, log_frames, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert busy == 0 and log_frames == done  # every frame of the log is in the database file
    finally:
        db.dispose()
