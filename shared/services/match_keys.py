"""The blocking keys of each person (`person_match_keys`), kept in the transaction of every write that
changes what they are made of: `add_person_keys` on create (the field-record write path, single and
/sync), `refresh_person_keys` on a correction, `forget_person_keys` on anonymisation; `rebuild_keys`
is the migration's backfill.

A module of its own, importing no other use case, because the write paths of every other use case
import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from shared.matching import stored_key_hashes
from shared.models import Person
from shared.repositories import matching as matching_repo

BACKFILL_PAGE = 2000


def key_rows(person_id: str, event_id: str, full_name: str, birth_date: date | None,
             nik: str | None) -> list[tuple[int, str, str]]:
    """The rows (match_key, person_id, event_id) of `person_match_keys` for one person."""
    return [(h, person_id, event_id) for h in stored_key_hashes(full_name, birth_date, nik)]


def add_person_keys(session: Session | Connection, persons: Iterable[Mapping[str, Any]]) -> None:
    """Keys of newly stored persons (rows as the write path stages them: id, event_id, full_name, ...)."""
    rows: list[tuple[int, str, str]] = []
    for p in persons:
        pid, eid = p["id"], p["event_id"]
        rows += [(h, pid, eid) for h in stored_key_hashes(p["full_name"], p["birth_date"], p["nik"])]
    matching_repo.insert_keys(session, rows)


def _pairs(person_id: str, full_name: str, birth_date: date | None, nik: str | None) -> list[tuple[int, str]]:
    return [(h, person_id) for h in stored_key_hashes(full_name, birth_date, nik)]


def refresh_person_keys(session: Session, person: Person, before: tuple[str, date | None, str | None]) -> None:
    """After a correction: the keys of what the person was (`before`: full_name, birth_date, nik) go,
    the keys of what the person now is come (none for an anonymised person). The keys are found by
    recomputing them: the table has no index by person, which would cost every registration more."""
    matching_repo.delete_keys(session, _pairs(person.id, *before))
    if person.anonymised_at is None:
        matching_repo.insert_keys(session, key_rows(person.id, person.event_id, person.full_name, person.birth_date,
                                                    person.nik))


def forget_person_keys(session: Session, person_ids: Iterable[str]) -> None:
    """Before anonymisation: these persons are never candidates again."""
    pairs: list[tuple[int, str]] = []
    for pid, name, bd, nik in matching_repo.key_fields(session, list(person_ids)):
        pairs += _pairs(pid, name, bd, nik)
    matching_repo.delete_keys(session, pairs)


def rebuild_keys(conn: Connection) -> int:
    """Compute the keys of every person not anonymised, from scratch (the migration's backfill; also after
    a change of the key rules). Returns how many persons were keyed."""
    matching_repo.delete_all_keys(conn)
    done, after = 0, ""
    while True:
        page = matching_repo.persons_for_keys(conn, after, BACKFILL_PAGE)
        if not page:
            return done
        rows: list[tuple[int, str, str]] = []
        for pid, eid, name, bd, nik in page:
            rows += key_rows(pid, eid, name, bd, nik)
        matching_repo.insert_keys(conn, rows)
        done += len(page)
        after = page[-1][0]
