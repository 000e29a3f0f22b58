"""Queries for tracing requests, their match candidates and blocking keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlmodel import Session, col

from shared.domain.tracing import OPEN_STATUSES, status_at
from shared.models import (
    Event,
    Household,
    Person,
    TracingCursor,
    TracingMatch,
    TracingMatchKey,
    TracingRequest,
)
from shared.repositories.bulk import in_chunks
from shared.repositories.matching import open_shelters
from shared.repositories.people import is_active

KEYS = TracingMatchKey.__table__  # type: ignore[attr-defined]
MATCHES = TracingMatch.__table__  # type: ignore[attr-defined]


def get_request(session: Session, request_id: str) -> TracingRequest | None:
    return session.get(TracingRequest, request_id)


def by_pfif_ids(session: Session, record_ids: Sequence[str]) -> dict[str, TracingRequest]:
    if not record_ids:
        return {}
    q = select(TracingRequest).where(col(TracingRequest.pfif_record_id).in_(list(record_ids)))
    return {r.pfif_record_id: r for r in session.execute(q).scalars() if r.pfif_record_id}


def requests_for_subject(session: Session, person_id: str) -> list[TracingRequest]:
    q = select(TracingRequest).where(col(TracingRequest.subject_person_id) == person_id)
    return list(session.execute(q).scalars())


def _scope(q: Any, event_ids: set[str] | None) -> Any:
    return q if event_ids is None else q.where(col(TracingRequest.event_id).in_(sorted(event_ids)))


def list_requests(session: Session, *, event_ids: set[str] | None, status: str | None, kind: str | None,
                  limit: int, offset: int) -> tuple[list[TracingRequest], int]:
    """A window of requests (in `event_ids` when given), by creation time then id."""
    q = _scope(select(TracingRequest), event_ids)
    n = _scope(select(func.count()).select_from(TracingRequest), event_ids)
    for column, value in ((TracingRequest.status, status), (TracingRequest.kind, kind)):
        if value is not None:
            q, n = q.where(col(column) == value), n.where(col(column) == value)
    rows = list(session.execute(q.order_by(col(TracingRequest.created_at), col(TracingRequest.id))
                                .limit(limit).offset(offset)).scalars())
    return rows, int(session.execute(n).scalar_one())


def all_requests(session: Session, event_ids: set[str] | None) -> list[TracingRequest]:
    q = _scope(select(TracingRequest), event_ids).order_by(col(TracingRequest.created_at), col(TracingRequest.id))
    return list(session.execute(q).scalars())


def status_counts(session: Session, event_ids: set[str] | None) -> dict[str, int]:
    q = _scope(select(col(TracingRequest.status), func.count()).group_by(col(TracingRequest.status)), event_ids)
    return {s: int(n) for s, n in session.execute(q)}


def kind_status_counts(session: Session, event_ids: set[str] | None) -> dict[tuple[str, str], int]:
    q = _scope(select(col(TracingRequest.kind), col(TracingRequest.status), func.count())
               .group_by(col(TracingRequest.kind), col(TracingRequest.status)), event_ids)
    return {(k, s): int(n) for k, s, n in session.execute(q)}


def kind_status_counts_at(session: Session, event_id: str, at: datetime) -> dict[tuple[str, str], int]:
    """(kind, status at `at`) -> requests of one event, rebuilt from the instants each request keeps
    (shared/domain/tracing.status_at): the post-disaster report's tracing section as of its instant."""
    q = (select(col(TracingRequest.kind), col(TracingRequest.created_at), col(TracingRequest.found_at),
                col(TracingRequest.reunited_at), col(TracingRequest.closed_at))
         .where(col(TracingRequest.event_id) == event_id, col(TracingRequest.created_at) <= at))
    out: dict[tuple[str, str], int] = {}
    for kind, created, found, reunited, closed in session.execute(q):
        status = status_at(at, created_at=created, found_at=found, reunited_at=reunited, closed_at=closed)
        if status is not None:
            out[(kind, status)] = out.get((kind, status), 0) + 1
    return out


def strong_counts(session: Session, request_ids: Sequence[str]) -> dict[str, int]:
    if not request_ids:
        return {}
    q = (select(col(TracingMatch.request_id), func.count()).where(col(TracingMatch.request_id).in_(list(request_ids)),
                                                                 col(TracingMatch.strong).is_(True))
         .group_by(col(TracingMatch.request_id)))
    return {r: int(n) for r, n in session.execute(q)}


def person_flags(session: Session, person_ids: Sequence[str]) -> dict[str, list[str]]:
    """person id -> explicit vulnerability flags (the children's flags are among them)."""
    ids = [p for p in person_ids if p]
    if not ids:
        return {}
    q = select(col(Person.id), col(Person.vulnerabilities)).where(col(Person.id).in_(ids))
    return {pid: list(flags or []) for pid, flags in session.execute(q)}


# ---- match candidates ----

def matches_of(session: Session, request_id: str) -> list[TracingMatch]:
    q = (select(TracingMatch).where(col(TracingMatch.request_id) == request_id)
         .order_by(col(TracingMatch.score).desc(), col(TracingMatch.person_id)))
    return list(session.execute(q).scalars())


def existing_matches(session: Session, request_ids: Sequence[str]) -> dict[tuple[str, str], TracingMatch]:
    out: dict[tuple[str, str], TracingMatch] = {}
    for start in range(0, len(request_ids), 500):
        q = select(TracingMatch).where(col(TracingMatch.request_id).in_(list(request_ids[start:start + 500])))
        out.update({(m.request_id, m.person_id): m for m in session.execute(q).scalars()})
    return out


def delete_matches(session: Session, pairs: Sequence[tuple[str, str]]) -> None:
    if pairs:
        session.execute(delete(MATCHES).where(MATCHES.c.request_id == bindparam("r"), MATCHES.c.person_id == bindparam("p")),
                        [{"r": r, "p": p} for r, p in pairs])


def person_rows(session: Session, person_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What a candidate is scored on and shows (never anonymised or merged persons): the person, their
    household's kelurahan, their event's name and start. Any number of ids (read in chunks)."""
    out: list[dict[str, Any]] = []
    for part in in_chunks(person_ids):
        q = (select(col(Person.id), col(Person.event_id), col(Person.full_name), col(Person.birth_date),
                    col(Person.age_years), col(Person.sex), col(Person.nik), col(Person.household_id),
                    col(Person.condition), col(Household.kelurahan_code), col(Event.name), col(Event.started_at),
                    col(Person.created_at))
             .select_from(Person)
             .join(Event, col(Event.id) == col(Person.event_id))
             .outerjoin(Household, col(Household.id) == col(Person.household_id))
             .where(col(Person.id).in_(part), col(Person.anonymised_at).is_(None), is_active()))
        out += [{"person_id": pid, "event_id": eid, "full_name": name, "birth_date": bd, "age_years": age, "sex": sex,
                 "nik": nik, "household_id": hid, "condition": cond, "kelurahan_code": kel, "event_name": ename,
                 "event_started_at": started, "created_at": created}
                for pid, eid, name, bd, age, sex, nik, hid, cond, kel, ename, started, created in session.execute(q)]
    return out


# ---- blocking keys of open requests ----

def replace_keys(session: Session, request_id: str, hashes: Iterable[int]) -> None:
    session.execute(delete(KEYS).where(KEYS.c.request_id == request_id))
    rows = [{"match_key": h, "request_id": request_id} for h in sorted(set(hashes))]
    if rows:
        session.execute(KEYS.insert(), rows)


def requests_by_keys(session: Session, hashes: Iterable[int]) -> list[str]:
    """Open requests filed under any of these keys (an index lookup per key)."""
    keys = sorted(set(hashes))
    if not keys:
        return []
    q = (select(KEYS.c.request_id).distinct().join(TracingRequest, col(TracingRequest.id) == KEYS.c.request_id)
         .where(KEYS.c.match_key.in_(keys), col(TracingRequest.status).in_(OPEN_STATUSES)))
    return list(session.execute(q).scalars())


def requests_for_keys(session: Session, hashes: Iterable[int]) -> dict[int, list[str]]:
    """key -> the open requests filed under it, for many keys at once (pages of 500 keys: one query each
    instead of one per person)."""
    keys = sorted(set(hashes))
    out: dict[int, list[str]] = {}
    for start in range(0, len(keys), 500):
        q = (select(KEYS.c.match_key, KEYS.c.request_id)
             .join(TracingRequest, col(TracingRequest.id) == KEYS.c.request_id)
             .where(KEYS.c.match_key.in_(keys[start:start + 500]), col(TracingRequest.status).in_(OPEN_STATUSES)))
        for key, request_id in session.execute(q):
            out.setdefault(key, []).append(request_id)
    return out


def requests_by_ids(session: Session, ids: Sequence[str]) -> list[TracingRequest]:
    return [r for part in in_chunks(ids)
            for r in session.execute(select(TracingRequest).where(col(TracingRequest.id).in_(part))).scalars()]


def dirty_requests(session: Session, limit: int) -> list[TracingRequest]:
    """Requests changed since the worker last matched them (any status: a settled one loses its keys)."""
    q = (select(TracingRequest).where(col(TracingRequest.matched_version) < col(TracingRequest.version))
         .order_by(col(TracingRequest.updated_at), col(TracingRequest.id)).limit(limit))
    return list(session.execute(q).scalars())


def mark_matched(session: Session, request_id: str, version: int) -> None:
    session.execute(update(TracingRequest).where(col(TracingRequest.id) == request_id)
                    .values(matched_version=version))


def mark_for_rematch(session: Session, request_ids: Sequence[str]) -> None:
    for part in in_chunks(request_ids):
        session.execute(update(TracingRequest).where(col(TracingRequest.id).in_(part)).values(matched_version=0))


def has_open_requests(session: Session) -> bool:
    q = select(col(TracingRequest.id)).where(col(TracingRequest.status).in_(OPEN_STATUSES)).limit(1)
    return session.execute(q).first() is not None


def anonymise_requests(session: Session, *, event_id: str | None, subject_ids: Sequence[str] | None, name: str) -> int:
    """Overwrite what identifies the persons sought and their reporters in the requests of an event
    (`subject_ids` None) or about these persons; their keys and candidates go (docs/personal-data.md).
    Status, kind, event and dates stay: the counts are made of them."""
    q = select(col(TracingRequest.id))
    if subject_ids is None:
        q = q.where(col(TracingRequest.event_id) == event_id)
    else:
        if not subject_ids:
            return 0
        q = q.where(col(TracingRequest.subject_person_id).in_(list(subject_ids)))
    ids = list(session.execute(q).scalars())
    if not ids:
        return 0
    session.execute(update(TracingRequest).where(col(TracingRequest.id).in_(ids)).values(
        full_name=name, nik=None, birth_date=None, address=None, last_seen_place=None, description=None,
        reporter_name=None, reporter_relation=None, reporter_phone=None, reporter_contact=None))
    session.execute(update(TracingRequest).where(col(TracingRequest.id).in_(ids), col(TracingRequest.kind) == "keluarga")
                    .values(full_name=None))
    session.execute(delete(KEYS).where(KEYS.c.request_id.in_(ids)))
    session.execute(delete(MATCHES).where(MATCHES.c.request_id.in_(ids)))
    return len(ids)


def forget_matches_of_persons(session: Session, person_ids: Sequence[str]) -> None:
    if person_ids:
        session.execute(delete(MATCHES).where(MATCHES.c.person_id.in_(list(person_ids))))


def open_event_ids(session: Session) -> list[str]:
    """Events not yet selesai: their dashboards hear tracing news (the command post watches one of them)."""
    return list(session.execute(select(col(Event.id)).where(col(Event.status) != "selesai")).scalars())


# ---- the cursor over new registrations ----

def cursor(session: Session, name: str = "persons") -> tuple[datetime, str] | None:
    """(created_at, person id) of the last person matched, or None before the first pass."""
    row = session.get(TracingCursor, name)
    return None if row is None else (row.created_at, row.person_id)


def save_cursor(session: Session, at: datetime, person_id: str = "", name: str = "persons") -> None:
    row = session.get(TracingCursor, name)
    if row is None:
        session.add(TracingCursor(name=name, created_at=at, person_id=person_id))
    elif (at, person_id) > (row.created_at, row.person_id):
        row.created_at, row.person_id = at, person_id
        session.add(row)


# Office-wide, but read event by event through ix_persons_event_created (event_id, created_at, id): an index
# of its own on persons.created_at would cost every registration one more B-tree insert, and an office has
# tens of events, not thousands.

def _event_ids(session: Session) -> list[str]:
    return list(session.execute(select(col(Event.id))).scalars())


def persons_after(session: Session, at: datetime, person_id: str, limit: int) -> list[tuple[str, datetime]]:
    """(id, created_at) of the persons after (at, person_id) in (created_at, id) order, oldest first: the
    keyset of the cursor, so a page never repeats the last one."""
    created, pid, event = col(Person.created_at), col(Person.id), col(Person.event_id)
    found: list[tuple[datetime, str]] = []
    for event_id in _event_ids(session):
        # `created >= at` first: the index's range starts at the cursor (with the OR alone SQLite reads the
        # event's whole index entry by entry, ~6 ms at 50,000 persons for a pass that finds a handful)
        q = (select(created, pid).where(event == event_id, created >= at, or_(created > at, pid > person_id))
             .order_by(created, pid).limit(limit))
        found += [(c, p) for c, p in session.execute(q)]
    found.sort()
    return [(p, c) for c, p in found[:limit]]


def persons_created_between(session: Session, since: datetime, until: datetime,
                            limit: int) -> list[tuple[str, datetime]]:
    """(id, created_at) of persons registered in [since, until], newest first: the grace window behind the
    cursor, read again for registrations that committed after a pass had moved past their instant."""
    created, pid, event = col(Person.created_at), col(Person.id), col(Person.event_id)
    found: list[tuple[datetime, str]] = []
    for event_id in _event_ids(session):
        q = (select(created, pid).where(event == event_id, created >= since, created <= until)
             .order_by(created.desc(), pid.desc()).limit(limit))
        found += [(c, p) for c, p in session.execute(q)]
    found.sort(reverse=True)
    return [(p, c) for c, p in found[:limit]]


def latest_person_created(session: Session) -> datetime | None:
    newest = [session.execute(select(func.max(col(Person.created_at))).where(col(Person.event_id) == event_id))
              .scalar_one_or_none() for event_id in _event_ids(session)]
    return max((n for n in newest if n is not None), default=None)


__all__ = ["date", "open_shelters"]  # open_shelters: the one of find-before-register
