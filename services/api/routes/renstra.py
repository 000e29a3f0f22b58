"""The Renstra indicator report and its editable figures.

- `GET /reports/renstra?year=Y&format=json|csv|xlsx|pdf` (default: the current local year, json):
  admin, posko and pengamat. The report is aggregate (counts and percentages, no names or NIK), but
  it is office-wide: it spans every event of the year, including events a relawan is not a member
  of and may not see (docs/api.md, "Roles"), so a relawan gets 403.
- `PUT /reports/renstra/targets {year, indicator_code, target?, pagu?}` and
  `PUT /reports/renstra/manual {year, indicator_code, value}`: admin only (403 otherwise); see
  shared/services/renstra.py for the rules (422 unknown indicator, 409 manual value for a
  computed indicator).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.api.deps import CurrentActor, ReadSession, SettingsDep, UnitOfWorkRoute, WriteUnit
from shared.db import utcnow
from shared.domain.access import Actor
from shared.domain.vocabulary import ReportFormat
from shared.errors import Forbidden
from shared.reports.render import render_renstra_report
from shared.reports.renstra import build_renstra_report
from shared.schemas.renstra import ManualIn, TargetIn
from shared.services.renstra import set_manual, set_target

router = APIRouter(tags=["reports"], route_class=UnitOfWorkRoute)


def require_office_reports(actor: Actor) -> None:
    if actor.role not in ("admin", "posko", "pengamat"):
        raise Forbidden("laporan Renstra mencakup semua kejadian; relawan tidak berhak "
                        "(the Renstra report spans every event: not for relawan)")


@router.get("/reports/renstra", summary="Laporan capaian indikator Renstra (admin, posko, pengamat)")
def get_renstra_report(
    actor: CurrentActor, session: ReadSession, settings: SettingsDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="tahun (default: tahun ini)")] = None,
    format: ReportFormat = "json",
) -> Response:
    require_office_reports(actor)
    tz = settings.tz
    now = utcnow()
    report = build_renstra_report(session, year if year is not None else now.astimezone(tz).year, tz, now)
    body, media_type, name = render_renstra_report(report, format)
    disposition = "inline" if format == "json" else "attachment"
    return Response(content=body, media_type=media_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


@router.put("/reports/renstra/targets", summary="Ubah target dan pagu indikator Renstra (admin)")
def put_renstra_target(body: TargetIn, actor: CurrentActor, uow: WriteUnit) -> dict[str, Any]:
    return set_target(uow, actor, body)


@router.put("/reports/renstra/manual", summary="Isi realisasi manual indikator Renstra (admin)")
def put_renstra_manual(body: ManualIn, actor: CurrentActor, uow: WriteUnit) -> dict[str, Any]:
    return set_manual(uow, actor, body)
