"""Merging a duplicate person into its survivor, and undoing it exactly.

Why an alias and not a delete: phones in the field still hold the old id and will send records for it
for days; the merged row stays, with `merged_into` naming the survivor, so every later write naming
the old id (HTTP person routes, distributions, services, `/sync`) lands on the survivor
(shared/repositories/people.py:get_person, shared/services/field_records.py:FieldWriter._survivor),
while every read of persons leaves it out (shared/repositories/people.py:is_active): the indicator,
the needs and the reports count the survivor once.

Rules (docs/rules.md, "Duplicates and merges"):
- only admin and posko merge and unmerge; both persons in one event the caller may write (a merge
  across events is refused, 409: stays, shelters and deliveries belong to their event);
- the survivor's fields become the values the caller chose (`fields`, checked like a person update);
- stays, distributions and services move to the survivor; if the survivor then has more than one
  open stay, the one with the latest check-in stays open and the others are closed at its check-in
  (as a transfer would have closed them);
- the merge record keeps exactly what moved, what was closed and the survivor's fields before and
  after, so `unmerge` restores the merged person, its rows and the survivor's fields. Merges undo in
  the reverse order they were made (a survivor merged in turn is unmerged first).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor
from shared.domain.plausibility import birth_date_event_problem
from shared.domain.vulnerability import explicit_only
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.models import Event, Outbox, Person, PersonMerge
from shared.repositories import bookkeeping, delivery_totals
from shared.repositories import duplicates as dup_repo
from shared.repositories import people as people_repo
from shared.repositories.reference import sandang_and_meal_items
from shared.schemas.people import PersonUpdate
from shared.services.events import visible_event, writable_event
from shared.services.people import nik_mismatch_after, require_names
from shared.services.presenters import local_date

# The person fields a merge may set on the survivor (and unmerge restores).
PERSON_FIELDS = ("full_name", "sex", "birth_date", "age_years", "nik", "household_id", "vulnerabilities",
                 "needs_psychosocial", "condition", "nik_mismatch_confirmed")


def require_merger(actor: Actor) -> None:
    """Merging decides who a person is: the command post (posko) and the office (admin) only."""
    require_names(actor)
    if actor.role not in ("admin", "posko"):
        raise Forbidden("hanya posko dan admin yang dapat menggabungkan data orang (only posko and admin merge persons)")


def _fields_of(person: Person) -> dict[str, Any]:
    """The survivor's fields as JSON values (what the merge record keeps)."""
    out: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = getattr(person, name)
        out[name] = value.isoformat() if isinstance(value, date) else (list(value) if name == "vulnerabilities" else value)
    return out


def _set_fields(person: Person, values: dict[str, Any]) -> None:
    for name in PERSON_FIELDS:
        if name in values:
            value = values[name]
            if name == "birth_date" and value is not None:
                value = date.fromisoformat(value)
            setattr(person, name, list(value) if name == "vulnerabilities" else value)


def _check_fields(uow: UnitOfWork, event: Event, survivor: Person, merged: Person, changes: dict[str, Any]) -> None:
    """The checks of a person update (shared/services/people.py:update_person) on the chosen values; the
    merged person's own NIK may pass to the survivor (it is about to become an alias)."""
    if changes.get("household_id") is not None:
        household = people_repo.get_household(uow.session, changes["household_id"])
        if household is None or household.event_id != event.id:
            raise Invalid(("fields", "household_id"), "keluarga tidak ditemukan di kejadian ini (household not in this event)")
    if changes.get("nik"):
        clash = people_repo.persons_by_nik(uow.session, [event.id], [changes["nik"]]).get((event.id, changes["nik"]))
        if clash is not None and clash not in (survivor.id, merged.id):
            raise Conflict(f"NIK sudah terdaftar di kejadian ini: orang {clash} (NIK already registered in this event)")
    if changes.get("birth_date") is not None:
        local = lambda at: at.astimezone(uow.tz).date()  # noqa: E731
        problem = birth_date_event_problem(changes["birth_date"], local(event.started_at), local(survivor.registered_at),
                                           local(event.ended_at) if event.ended_at else None)
        if problem:
            raise Invalid(("fields", "birth_date"), problem)
    # the NIK must agree with the chosen birth date (or age) and sex, as in a person update
    try:
        changes["nik_mismatch_confirmed"] = nik_mismatch_after(survivor, changes, local_date(event.started_at, uow.tz))
    except Invalid as exc:
        raise Invalid(("fields", *exc.loc[1:]), exc.message, exc.type) from exc


def _apply_changes(person: Person, changes: dict[str, Any]) -> None:
    """As a person update applies them: a birth date clears the age and the other way round."""
    if changes.get("birth_date") is not None:
        person.age_years = None
    if changes.get("age_years") is not None:
        person.birth_date = None
    for name, value in changes.items():
        if value is None and name in ("full_name", "sex", "needs_psychosocial", "condition", "vulnerabilities"):
            continue
        setattr(person, name, explicit_only(value) if name == "vulnerabilities" else value)


def _announce(uow: UnitOfWork, event: Event, actor: Actor, action: str, object_id: str, detail: str) -> None:
    """A write inside the event: data_seq, outbox, audit (with what moved), and the worker told after commit."""
    event.data_seq += 1
    uow.session.add(event)
    bookkeeping.insert_rows(uow.session, Outbox, [bookkeeping.outbox_row(event.id, event.data_seq, action, "person",
                                                                         object_id)])
    bookkeeping.audit(uow.session, [bookkeeping.audit_row(actor, action, "person", object_id, event.id,
                                                          detail=detail[:200])])
    uow.event_changed(event.id)


def _detail(other: str, moved: dict[str, list[str]], closed: int) -> str:
    return (f"into={other};stays={len(moved['stays'])};distributions={len(moved['distributions'])};"
            f"services={len(moved['services'])};closed_stays={closed}")


def _load_pair(uow: UnitOfWork, actor: Actor, person_id: str) -> Person:
    person = people_repo.get_person_record(uow.session, person_id)
    if person is None:
        raise NotFound("orang tidak ditemukan (person not found)")
    visible_event(uow.session, actor, person.event_id)
    return person


def merge(uow: UnitOfWork, actor: Actor, merged_id: str, into: str, fields: PersonUpdate) -> PersonMerge:
    """Merge `merged_id` into `into`: see the module docstring."""
    require_merger(actor)
    merged = _load_pair(uow, actor, merged_id)
    if merged.merged_into is not None:
        raise Conflict(f"orang ini sudah digabung ke orang {merged.merged_into} (already merged into {merged.merged_into})")
    if into == merged.id:
        raise Invalid("into", "orang tidak dapat digabung dengan dirinya sendiri (a person cannot be merged into itself)")
    survivor = people_repo.get_person_record(uow.session, into)
    if survivor is None:
        raise Invalid("into", "orang tujuan tidak ditemukan (the person to merge into was not found)")
    visible_event(uow.session, actor, survivor.event_id)  # an unseen survivor is 404, like any unseen person
    if survivor.merged_into is not None:
        raise Conflict(f"orang tujuan sudah digabung ke orang {survivor.merged_into}; gabungkan ke orang itu "
                       f"(the survivor was merged into {survivor.merged_into}: merge into that one)")
    if survivor.event_id != merged.event_id:
        raise Conflict("kedua orang harus di kejadian yang sama; data di kejadian lain tidak dipindahkan "
                       "(both persons must be in the same event: a merge across events is refused)")
    event = writable_event(uow, actor, merged.event_id)
    if event.status == "selesai":
        raise Conflict("kejadian sudah selesai (the event is closed: selesai)")
    uow.session.refresh(merged)
    uow.session.refresh(survivor)
    changes = fields.model_dump(exclude_unset=True)
    _check_fields(uow, event, survivor, merged, changes)

    before = _fields_of(survivor)
    _apply_changes(survivor, changes)
    after = _fields_of(survivor)
    if after != before:
        survivor.version += 1
    moved = {table: dup_repo.row_ids(uow.session, table, merged.id) for table in dup_repo.MOVING}
    for table, ids in moved.items():
        dup_repo.move_rows(uow.session, table, ids, survivor.id)
    closed: dict[str, str | None] = {}
    open_now = dup_repo.open_stays(uow.session, survivor.id)
    if len(open_now) > 1:
        kept_at = open_now[-1][1]
        for stay_id, _ in open_now[:-1]:
            dup_repo.set_check_out(uow.session, stay_id, kept_at)
            closed[stay_id] = None  # what the stay's check_out was before: open
    merged.merged_into = survivor.id
    uow.session.add_all([merged, survivor])

    pair = dup_repo.pair_of(uow.session, merged.id, survivor.id)
    pair_before = None
    now = utcnow()
    if pair is not None:
        pair_before = {"status": pair.status, "decided_at": pair.decided_at.isoformat() if pair.decided_at else None,
                       "decided_by": pair.decided_by, "decided_by_username": pair.decided_by_username}
        pair.status, pair.decided_at, pair.decided_by, pair.decided_by_username = "merged", now, actor.id, actor.username
        uow.session.add(pair)
    dup_repo.remove_open_pairs_of(uow.session, merged.id, keep=pair.id if pair else None)
    record = PersonMerge(
        id=str(uuid.uuid4()), event_id=event.id, merged_id=merged.id, survivor_id=survivor.id,
        pair_id=pair.id if pair else None, actor_id=actor.id, actor_username=actor.username, merged_at=now,
        moved={**moved, "closed_stays": closed, "survivor_before": before, "survivor_after": after,
               "pair_before": pair_before})
    dup_repo.add_merge(uow.session, record)
    uow.session.flush()
    if moved["distributions"]:  # running sums per recipient (sandang) follow the rows
        delivery_totals.rebuild(uow.session, event.id, uow.tz, sandang_and_meal_items(uow.session, event))
    _announce(uow, event, actor, "person.merge", merged.id, _detail(survivor.id, moved, len(closed)))
    return record


def unmerge(uow: UnitOfWork, actor: Actor, merged_id: str) -> PersonMerge:
    """Undo the merge that made `merged_id` an alias: the person, exactly the rows that moved, the stays
    the merge closed, and the survivor's fields as they were before it."""
    require_merger(actor)
    merged = _load_pair(uow, actor, merged_id)
    if merged.merged_into is None:
        raise Conflict("orang ini tidak sedang digabung (this person is not merged)")
    record = dup_repo.current_merge(uow.session, merged.id)
    if record is None:  # merged_into without a record: written around this code; nothing to undo exactly
        raise Conflict("catatan penggabungan tidak ditemukan (no merge record to undo)")
    survivor = people_repo.get_person_record(uow.session, record.survivor_id)
    assert survivor is not None
    if survivor.merged_into is not None:
        raise Conflict(f"orang tujuan {survivor.id} sudah digabung lagi ke {survivor.merged_into}; batalkan itu dulu "
                       "(the survivor was merged in turn: undo that merge first)")
    event = writable_event(uow, actor, merged.event_id)
    if event.status == "selesai":
        raise Conflict("kejadian sudah selesai (the event is closed: selesai)")
    moved: dict[str, Any] = record.moved
    for table in dup_repo.MOVING:
        dup_repo.move_rows(uow.session, table, moved.get(table, []), merged.id)
    for stay_id, check_out in (moved.get("closed_stays") or {}).items():
        dup_repo.set_check_out(uow.session, stay_id, datetime.fromisoformat(check_out) if check_out else None)
    uow.session.refresh(survivor)
    if _fields_of(survivor) != moved["survivor_before"]:
        _set_fields(survivor, moved["survivor_before"])
        survivor.version += 1
    merged.merged_into = None
    now = utcnow()
    record.undone_at, record.undone_by = now, actor.id
    uow.session.add_all([merged, survivor, record])
    if record.pair_id:
        pair = dup_repo.get_pair(uow.session, record.pair_id)
        before = moved.get("pair_before") or {}
        if pair is not None and before:
            pair.status = before["status"]
            pair.decided_at = datetime.fromisoformat(before["decided_at"]) if before["decided_at"] else None
            pair.decided_by, pair.decided_by_username = before["decided_by"], before["decided_by_username"]
            pair.updated_at = now
            uow.session.add(pair)
    uow.session.flush()
    if moved.get("distributions"):
        delivery_totals.rebuild(uow.session, event.id, uow.tz, sandang_and_meal_items(uow.session, event))
    counts = {t: list(moved.get(t, [])) for t in dup_repo.MOVING}
    _announce(uow, event, actor, "person.unmerge", merged.id,
              _detail(survivor.id, counts, len(moved.get("closed_stays") or {})))
    return record
