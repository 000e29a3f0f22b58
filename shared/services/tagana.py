"""Use cases of the TAGANA roster (docs/api.md, "Renstra registers"; rules in shared/domain/registers.py).

- Create (admin, posko), idempotent by client id like every create: the same id with the same content
  answers the stored volunteer (200), with other content 409. `user_id` links an account; one account
  belongs to at most one volunteer (409), an unknown account is 422.
- Read (admin, posko): the roster carries phone numbers, personal data (docs/personal-data.md); every list
  and every read of one volunteer leaves an audit row (`tagana.list` with the row count, `tagana.read`).
- Update (PATCH, optional `If-Match: <version>`), delete (a record entered by mistake, with its trainings;
  a volunteer who left is `active: false` instead, so past years keep their counts).
- Trainings and certificates: added and deleted per volunteer; `level_at_training` defaults to the
  volunteer's level now.
- Deployments are derived: the events the linked account is a member of, and those where it recorded
  registrations or check-ins (shared/repositories/registers.py::deployments).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor
from shared.domain.registers import LEVEL_LABELS, TRAINING_LABELS, can_read_roster
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.models import TaganaTraining, TaganaVolunteer
from shared.repositories import reference as ref_repo
from shared.repositories import registers as repo
from shared.repositories import users as user_repo
from shared.schemas.registers import TrainingCreate, VolunteerCreate, VolunteerUpdate
from shared.services.bookkeeping import record_audit
from shared.services.events import check_version
from shared.services.registers_common import remember, replayed, require_keeper

WHAT = "daftar TAGANA"


def require_reader(actor: Actor) -> None:
    if not can_read_roster(actor.role):
        raise Forbidden("daftar TAGANA memuat nomor telepon (data pribadi): hanya admin dan posko "
                        "(the roster holds personal data: admin and posko only)")


def _check_user(s: Session, user_id: int | None, volunteer_id: str | None) -> None:
    if user_id is None:
        return
    if user_repo.get_user(s, user_id) is None:
        raise Invalid("user_id", f"akun {user_id} tidak ada (unknown user)")
    other = repo.volunteer_of_user(s, user_id)
    if other is not None and other.id != volunteer_id:
        raise Conflict(f"user_id: akun ini sudah terhubung dengan relawan {other.full_name} "
                       "(the account is linked to another volunteer)")


def _check_kelurahan(s: Session, code: str | None) -> None:
    if code is not None and code not in ref_repo.kelurahan_codes(s):
        raise Invalid("kelurahan_code", f"kode kelurahan {code} tidak dikenal (unknown kelurahan code)")


def _visible(s: Session, volunteer_id: str) -> TaganaVolunteer:
    v = repo.get_volunteer(s, volunteer_id)
    if v is None:
        raise NotFound("relawan TAGANA tidak ditemukan (volunteer not found)")
    return v


# ---- answers -----------------------------------------------------------------------------------------------

def training_public(t: TaganaTraining) -> dict[str, Any]:
    return {"id": t.id, "volunteer_id": t.volunteer_id, "kind": t.kind, "kind_label": TRAINING_LABELS.get(t.kind, t.kind),
            "title": t.title, "organizer": t.organizer, "started_on": t.started_on.isoformat(),
            "ended_on": t.ended_on.isoformat(), "level_at_training": t.level_at_training,
            "certificate_number": t.certificate_number, "evidence": t.evidence,
            "created_at": t.created_at.isoformat()}


def _deployment_public(d: dict[str, Any]) -> dict[str, Any]:
    def iso(v: Any) -> str | None:
        return None if v is None else v.isoformat()
    return {"event_id": d["event_id"], "event_name": d["event_name"], "event_kind": d["event_kind"],
            "event_started_at": iso(d["event_started_at"]), "assigned": d["assigned_at"] is not None,
            "assigned_at": iso(d["assigned_at"]), "registrations": d["registrations"], "check_ins": d["check_ins"],
            "first_record_at": iso(d["first_at"]), "last_record_at": iso(d["last_at"])}


def volunteers_public(s: Session, rows: list[TaganaVolunteer]) -> list[dict[str, Any]]:
    """The roster's answer: every volunteer with their trainings and deployments (batched queries)."""
    trainings = repo.trainings_of(s, [v.id for v in rows])
    users = repo.usernames(s, [v.user_id for v in rows])
    deployed = repo.deployments(s, [v.user_id for v in rows if v.user_id is not None])
    out = []
    for v in rows:
        account = users.get(v.user_id) if v.user_id is not None else None
        ts = trainings.get(v.id, [])
        ds = deployed.get(v.user_id, []) if v.user_id is not None else []
        out.append({
            "id": v.id, "full_name": v.full_name, "level": v.level, "level_label": LEVEL_LABELS.get(v.level, v.level),
            "user_id": v.user_id, "username": account[0] if account else None, "phone": v.phone,
            "kelurahan_code": v.kelurahan_code, "joined_on": v.joined_on.isoformat() if v.joined_on else None,
            "active": v.active, "version": v.version, "created_at": v.created_at.isoformat(),
            "updated_at": v.updated_at.isoformat(),
            "trainings": [training_public(t) for t in ts],
            "deployments": [_deployment_public(d) for d in ds],
        })
    return out


# ---- use cases ---------------------------------------------------------------------------------------------

def create_volunteer(uow: UnitOfWork, actor: Actor, data: VolunteerCreate) -> tuple[TaganaVolunteer, bool]:
    require_keeper(actor, WHAT)
    s = uow.session
    existing = repo.get_volunteer(s, data.id) if data.id else None
    if replayed(s, "tagana", data, existing):
        assert existing is not None
        return existing, False
    _check_user(s, data.user_id, None)
    _check_kelurahan(s, data.kelurahan_code)
    v = TaganaVolunteer(id=data.id or str(uuid.uuid4()), full_name=data.full_name, level=data.level,
                        user_id=data.user_id, phone=data.phone, kelurahan_code=data.kelurahan_code,
                        joined_on=data.joined_on, active=data.active, created_by=actor.id, updated_by=actor.id)
    repo.save(s, v)
    remember(s, "tagana", data, "tagana_volunteer", v.id)
    record_audit(uow, actor, "tagana.create", "tagana_volunteer", v.id)
    return v, True


def read_volunteer(uow: UnitOfWork, actor: Actor, volunteer_id: str) -> dict[str, Any]:
    require_reader(actor)
    v = _visible(uow.session, volunteer_id)
    record_audit(uow, actor, "tagana.read", "tagana_volunteer", v.id)
    return volunteers_public(uow.session, [v])[0]


def list_volunteers(uow: UnitOfWork, actor: Actor, *, active: bool | None, level: str | None, q: str | None,
                    limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    require_reader(actor)
    rows, total = repo.list_volunteers(uow.session, active=active, level=level, q=q, limit=limit, offset=offset)
    detail = ",".join(f"filter={k}" for k, val in (("active", active), ("level", level), ("q", q)) if val is not None)
    record_audit(uow, actor, "tagana.list", "tagana_volunteer", "*", detail=detail or None, row_count=len(rows))
    return volunteers_public(uow.session, rows), total


def update_volunteer(uow: UnitOfWork, actor: Actor, volunteer_id: str, data: VolunteerUpdate,
                     if_match: str | None) -> dict[str, Any]:
    require_keeper(actor, WHAT)
    s = uow.session
    v = _visible(s, volunteer_id)
    check_version(v.version, if_match)
    changes = data.model_dump(exclude_unset=True)
    for name in ("full_name", "level", "active"):
        if changes.get(name) is None:
            changes.pop(name, None)  # null for a required field keeps it
    if "user_id" in changes:
        _check_user(s, changes["user_id"], v.id)
    if changes.get("kelurahan_code") is not None:
        _check_kelurahan(s, changes["kelurahan_code"])
    for name, value in changes.items():
        setattr(v, name, value)
    v.version += 1
    v.updated_by = actor.id
    v.updated_at = utcnow()
    repo.save(s, v)
    record_audit(uow, actor, "tagana.update", "tagana_volunteer", v.id)
    return volunteers_public(s, [v])[0]


def delete_volunteer(uow: UnitOfWork, actor: Actor, volunteer_id: str) -> None:
    """Remove a volunteer entered by mistake, with their trainings (their phone number goes with them)."""
    require_keeper(actor, WHAT)
    s = uow.session
    v = _visible(s, volunteer_id)
    for t in repo.trainings_of(s, [v.id]).get(v.id, []):
        repo.delete(s, t)
    repo.delete(s, v)
    record_audit(uow, actor, "tagana.delete", "tagana_volunteer", volunteer_id)


def add_training(uow: UnitOfWork, actor: Actor, volunteer_id: str, data: TrainingCreate) -> tuple[TaganaTraining, bool]:
    require_keeper(actor, WHAT)
    s = uow.session
    v = _visible(s, volunteer_id)
    existing = repo.get_training(s, data.id) if data.id else None
    extra = {"volunteer_id": v.id}
    if replayed(s, "tagana_training", data, existing, extra):
        assert existing is not None
        return existing, False
    if data.ended_on < data.started_on:
        raise Invalid("ended_on", "tanggal selesai sebelum tanggal mulai (ended_on is before started_on)")
    t = TaganaTraining(id=data.id or str(uuid.uuid4()), volunteer_id=v.id, kind=data.kind, title=data.title,
                       organizer=data.organizer, started_on=data.started_on, ended_on=data.ended_on,
                       level_at_training=data.level_at_training or v.level,
                       certificate_number=data.certificate_number, evidence=data.evidence, created_by=actor.id)
    repo.save(s, t)
    remember(s, "tagana_training", data, "tagana_training", t.id, extra)
    record_audit(uow, actor, "tagana.training.create", "tagana_training", t.id)
    return t, True


def list_trainings(uow: UnitOfWork, actor: Actor, volunteer_id: str) -> list[dict[str, Any]]:
    require_reader(actor)
    v = _visible(uow.session, volunteer_id)
    return [training_public(t) for t in repo.trainings_of(uow.session, [v.id]).get(v.id, [])]


def delete_training(uow: UnitOfWork, actor: Actor, volunteer_id: str, training_id: str) -> None:
    require_keeper(actor, WHAT)
    s = uow.session
    v = _visible(s, volunteer_id)
    t = repo.get_training(s, training_id)
    if t is None or t.volunteer_id != v.id:
        raise NotFound("pelatihan tidak ditemukan (training not found)")
    repo.delete(s, t)
    record_audit(uow, actor, "tagana.training.delete", "tagana_training", training_id)
