"""Queries for personal-data rights: anonymisation, a person's export, retention and replay-copy purges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, update
from sqlmodel import Session, col, select

from shared.models import AuditLog, ClientOperation, Distribution, Event, Household, Person, Service, Stay

ANONYMISED_OPERATION = {"fp": 1, "h": "anonymised", "t": {}}  # matches no content: a replay is a conflict


def persons_not_anonymised(session: Session, event_id: str,
                           person_ids: Sequence[str] | None = None) -> list[tuple[str, str | None, date | None, int | None]]:
    """(id, household_id, birth_date, age_years) of the event's persons not yet anonymised."""
    q = select(col(Person.id), col(Person.household_id), col(Person.birth_date), col(Person.age_years)).where(
        Person.event_id == event_id, col(Person.anonymised_at).is_(None))
    if person_ids is not None:
        q = q.where(col(Person.id).in_(list(person_ids)))
    return [tuple(r) for r in session.exec(q).all()]  # type: ignore[misc]


def households_not_anonymised(session: Session, event_id: str, name: str) -> int:
    """How many of the event's households still carry a head's name, KK number or address."""
    q = select(func.count()).select_from(Household).where(
        col(Household.event_id) == event_id,
        or_(col(Household.head_name) != name, col(Household.kk_number).is_not(None),
            col(Household.address).is_not(None)))
    return int(session.exec(q).one())


def anonymise_persons(session: Session, ages: dict[str, int | None], name: str, at: datetime) -> None:
    """Overwrite the identifying fields of these persons (id -> the age they keep), one executemany."""
    if not ages:
        return
    table = Person.__table__  # type: ignore[attr-defined]
    stmt = update(table).where(table.c.id == bindparam("pid")).values(
        full_name=name, nik=None, birth_date=None, age_years=bindparam("age"), anonymised_at=at,
        version=table.c.version + 1)
    session.connection().execute(stmt, [{"pid": pid, "age": age} for pid, age in ages.items()])


def _scope(column: Any, event_column: Any, event_id: str, ids: Sequence[str] | None) -> Any:
    """Rows of the event (ids None: the whole event) or those naming one of `ids`."""
    return event_column == event_id if ids is None else col(column).in_(list(ids))


def anonymise_households(session: Session, event_id: str, household_ids: Sequence[str] | None, name: str) -> None:
    """A household's KK number, address and head's name identify its members: cleared."""
    if household_ids is not None and not household_ids:
        return
    session.execute(update(Household).where(_scope(Household.id, Household.event_id, event_id, household_ids))
                    .values(head_name=name, kk_number=None, address=None))


def clear_notes(session: Session, event_id: str, person_ids: Sequence[str] | None,
                household_ids: Sequence[str] | None) -> None:
    """Free text about these persons and households (distribution and service notes, the addresses of
    mandiri stays) is removed; with None for both, every note of the event about a person or household."""
    if person_ids is None:
        session.execute(update(Stay).where(col(Stay.event_id) == event_id).values(address=None))
        session.execute(update(Service).where(col(Service.event_id) == event_id).values(notes=None))
        session.execute(update(Distribution).where(
            col(Distribution.event_id) == event_id,
            or_(col(Distribution.person_id).is_not(None), col(Distribution.household_id).is_not(None)))
            .values(notes=None))
        return
    if person_ids:
        session.execute(update(Stay).where(col(Stay.person_id).in_(list(person_ids))).values(address=None))
        session.execute(update(Service).where(col(Service.person_id).in_(list(person_ids))).values(notes=None))
    conditions = []
    if person_ids:
        conditions.append(col(Distribution.person_id).in_(list(person_ids)))
    if household_ids:
        conditions.append(col(Distribution.household_id).in_(list(household_ids)))
    if conditions:
        session.execute(update(Distribution).where(or_(*conditions)).values(notes=None))


def forget_operations(session: Session, event_id: str, object_ids: Sequence[str] | None) -> None:
    """Replay records of these objects (None: every person/household record of the event) keep their id,
    so nothing is created twice, but lose their fingerprint: a replay of them is a conflict."""
    if object_ids is not None and not object_ids:
        return
    if object_ids is None:
        cond = and_(col(ClientOperation.event_id) == event_id, col(ClientOperation.kind).not_in(["event", "shelter"]))
    else:
        cond = col(ClientOperation.object_id).in_(list(object_ids))
    session.execute(update(ClientOperation).where(cond).values(payload=ANONYMISED_OPERATION))


def records_about(session: Session, person_id: str, household_id: str | None) -> list[str]:
    """Ids of the stays, services and distributions about a person (or their household)."""
    ids = list(session.exec(select(Stay.id).where(Stay.person_id == person_id)).all())
    ids += list(session.exec(select(Service.id).where(Service.person_id == person_id)).all())
    cond = col(Distribution.person_id) == person_id
    if household_id:
        cond = or_(cond, col(Distribution.household_id) == household_id)
    ids += list(session.exec(select(Distribution.id).where(cond)).all())
    return ids


def purge_operations(session: Session, before: datetime) -> int:
    """Delete replay records written before `before`; returns how many."""
    result = session.execute(delete(ClientOperation).where(col(ClientOperation.created_at) < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def events_ended_before(session: Session, before: datetime) -> list[Event]:
    """Events whose end lies before `before` (retention has run out), oldest end first."""
    q = select(Event).where(col(Event.ended_at).is_not(None), col(Event.ended_at) < before).order_by(
        col(Event.ended_at), col(Event.id))
    return list(session.exec(q).all())


def lock_event(session: Session, event_id: str) -> Event | None:
    """The event row, locked for writing on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises)."""
    return session.exec(select(Event).where(Event.id == event_id).with_for_update()).first()


# ---- a person's export ----

def _rows(session: Session, q: Any) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in session.exec(q).all()]


def person_stays(session: Session, person_id: str) -> list[dict[str, Any]]:
    return _rows(session, select(Stay).where(Stay.person_id == person_id).order_by(col(Stay.check_in), col(Stay.id)))


def person_distributions(session: Session, person_id: str, household_id: str | None) -> list[dict[str, Any]]:
    """Distributions addressed to the person or to their household."""
    cond = col(Distribution.person_id) == person_id
    if household_id:
        cond = or_(cond, col(Distribution.household_id) == household_id)
    return _rows(session, select(Distribution).where(cond).order_by(col(Distribution.delivered_at),
                                                                     col(Distribution.id)))


def person_services(session: Session, person_id: str) -> list[dict[str, Any]]:
    return _rows(session, select(Service).where(Service.person_id == person_id).order_by(
        col(Service.delivered_at), col(Service.id)))


def audit_about(session: Session, object_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Audit rows naming these objects (the person, their household, their stays and services)."""
    if not object_ids:
        return []
    return _rows(session, select(AuditLog).where(col(AuditLog.object_id).in_(list(object_ids))).order_by(
        col(AuditLog.id)))
