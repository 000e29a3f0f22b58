"""Personal-data rights (UU 27/2022): anonymise a person, export what is held about one, retention purge.

Anonymisation overwrites what identifies a person and keeps what the counts are made of: the person
row stays (so stays, distributions and services still point at someone), with the name replaced by
`Anonim`, NIK cleared and the birth date replaced by the age at the event's start — the date every
age-derived count (balita, lansia) is taken at — so status snapshots and reports count the same
before and after. Their household loses KK number, address and head's name; notes about them go;
replay records of their creates lose even their fingerprint. See docs/personal-data.md.

These use cases never commit: the caller's unit of work does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.config import Settings
from shared.db import UnitOfWork, utcnow
from shared.domain.access import SYSTEM, Actor, can_manage_users
from shared.domain.privacy import ANONYMOUS_NAME, anonymised_age
from shared.errors import Forbidden, NotFound
from shared.models import Event
from shared.repositories import people as people_repo
from shared.repositories import privacy as privacy_repo
from shared.repositories import stock as stock_repo
from shared.repositories import tracing as tracing_repo
from shared.schemas.people import HouseholdPublic
from shared.services.bookkeeping import record_audit, record_event_write
from shared.services.match_keys import forget_person_keys
from shared.services.presenters import local_date, person_public
from shared.services.tracing import present


def require_admin(actor: Actor) -> None:
    """Anonymisation and data-subject exports are for admin only."""
    if not can_manage_users(actor):
        raise Forbidden("hanya admin yang dapat mengelola hak data pribadi (only admin handles personal-data requests)")


def _anonymise(uow: UnitOfWork, event: Event, rows: list[tuple[str, str | None, Any, int | None]],
               whole_event: bool, at: datetime) -> None:
    """Overwrite the persons in `rows` (and everything about them) within one event."""
    s = uow.session
    start = local_date(event.started_at, uow.tz)
    forget_person_keys(s, [r[0] for r in rows])
    privacy_repo.anonymise_persons(s, {pid: anonymised_age(birth, age, start) for pid, _, birth, age in rows},
                                   ANONYMOUS_NAME, at)
    tracing_repo.forget_matches_of_persons(s, [r[0] for r in rows])
    tracing_repo.anonymise_requests(s, event_id=event.id, subject_ids=None if whole_event else [r[0] for r in rows],
                                    name=ANONYMOUS_NAME)
    if whole_event:
        privacy_repo.anonymise_households(s, event.id, None, ANONYMOUS_NAME)
        privacy_repo.clear_notes(s, event.id, None, None)
        privacy_repo.forget_operations(s, event.id, None)
        stock_repo.anonymise_citizen_donors(s, event.id, ANONYMOUS_NAME)  # a citizen donor's name is personal data
    else:
        person_ids = [r[0] for r in rows]
        household_ids = sorted({r[1] for r in rows if r[1]})
        privacy_repo.anonymise_households(s, event.id, household_ids, ANONYMOUS_NAME)
        privacy_repo.clear_notes(s, event.id, person_ids, household_ids)
        about: list[str] = [*person_ids, *household_ids]
        for pid, hid, _, _ in rows:
            about += privacy_repo.records_about(s, pid, hid)
        privacy_repo.forget_operations(s, event.id, about)
    s.expire_all()  # the rows were changed with set-based updates: reload what is read next


def anonymise_person(uow: UnitOfWork, actor: Actor, person_id: str) -> str:
    """Anonymise one person on request (also in a `selesai` event); returns the person's id.

    Doing it again changes nothing and records nothing more."""
    require_admin(actor)
    person = people_repo.get_person(uow.session, person_id)
    if person is None:
        raise NotFound("orang tidak ditemukan (person not found)")
    event = privacy_repo.lock_event(uow.session, person.event_id)
    assert event is not None
    rows = privacy_repo.persons_not_anonymised(uow.session, event.id, [person.id])
    if rows:
        _anonymise(uow, event, rows, whole_event=False, at=utcnow())
        record_event_write(uow, event, actor, "person.anonymise", "person", person.id)
    return person.id


def export_person(uow: UnitOfWork, actor: Actor, person_id: str, tz: ZoneInfo) -> dict[str, Any]:
    """Everything held about one person, for a data-subject request; the export is audited."""
    require_admin(actor)
    s = uow.session
    found = people_repo.get_person_row(s, person_id)
    if found is None:
        raise NotFound("orang tidak ditemukan (person not found)")
    person = found[0]
    household = people_repo.get_household(s, person.household_id) if person.household_id else None
    about = [person.id, *([household.id] if household else []),
             *privacy_repo.records_about(s, person.id, household.id if household else None)]
    answer: dict[str, Any] = {
        "generated_at": utcnow().isoformat(),
        "person": {**person_public(*found, tz, mask=False).model_dump(mode="json"),
                   "anonymised_at": person.anonymised_at.isoformat() if person.anonymised_at else None},
        "household": HouseholdPublic.model_validate(household).model_dump(mode="json") if household else None,
        "stays": privacy_repo.person_stays(s, person.id),
        "distributions": privacy_repo.person_distributions(s, person.id, household.id if household else None),
        "services": privacy_repo.person_services(s, person.id),
        "audit": privacy_repo.audit_about(s, about),
        "tracing": [present(r, mask=False).model_dump(mode="json")
                    for r in tracing_repo.requests_for_subject(s, person.id)],
    }
    rows = 1 + sum(len(answer[k]) for k in ("stays", "distributions", "services", "audit", "tracing")) + (
        1 if household else 0)
    record_audit(uow, actor, "person.export", "person", person.id, person.event_id, row_count=rows)
    return answer


# ---- retention (`posko purge`) ----

def retention_cutoff(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(days=settings.retention_days)


def events_due(session: Session, settings: Settings, now: datetime) -> list[str]:
    """Ids of the events whose retention ran out: ended more than `retention_days` before `now`."""
    return [e.id for e in privacy_repo.events_ended_before(session, retention_cutoff(settings, now))]


def purge_event(uow: UnitOfWork, event_id: str, now: datetime) -> int:
    """Anonymise every person of an event past retention; returns how many were anonymised (0 the
    second time: nothing changes and nothing is recorded)."""
    event = privacy_repo.lock_event(uow.session, event_id)
    if event is None:
        return 0
    rows = privacy_repo.persons_not_anonymised(uow.session, event.id)
    if not rows and not privacy_repo.households_not_anonymised(uow.session, event.id, ANONYMOUS_NAME):
        return 0  # done before: nothing changes, nothing is recorded
    _anonymise(uow, event, rows, whole_event=True, at=now)
    record_event_write(uow, event, SYSTEM, "event.retention_purge", "event", event.id)
    record_audit(uow, SYSTEM, "person.anonymise", "event", event.id, event.id, detail="retention",
                 row_count=len(rows))
    return len(rows)


def purge_replays(uow: UnitOfWork, settings: Settings, now: datetime) -> int:
    """Delete replay records older than `replay_days`; returns how many."""
    removed = privacy_repo.purge_operations(uow.session, now - timedelta(days=settings.replay_days))
    if removed:
        record_audit(uow, SYSTEM, "client_operations.purge", "client_operations", "*", None, row_count=removed)
    return removed
