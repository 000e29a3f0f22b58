"""An event's live status: the latest snapshot, and who is not yet fulfilled (for roles that see names)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import col, select

from services.api.deps import (
    CurrentActor,
    PageParams,
    ReadSession,
    SettingsDep,
    UnitOfWorkRoute,
    VisibleEvent,
    WriteUnit,
)
from shared.db import utcnow
from shared.models import Person
from shared.repositories import status as status_repo
from shared.services import status as status_service
from shared.services.bookkeeping import record_audit
from shared.services.people import require_names
from shared.services.status import current_snapshot

router = APIRouter(tags=["status"], route_class=UnitOfWorkRoute)




@router.get("/events/{event_id}/status", summary="Status terkini: indikator, kebutuhan, tempat penampungan")
def get_status(event: VisibleEvent, session: ReadSession, settings: SettingsDep) -> dict[str, Any]:
    return current_snapshot(session, event, settings.tz)


@router.get("/events/{event_id}/unmet", summary="Orang yang belum terpenuhi kebutuhan dasarnya (nama: bukan untuk pengamat)")
def list_unmet(event: VisibleEvent, actor: CurrentActor, session: ReadSession, uow: WriteUnit, page: PageParams,
               settings: SettingsDep) -> dict[str, Any]:
    limit, offset = page
    require_names(actor)
    stored = status_repo.latest(session, event.id)
    if stored is not None:
        unmet, seq = stored.unmet, stored.seq
    else:
        snapshot = status_service.compute(session, event, status_service.status_as_of(event, utcnow()), settings.tz)
        unmet, seq = snapshot.get("unmet", []), 0
    part = unmet[offset : offset + limit]
    ids = [u["person_id"] for u in part]
    names = dict(session.execute(select(col(Person.id), col(Person.full_name)).where(col(Person.id).in_(ids)))
                 .all()) if ids else {}
    items = [{"person_id": u["person_id"], "name": names.get(u["person_id"]), "missing": u["missing"]} for u in part]
    # a list of names is personal data: its reading is recorded (UU 27/2022)
    record_audit(uow, actor, "unmet.list", "event", event.id, event.id, row_count=len(items))
    return {"items": items, "total": len(unmet), "limit": limit, "offset": offset, "seq": seq}
