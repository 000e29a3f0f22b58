"""The unmet list stored by difference (`unmet_entries`, shared/repositories/status.py:save_unmet_rows):
whatever the order of writers — one worker's incremental state, a second worker's, a full computation
storing the list as a column — the stored list read back is exactly the engine's, on SQLite and
PostgreSQL, and a worker that wrote last writes only what changed."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from shared.db import Database, read_unit, utcnow, write_unit
from shared.models import Event
from shared.repositories import status as status_repo
from shared.services import status as status_service
from shared.services.live_inputs import LiveInputs
from tests.conftest import Api, build_scene, iso, now_wib
from tests.shared.test_live_inputs import TZ, Writer


def store_with(database: Database, live: LiveInputs | None, event_id: str) -> dict[str, Any]:
    """Compute (with `live`'s incremental state, or the full way) and store, as the worker's job does."""
    as_of = utcnow()
    with read_unit(database, consistent=True) as session:
        event = session.get(Event, event_id)
        assert event is not None
        if live is not None:
            snapshot = status_service.compute_live(session, event, as_of, TZ, live)[0]
        else:
            snapshot = status_service.compute(session, event, as_of, TZ)
    with write_unit(database) as uow:
        seq = status_service.store(uow, event_id, snapshot, as_of, TZ)
    assert seq is not None
    status_service.committed(snapshot)
    return snapshot


def stored_list(database: Database, event_id: str) -> tuple[list[dict[str, Any]], str | None]:
    with read_unit(database) as session:
        stored = status_repo.latest(session, event_id)
        assert stored is not None
        return status_repo.stored_unmet(session, stored), stored.unmet_token


def full_list(database: Database, event_id: str) -> list[dict[str, Any]]:
    with read_unit(database, consistent=True) as session:
        event = session.get(Event, event_id)
        assert event is not None
        with_latest = status_repo.latest(session, event_id, with_unmet=False)
        assert with_latest is not None
        return status_service.compute(session, event, with_latest.as_of, TZ)["unmet"]


def test_the_stored_list_is_the_engines_whoever_wrote_it(admin: Api, database: Database) -> None:
    sc = build_scene(admin, started_at=iso(now_wib() - timedelta(days=2)))
    writer = Writer(admin, sc, random.Random(11))
    for _ in range(6):
        writer.register()
    first, second = LiveInputs(), LiveInputs()
    order = [first, first, second, first, None, first, second, second]
    for who in order:
        for step in ("register", "distribute", "service", "check_out", "edit"):
            getattr(writer, step)()
        store_with(database, who, sc.eid)
        unmet, token = stored_list(database, sc.eid)
        assert unmet == full_list(database, sc.eid)
        assert (token is None) == (who is None)  # a full computation stores the column; the state, rows
        assert unmet, "the scene keeps someone unmet"


def test_a_worker_that_wrote_last_writes_only_what_changed(admin: Api, database: Database) -> None:
    sc = build_scene(admin, started_at=iso(now_wib() - timedelta(days=2)))
    writer = Writer(admin, sc, random.Random(5))
    for _ in range(12):
        writer.register()
    live = LiveInputs()
    store_with(database, live, sc.eid)  # the first writing: every entry
    sc.person(shelter_id=sc.shelter["id"])  # one more person in a shelter, unmet (no sandang yet): one entry more
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "unmet_entries" in statement and statement.lstrip().upper().startswith("INSERT"):
            statements.append((statement, parameters))

    sa_event.listen(Engine, "before_cursor_execute", seen)
    try:
        store_with(database, live, sc.eid)
    finally:
        sa_event.remove(Engine, "before_cursor_execute", seen)
    inserted = sum(len(p) if isinstance(p, list) else 1 for _, p in statements)
    unmet, _ = stored_list(database, sc.eid)
    assert unmet == full_list(database, sc.eid)
    assert 1 <= inserted < len(unmet)  # the new person's entry (and any it moved), not the whole list


def test_another_worker_writes_only_what_differs_from_the_stored_rows(admin: Api, database: Database) -> None:
    """Two workers alternate on an event's recomputes: the one whose writing is not the stored one reads
    the rows and writes only the entries that differ (rewriting every entry at each turn queued
    PostgreSQL's commits behind the WAL)."""
    sc = build_scene(admin, started_at=iso(now_wib() - timedelta(days=2)))
    writer = Writer(admin, sc, random.Random(7))
    for _ in range(12):
        writer.register()
    first, second = LiveInputs(), LiveInputs()
    store_with(database, first, sc.eid)
    store_with(database, second, sc.eid)
    sc.person(shelter_id=sc.shelter["id"])  # one more unmet person
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "unmet_entries" in statement and statement.lstrip().upper().startswith(("INSERT", "DELETE")):
            statements.append((statement.strip(), parameters))

    sa_event.listen(Engine, "before_cursor_execute", seen)
    try:
        store_with(database, first, sc.eid)  # `second` wrote last: first reads the rows
    finally:
        sa_event.remove(Engine, "before_cursor_execute", seen)
    inserted = sum(len(p) if isinstance(p, list) else 1 for st, p in statements if st.upper().startswith("INSERT"))
    unmet, _ = stored_list(database, sc.eid)
    assert unmet == full_list(database, sc.eid)
    assert 1 <= inserted < len(unmet)
    deletes = [st for st, _ in statements if st.upper().startswith("DELETE")]
    assert all("person_id" in st for st in deletes)  # by entry, never the whole list
