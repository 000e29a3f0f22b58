"""Queries for find-before-register: the persons' blocking keys and the candidates they lead to.

Keys are 63-bit hashes (shared/matching/blocking.py:key_hash) in `person_match_keys`, primary key
(match_key, person_id): a search looks up a handful of keys by index and reads the few persons
behind them, whatever the size of the register.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, inspect, or_, select
from sqlmodel import Session, col

from shared.matching import stored_key_hashes
from shared.models import (
    Event,
    EventMember,
    Household,
    Person,
    PersonKeyBacklog,
    PersonMatchKey,
    Shelter,
    Stay,
)
from shared.repositories.bulk import in_chunks
from shared.repositories.people import is_active

KEYS = PersonMatchKey.__table__  # type: ignore[attr-defined]
BACKLOG = PersonKeyBacklog.__table__  # type: ignore[attr-defined]
PERSONS = Person.__table__  # type: ignore[attr-defined]
# A search scores at most this many persons: blocks are small, a larger one is a common name alone.
MAX_CANDIDATES = 60


def _driver(conn: Session | Connection) -> Connection:
    return conn.connection() if isinstance(conn, Session) else conn


def insert_keys(conn: Session | Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Store keys (match_key, person_id, event_id) in one executemany, straight to the driver. A key
    already there is left as it is: the drain and a correction may both write a person's keys."""
    if not rows:
        return
    connection = _driver(conn)
    if connection.dialect.name == "sqlite":
        sql = "INSERT OR IGNORE INTO person_match_keys (match_key, person_id, event_id) VALUES (?, ?, ?)"
    else:
        sql = ("INSERT INTO person_match_keys (match_key, person_id, event_id) VALUES (%s, %s, %s) "
               "ON CONFLICT DO NOTHING")
    connection.exec_driver_sql(sql, list(rows))


def queue_keys(conn: Session | Connection, persons: Sequence[tuple[str, str]]) -> None:
    """Append (person_id, event_id) of newly stored persons to the backlog, in one executemany straight to
    the driver: this runs on every registration."""
    if not persons:
        return
    connection = _driver(conn)
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    connection.exec_driver_sql(f"INSERT INTO person_key_backlog (person_id, event_id) VALUES ({mark}, {mark})",
                               list(persons))


def backlog_page(conn: Session | Connection, limit: int
                 ) -> list[tuple[int, str, str, str, date | None, str | None, bool]]:
    """The oldest backlog entries with what their keys are made of: (seq, person_id, event_id, full_name,
    birth_date, nik, anonymised). On PostgreSQL the backlog rows and their persons are locked, skipping
    those another drain or a correction holds: two workers drain side by side, and a correction never
    sees keys computed from the values it is replacing (it waits, then replaces them)."""
    q = (select(BACKLOG.c.seq, BACKLOG.c.person_id, BACKLOG.c.event_id, PERSONS.c.full_name, PERSONS.c.birth_date,
                PERSONS.c.nik, PERSONS.c.anonymised_at.is_not(None))
         .select_from(BACKLOG.join(PERSONS, PERSONS.c.id == BACKLOG.c.person_id))
         .order_by(BACKLOG.c.seq).limit(limit))
    connection = _driver(conn)
    if connection.dialect.name != "sqlite":
        q = q.with_for_update(skip_locked=True)
    return [tuple(r) for r in connection.execute(q)]  # type: ignore[misc]


def delete_orphan_backlog(conn: Session | Connection) -> int:
    """Drop backlog entries whose person is gone (an event purged before the drain came)."""
    gone = ~select(PERSONS.c.id).where(PERSONS.c.id == BACKLOG.c.person_id).exists()
    return int(_driver(conn).execute(delete(BACKLOG).where(gone)).rowcount or 0)


def delete_backlog(conn: Session | Connection, seqs: Sequence[int]) -> None:
    for start in range(0, len(seqs), 500):
        _driver(conn).execute(delete(BACKLOG).where(BACKLOG.c.seq.in_(list(seqs[start:start + 500]))))


def delete_all_backlog(conn: Connection) -> None:
    """Empty the backlog (when every person is keyed afresh). A database migrated only up to the match keys
    (the 0008 backfill runs this code) has no backlog yet."""
    if inspect(conn).has_table(BACKLOG.name):
        conn.execute(delete(BACKLOG))


def backlog_size(conn: Session | Connection) -> int:
    return int(_driver(conn).execute(select(func.count()).select_from(BACKLOG)).scalar_one())


def backlog_hits(session: Session, keys: set[int], event_ids: Iterable[str] | None) -> dict[str, int]:
    """person_id -> how many of `keys` they hold, for the persons still in the backlog (their keys are
    not in the index yet, so they are computed here; the backlog is what the last seconds registered)."""
    q = (select(PERSONS.c.id, PERSONS.c.full_name, PERSONS.c.birth_date, PERSONS.c.nik)
         .select_from(BACKLOG.join(PERSONS, PERSONS.c.id == BACKLOG.c.person_id))
         .where(PERSONS.c.anonymised_at.is_(None)))
    if event_ids is not None:
        q = q.where(BACKLOG.c.event_id.in_(sorted(set(event_ids))))
    hits: dict[str, int] = {}
    for pid, name, bd, nik in session.execute(q):
        shared = len(keys & stored_key_hashes(name, bd, nik))
        if shared:
            hits[pid] = shared
    return hits


def delete_keys(conn: Session | Connection, pairs: Sequence[tuple[int, str]]) -> None:
    """Delete keys by (match_key, person_id), the primary key, in one executemany."""
    if pairs:
        conn.execute(delete(KEYS).where(KEYS.c.match_key == bindparam("k"), KEYS.c.person_id == bindparam("p")),
                     [{"k": k, "p": p} for k, p in pairs])


def delete_all_keys(conn: Connection) -> None:
    conn.execute(delete(KEYS))


def key_fields(session: Session, person_ids: Sequence[str]) -> list[tuple[str, str, date | None, str | None]]:
    """(id, full_name, birth_date, nik) of these persons: what their keys were computed from."""
    out: list[tuple[str, str, date | None, str | None]] = []
    for start in range(0, len(person_ids), 500):
        q = select(col(Person.id), col(Person.full_name), col(Person.birth_date), col(Person.nik)).where(
            col(Person.id).in_(person_ids[start:start + 500]))
        out += [tuple(r) for r in session.execute(q)]  # type: ignore[misc]
    return out


def persons_with_nik(session: Session, nik: str, event_ids: Iterable[str] | None) -> list[str]:
    """Persons holding this NIK, in `event_ids` (default: every event). The persons table indexes
    (event_id, nik): the events are always named, or the database would read every person."""
    if event_ids is None:
        event_ids = session.execute(select(col(Event.id))).scalars()
    q = select(col(Person.id)).where(col(Person.event_id).in_(sorted(set(event_ids))), col(Person.nik) == nik,
                                     col(Person.anonymised_at).is_(None), is_active())
    return list(session.execute(q.limit(MAX_CANDIDATES)).scalars())


def member_events(session: Session, user_id: int | None) -> set[str]:
    """Every event the user is a member of (a relawan searches these only)."""
    if user_id is None:
        return set()
    return set(session.execute(select(col(EventMember.event_id)).where(col(EventMember.user_id) == user_id)).scalars())


def candidate_ids(session: Session, keys: Iterable[int], event_ids: Iterable[str] | None) -> list[str]:
    """The persons holding any of `keys` (in `event_ids` when given), in the index or still in the
    backlog: those sharing the most keys first, at most MAX_CANDIDATES. A common name alone is a block of hundreds; the person who also shares the
    birth date or the NIK shares more keys and is always among the first."""
    keys = sorted(set(keys))
    if not keys:
        return []
    events = None if event_ids is None else sorted(set(event_ids))
    hits = func.count().label("hits")
    q = select(KEYS.c.person_id, hits).where(KEYS.c.match_key.in_(keys))
    if events is not None:
        q = q.where(KEYS.c.event_id.in_(events))
    q = q.group_by(KEYS.c.person_id).order_by(hits.desc(), KEYS.c.person_id).limit(MAX_CANDIDATES)
    found = {pid: n for pid, n in session.execute(q)}
    for pid, n in backlog_hits(session, set(keys), events).items():
        found[pid] = max(n, found.get(pid, 0))
    return sorted(found, key=lambda pid: (-found[pid], pid))[:MAX_CANDIDATES]


def candidate_rows(session: Session, person_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What a match is scored on and shows of these persons (never anonymised or merged ones), with their
    household's kelurahan. The shelter is read apart (`open_shelters`) for the few that need it."""
    out: list[dict[str, Any]] = []
    for part in in_chunks(person_ids):
        q = (select(col(Person.id), col(Person.event_id), col(Person.full_name), col(Person.birth_date),
                    col(Person.sex), col(Person.nik), col(Person.household_id), col(Household.kelurahan_code))
             .select_from(Person)
             .outerjoin(Household, col(Household.id) == col(Person.household_id))
             .where(col(Person.id).in_(part), col(Person.anonymised_at).is_(None), is_active()))
        out += [{"person_id": pid, "event_id": eid, "full_name": name, "birth_date": bd, "sex": sex, "nik": nik,
                 "household_id": hid, "kelurahan_code": kel, "shelter_id": None, "shelter_name": None}
                for pid, eid, name, bd, sex, nik, hid, kel in session.execute(q)]
    return out


def open_shelters(session: Session, person_ids: Iterable[str], now: datetime) -> dict[str, tuple[str, str, str]]:
    """person_id -> (shelter_id, shelter name, shelter kelurahan) of the stay open now (the latest check-in),
    for any number of persons (read in chunks; a person's stays are all in the chunk of their id)."""
    out: dict[str, tuple[str, str, str]] = {}
    for part in in_chunks(person_ids):
        q = (select(col(Stay.person_id), col(Stay.check_in), col(Shelter.id), col(Shelter.name),
                    col(Shelter.kelurahan_code))
             .join(Shelter, col(Shelter.id) == col(Stay.shelter_id))
             .where(col(Stay.person_id).in_(part), col(Stay.check_in) <= now,
                    or_(col(Stay.check_out).is_(None), col(Stay.check_out) > now))
             .order_by(col(Stay.check_in)))
        out.update({pid: (sid, name, kel) for pid, _, sid, name, kel in session.execute(q)})  # the latest wins
    return out


def persons_for_keys(conn: Connection, after: str, limit: int) -> list[tuple[str, str, str, date | None, str | None]]:
    """(id, event_id, full_name, birth_date, nik) of persons not anonymised, by id after `after`:
    the backfill's pages."""
    p = Person.__table__  # type: ignore[attr-defined]
    q = (select(p.c.id, p.c.event_id, p.c.full_name, p.c.birth_date, p.c.nik)
         .where(p.c.anonymised_at.is_(None), p.c.id > after).order_by(p.c.id).limit(limit))
    return [tuple(r) for r in conn.execute(q)]  # type: ignore[misc]
