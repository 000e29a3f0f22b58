"""Use cases for reading and changing persons and households (creates go through field_records)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, can_see_names
from shared.domain.plausibility import birth_date_event_problem, nik_mismatch
from shared.domain.vulnerability import explicit_only
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.models import Person
from shared.repositories import nik_conflicts as nik_conflict_repo
from shared.repositories import people as people_repo
from shared.schemas.people import PersonPublic, PersonUpdate
from shared.services import tracing_auto
from shared.services.bookkeeping import record_audit, record_event_write
from shared.services.events import check_version, visible_event, writable_event
from shared.services.match_keys import refresh_person_keys
from shared.services.nik_conflicts import nik_taken
from shared.services.presenters import local_date, person_public
from shared.services.tracing_auto import child_flag_problem


def require_names(actor: Actor) -> None:
    """Persons and households carry personal data: pengamat gets 403."""
    if not can_see_names(actor):
        raise Forbidden("peran pengamat tidak dapat melihat data pribadi (observers see no personal data)")


def visible_person(uow_session: object, actor: Actor, person_id: str) -> Person:
    """Load-or-404 through the person's event (a relawan outside it gets 404)."""
    require_names(actor)
    person = people_repo.get_person(uow_session, person_id)  # type: ignore[arg-type]
    if person is None:
        raise NotFound("orang tidak ditemukan (person not found)")
    visible_event(uow_session, actor, person.event_id)
    return person


def person_detail(uow: UnitOfWork, actor: Actor, person_id: str, tz: ZoneInfo, *, audit: bool = True) -> PersonPublic:
    """One person's full record; reading it is recorded in the audit log."""
    person = visible_person(uow.session, actor, person_id)
    row = people_repo.get_person_row(uow.session, person.id)
    assert row is not None
    if audit:
        record_audit(uow, actor, "person.read", "person", person.id, person.event_id)
    return person_public(*row, tz, mask=False)


IDENTITY_FIELDS = ("nik", "sex", "birth_date", "age_years", "nik_mismatch_confirmed")


def nik_mismatch_after(person: Person, changes: dict[str, Any], event_start: date) -> bool:
    """What `nik_mismatch_confirmed` becomes after the patch; 422 naming the field when the patched
    record's NIK disagrees with its birth date, age or sex and the patch does not confirm it.

    Only a patch of the NIK, sex, birth date, age or the flag is checked (a record stored before the rule
    can still get its condition corrected); such a patch confirms a disagreement itself, because what
    was confirmed before was another combination. The flag is false whenever they agree.
    """
    if not any(name in changes for name in IDENTITY_FIELDS):
        return person.nik_mismatch_confirmed
    merged = {name: getattr(person, name) for name in IDENTITY_FIELDS}
    merged.update({k: v for k, v in changes.items() if k in IDENTITY_FIELDS})
    if changes.get("birth_date") is not None:
        merged["age_years"] = None
    if changes.get("age_years") is not None:
        merged["birth_date"] = None
    for name in ("sex",):  # null in a patch means "unchanged" for these
        if merged[name] is None:
            merged[name] = getattr(person, name)
    problem = nik_mismatch(merged["nik"] or None, merged["sex"], merged["birth_date"], merged["age_years"], event_start)
    if problem is None:
        return False
    if not changes.get("nik_mismatch_confirmed"):
        raise Invalid(*problem)
    return True


def update_person(uow: UnitOfWork, actor: Actor, person_id: str, data: PersonUpdate, if_match: str | None) -> Person:
    """Correct a person's record; a stale If-Match is 412."""
    require_names(actor)
    person = people_repo.get_person(uow.session, person_id)
    if person is None:
        raise NotFound("orang tidak ditemukan (person not found)")
    event = writable_event(uow, actor, person.event_id)
    uow.session.refresh(person)
    keyed = (person.full_name, person.birth_date, person.nik)  # what its match keys were made of
    check_version(person.version, if_match)
    if event.status == "selesai":
        raise Conflict("kejadian sudah selesai (the event is closed: selesai)")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("household_id") is not None:
        household = people_repo.get_household(uow.session, changes["household_id"])
        if household is None or household.event_id != event.id:
            raise Invalid("household_id", "keluarga tidak ditemukan di kejadian ini (household not in this event)")
    if changes.get("nik"):
        clash = people_repo.persons_by_nik(uow.session, [event.id], [changes["nik"]]).get((event.id, changes["nik"]))
        if clash is not None and clash != person.id:
            raise nik_taken(actor, nik_conflict_repo.existing_person(uow.session, clash, utcnow()))
    if changes.get("birth_date") is not None:
        local = lambda at: at.astimezone(uow.tz).date()  # noqa: E731
        problem = birth_date_event_problem(changes["birth_date"], local(event.started_at), local(person.registered_at),
                                           local(event.ended_at) if event.ended_at else None)
        if problem:
            raise Invalid("birth_date", problem)
    changes["nik_mismatch_confirmed"] = nik_mismatch_after(person, changes, local_date(event.started_at, uow.tz))
    if "birth_date" in changes and changes["birth_date"] is not None:
        person.age_years = None
    if "age_years" in changes and changes["age_years"] is not None:
        person.birth_date = None
    for name, value in changes.items():
        if value is None and name in ("full_name", "sex", "needs_psychosocial", "condition", "vulnerabilities"):
            continue
        setattr(person, name, explicit_only(value) if name == "vulnerabilities" else value)
    problem = child_flag_problem(person.vulnerabilities, person.birth_date, person.age_years,
                                 local_date(event.started_at, uow.tz))
    if problem and any(name in changes for name in ("vulnerabilities", "birth_date", "age_years")):
        raise Invalid("vulnerabilities", problem)
    person.version += 1
    uow.session.add(person)
    refresh_person_keys(uow.session, person, keyed)
    tracing_auto.open_for_corrected_person(uow.session, person, actor, utcnow())
    if keyed != (person.full_name, person.birth_date, person.nik):
        tracing_auto.rematch_after_correction(uow.session, person)
    record_event_write(uow, event, actor, "person.update", "person", person.id)
    return person
