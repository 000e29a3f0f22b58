"""An event's live status: the latest snapshot, and who is not yet fulfilled (for roles that see names)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import col, select

from services.api.deps import CurrentActor, DbDep, PageParams
from shared.db import read_unit, utcnow, write_unit
from shared.domain.access import Actor
from shared.models import Person
from shared.repositories import status as status_repo
from shared.services import status as status_service
from shared.services.bookkeeping import record_audit
from shared.services.events import visible_event
from shared.services.people import require_names
from shared.services.status import current_snapshot

router = APIRouter(tags=["status"])


def visible_snapshot(db: Any, actor: Actor, event_id: str, tz: Any) -> dict[str, Any]:
    with read_unit(db) as session:
        return current_snapshot(session, visible_event(session, actor, event_id), tz)


@router.get("/events/{event_id}/status", summary="Status terkini: indikator, kebutuhan, tempat penampungan")
def get_status(event_id: str, actor: CurrentActor, db: DbDep, request: Request) -> dict[str, Any]:
    return visible_snapshot(db, actor, event_id, request.app.state.settings.tz)


@router.get("/events/{event_id}/unmet", summary="Orang yang belum terpenuhi kebutuhan dasarnya (nama: bukan untuk pengamat)")
def list_unmet(event_id: str, actor: CurrentActor, db: DbDep, page: PageParams, request: Request) -> dict[str, Any]:
    limit, offset = page
    with read_unit(db) as session:
        event = visible_event(session, actor, event_id)
        require_names(actor)
        stored = status_repo.latest(session, event.id)
        if stored is not None:
            unmet, seq = stored.unmet, stored.seq
        else:
            snapshot = status_service.compute(session, event, status_service.status_as_of(event, utcnow()),
                                              request.app.state.settings.tz)
            unmet, seq = snapshot.get("unmet", []), 0
        part = unmet[offset : offset + limit]
        ids = [u["person_id"] for u in part]
        names = dict(session.execute(select(col(Person.id), col(Person.full_name)).where(col(Person.id).in_(ids)))
                     .all()) if ids else {}
        items = [{"person_id": u["person_id"], "name": names.get(u["person_id"]), "missing": u["missing"]} for u in part]
    with write_unit(db) as uow:  # a list of names is personal data: its reading is recorded (UU 27/2022)
        record_audit(uow, actor, "unmet.list", "event", event_id, event_id, row_count=len(items))
    return {"items": items, "total": len(unmet), "limit": limit, "offset": offset, "seq": seq}
