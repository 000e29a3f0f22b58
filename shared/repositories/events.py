"""Queries for events and their change counter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shared.models import Event, EventMember


def get_event(session: Session, event_id: str) -> Event | None:
    return session.get(Event, event_id)


def lock_events(session: Session, event_ids: Iterable[str]) -> dict[str, Event]:
    """Load events for writing. On PostgreSQL the rows are locked (in id order, so two batches
    never deadlock) and writes within one event serialise; SQLite's BEGIN IMMEDIATE already does."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    q = select(Event).where(col(Event.id).in_(ids)).order_by(col(Event.id)).with_for_update()
    return {e.id: e for e in session.exec(q).all()}


@dataclass
class EventRow:
    """What the write path needs of an event, loaded without ORM identity bookkeeping."""

    id: str
    status: str
    data_seq: int
    standard_code: str
    standard_version: int
    started_at: datetime
    ended_at: datetime | None


def lock_event_rows(session: Session, event_ids: Iterable[str]) -> dict[str, EventRow]:
    """`lock_events` for the hot write path: plain rows, locked on PostgreSQL, in id order."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    cols = [col(Event.id), col(Event.status), col(Event.data_seq), col(Event.standard_code),
            col(Event.standard_version), col(Event.started_at), col(Event.ended_at)]
    q = sa_select(*cols).where(col(Event.id).in_(ids)).order_by(col(Event.id)).with_for_update()
    return {r[0]: EventRow(*r) for r in session.execute(q).all()}


def set_data_seq(session: Session, event_id: str, data_seq: int) -> None:
    session.execute(update(Event).where(col(Event.id) == event_id).values(data_seq=data_seq))


def add_event(session: Session, event: Event) -> None:
    session.add(event)
    session.flush()


def list_events(session: Session, *, member_user_id: int | None, status: str | None,
                limit: int, offset: int) -> tuple[list[Event], int]:
    """Events in creation order; with `member_user_id`, only the events that user belongs to."""
    q = select(Event)
    if member_user_id is not None:
        q = q.join(EventMember, col(EventMember.event_id) == Event.id).where(EventMember.user_id == member_user_id)
    if status:
        q = q.where(Event.status == status)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(Event.created_at), col(Event.id)).limit(limit).offset(offset)).all()
    return list(rows), total
