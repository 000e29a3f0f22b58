"""Tracing requests (laporan orang dicari): file, read, correct and move them through their lifecycle
(docs/rules.md, "Tracing requests"; the pure rules are shared/domain/tracing.py).

Who sees what (docs/personal-data.md): a request and its reporter's contact are personal data. admin
and posko see every request; a relawan those of their member events (reporter phone and NIK masked);
pengamat only counts (`counts`). Matching runs in the worker (shared/services/tracing_matching.py):
a write here only marks the request for it (`version` > `matched_version`).
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, can_see_names
from shared.domain.identity import mask_nik
from shared.domain.tracing import CHILD_FLAGS, transition_problem
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.models import ClientOperation, Person, TracingRequest
from shared.repositories import bookkeeping
from shared.repositories import matching as matching_repo
from shared.repositories import people as people_repo
from shared.repositories import reference as ref_repo
from shared.repositories import tracing as tracing_repo
from shared.schemas.people import PersonUpdate
from shared.schemas.tracing import ReporterPublic, TracingCounts, TracingCreate, TracingPublic, TracingUpdate
from shared.services.bookkeeping import record_audit, record_event_write
from shared.services.events import check_version, visible_event, writable_event
from shared.services.field_records import ID_TAKEN
from shared.services.idempotency import fingerprint, same_content

OPERATION_KIND = "tracing"
NOT_FOUND = "laporan orang dicari tidak ditemukan (tracing request not found)"


def require_reader(actor: Actor) -> None:
    """Tracing requests name people and their reporters: pengamat sees counts only (403)."""
    if not can_see_names(actor):
        raise Forbidden("peran pengamat hanya melihat jumlah (observers see counts only)")


def visible_events(session: Any, actor: Actor) -> set[str] | None:
    """The events whose requests `actor` sees (None: all of them)."""
    return matching_repo.member_events(session, actor.id) if actor.is_relawan else None


def visible_request(session: Any, actor: Actor, request_id: str) -> TracingRequest:
    """Load-or-404 (a relawan outside the request's event, or any relawan for a request of no event, gets 404)."""
    require_reader(actor)
    request = tracing_repo.get_request(session, request_id)
    if request is None:
        raise NotFound(NOT_FOUND)
    if actor.is_relawan:
        if request.event_id is None:
            raise NotFound(NOT_FOUND)
        try:
            visible_event(session, actor, request.event_id)
        except NotFound as exc:
            raise NotFound(NOT_FOUND) from exc
    return request


def present(request: TracingRequest, *, mask: bool, strong: int = 0, child_flags: list[str] | None = None) -> TracingPublic:
    """The answer shape; `mask` (relawan) hides the reporter's phone and the NIK but their last digits."""
    phone = request.reporter_phone
    return TracingPublic(
        id=request.id, event_id=request.event_id, kind=request.kind, subject_person_id=request.subject_person_id,
        full_name=request.full_name, sex=request.sex, birth_date=request.birth_date, age_years=request.age_years,
        nik=mask_nik(request.nik) if mask else request.nik, kelurahan_code=request.kelurahan_code,
        address=request.address, last_seen_at=request.last_seen_at, last_seen_place=request.last_seen_place,
        description=request.description,
        reporter=ReporterPublic(name=request.reporter_name, relation=request.reporter_relation,
                                phone=mask_nik(phone) if mask and phone else phone, contact=request.reporter_contact,
                                person_id=request.reporter_person_id, household_id=request.reporter_household_id),
        status=request.status, matched_person_id=request.matched_person_id, found_at=request.found_at,
        reunited_at=request.reunited_at, reunited_place=request.reunited_place, reunited_by=request.reunited_by,
        closed_reason=request.closed_reason, closed_at=request.closed_at, source=request.source,
        pfif_record_id=request.pfif_record_id, strong_matches=strong,
        child_flags=[f for f in (child_flags or []) if f in CHILD_FLAGS], version=request.version,
        created_at=request.created_at, updated_at=request.updated_at)


def present_many(session: Any, actor: Actor, rows: list[TracingRequest]) -> list[TracingPublic]:
    strong = tracing_repo.strong_counts(session, [r.id for r in rows])
    flags = tracing_repo.person_flags(session, [r.subject_person_id for r in rows if r.subject_person_id])
    mask = actor.is_relawan
    return [present(r, mask=mask, strong=strong.get(r.id, 0), child_flags=flags.get(r.subject_person_id or "", []))
            for r in rows]


def _check_references(uow: UnitOfWork, actor: Actor, data: TracingCreate | TracingUpdate) -> None:
    """Kelurahan, reporter person and household must exist (422 naming the field)."""
    s = uow.session
    if data.kelurahan_code is not None and data.kelurahan_code not in ref_repo.kelurahan_codes(s):
        raise Invalid("kelurahan_code", f"kode kelurahan {data.kelurahan_code} tidak dikenal (unknown kelurahan code)")
    reporter = data.reporter
    if reporter is not None and reporter.person_id is not None and people_repo.get_person(s, reporter.person_id) is None:
        raise Invalid(("reporter", "person_id"), "orang pelapor tidak ditemukan (reporter person not found)")
    if reporter is not None and reporter.household_id is not None \
            and people_repo.get_household(s, reporter.household_id) is None:
        raise Invalid(("reporter", "household_id"), "keluarga pelapor tidak ditemukan (reporter household not found)")


def _sought_given(kind: str, full_name: str | None, nik: str | None) -> None:
    if kind == "orang" and not full_name and not nik:
        raise Invalid("full_name", "isi nama atau NIK orang yang dicari (give the sought person's name or NIK)")


def create_request(uow: UnitOfWork, actor: Actor, data: TracingCreate) -> tuple[TracingRequest, bool]:
    """File a request; returns (request, created). A replay of the same id returns the stored request."""
    require_reader(actor)
    s = uow.session
    payload = fingerprint(data, ())
    if data.id:
        existing = tracing_repo.get_request(s, data.id)
        op = bookkeeping.operations_by_key(s, [(OPERATION_KIND, data.id)]).get((OPERATION_KIND, data.id))
        if existing is not None and op is not None:
            if not same_content(op["payload"], payload, ()):
                raise Conflict(ID_TAKEN)
            visible_request(s, actor, existing.id)
            return existing, False
        if existing is not None:
            raise Conflict(ID_TAKEN)
    event = None
    if data.event_id is not None:
        event = writable_event(uow, actor, data.event_id)
    elif actor.is_relawan:
        raise Invalid("event_id", "relawan melapor di kejadian tempatnya bertugas: isi event_id "
                                  "(a volunteer files a request in a member event: give event_id)")
    _sought_given(data.kind, data.full_name, data.nik)
    _check_references(uow, actor, data)
    if data.subject_person_id is not None:
        subject = people_repo.get_person(s, data.subject_person_id)
        if subject is None:
            raise Invalid("subject_person_id", "orang tidak ditemukan (person not found)")
        visible_event(s, actor, subject.event_id)
    request = _new_request(data, actor, event.id if event else None)
    s.add(request)
    if data.id:
        s.add(ClientOperation(kind=OPERATION_KIND, id=data.id, event_id=request.event_id, payload=payload,
                              object_type="tracing_request", object_id=request.id))
    _audit_write(uow, actor, request, "tracing.create", event)
    return request, True


def _new_request(data: TracingCreate, actor: Actor, event_id: str | None, *, source: str = "posko",
                 pfif_record_id: str | None = None) -> TracingRequest:
    reporter = data.reporter
    now = utcnow()
    return TracingRequest(
        id=data.id or str(uuid.uuid4()), event_id=event_id, kind=data.kind, subject_person_id=data.subject_person_id,
        full_name=data.full_name, sex=data.sex, birth_date=data.birth_date, age_years=data.age_years, nik=data.nik,
        kelurahan_code=data.kelurahan_code, address=data.address, last_seen_at=data.last_seen_at,
        last_seen_place=data.last_seen_place, description=data.description,
        reporter_name=reporter.name, reporter_relation=reporter.relation, reporter_phone=reporter.phone,
        reporter_contact=reporter.contact, reporter_person_id=reporter.person_id,
        reporter_household_id=reporter.household_id, status="dicari", source=source, pfif_record_id=pfif_record_id,
        version=1, matched_version=0, created_by=actor.id, created_at=now, updated_at=now)


def _audit_write(uow: UnitOfWork, actor: Actor, request: TracingRequest, action: str, event: Any) -> None:
    """A write of a request of an event is an event write (data_seq, outbox: the dashboard hears of it);
    one of no event an audit row only."""
    if event is not None:
        record_event_write(uow, event, actor, action, "tracing_request", request.id)
    else:
        record_audit(uow, actor, action, "tracing_request", request.id, None)


SOUGHT_FIELDS = ("full_name", "sex", "birth_date", "age_years", "nik", "kelurahan_code", "address", "last_seen_at",
                 "last_seen_place", "description")


def update_request(uow: UnitOfWork, actor: Actor, request_id: str, data: TracingUpdate,
                   if_match: str | None) -> TracingRequest:
    """Correct a request or move its status on (If-Match; a stale version is 412, a transition not allowed 409)."""
    request = visible_request(uow.session, actor, request_id)
    event = writable_event(uow, actor, request.event_id) if request.event_id else None
    if event is None and actor.is_relawan:
        raise Forbidden("tidak berhak mengubah laporan ini (you may not change this request)")
    uow.session.refresh(request)
    check_version(request.version, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_references(uow, actor, data)
    for name in SOUGHT_FIELDS:
        if name in changes:
            setattr(request, name, changes[name])
    if changes.get("birth_date") is not None:
        request.age_years = None
    if changes.get("age_years") is not None:
        request.birth_date = None
    if data.reporter is not None:
        for name, value in data.reporter.model_dump(exclude_unset=True).items():
            setattr(request, f"reporter_{name}", value)
    if request.kind == "orang" and any(n in changes for n in ("full_name", "nik")):
        _sought_given(request.kind, request.full_name, request.nik)
    action = "tracing.update"
    if data.status is not None and data.status != request.status:
        _move(uow, actor, request, data)
        action = f"tracing.{data.status}"
    request.version += 1
    request.updated_at = utcnow()
    uow.session.add(request)
    _audit_write(uow, actor, request, action, event)
    return request


def _move(uow: UnitOfWork, actor: Actor, request: TracingRequest, data: TracingUpdate) -> None:
    new = data.status
    assert new is not None
    problem = transition_problem(request.status, new)
    if problem:
        raise Conflict(problem)
    now = utcnow()
    if new == "ditemukan":
        if data.matched_person_id is None:
            raise Invalid("matched_person_id", "status ditemukan perlu orang yang cocok (ditemukan needs matched_person_id)")
        found = people_repo.get_person(uow.session, data.matched_person_id)
        if found is None:
            raise Invalid("matched_person_id", "orang tidak ditemukan (person not found)")
        visible_event(uow.session, actor, found.event_id)
        request.matched_person_id = _condition_follows(uow, actor, request, found, data.condition or "selamat")
        request.found_at = now
    elif new == "dipertemukan":
        for name in ("reunited_at", "reunited_place", "reunited_by"):
            if getattr(data, name) is None:
                raise Invalid(name, f"status dipertemukan perlu {name} (dipertemukan needs when, where and by whom)")
        request.reunited_at, request.reunited_place, request.reunited_by = data.reunited_at, data.reunited_place, data.reunited_by
    elif new == "ditutup":
        if not data.closed_reason:
            raise Invalid("closed_reason", "status ditutup perlu alasan (ditutup needs closed_reason)")
        request.closed_reason, request.closed_at = data.closed_reason, now
    request.status = new


def _condition_follows(uow: UnitOfWork, actor: Actor, request: TracingRequest, found: Person, condition: str) -> str:
    """Confirming who was found updates the register in the same step (docs/rules.md, "Condition follows
    tracing"); returns the id of the person the request now names.

    - The request is about a registered person (marked hilang) and the found record is another one of the
      same event: the hilang record is merged into the found one (shared/services/merge.py: its stays,
      distributions and services move; it is no longer counted), and the found record takes `condition`.
    - The found record is the subject itself, or the request names no subject: that person takes
      `condition` when it was hilang (a found person is no longer missing).
    - The found record is in another event: the hilang record of this event takes `condition` (found
      elsewhere: no longer missing here; not eligible here without a stay), the found record is left as is.
    A `keluarga` request (a child's family found) changes nobody's condition."""
    from shared.services import merge as merge_service  # merge imports people, which the write path imports

    if request.kind != "orang":
        return found.id
    subject = people_repo.get_person(uow.session, request.subject_person_id) if request.subject_person_id else None
    if subject is not None and subject.id != found.id and subject.condition == "hilang":
        if subject.event_id == found.event_id:
            merge_service.merge(uow, actor, subject.id, found.id,
                                PersonUpdate(condition=condition) if found.condition == "hilang" else PersonUpdate())
            return found.id
        _set_condition(uow, actor, subject, condition)
        return found.id
    if found.condition == "hilang":
        _set_condition(uow, actor, found, condition)
    return found.id


def _set_condition(uow: UnitOfWork, actor: Actor, person: Person, condition: str) -> None:
    event = writable_event(uow, actor, person.event_id)
    if event.status == "selesai":
        raise Conflict("kejadian sudah selesai (the event is closed: selesai)")
    uow.session.refresh(person)
    person.condition = condition
    person.version += 1
    uow.session.add(person)
    record_event_write(uow, event, actor, "person.update", "person", person.id)


def counts(session: Any, event_ids: set[str] | None) -> TracingCounts:
    """Requests by status, still missing (dicari + kemungkinan_cocok), children separated and reunited."""
    by = tracing_repo.kind_status_counts(session, event_ids)
    totals = {s: sum(n for (_, st), n in by.items() if st == s) for s in
              ("dicari", "kemungkinan_cocok", "ditemukan", "dipertemukan", "ditutup")}
    return TracingCounts(**totals, still_missing=totals["dicari"] + totals["kemungkinan_cocok"],
                         children_separated=sum(n for (k, _), n in by.items() if k == "keluarga"),
                         children_reunited=by.get(("keluarga", "dipertemukan"), 0))
