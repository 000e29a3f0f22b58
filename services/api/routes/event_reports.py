"""The post-disaster report of an event (laporan pasca bencana) and its HXL exports.

Who may fetch them: every role that sees the event (a relawan only its member events; others 404).
The list of persons not fulfilled, with names, is left out for roles that see no personal data
(pengamat); a report that carries names is recorded in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from services.api.deps import CurrentActor, ReadSession, SettingsDep, UnitOfWorkRoute, VisibleEvent, WriteUnit
from shared.db import utcnow
from shared.domain.access import can_see_names
from shared.domain.vocabulary import ReportFormat
from shared.reports.event import build_event_report, daily_series, report_as_of
from shared.reports.hxl import export_hxl
from shared.reports.render import render_event_report
from shared.schemas.common import PastInstant
from shared.services.bookkeeping import record_audit

router = APIRouter(tags=["reports"], route_class=UnitOfWorkRoute)

AsOf = Annotated[PastInstant | None, Query(description="ISO 8601 with an offset; default now, or the event's end")]


def _attachment(filename: str, inline: bool = False) -> str:
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/events/{event_id}/report", summary="Laporan pasca bencana (json, csv, xlsx, pdf)")
def event_report(event: VisibleEvent, actor: CurrentActor, session: ReadSession, uow: WriteUnit,
                 settings: SettingsDep, format: ReportFormat = "json",
                 as_of: AsOf = None) -> Response:
    tz = settings.tz
    names = can_see_names(actor)
    now = utcnow()
    report = build_event_report(session, event, report_as_of(event, as_of, now), tz, with_names=names, now=now)
    if names and report.get("unmet"):
        record_audit(uow, actor, "event.report", "event", event.id, event.id)
    body, media_type, filename = render_event_report(report, format)
    return Response(content=body, media_type=media_type,
                    headers={"Content-Disposition": _attachment(filename, inline=format in ("json", "pdf"))})


@router.get("/events/{event_id}/daily", summary="Seri harian: pengungsi dan % terpenuhi per hari (tanpa nama)")
def daily(event: VisibleEvent, session: ReadSession, settings: SettingsDep, as_of: AsOf = None) -> dict[str, object]:
    """The report's day-by-day series without any personal data, for every role that sees the event."""
    items = daily_series(session, event, report_as_of(event, as_of, utcnow()), settings.tz)
    return {"items": items}


@router.get("/events/{event_id}/export.hxl.csv", summary="Ekspor HXL: shelters, persons_summary, distributions")
def export_hxl_csv(event: VisibleEvent, session: ReadSession, settings: SettingsDep,
                   dataset: Literal["shelters", "persons_summary", "distributions"],
                   as_of: AsOf = None) -> Response:
    body, filename = export_hxl(session, event, dataset, report_as_of(event, as_of, utcnow()), settings.tz)
    return Response(content=body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": _attachment(filename)})
