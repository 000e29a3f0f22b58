"""The office registers behind the Renstra preparedness rows (docs/api.md, "Renstra registers").

TAGANA roster (admin, posko; personal data: phone numbers):
- `POST /tagana` (idempotent by client `id`: 201 new, 200 replay, 409 other content), `GET /tagana`
  (`active`, `level`, `q` filters; list envelope), `GET/PATCH/DELETE /tagana/{id}`;
- `POST/GET /tagana/{id}/trainings`, `DELETE /tagana/{id}/trainings/{training_id}`.

Preparedness activities (write admin, posko; read also pengamat):
- `POST /preparedness-activities` (idempotent), `GET /preparedness-activities` (`year`, `kind`,
  `kelurahan_code`), `GET/PATCH/DELETE /preparedness-activities/{id}`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.api.deps import CurrentActor, DbDep, IfMatch, PageParams, UnitOfWorkRoute, WriteUnit
from shared.db import in_write_unit
from shared.domain.registers import ACTIVITY_KINDS, LEVELS
from shared.errors import Invalid
from shared.schemas.registers import (
    ActivityCreate,
    ActivityUpdate,
    TrainingCreate,
    VolunteerCreate,
    VolunteerUpdate,
)
from shared.services import preparedness, tagana

router = APIRouter(tags=["registers"], route_class=UnitOfWorkRoute)

IdPath = Annotated[str, Path(min_length=1, max_length=36)]


def _one_of(value: str | None, allowed: tuple[str, ...], name: str) -> None:
    if value is not None and value not in allowed:
        raise Invalid(("query", name), f"{name} harus salah satu dari: {', '.join(allowed)}")


# ---- TAGANA roster -------------------------------------------------------------------------------------------

@router.post("/tagana", status_code=201, summary="Tambah relawan TAGANA (admin, posko)",
             responses={200: {"description": "replay of a create with the same id"}})
def create_volunteer(body: VolunteerCreate, actor: CurrentActor, db: DbDep, response: Response) -> dict[str, Any]:
    def work(uow: Any) -> dict[str, Any]:
        v, created = tagana.create_volunteer(uow, actor, body)
        response.status_code = 201 if created else 200
        return tagana.volunteers_public(uow.session, [v])[0]
    return in_write_unit(db, work)


@router.get("/tagana", summary="Daftar relawan TAGANA (admin, posko)")
def list_volunteers(actor: CurrentActor, uow: WriteUnit, page: PageParams,
                    active: bool | None = None,
                    level: Annotated[str | None, Query(max_length=10)] = None,
                    q: Annotated[str | None, Query(max_length=100, description="bagian nama")] = None) -> dict[str, Any]:
    _one_of(level, LEVELS, "level")
    items, total = tagana.list_volunteers(uow, actor, active=active, level=level, q=q or None,
                                          limit=page.limit, offset=page.offset)
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.get("/tagana/{volunteer_id}", summary="Satu relawan TAGANA: pelatihan dan penugasan (admin, posko)")
def get_volunteer(volunteer_id: IdPath, actor: CurrentActor, uow: WriteUnit) -> dict[str, Any]:
    return tagana.read_volunteer(uow, actor, volunteer_id)


@router.patch("/tagana/{volunteer_id}", summary="Ubah relawan TAGANA (admin, posko)")
def update_volunteer(volunteer_id: IdPath, body: VolunteerUpdate, actor: CurrentActor, uow: WriteUnit,
                     if_match: IfMatch = None) -> dict[str, Any]:
    return tagana.update_volunteer(uow, actor, volunteer_id, body, if_match)


@router.delete("/tagana/{volunteer_id}", status_code=204, summary="Hapus relawan yang salah dicatat (admin, posko)")
def delete_volunteer(volunteer_id: IdPath, actor: CurrentActor, uow: WriteUnit) -> Response:
    tagana.delete_volunteer(uow, actor, volunteer_id)
    return Response(status_code=204)


@router.post("/tagana/{volunteer_id}/trainings", status_code=201,
             summary="Catat pelatihan atau sertifikat relawan TAGANA (admin, posko)",
             responses={200: {"description": "replay of a create with the same id"}})
def add_training(volunteer_id: IdPath, body: TrainingCreate, actor: CurrentActor, db: DbDep,
                 response: Response) -> dict[str, Any]:
    def work(uow: Any) -> dict[str, Any]:
        t, created = tagana.add_training(uow, actor, volunteer_id, body)
        response.status_code = 201 if created else 200
        return tagana.training_public(t)
    return in_write_unit(db, work)


@router.get("/tagana/{volunteer_id}/trainings", summary="Pelatihan dan sertifikat relawan TAGANA (admin, posko)")
def list_trainings(volunteer_id: IdPath, actor: CurrentActor, uow: WriteUnit) -> dict[str, Any]:
    items = tagana.list_trainings(uow, actor, volunteer_id)
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.delete("/tagana/{volunteer_id}/trainings/{training_id}", status_code=204,
               summary="Hapus pelatihan yang salah dicatat (admin, posko)")
def delete_training(volunteer_id: IdPath, training_id: IdPath, actor: CurrentActor, uow: WriteUnit) -> Response:
    tagana.delete_training(uow, actor, volunteer_id, training_id)
    return Response(status_code=204)


# ---- preparedness activities -----------------------------------------------------------------------------

@router.post("/preparedness-activities", status_code=201, summary="Catat kegiatan kesiapsiagaan (admin, posko)",
             responses={200: {"description": "replay of a create with the same id"}})
def create_activity(body: ActivityCreate, actor: CurrentActor, db: DbDep,
                    response: Response) -> dict[str, Any]:
    def work(uow: Any) -> dict[str, Any]:
        a, created = preparedness.create_activity(uow, actor, body)
        response.status_code = 201 if created else 200
        return preparedness.activities_public(uow.session, [a])[0]
    return in_write_unit(db, work)


@router.get("/preparedness-activities", summary="Daftar kegiatan kesiapsiagaan (admin, posko, pengamat)")
def list_activities(actor: CurrentActor, uow: WriteUnit, page: PageParams,
                    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                    kind: Annotated[str | None, Query(max_length=20)] = None,
                    kelurahan_code: Annotated[str | None, Query(max_length=13)] = None) -> dict[str, Any]:
    _one_of(kind, ACTIVITY_KINDS, "kind")
    items, total = preparedness.list_activities(uow, actor, year=year, kind=kind, kelurahan_code=kelurahan_code,
                                                limit=page.limit, offset=page.offset)
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.get("/preparedness-activities/{activity_id}", summary="Satu kegiatan kesiapsiagaan")
def get_activity(activity_id: IdPath, actor: CurrentActor, uow: WriteUnit) -> dict[str, Any]:
    return preparedness.read_activity(uow, actor, activity_id)


@router.patch("/preparedness-activities/{activity_id}", summary="Ubah kegiatan kesiapsiagaan (admin, posko)")
def update_activity(activity_id: IdPath, body: ActivityUpdate, actor: CurrentActor, uow: WriteUnit,
                    if_match: IfMatch = None) -> dict[str, Any]:
    return preparedness.update_activity(uow, actor, activity_id, body, if_match)


@router.delete("/preparedness-activities/{activity_id}", status_code=204,
               summary="Hapus kegiatan yang salah dicatat (admin, posko)")
def delete_activity(activity_id: IdPath, actor: CurrentActor, uow: WriteUnit) -> Response:
    preparedness.delete_activity(uow, actor, activity_id)
    return Response(status_code=204)
