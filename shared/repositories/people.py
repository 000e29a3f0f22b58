"""Queries for shelters, households, persons, stays, distributions and services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shared.db import parse_instant, utcnow
from shared.models import Distribution, Event, Household, Person, Service, Shelter, Stay
from shared.repositories.bulk import instant_param, select_in


def is_active() -> Any:
    """The one rule every read of persons keeps: a person merged into another (an alias of its
    survivor, shared/services/merge.py) is not a person of its own and is never listed or counted."""
    return col(Person.merged_into).is_(None)


def merged_aliases(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """merged id -> the survivor it resolves to now (following a chain: A into B, then B into C)."""
    out: dict[str, str] = {}
    step = dict(select_in(session, "SELECT id, merged_into FROM persons WHERE merged_into IS NOT NULL AND id {values}",
                          ids))  # type: ignore[arg-type]
    for _ in range(20):  # a chain is as long as the merges made one after another; never a cycle
        if not step:
            break
        out.update(step)
        further = dict(select_in(session, "SELECT id, merged_into FROM persons WHERE merged_into IS NOT NULL "
                                          "AND id {values}", set(step.values())))  # type: ignore[arg-type]
        for merged, survivor in list(out.items()):
            if survivor in further:
                out[merged] = further[survivor]
        step = further
    return out


# ---- prefetch for the write path: one set-based query per table ----

def shelters_by_id(session: Session, ids: Iterable[str]) -> dict[str, tuple[str, datetime | None, str]]:
    """id -> (event_id, closed_at, kelurahan_code)."""
    return {sid: (eid, parse_instant(closed), kelurahan)
            for sid, eid, closed, kelurahan in select_in(
                session, "SELECT id, event_id, closed_at, kelurahan_code FROM shelters WHERE id {values}", ids)}


def household_events(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """id -> event_id of the households that exist."""
    return dict(select_in(session, "SELECT id, event_id FROM households WHERE id {values}", ids))  # type: ignore[arg-type]


def person_events(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """id -> event_id of the persons that exist."""
    return dict(select_in(session, "SELECT id, event_id FROM persons WHERE id {values}", ids))  # type: ignore[arg-type]


# Tables a client-keyed create inserts into, for `existing_ids` (a fixed list: never a name from input).
CREATED_TABLES = ("households", "shelters", "persons", "stays", "distributions", "services", "tracing_requests")


def existing_ids(session: Session, table: str, ids: Iterable[str]) -> set[str]:
    """The ids among `ids` that already exist in `table`, whatever event they belong to."""
    assert table in CREATED_TABLES
    return {row[0] for row in select_in(session, f"SELECT id FROM {table} WHERE id {{values}}", ids)}


def open_stays(session: Session, person_ids: Iterable[str], at: datetime
               ) -> dict[str, tuple[str, str | None, datetime, str | None, str | None]]:
    """person_id -> (stay_id, shelter_id (None: mandiri), check_in, kelurahan_code, address) of the stay
    open at `at`."""
    rows = select_in(session, "SELECT person_id, id, shelter_id, check_in, kelurahan_code, address FROM stays "
                              "WHERE (check_out IS NULL OR check_out > {p}) AND person_id {values}",
                     person_ids, instant_param(session, at))
    parsed = sorted(((parse_instant(cin), pid, sid), (shelter, kel, addr))
                    for pid, sid, shelter, cin, kel, addr in rows)  # type: ignore[misc]
    # the latest check-in wins
    return {pid: (sid, place[0], cin, place[1], place[2]) for (cin, pid, sid), place in parsed}  # type: ignore[misc]


def persons_by_nik(session: Session, event_ids: Iterable[str], niks: Iterable[str]) -> dict[tuple[str, str], str]:
    """(event_id, nik) -> person id."""
    niks = list(niks)
    out: dict[tuple[str, str], str] = {}
    for eid in sorted(set(event_ids)):
        for nik, pid in select_in(session, "SELECT nik, id FROM persons WHERE event_id = {p} AND merged_into IS NULL "
                                           "AND nik {values}",
                                  niks, eid):
            out[(eid, nik)] = pid
    return out


def close_stays(session: Session, closes: dict[str, datetime]) -> None:
    for stay_id, at in closes.items():
        session.execute(update(Stay).where(col(Stay.id) == stay_id).values(check_out=at))


# ---- reads ----

def _open_stay_shelter(now: datetime) -> Any:
    return (
        sa_select(col(Stay.shelter_id))
        .where(col(Stay.person_id) == col(Person.id), or_(col(Stay.check_out).is_(None), col(Stay.check_out) > now))
        .order_by(col(Stay.check_in).desc())
        .limit(1)
        .scalar_subquery()
    )


def _open_stay_kind(now: datetime) -> Any:
    """The kind of the person's open stay (shelter | mandiri), null without one."""
    return (
        sa_select(col(Stay.kind))
        .where(col(Stay.person_id) == col(Person.id), or_(col(Stay.check_out).is_(None), col(Stay.check_out) > now))
        .order_by(col(Stay.check_in).desc())
        .limit(1)
        .scalar_subquery()
    )


def _person_query(now: datetime) -> Any:
    """Rows of (person, event start, open stay's shelter, has a stay, open stay's kind)."""
    has_stay = exists().where(and_(col(Stay.person_id) == col(Person.id), col(Stay.check_in) <= now))
    return sa_select(Person, col(Event.started_at), _open_stay_shelter(now).label("shelter_id"),
                     has_stay.label("has_stay"), _open_stay_kind(now).label("stay_kind")).join(
        Event, col(Event.id) == Person.event_id)


def get_person_row(session: Session, person_id: str) -> tuple[Person, datetime, str | None, bool, str | None] | None:
    """A person as answers present it; a merged id answers its survivor (see `get_person`)."""
    person = get_person(session, person_id)
    if person is None:
        return None
    row = session.execute(_person_query(utcnow()).where(col(Person.id) == person.id)).first()
    return tuple(row) if row else None  # type: ignore[return-value]


def get_person_rows(session: Session,
                    person_ids: Iterable[str]) -> dict[str, tuple[Person, datetime, str | None, bool, str | None]]:
    """Several persons as `get_person_row` reads one (aliases included: the caller asked for these ids)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(_person_query(utcnow()).where(col(Person.id).in_(ids))).all()
    return {r[0].id: tuple(r) for r in rows}  # type: ignore[misc]


def list_person_rows(session: Session, event_id: str, *, q: str | None, shelter_id: str | None,
                     household_id: str | None, condition: str | None, limit: int,
                     offset: int) -> tuple[list[tuple[Person, datetime, str | None, bool, str | None]], int]:
    now = utcnow()
    filters: list[Any] = [Person.event_id == event_id, is_active()]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"
        filters.append(or_(func.lower(Person.full_name).like(like, escape="\\"), col(Person.nik) == q))
    if household_id:
        filters.append(Person.household_id == household_id)
    if condition:
        filters.append(Person.condition == condition)
    if shelter_id:
        filters.append(_open_stay_shelter(now) == shelter_id)
    total = session.exec(select(func.count()).select_from(Person).where(*filters)).one()
    rows = session.execute(_person_query(now).where(*filters).order_by(
        col(Person.created_at), col(Person.id)).limit(limit).offset(offset)).all()
    return [tuple(r) for r in rows], total  # type: ignore[misc]


def get_person(session: Session, person_id: str) -> Person | None:
    """The person, or the survivor when `person_id` was merged into another: every later read or write
    naming the old id lands on the survivor (shared/services/merge.py)."""
    person = session.get(Person, person_id)
    for _ in range(20):
        if person is None or person.merged_into is None:
            break
        person = session.get(Person, person.merged_into)
    return person


def get_person_record(session: Session, person_id: str) -> Person | None:
    """The person row itself, an alias included (merge and unmerge work on it)."""
    return session.get(Person, person_id)


def get_shelter(session: Session, shelter_id: str) -> Shelter | None:
    return session.get(Shelter, shelter_id)


def occupants(session: Session, shelter_ids: list[str]) -> dict[str, int]:
    if not shelter_ids:
        return {}
    now = utcnow()
    q = select(Stay.shelter_id, func.count(func.distinct(Stay.person_id))).where(
        col(Stay.shelter_id).in_(shelter_ids), or_(col(Stay.check_out).is_(None), col(Stay.check_out) > now),
        col(Stay.check_in) <= now,
    ).group_by(col(Stay.shelter_id))
    return {sid: n for sid, n in session.exec(q).all() if sid is not None}  # a mandiri stay has no shelter


def list_shelters(session: Session, event_id: str, *, open_only: bool, limit: int, offset: int) -> tuple[list[Shelter], int]:
    q = select(Shelter).where(Shelter.event_id == event_id)
    if open_only:
        q = q.where(col(Shelter.closed_at).is_(None))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(Shelter.created_at), col(Shelter.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def get_household(session: Session, household_id: str) -> Household | None:
    return session.get(Household, household_id)


def member_counts(session: Session, household_ids: list[str]) -> dict[str, int]:
    if not household_ids:
        return {}
    q = select(Person.household_id, func.count()).where(col(Person.household_id).in_(household_ids),
                                                        is_active()).group_by(
        col(Person.household_id))
    return dict(session.exec(q).all())  # type: ignore[arg-type]


def list_households(session: Session, event_id: str, *, q: str | None, limit: int, offset: int) -> tuple[list[Household], int]:
    query = select(Household).where(Household.event_id == event_id)
    if q:
        like = "%" + q.replace("%", "").lower() + "%"
        query = query.where(or_(func.lower(Household.head_name).like(like), col(Household.kk_number) == q))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Household.created_at), col(Household.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def get_stay(session: Session, stay_id: str) -> Stay | None:
    return session.get(Stay, stay_id)


def list_stays(session: Session, person_id: str) -> list[Stay]:
    return list(session.exec(select(Stay).where(Stay.person_id == person_id).order_by(col(Stay.check_in), col(Stay.id))).all())


def get_distribution(session: Session, distribution_id: str) -> Distribution | None:
    return session.get(Distribution, distribution_id)


def list_distributions(session: Session, event_id: str, *, shelter_id: str | None, item_code: str | None,
                       limit: int, offset: int) -> tuple[list[Distribution], int]:
    q = select(Distribution).where(Distribution.event_id == event_id)
    if shelter_id:
        q = q.where(Distribution.shelter_id == shelter_id)
    if item_code:
        q = q.where(Distribution.item_code == item_code)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(Distribution.created_at), col(Distribution.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def get_service(session: Session, service_id: str) -> Service | None:
    return session.get(Service, service_id)


def list_services(session: Session, event_id: str, *, person_id: str | None, limit: int,
                  offset: int) -> tuple[list[Service], int]:
    q = select(Service).where(Service.event_id == event_id)
    if person_id:
        q = q.where(Service.person_id == person_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(Service.created_at), col(Service.id)).limit(limit).offset(offset)).all()
    return list(rows), total
