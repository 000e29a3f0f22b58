"""Requests the register opens by itself (docs/rules.md, "Tracing requests opened by a registration"):

- a person registered or corrected to `hilang` is sought: a request `orang` about them (their name, sex,
  birth date or age, NIK), which the worker matches against every later registration;
- a child flagged `terpisah` or `tanpa_pendamping` needs their family found: a request `keluarga` about
  the child (the family's names are added when known).

One request per person and kind, ever. Staged as plain rows so the batch write path (single and /sync)
stores them set-based with the person; the matching itself runs later, in the worker. A module of its
own, importing no use case, because the write paths import it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from shared.domain.access import Actor
from shared.domain.tracing import CHILD_FLAGS, is_child
from shared.domain.vulnerability import age_at
from shared.repositories import bookkeeping
from shared.repositories import tracing as tracing_repo

REASON_MISSING = "didaftarkan hilang"
REASON_CHILD = {"terpisah": "anak terpisah dari pengasuhnya", "tanpa_pendamping": "anak tanpa pendamping"}


def child_flag_problem(flags: list[str] | tuple[str, ...], birth_date: date | None, age_years: int | None,
                       event_start: date) -> str | None:
    """Why the children's flags may not stand on this person (Indonesian, for a 422 on vulnerabilities)."""
    if not any(f in CHILD_FLAGS for f in flags):
        return None
    if not is_child(age_at(birth_date, age_years, event_start)):
        return ("tanda terpisah/tanpa_pendamping hanya untuk anak di bawah 18 tahun; isi birth_date atau "
                "age_years (separated/unaccompanied flags are for children under 18 with a known age)")
    return None


def wanted_kinds(condition: str, flags: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """(kind, reason) of the requests a person with this condition and these flags has."""
    out = []
    if condition == "hilang":
        out.append(("orang", REASON_MISSING))
    for flag in CHILD_FLAGS:
        if flag in flags:
            out.append(("keluarga", REASON_CHILD[flag]))
            break
    return out


def request_row(person: dict[str, Any], kind: str, reason: str, actor: Actor, now: datetime) -> dict[str, Any]:
    """A request row about `person` (a staged person row: id, event_id, full_name, sex, ...)."""
    orang = kind == "orang"
    return {"id": str(uuid.uuid4()), "event_id": person["event_id"], "kind": kind, "subject_person_id": person["id"],
            "full_name": person["full_name"] if orang else None, "sex": person["sex"] if orang else None,
            "birth_date": person["birth_date"] if orang else None, "age_years": person["age_years"] if orang else None,
            "nik": person["nik"] if orang else None, "kelurahan_code": None, "address": None, "last_seen_at": None,
            "last_seen_place": None, "description": reason, "reporter_name": None, "reporter_relation": None,
            "reporter_phone": None, "reporter_contact": None, "reporter_person_id": None,
            "reporter_household_id": None, "status": "dicari", "matched_person_id": None, "found_at": None,
            "reunited_at": None, "reunited_place": None, "reunited_by": None, "closed_reason": None, "closed_at": None,
            "source": "posko", "pfif_record_id": None, "version": 1, "matched_version": 0, "created_by": actor.id,
            "created_at": now, "updated_at": now}


def row_from_create(d: Any, event_id: str, actor: Actor, now: datetime, client_id: str | None) -> dict[str, Any]:
    """The row of a request filed through /sync (`d`: a validated TracingCreate)."""
    r = d.reporter
    return {"id": client_id or str(uuid.uuid4()), "event_id": event_id, "kind": d.kind,
            "subject_person_id": d.subject_person_id, "full_name": d.full_name, "sex": d.sex,
            "birth_date": d.birth_date, "age_years": d.age_years, "nik": d.nik, "kelurahan_code": d.kelurahan_code,
            "address": d.address, "last_seen_at": d.last_seen_at, "last_seen_place": d.last_seen_place,
            "description": d.description, "reporter_name": r.name, "reporter_relation": r.relation,
            "reporter_phone": r.phone, "reporter_contact": r.contact, "reporter_person_id": r.person_id,
            "reporter_household_id": r.household_id, "status": "dicari", "matched_person_id": None, "found_at": None,
            "reunited_at": None, "reunited_place": None, "reunited_by": None, "closed_reason": None, "closed_at": None,
            "source": "posko", "pfif_record_id": None, "version": 1, "matched_version": 0, "created_by": actor.id,
            "created_at": now, "updated_at": now}


def rows_for_new_person(person: dict[str, Any], actor: Actor, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(request rows, audit rows) for a person being registered."""
    requests = [request_row(person, kind, reason, actor, now)
                for kind, reason in wanted_kinds(person["condition"], person["vulnerabilities"])]
    audit = [bookkeeping.audit_row(actor, "tracing.create", "tracing_request", r["id"], r["event_id"], now,
                                   detail="auto=" + ("hilang" if r["kind"] == "orang" else "anak")) for r in requests]
    return requests, audit


def open_for_corrected_person(session: Session, person: Any, actor: Actor, now: datetime) -> list[str]:
    """After a correction: the requests the person now needs and does not have yet (ids of those opened)."""
    if not wanted_kinds(person.condition, list(person.vulnerabilities or [])):
        return []  # most corrections: no query at all
    have = {r.kind for r in tracing_repo.requests_for_subject(session, person.id)}
    row = {"id": person.id, "event_id": person.event_id, "full_name": person.full_name, "sex": person.sex,
           "birth_date": person.birth_date, "age_years": person.age_years, "nik": person.nik,
           "condition": person.condition, "vulnerabilities": list(person.vulnerabilities or [])}
    requests, audit = rows_for_new_person(row, actor, now)
    requests = [r for r in requests if r["kind"] not in have]
    audit = [a for a in audit if a["object_id"] in {r["id"] for r in requests}]
    if requests:
        from shared.models import TracingRequest

        bookkeeping.insert_rows(session, TracingRequest, requests)
        bookkeeping.audit(session, audit)
    return [r["id"] for r in requests]


def rematch_after_correction(session: Session, person: Any) -> int:
    """A registered person's name, birth date or NIK was corrected: the open requests filed under the
    person's new keys are marked to be matched again by the worker's next pass (`matched_version` 0; the
    `version` clients see is unchanged). An index lookup of a few keys: corrections are rare."""
    from shared.matching import PersonKey, key_hashes

    ids = tracing_repo.requests_by_keys(session, key_hashes(PersonKey(person.id, person.event_id, person.full_name,
                                                                      person.birth_date, person.sex, person.nik)))
    tracing_repo.mark_for_rematch(session, ids)
    return len(ids)
