"""An event's live status: the latest snapshot, and who is not yet fulfilled (for roles that see names)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

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
from shared.errors import Invalid
from shared.reports.facts import load_regions
from shared.repositories import status as status_repo
from shared.services import status as status_service
from shared.services.bookkeeping import record_audit
from shared.services.people import require_names
from shared.services.status import current_snapshot
from shared.services.unmet import UnmetQuery, unmet_groups, unmet_page

router = APIRouter(tags=["status"], route_class=UnitOfWorkRoute)


@router.get("/events/{event_id}/status", summary="Status terkini: indikator, kebutuhan, tempat penampungan")
def get_status(event: VisibleEvent, session: ReadSession, settings: SettingsDep) -> dict[str, Any]:
    return current_snapshot(session, event, settings.tz)


def _stored_unmet(session: ReadSession, event: VisibleEvent, settings: SettingsDep) -> tuple[list[dict[str, Any]], int, Any, Any]:
    """The latest snapshot's unmet list with its seq, as_of and computed_at (computed now when none is stored)."""
    stored = status_repo.latest(session, event.id)
    if stored is not None:
        return status_repo.stored_unmet(session, stored), stored.seq, stored.as_of, stored.computed_at
    now = utcnow()
    as_of = status_service.status_as_of(event, now)
    snapshot = status_service.compute(session, event, as_of, settings.tz)
    return snapshot.get("unmet", []), 0, as_of, now


@router.get("/events/{event_id}/unmet/groups",
            summary="Jumlah yang belum terpenuhi per tempat (penampungan; mandiri per kelurahan) dan per layanan, tanpa nama")
def unmet_group_totals(event: VisibleEvent, session: ReadSession, settings: SettingsDep,
                       kelurahan_code: str | None = Query(default=None, max_length=20,
                                                          description="only persons staying in this kelurahan"),
                       service: str | None = Query(default=None, max_length=30, description="only persons missing this service"),
                       vulnerability: str | None = Query(default=None, max_length=30,
                                                         description="only persons with this vulnerability"),
                       ) -> dict[str, Any]:
    """Counts only, so every role that sees the event may read it (pengamat included): the command post's
    per-place totals without the names behind them."""
    query = UnmetQuery(kelurahan_code=kelurahan_code or None, service=service or None,
                       vulnerability=vulnerability or None)
    query.check()
    unmet, seq, as_of, computed_at = _stored_unmet(session, event, settings)
    body = unmet_groups(session, event.id, unmet, query, load_regions(session))
    return {**body, "seq": seq, "as_of": as_of.isoformat(), "computed_at": computed_at.isoformat()}


@router.get("/events/{event_id}/unmet", summary="Orang yang belum terpenuhi kebutuhan dasarnya, dengan alasannya (nama: bukan untuk pengamat)")
def list_unmet(event: VisibleEvent, actor: CurrentActor, session: ReadSession, uow: WriteUnit, page: PageParams,
               settings: SettingsDep,
               shelter_id: str | None = Query(default=None, max_length=36, description="only persons placed in this shelter"),
               kelurahan_code: str | None = Query(default=None, max_length=20,
                                                  description="only persons staying in this kelurahan (shelter or mandiri)"),
               service: str | None = Query(default=None, max_length=30, description="only persons missing this service"),
               vulnerability: str | None = Query(default=None, max_length=30, description="only persons with this vulnerability"),
               sort: str = Query(default="id", max_length=20, description="id | name | age | meal_days | services"),
               group: str | None = Query(default=None, max_length=10,
                                         description="place: ordered by group (shelter, then mandiri by kelurahan) first"),
               ) -> dict[str, Any]:
    limit, offset = page
    require_names(actor)
    query = UnmetQuery(shelter_id=shelter_id or None, kelurahan_code=kelurahan_code or None, service=service or None,
                       vulnerability=vulnerability or None, sort=sort or "id", group_by_place=group == "place")
    query.check()
    if group not in (None, "", "place"):
        raise Invalid(("query", "group"), "pengelompokan tidak dikenal; gunakan group=place")
    unmet, seq, as_of, computed_at = _stored_unmet(session, event, settings)
    start = event.started_at.astimezone(settings.tz).date()
    body = unmet_page(session, event.id, start, unmet, query, limit, offset, load_regions(session))
    # a list of names is personal data: its reading is recorded (UU 27/2022), with the kind of filter
    filters = [f for f, v in (("shelter_id", shelter_id), ("kelurahan_code", kelurahan_code), ("service", service),
                              ("vulnerability", vulnerability)) if v]
    record_audit(uow, actor, "unmet.list", "event", event.id, event.id, row_count=len(body["items"]),
                 detail=("filter=" + ",".join(filters)) if filters else None)
    return {**body, "seq": seq, "as_of": as_of.isoformat(), "computed_at": computed_at.isoformat()}
