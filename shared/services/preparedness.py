"""Use cases of the preparedness-activity register (docs/api.md, "Renstra registers").

Admin and posko record, edit and delete activities; admin, posko and pengamat read them (no personal data:
a kelurahan, participants by sex, a document reference). Creates are idempotent by client id; every write
leaves an audit row (`preparedness.create`, `preparedness.update`, `preparedness.delete`). The Renstra rows
computed from them are in shared/domain/registers.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor
from shared.domain.registers import ACTIVITY_LABELS, can_read_activities
from shared.errors import Forbidden, Invalid, NotFound
from shared.models import PreparednessActivity
from shared.repositories import reference as ref_repo
from shared.repositories import registers as repo
from shared.schemas.registers import ActivityCreate, ActivityUpdate
from shared.services.bookkeeping import record_audit
from shared.services.events import check_version
from shared.services.registers_common import remember, replayed, require_keeper

WHAT = "kegiatan kesiapsiagaan"


def require_reader(actor: Actor) -> None:
    if not can_read_activities(actor.role):
        raise Forbidden("kegiatan kesiapsiagaan untuk admin, posko dan pengamat (not for relawan)")


def _check_kelurahan(s: Session, code: str) -> None:
    if code not in ref_repo.kelurahan_codes(s):
        raise Invalid("kelurahan_code", f"kode kelurahan {code} tidak dikenal (unknown kelurahan code)")


def _check_participants(male: int, female: int) -> None:
    if male + female < 1:
        raise Invalid("participants_female", "jumlah peserta (laki-laki + perempuan) minimal 1 "
                                             "(at least one participant)")


def activities_public(s: Session, rows: list[PreparednessActivity]) -> list[dict[str, Any]]:
    names = repo.region_names(s, [a.kelurahan_code for a in rows])
    users = repo.usernames(s, [a.created_by for a in rows] + [a.updated_by for a in rows])
    return [{
        "id": a.id, "kind": a.kind, "kind_label": ACTIVITY_LABELS.get(a.kind, a.kind), "title": a.title,
        "held_on": a.held_on.isoformat(), "kelurahan_code": a.kelurahan_code,
        "kelurahan_name": names.get(a.kelurahan_code), "participants_male": a.participants_male,
        "participants_female": a.participants_female, "participants_total": a.participants_male + a.participants_female,
        "evidence": a.evidence, "notes": a.notes, "version": a.version,
        "created_by": a.created_by, "created_by_username": users.get(a.created_by, (None,))[0] if a.created_by else None,
        "created_at": a.created_at.isoformat(),
        "updated_by": a.updated_by, "updated_by_username": users.get(a.updated_by, (None,))[0] if a.updated_by else None,
        "updated_at": a.updated_at.isoformat(),
    } for a in rows]


def _get(s: Session, activity_id: str) -> PreparednessActivity:
    a = repo.get_activity(s, activity_id)
    if a is None:
        raise NotFound("kegiatan tidak ditemukan (activity not found)")
    return a


def create_activity(uow: UnitOfWork, actor: Actor, data: ActivityCreate) -> tuple[PreparednessActivity, bool]:
    require_keeper(actor, WHAT)
    s = uow.session
    existing = repo.get_activity(s, data.id) if data.id else None
    if replayed(s, "preparedness", data, existing):
        assert existing is not None
        return existing, False
    _check_kelurahan(s, data.kelurahan_code)
    _check_participants(data.participants_male, data.participants_female)
    a = PreparednessActivity(id=data.id or str(uuid.uuid4()), kind=data.kind, title=data.title, held_on=data.held_on,
                             kelurahan_code=data.kelurahan_code, participants_male=data.participants_male,
                             participants_female=data.participants_female, evidence=data.evidence, notes=data.notes,
                             created_by=actor.id, updated_by=actor.id)
    repo.save(s, a)
    remember(s, "preparedness", data, "preparedness_activity", a.id)
    record_audit(uow, actor, "preparedness.create", "preparedness_activity", a.id)
    return a, True


def read_activity(uow: UnitOfWork, actor: Actor, activity_id: str) -> dict[str, Any]:
    require_reader(actor)
    return activities_public(uow.session, [_get(uow.session, activity_id)])[0]


def list_activities(uow: UnitOfWork, actor: Actor, *, year: int | None, kind: str | None,
                    kelurahan_code: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    require_reader(actor)
    rows, total = repo.list_activities(uow.session, year=year, kind=kind, kelurahan_code=kelurahan_code,
                                       limit=limit, offset=offset)
    return activities_public(uow.session, rows), total


def update_activity(uow: UnitOfWork, actor: Actor, activity_id: str, data: ActivityUpdate,
                    if_match: str | None) -> dict[str, Any]:
    require_keeper(actor, WHAT)
    s = uow.session
    a = _get(s, activity_id)
    check_version(a.version, if_match)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None or k == "notes"}
    if "kelurahan_code" in changes:
        _check_kelurahan(s, changes["kelurahan_code"])
    _check_participants(changes.get("participants_male", a.participants_male),
                        changes.get("participants_female", a.participants_female))
    for name, value in changes.items():
        setattr(a, name, value)
    a.version += 1
    a.updated_by = actor.id
    a.updated_at = utcnow()
    repo.save(s, a)
    record_audit(uow, actor, "preparedness.update", "preparedness_activity", a.id)
    return activities_public(s, [a])[0]


def delete_activity(uow: UnitOfWork, actor: Actor, activity_id: str) -> None:
    require_keeper(actor, WHAT)
    s = uow.session
    repo.delete(s, _get(s, activity_id))
    record_audit(uow, actor, "preparedness.delete", "preparedness_activity", activity_id)
