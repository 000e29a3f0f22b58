"""Personal-data rights (UU 27/2022): anonymise a person, export one person's data, read the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response

from services.api.deps import CurrentActor, PageParams, ReadSession, SettingsDep, UnitOfWorkRoute, WriteUnit
from services.api.write_answers import set_data_seq
from shared.errors import Invalid
from shared.repositories import bookkeeping
from shared.schemas.people import PersonPublic
from shared.services import people as people_service
from shared.services import privacy as privacy_service
from shared.services.events import data_seq

router = APIRouter(tags=["personal data"], route_class=UnitOfWorkRoute)


@router.post("/persons/{person_id}/anonymise", response_model=PersonPublic,
             summary="Anonimkan data orang (admin; jumlah di laporan tetap)")
def anonymise_person(person_id: str, actor: CurrentActor, uow: WriteUnit, settings: SettingsDep,
                     response: Response) -> PersonPublic:
    pid = privacy_service.anonymise_person(uow, actor, person_id)
    answer = people_service.person_detail(uow, actor, pid, settings.tz, audit=False)
    seq = data_seq(uow, answer.event_id)
    set_data_seq(response, seq)
    return answer


@router.get("/persons/{person_id}/export", summary="Semua data tentang satu orang (admin; tercatat di audit)")
def export_person(person_id: str, actor: CurrentActor, uow: WriteUnit, settings: SettingsDep,
                  response: Response) -> dict[str, Any]:
    answer = privacy_service.export_person(uow, actor, person_id, settings.tz)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="posko-person-{person_id}.json"'
    return answer


@router.get("/audit", summary="Jejak audit (admin), dengan saringan")
def list_audit(actor: CurrentActor, session: ReadSession, page: PageParams,
               action: str | None = Query(default=None, max_length=60,
                                          description="action prefix, e.g. `user.` or `person.read`"),
               actor_id: int | None = Query(default=None, ge=0, le=2**31 - 1),
               object_type: str | None = Query(default=None, max_length=30),
               object_id: str | None = Query(default=None, max_length=64),
               event_id: str | None = Query(default=None, max_length=36),
               since: datetime | None = Query(default=None, description="ISO 8601 with an offset, inclusive"),
               until: datetime | None = Query(default=None, description="ISO 8601 with an offset, exclusive"),
               ) -> dict[str, Any]:
    privacy_service.require_admin(actor)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid(name, "waktu harus memakai zona waktu (timestamp needs an offset)")
    rows, total = bookkeeping.list_audit(session, event_id=event_id, object_id=object_id, limit=page.limit,
                                         offset=page.offset, action_prefix=action, actor_id=actor_id,
                                         object_type=object_type, since=since, until=until)
    items = [{"id": r.id, "at": r.at.isoformat(), "actor_id": r.actor_id, "actor_username": r.actor_username,
              "action": r.action, "object_type": r.object_type, "object_id": r.object_id,
              "event_id": r.event_id, "detail": r.detail, "row_count": r.row_count} for r in rows]
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
