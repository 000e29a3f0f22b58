"""Queries for stored snapshots (the latest per event, one per local day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from shared.db import utcnow
from shared.models import DailySnapshot, LatestSnapshot
from shared.repositories.upsert import insert_or_update


def latest(session: Session, event_id: str, *, for_update: bool = False, with_unmet: bool = True) -> LatestSnapshot | None:
    """The event's stored snapshot. `with_unmet=False` leaves the unmet list (megabytes of JSON for a
    large event, decoded on every read) unread: status reads and websocket catch-ups send only the body."""
    q = select(LatestSnapshot).where(LatestSnapshot.event_id == event_id)
    if not with_unmet:
        q = q.options(defer(LatestSnapshot.unmet, raiseload=True))  # type: ignore[arg-type]
    if for_update:
        q = q.with_for_update()
    return session.exec(q).first()


def save_latest(session: Session, current: LatestSnapshot | None, event_id: str, seq: int, data_seq: int,
                as_of: datetime, body: dict[str, Any], unmet: list[dict[str, Any]]) -> bool:
    """Store the event's newest snapshot over `current` (locked by the caller); False when `current` was
    None but another job stored the event's first snapshot meanwhile: the caller reads it and decides again.

    The first snapshot is INSERT … ON CONFLICT DO NOTHING, because there is no row to lock before it:
    two recomputes of a new event both found none, and the second insert failed on the primary key.
    """
    if current is None:
        row = dict(event_id=event_id, seq=seq, data_seq=data_seq, as_of=as_of, body=body, unmet=unmet,
                   computed_at=utcnow())
        return insert_or_update(session, LatestSnapshot, row, ["event_id"]) == 1
    current.seq, current.data_seq, current.as_of = seq, data_seq, as_of
    current.body, current.unmet, current.computed_at = body, unmet, utcnow()
    session.add(current)
    session.flush()
    return True


def save_daily(session: Session, event_id: str, local_date: date, seq: int, data_seq: int, as_of: datetime,
               body: dict[str, Any]) -> None:
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
