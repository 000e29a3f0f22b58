"""The blocking keys of each person (`person_match_keys`).

- A registration (the field-record write path, single and /sync) only appends the person to
  `person_key_backlog` (`queue_person_keys`): inserting the keys there cost a third of a batch sync.
- The worker writes the keys of the backlog every few seconds (`drain_backlog`, from each worker's relay
  loop); a search reads the backlog beside the index meanwhile (shared/repositories/matching.py), so a
  person is findable from the moment the registration commits, worker or not.
- A correction replaces the keys in its own transaction (`refresh_person_keys`), anonymisation deletes
  them (`forget_person_keys`); `rebuild_keys` is the migrations' backfill.

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


def key_hashes_of(full_name: str, birth_date: date | None, nik: str | None) -> set[int]:
    """The stored keys of a person with these fields (what a drain writes for them)."""
    return stored_key_hashes(full_name, birth_date, nik)


def queue_person_keys(session: Session | Connection, persons: Iterable[Mapping[str, Any]]) -> None:
    """Newly stored persons (rows as the write path stages them: id, event_id, ...) wait for their keys."""
    matching_repo.queue_keys(session, [(p["id"], p["event_id"]) for p in persons])


def drain_backlog(conn: Session | Connection, limit: int = BACKFILL_PAGE) -> int:
    """Write the keys of the oldest `limit` persons of the backlog and take them off it, in the caller's
    transaction; returns how many entries were taken. Safe to run twice or side by side (keys already
    there are left; on PostgreSQL entries another drain or a correction holds are skipped). A person
    anonymised meanwhile gets no keys; the entries of persons deleted meanwhile are dropped."""
    page = matching_repo.backlog_page(conn, limit)
    rows: list[tuple[int, str, str]] = []
    for _seq, pid, eid, name, bd, nik, anonymised in page:
        if not anonymised:
            rows += key_rows(pid, eid, name, bd, nik)
    rows.sort()  # neighbouring keys land on the same pages of the index: ~15% cheaper than random order
    matching_repo.insert_keys(conn, rows)
    matching_repo.delete_backlog(conn, [entry[0] for entry in page])
    if len(page) < limit:
        matching_repo.delete_orphan_backlog(conn)
    return len(page)


def drain_all(conn: Connection) -> int:
    """Drain the whole backlog (a migration's downgrade): page by page in one transaction."""
    done = 0
    while (n := drain_backlog(conn)):
        done += n
    return done


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
    matching_repo.delete_all_backlog(conn)  # every person is keyed below
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
