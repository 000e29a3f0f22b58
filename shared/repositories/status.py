"""Queries for stored snapshots (the latest per event, one per local day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from shared.db import utcnow
from shared.models import DailySnapshot, EventStatus


def latest(session: Session, event_id: str, *, for_update: bool = False) -> EventStatus | None:
    q = select(EventStatus).where(EventStatus.event_id == event_id)
    if for_update:
        q = q.with_for_update()
    return session.exec(q).first()


def save_latest(session: Session, current: EventStatus | None, event_id: str, seq: int, data_seq: int,
                as_of: datetime, body: dict[str, Any], unmet: list[dict[str, Any]]) -> None:
    if current is None:
        session.add(EventStatus(event_id=event_id, seq=seq, data_seq=data_seq, as_of=as_of, body=body, unmet=unmet))
    else:
        current.seq, current.data_seq, current.as_of = seq, data_seq, as_of
        current.body, current.unmet, current.computed_at = body, unmet, utcnow()
        session.add(current)
    session.flush()


def save_daily(session: Session, event_id: str, local_date: date, seq: int, data_seq: int, as_of: datetime,
               body: dict[str, Any]) -> None:
    """Keep the latest snapshot of a local day (a later as_of of the same day replaces it)."""
    row = session.get(DailySnapshot, (event_id, local_date))
    if row is None:
        session.add(DailySnapshot(event_id=event_id, local_date=local_date, seq=seq, data_seq=data_seq, as_of=as_of,
                                  body=body))
    elif as_of >= row.as_of:
        row.seq, row.data_seq, row.as_of, row.body, row.computed_at = seq, data_seq, as_of, body, utcnow()
        session.add(row)
    session.flush()


def daily(session: Session, event_id: str) -> list[DailySnapshot]:
    q = select(DailySnapshot).where(DailySnapshot.event_id == event_id).order_by(col(DailySnapshot.local_date))
    return list(session.exec(q).all())
