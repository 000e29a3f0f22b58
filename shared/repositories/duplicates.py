"""Queries of duplicate review: the pair queue, the merge records, the rows a merge moves, the scan's state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session, col

from shared.db import driver_rows
from shared.models import (
    Distribution,
    DuplicatePair,
    DuplicateScan,
    Event,
    EventMember,
    Household,
    Outbox,
    Person,
    PersonMerge,
    Service,
    Stay,
)
from shared.repositories.bulk import insert_many, select_in
from shared.repositories.people import is_active

# The tables whose rows belong to a person and move with a merge (tracing links will join them).
MOVING: dict[str, Any] = {"stays": Stay, "distributions": Distribution, "services": Service}


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The two ids of a pair in canonical order."""
    return (a, b) if a < b else (b, a)


def pair_id(a: str, b: str) -> str:
    """The id of the pair of persons a and b, derived from both ids (order does not matter): a scan that
    finds the pair again finds the same row."""
    lo, hi = pair_key(a, b)
    h = hashlib.md5(f"posko-pair:{lo}|{hi}".encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


# ---------------------------------------------------------------- rows a merge moves


def row_ids(session: Session, table: str, person_id: str) -> list[str]:
    """Ids of the person's rows in one of the MOVING tables."""
    model = MOVING[table]
    return list(session.execute(select(col(model.id)).where(col(model.person_id) == person_id)
                                .order_by(col(model.id))).scalars())


def move_rows(session: Session, table: str, ids: Sequence[str], to_person: str) -> None:
    """Give these rows of a MOVING table to another person."""
    model = MOVING[table]
    for i in range(0, len(ids), 500):
        session.execute(update(model).where(col(model.id).in_(list(ids[i:i + 500]))).values(person_id=to_person))


def open_stays(session: Session, person_id: str) -> list[tuple[str, datetime]]:
    """(id, check_in) of the person's open stays, latest check-in last."""
    return [(sid, cin) for sid, cin in session.execute(
        select(col(Stay.id), col(Stay.check_in)).where(col(Stay.person_id) == person_id, col(Stay.check_out).is_(None))
        .order_by(col(Stay.check_in), col(Stay.id)))]


def set_check_out(session: Session, stay_id: str, at: datetime | None) -> None:
    session.execute(update(Stay).where(col(Stay.id) == stay_id).values(check_out=at))


class Counts(NamedTuple):
    stays: int
    distributions: int
    services: int


def row_counts(session: Session, person_ids: Iterable[str]) -> dict[str, Counts]:
    """How many stays, distributions and services each person has (what a merge of it would move)."""
    ids = sorted(set(person_ids))
    found: dict[str, dict[str, int]] = {pid: {} for pid in ids}
    for table, model in MOVING.items():
        for pid, n in select_in(session, f"SELECT person_id, COUNT(*) FROM {model.__tablename__} "
                                         "WHERE person_id {values} GROUP BY person_id", ids):
            found[pid][table] = int(n)
    return {pid: Counts(c.get("stays", 0), c.get("distributions", 0), c.get("services", 0)) for pid, c in found.items()}


# ---------------------------------------------------------------- merge records


def add_merge(session: Session, merge: PersonMerge) -> None:
    session.add(merge)


def current_merge(session: Session, merged_id: str) -> PersonMerge | None:
    """The merge that made `merged_id` an alias (not undone)."""
    return session.execute(select(PersonMerge).where(col(PersonMerge.merged_id) == merged_id,
                                                     col(PersonMerge.undone_at).is_(None))
                           .order_by(col(PersonMerge.merged_at).desc())).scalars().first()


# ---------------------------------------------------------------- the pair queue


def get_pair(session: Session, pair: str) -> DuplicatePair | None:
    return session.get(DuplicatePair, pair)


def pair_of(session: Session, a: str, b: str) -> DuplicatePair | None:
    return session.get(DuplicatePair, pair_id(a, b))


def remove_open_pairs_of(session: Session, person_id: str, keep: str | None) -> int:
    """Drop the open pairs naming a person who is now an alias (the next scan finds what is left)."""
    result = session.execute(delete(DuplicatePair).where(
        col(DuplicatePair.status) == "open", col(DuplicatePair.id) != (keep or ""),
        or_(col(DuplicatePair.person_a) == person_id, col(DuplicatePair.person_b) == person_id)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _of_event(event_id: str) -> Any:
    return or_(col(DuplicatePair.event_id) == event_id, col(DuplicatePair.other_event_id) == event_id)


def list_pairs(session: Session, event_id: str, *, status: str | None, visible_events: set[str] | None,
               limit: int, offset: int) -> tuple[list[DuplicatePair], int]:
    """The event's pairs (inside it, or with a person of another event the caller may see), highest
    score first, then oldest, then id. `visible_events` None: every event."""
    filters: list[Any] = [_of_event(event_id)]
    if status:
        filters.append(col(DuplicatePair.status) == status)
    if visible_events is not None:
        filters.append(col(DuplicatePair.event_id).in_(sorted(visible_events)))
        filters.append(col(DuplicatePair.other_event_id).in_(sorted(visible_events)))
    total = int(session.execute(select(func.count()).select_from(DuplicatePair).where(*filters)).scalar_one())
    rows = session.execute(select(DuplicatePair).where(*filters).order_by(
        col(DuplicatePair.score).desc(), col(DuplicatePair.created_at), col(DuplicatePair.id))
        .limit(limit).offset(offset)).scalars().all()
    return list(rows), total


class StoredPair(NamedTuple):
    id: str
    status: str
    score: float
    reasons: list[str]


def pairs_touching(session: Session, event_id: str) -> dict[str, StoredPair]:
    """Every stored pair with a person of the event, by id (what a scan compares its findings with)."""
    out: dict[str, StoredPair] = {}
    for pid, status, score, reasons in driver_rows(session, select(
            col(DuplicatePair.id), col(DuplicatePair.status), col(DuplicatePair.score), col(DuplicatePair.reasons))
            .where(_of_event(event_id))):
        if isinstance(reasons, str):  # JSON text on SQLite; psycopg decodes it already
            reasons = json.loads(reasons)
        out[pid] = StoredPair(pid, status, float(score), list(reasons))
    return out


def insert_pairs(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_many(session, DuplicatePair, rows)


def update_open_pair(session: Session, pair: str, score: float, reasons: list[str], at: datetime) -> None:
    """A pair found again with another score: refreshed, only while it is open (a decision stands)."""
    session.execute(update(DuplicatePair).where(col(DuplicatePair.id) == pair, col(DuplicatePair.status) == "open")
                    .values(score=score, reasons=reasons, updated_at=at))


def delete_open_pairs(session: Session, ids: Iterable[str]) -> int:
    ids = sorted(ids)
    n = 0
    for i in range(0, len(ids), 500):
        result = session.execute(delete(DuplicatePair).where(col(DuplicatePair.id).in_(ids[i:i + 500]),
                                                             col(DuplicatePair.status) == "open"))
        n += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return n


# ---------------------------------------------------------------- what the scan reads


class KeyRow(NamedTuple):
    """The fields of a person the matcher compares."""

    person_id: str
    event_id: str
    full_name: str
    birth_date: date | None
    sex: str
    nik: str | None
    kelurahan_code: str | None
    household_id: str | None


def _key_query() -> Any:
    return (select(col(Person.id), col(Person.event_id), col(Person.full_name), col(Person.birth_date),
                   col(Person.sex), col(Person.nik), col(Household.kelurahan_code), col(Person.household_id))
            .outerjoin(Household, col(Household.id) == col(Person.household_id))
            .where(is_active(), col(Person.anonymised_at).is_(None)))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def match_rows(session: Session, event_id: str) -> list[KeyRow]:
    """The event's persons (not merged, not anonymised) as the matcher reads them."""
    return [KeyRow(pid, eid, name, _date(birth), sex, nik, kel, hid)
            for pid, eid, name, birth, sex, nik, kel, hid in driver_rows(
                session, _key_query().where(col(Person.event_id) == event_id))]


def other_open_event_rows(session: Session, event_id: str) -> list[KeyRow]:
    """The persons of every other event still open (not selesai): the scan looks for the same NIK or a
    strong match across events."""
    return [KeyRow(pid, eid, name, _date(birth), sex, nik, kel, hid)
            for pid, eid, name, birth, sex, nik, kel, hid in driver_rows(
                session, _key_query().join(Event, col(Event.id) == col(Person.event_id))
                .where(col(Person.event_id) != event_id, col(Event.status) != "selesai"))]


# ---------------------------------------------------------------- the side-by-side view


def member_events(session: Session, user_id: int | None) -> set[str]:
    """The events a relawan is a member of (whose persons a pair may show them)."""
    return set(session.execute(select(col(EventMember.event_id)).where(col(EventMember.user_id) == user_id)).scalars())


class SideRow(NamedTuple):
    shelter_name: str | None
    household_head: str | None
    kelurahan_code: str | None


def side_rows(session: Session, person_ids: Iterable[str], open_shelters: dict[str, str | None]) -> dict[str, SideRow]:
    """Shelter name, household head and kelurahan of each person, for the pair view."""
    ids = sorted(set(person_ids))
    heads = {pid: (head, kel) for pid, head, kel in select_in(
        session, "SELECT persons.id, households.head_name, households.kelurahan_code FROM persons "
                 "JOIN households ON households.id = persons.household_id WHERE persons.id {values}", ids)}
    names = dict(select_in(session, "SELECT id, name FROM shelters WHERE id {values}",
                           [s for s in open_shelters.values() if s]))
    return {pid: SideRow(names.get(open_shelters.get(pid) or ""), *(heads.get(pid, (None, None)))) for pid in ids}


# ---------------------------------------------------------------- the scan's state


def scan_state(session: Session, event_id: str) -> DuplicateScan | None:
    return session.get(DuplicateScan, event_id)


def save_scan_state(session: Session, event_id: str, data_seq: int, started_at: datetime, finished_at: datetime,
                    pairs: int, seconds: float) -> None:
    state = session.get(DuplicateScan, event_id)
    if state is None:
        state = DuplicateScan(event_id=event_id)
    state.data_seq, state.started_at, state.finished_at = data_seq, started_at, finished_at
    state.pairs, state.seconds = pairs, seconds
    session.add(state)


def events_due_for_scan(session: Session, quiet_before: datetime, overdue_before: datetime) -> list[str]:
    """Open events changed since their last scan whose writes have paused (no outbox row after
    `quiet_before`), or whose last scan finished before `overdue_before` (a long burst of writes): a
    scan never runs in the middle of a burst it would only have to repeat."""
    s = DuplicateScan
    last_write = (select(func.max(col(Outbox.created_at))).where(col(Outbox.event_id) == col(Event.id))
                  .scalar_subquery())
    rows = session.execute(
        select(col(Event.id), last_write, col(s.finished_at))
        .outerjoin(s, col(s.event_id) == col(Event.id))
        .where(col(Event.status) != "selesai", or_(col(s.event_id).is_(None), col(Event.data_seq) > col(s.data_seq)))
        .order_by(col(Event.id))).all()
    due = []
    for eid, written, finished in rows:
        if written is None or written <= quiet_before or (finished is not None and finished <= overdue_before):
            due.append(eid)
    return due
