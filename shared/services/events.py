"""Use cases for events, their members and their shelters (never commit: the unit of work does)."""

from __future__ import annotations

import uuid
from typing import Any

from shared.db import UnitOfWork, utcnow
from shared.domain.access import (
    Actor,
    can_manage_events,
    can_manage_reference,
    can_see_event,
    can_write_event,
)
from shared.domain.event_status import can_transition
from shared.domain.vocabulary import EVENT_CATEGORY
from shared.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from shared.models import ClientOperation, Event, EventMember, Shelter
from shared.repositories import bookkeeping, delivery_totals
from shared.repositories import events as event_repo
from shared.repositories import reference as ref_repo
from shared.repositories import users as user_repo
from shared.schemas.events import EventCreate, EventUpdate
from shared.schemas.people import ShelterUpdate
from shared.services.bookkeeping import record_event_write
from shared.services.field_records import ID_TAKEN
from shared.services.idempotency import fingerprint, same_content


def visible_event(uow_session: Any, actor: Actor, event_id: str) -> Event:
    """Load-or-404: an event the actor may not see does not exist for them."""
    event = event_repo.get_event(uow_session, event_id)
    if event is None:
        raise NotFound("kejadian tidak ditemukan (event not found)")
    member = actor.is_relawan and user_repo.is_member(uow_session, event_id, actor.id)
    if not can_see_event(actor, member):
        raise NotFound("kejadian tidak ditemukan (event not found)")
    return event


def writable_event(uow: UnitOfWork, actor: Actor, event_id: str) -> Event:
    """The event locked for a write by `actor` (404 unseen, 403 read-only, 409 selesai)."""
    events = event_repo.lock_events(uow.session, [event_id])
    event = events.get(event_id)
    member = event is not None and actor.is_relawan and user_repo.is_member(uow.session, event_id, actor.id)
    if event is None or not can_see_event(actor, member):
        raise NotFound("kejadian tidak ditemukan (event not found)")
    if not can_write_event(actor, member):
        raise Forbidden("tidak berhak menulis di kejadian ini (you may not write in this event)")
    return event


def data_seq(uow: UnitOfWork, event_id: str) -> int:
    """The event's data_seq as this unit's write left it (the row is in the session: no query)."""
    event = event_repo.get_event(uow.session, event_id)
    if event is None:
        raise NotFound("kejadian tidak ditemukan (event not found)")
    return event.data_seq


def check_version(current: int, if_match: str | None) -> None:
    """`If-Match: 3` or `"3"`: a stale version is 412."""
    if if_match is None or if_match.strip() in ("", "*"):
        return
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 18:  # a version fits in 64 bits; int() of 5,000 digits raises
        raise Invalid(("header", "If-Match"), "If-Match harus nomor versi (If-Match must be a version number)")
    if int(raw) != current:
        raise StaleVersion(f"versi {raw} sudah usang; versi sekarang {current} (stale version: current is {current})")


def _check_kelurahan(uow: UnitOfWork, codes: list[str], field: str) -> None:
    known = ref_repo.kelurahan_codes(uow.session)
    for i, code in enumerate(codes):
        if code not in known:
            raise Invalid((field, i) if field == "kelurahan_codes" else field,
                          f"kode kelurahan {code} tidak dikenal (unknown kelurahan code)")


def create_event(uow: UnitOfWork, actor: Actor, data: EventCreate) -> tuple[Event, bool]:
    """Open an event; returns (event, created). A replay of the same id returns the stored event."""
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko yang dapat membuka kejadian (only admin and posko open events)")
    s = uow.session
    payload = fingerprint(data, ())
    if data.id:
        # The event row first, then its operation: both commit together, so a create that raced us
        # and won is seen whole (on PostgreSQL each statement sees what committed before it began).
        existing = event_repo.get_event(s, data.id)
        op = bookkeeping.operations_by_key(s, [("event", data.id)]).get(("event", data.id))
        if existing is not None and op is not None:
            if not same_content(op["payload"], payload, ()):
                raise Conflict(ID_TAKEN)
            return existing, False
        if existing is not None:
            raise Conflict(ID_TAKEN)
    _check_kelurahan(uow, data.kelurahan_codes, "kelurahan_codes")
    profile = ref_repo.latest_profile(s, data.standard_code) if data.standard_code else ref_repo.default_profile(s)
    if profile is None:
        raise Invalid("standard_code", f"profil standar {data.standard_code} tidak dikenal (unknown standard profile)")
    event = Event(
        id=data.id or str(uuid.uuid4()), name=data.name, kind=data.kind, category=EVENT_CATEGORY[data.kind],
        status=data.status, started_at=data.started_at, kelurahan_codes=data.kelurahan_codes,
        standard_code=profile.code, standard_version=profile.version, data_seq=0, version=1, created_by=actor.id,
    )
    event_repo.add_event(s, event)
    if data.id:
        s.add(ClientOperation(kind="event", id=data.id, event_id=event.id, payload=payload, object_type="event",
                              object_id=event.id))
    record_event_write(uow, event, actor, "event.create", "event", event.id)
    return event, True


def update_event(uow: UnitOfWork, actor: Actor, event: Event, data: EventUpdate, if_match: str | None) -> Event:
    """Rename, move through the statuses, change areas, end; the standard is admin-only.

    `event` comes from `writable_event` in this unit (locked, seen and writable by `actor`)."""
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko yang dapat mengubah kejadian (only admin and posko change events)")
    check_version(event.version, if_match)
    if event.status == "selesai":
        raise Conflict("kejadian sudah selesai (the event is closed: selesai)")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("status") is not None and not can_transition(event.status, changes["status"]):
        raise Conflict(f"perubahan status {event.status} → {changes['status']} tidak diizinkan (transition not allowed)")
    if changes.get("kelurahan_codes") is not None:
        _check_kelurahan(uow, changes["kelurahan_codes"], "kelurahan_codes")
    if "standard_code" in changes and changes["standard_code"] is not None:
        if not can_manage_reference(actor):
            raise Forbidden("hanya admin yang dapat mengganti profil standar (only admin changes the standard)")
        profile = ref_repo.latest_profile(uow.session, changes["standard_code"])
        if profile is None:
            raise Invalid("standard_code", "profil standar tidak dikenal (unknown standard profile)")
        event.standard_code, event.standard_version = profile.code, profile.version
        # the sandang and permakanan items may differ: their per-recipient running sums are recounted
        delivery_totals.rebuild(uow.session, event.id, uow.tz, ref_repo.sandang_and_meal_items(uow.session, event))
    ended_at = changes.get("ended_at")
    if ended_at is not None and ended_at < event.started_at:
        raise Invalid("ended_at", "waktu selesai sebelum waktu mulai (ended_at is before started_at)")
    for name in ("name", "kelurahan_codes"):
        if changes.get(name) is not None:
            setattr(event, name, changes[name])
    if changes.get("status") is not None:
        event.status = changes["status"]
        if event.status == "selesai":
            event.ended_at = ended_at or utcnow()
    elif ended_at is not None:
        event.ended_at = ended_at
    event.version += 1
    record_event_write(uow, event, actor, "event.update", "event", event.id)
    return event


def add_member(uow: UnitOfWork, actor: Actor, event: Event, user_id: int) -> tuple[EventMember, bool, int]:
    """Assign a volunteer to an event (admin, posko); adding an existing member changes nothing.

    `event` comes from `writable_event` (an unseen event is 404 before any 403).
    Returns (member, created, the event's data_seq)."""
    event_id = event.id
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko yang dapat menugaskan relawan (only admin and posko assign members)")
    user = user_repo.get_user(uow.session, user_id)
    if user is None:
        raise Invalid("user_id", "pengguna tidak ditemukan (unknown user)")
    existing = uow.session.get(EventMember, (event_id, user_id))
    if existing is not None:
        return existing, False, event.data_seq
    member = EventMember(event_id=event_id, user_id=user_id, added_by=actor.id)
    user_repo.add_member(uow.session, member)
    return member, True, record_event_write(uow, event, actor, "member.add", "user", str(user_id))


def remove_member(uow: UnitOfWork, actor: Actor, event: Event, user_id: int) -> int:
    """Take a volunteer off an event (`event` from `writable_event`); returns the event's data_seq."""
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko yang dapat mengatur anggota (only admin and posko manage members)")
    if not user_repo.remove_member(uow.session, event.id, user_id):
        raise NotFound("anggota tidak ditemukan (member not found)")
    return record_event_write(uow, event, actor, "member.remove", "user", str(user_id))


def update_shelter(uow: UnitOfWork, actor: Actor, event: Event, shelter_id: str, data: ShelterUpdate,
                   if_match: str | None) -> tuple[Shelter, int]:
    """Change a shelter's figures or close it (a shelter with occupants cannot close); returns the data_seq.

    `event` comes from `writable_event` in this unit."""
    shelter = uow.session.get(Shelter, shelter_id)
    if shelter is None or shelter.event_id != event.id:
        raise NotFound("tempat penampungan tidak ditemukan (shelter not found)")
    check_version(shelter.version, if_match)
    if event.status == "selesai":
        raise Conflict("kejadian sudah selesai (the event is closed: selesai)")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("kelurahan_code") is not None:
        _check_kelurahan(uow, [changes["kelurahan_code"]], "kelurahan_code")
    closed_at = changes.get("closed_at")
    if closed_at is not None:
        if closed_at < shelter.opened_at:
            raise Invalid("closed_at", "waktu tutup sebelum waktu buka (closed_at is before opened_at)")
        from shared.repositories.people import occupants

        left = occupants(uow.session, [shelter.id]).get(shelter.id, 0)
        if left:
            raise Conflict(f"masih ada {left} pengungsi; pindahkan atau check-out dulu "
                           f"(the shelter still has {left} occupants: check them out or transfer them first)")
    for name, value in changes.items():
        if name in ("name", "kind", "capacity_persons", "kelurahan_code") and value is None:
            continue
        setattr(shelter, name, value)
    shelter.version += 1
    uow.session.add(shelter)
    data_seq = record_event_write(uow, event, actor, "shelter.update", "shelter", shelter.id)
    return shelter, data_seq
