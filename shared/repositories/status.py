"""Queries for stored snapshots (the latest per event, one per local day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Text, cast, delete
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from shared.db import JsonText, utcnow
from shared.models import DailySnapshot, LatestSnapshot, UnmetEntry
from shared.needs.incremental import UnmetChanges
from shared.repositories.bulk import in_chunks, insert_many
from shared.repositories.upsert import insert_or_update


def latest(session: Session, event_id: str, *, for_update: bool = False, with_unmet: bool = True,
           with_body: bool = True) -> LatestSnapshot | None:
    """The event's stored snapshot. `with_unmet=False` leaves the unmet list (megabytes of JSON for a
    large event, decoded on every read) unread: status reads and websocket catch-ups send only the body.
    `with_body=False` leaves the body unread too: the store replaces it (tens of kilobytes of JSON decoded
    at every snapshot for nothing)."""
    q = select(LatestSnapshot).where(LatestSnapshot.event_id == event_id)
    if not with_unmet:
        q = q.options(defer(LatestSnapshot.unmet, raiseload=True))  # type: ignore[arg-type]
    if not with_body:
        q = q.options(defer(LatestSnapshot.body, raiseload=True))  # type: ignore[arg-type]
    if for_update:
        q = q.with_for_update()
    return session.exec(q).first()


def stored_unmet(session: Session, stored: LatestSnapshot) -> list[dict[str, Any]]:
    """The stored snapshot's unmet list, sorted by person id: its `unmet_entries` rows when `unmet_token` is
    set, else its `unmet` column (`latest` with `with_unmet`)."""
    if stored.unmet_token is None:
        return stored.unmet
    rows = session.execute(select(col(UnmetEntry.person_id), col(UnmetEntry.entry))
                           .where(col(UnmetEntry.event_id) == stored.event_id)).all()
    return [from_json(entry) for _, entry in sorted(rows)]  # sorted here: a database collation may differ


def save_unmet_rows(session: Session, event_id: str, stored_token: str | None, changes: UnmetChanges) -> None:
    """Make the event's `unmet_entries` the list `changes` describes: only the entries that changed when
    the rows are those its state wrote last (`stored_token` is the state's `base`). Otherwise (another
    worker wrote since, or the list was a column: `stored_token` None) the rows are read and only those
    that differ from the whole list are written.

    Why read first: with two workers the recomputes of one event alternate between them, and rewriting
    every entry (tens of thousands at 50,000 persons) at each turn filled PostgreSQL's WAL so that the
    writes' commits queued behind it (bench/freshness_bench.py --postgres … --workers 2: answers after
    22 s). Both workers' lists are exact at their data_seq, so they differ in a handful of entries."""
    e = UnmetEntry
    if stored_token is not None and stored_token == changes.base:
        changed = changes.changed
    else:
        stored = dict(session.execute(select(col(e.person_id), col(e.entry))
                                      .where(col(e.event_id) == event_id)).tuples().all())
        wanted = dict(changes.everything())
        changed = {pid: text for pid, text in wanted.items() if stored.get(pid) != text}
        changed.update({pid: None for pid in stored.keys() - wanted.keys()})
    for part in in_chunks(sorted(changed)):
        session.execute(delete(e).where(col(e.event_id) == event_id, col(e.person_id).in_(part)))
    insert_many(session, UnmetEntry, [{"event_id": event_id, "person_id": pid, "entry": text}
                                      for pid, text in changed.items() if text is not None])


def drop_unmet_rows(session: Session, event_id: str) -> None:
    session.execute(delete(UnmetEntry).where(col(UnmetEntry.event_id) == event_id))


def latest_body_text(session: Session, event_id: str) -> tuple[int, str] | None:
    """(seq, the stored public body as JSON text) of the event's snapshot, None before the first.

    The body as the database holds it, not decoded: the live websocket sends it on as it is
    (shared/live_messages.py:status_message_from_text)."""
    q = select(LatestSnapshot.seq, cast(LatestSnapshot.body, Text)).where(LatestSnapshot.event_id == event_id)
    row = session.exec(q).first()  # type: ignore[call-overload]
    return None if row is None else (int(row[0]), str(row[1]))


def save_latest(session: Session, current: LatestSnapshot | None, event_id: str, seq: int, data_seq: int,
                as_of: datetime, body: dict[str, Any] | JsonText, unmet: list[dict[str, Any]],
                unmet_token: str | None = None) -> bool:
    """Store the event's newest snapshot over `current` (locked by the caller); False when `current` was
    None but another job stored the event's first snapshot meanwhile: the caller reads it and decides again.

    The first snapshot is INSERT … ON CONFLICT DO NOTHING, because there is no row to lock before it:
    two recomputes of a new event both found none, and the second insert failed on the primary key.
    """
    if current is None:
        row = dict(event_id=event_id, seq=seq, data_seq=data_seq, as_of=as_of, body=body, unmet=unmet,
                   computed_at=utcnow(), unmet_token=unmet_token)
        return insert_or_update(session, LatestSnapshot, row, ["event_id"]) == 1
    current.seq, current.data_seq, current.as_of = seq, data_seq, as_of
    # a JsonText body is stored as the text it is (shared/db.py); the object is not read after the flush
    current.body, current.unmet, current.computed_at = body, unmet, utcnow()  # type: ignore[assignment]
    current.unmet_token = unmet_token
    session.add(current)
    session.flush()
    return True


def save_daily(session: Session, event_id: str, local_date: date, seq: int, data_seq: int, as_of: datetime,
               body: dict[str, Any] | JsonText) -> None:
    """Keep the latest snapshot of a local day (a later as_of of the same day replaces it).

    One upsert rather than read-then-insert: two `close_day` jobs (or a recompute and a `close_day`)
    for the same event and day may run at once, and the slower insert must become an update.
    """
    table = DailySnapshot.__table__  # type: ignore[attr-defined]
    insert_or_update(session, DailySnapshot,
                     dict(event_id=event_id, local_date=local_date, seq=seq, data_seq=data_seq, as_of=as_of, body=body,
                          computed_at=utcnow()),
                     ["event_id", "local_date"], update=["seq", "data_seq", "as_of", "body", "computed_at"],
                     where=lambda new: new.as_of >= table.c.as_of)


def daily(session: Session, event_id: str) -> list[DailySnapshot]:
    q = select(DailySnapshot).where(DailySnapshot.event_id == event_id).order_by(col(DailySnapshot.local_date))
    return list(session.exec(q).all())
