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

from shared.matching import PersonKey, key_hashes
from shared.models import Person
from shared.repositories import matching as matching_repo

BACKFILL_PAGE = 2000


def key_rows(person_id: str, event_id: str, full_name: str, birth_date: date | None, sex: str | None,
             nik: str | None) -> list[dict[str, Any]]:
    """The rows of `person_match_keys` for one person."""
    hashes = key_hashes(PersonKey(person_id, event_id, full_name, birth_date, sex, nik))
    return [{"match_key": h, "person_id": person_id, "event_id": event_id} for h in sorted(hashes)]


def add_person_keys(session: Session | Connection, persons: Iterable[Mapping[str, Any]]) -> None:
    """Keys of newly stored persons (rows as the write path stages them: id, event_id, full_name, ...)."""
    rows: list[dict[str, Any]] = []
    for p in persons:
        rows += key_rows(p["id"], p["event_id"], p["full_name"], p["birth_date"], p["sex"], p["nik"])
    matching_repo.insert_keys(session, rows)


def refresh_person_keys(session: Session, person: Person) -> None:
    """After a correction: the keys of what the person now is (an anonymised person has none)."""
    matching_repo.delete_keys(session, [person.id])
    if person.anonymised_at is None:
        matching_repo.insert_keys(session, key_rows(person.id, person.event_id, person.full_name, person.birth_date,
                                                    person.sex, person.nik))


def forget_person_keys(session: Session, person_ids: Iterable[str]) -> None:
    """Anonymised persons are never candidates again."""
    matching_repo.delete_keys(session, person_ids)


def rebuild_keys(conn: Connection) -> int:
    """Compute the keys of every person not anonymised (the migration's backfill; also after a change of
    the key rules). Returns how many persons were keyed."""
    done, after = 0, ""
    while True:
        page = matching_repo.persons_for_keys(conn, after, BACKFILL_PAGE)
        if not page:
            return done
        matching_repo.delete_keys(conn, [r[0] for r in page])
        rows: list[dict[str, Any]] = []
        for pid, eid, name, bd, sex, nik in page:
            rows += key_rows(pid, eid, name, bd, sex, nik)
        matching_repo.insert_keys(conn, rows)
        done += len(page)
        after = page[-1][0]
