"""Distributions of items and services to persons.

What pengamat (observer) gets: distributions without `person_id`, `household_id` and `notes` (they
stay in the answer as null: who received what is personal data, what was given where is not);
services are health and psychosocial care of named persons, so every services route is 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from services.api.deps import CurrentActor, DbDep, PageParams
from services.api.writing import apply_command
from shared.db import read_unit
from shared.domain.access import can_see_names
from shared.errors import NotFound
from shared.repositories import people as people_repo
from shared.schemas.common import Page
from shared.schemas.people import DistributionCreate, DistributionPublic, ServiceCreate, ServicePublic
from shared.services import events as event_service
from shared.services.field_writes import Command
from shared.services.people import require_names
from shared.services.presenters import distribution_public

router = APIRouter(tags=["logistics"])


@router.post("/events/{event_id}/distributions", response_model=DistributionPublic, status_code=201,
             summary="Catat penyaluran bantuan", responses={200: {"description": "replay of the same id"}})
async def create_distribution(event_id: str, body: DistributionCreate, actor: CurrentActor, request: Request,
                              response: Response) -> DistributionPublic:
    return await apply_command(
        request, actor, Command("distribution", event_id, body), response,
        from_row=lambda o: DistributionPublic.model_validate(o.row),
        from_db=lambda s, o: DistributionPublic.model_validate(people_repo.get_distribution(s, o.stored_id)))


@router.get("/events/{event_id}/distributions", response_model=Page[DistributionPublic], summary="Daftar penyaluran")
def list_distributions(event_id: str, actor: CurrentActor, db: DbDep, page: PageParams,
                       shelter_id: str | None = Query(default=None, max_length=36),
                       item_code: str | None = Query(default=None, max_length=60)) -> Page[DistributionPublic]:
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)
        rows, total = people_repo.list_distributions(session, event_id, shelter_id=shelter_id, item_code=item_code,
                                                     limit=page[0], offset=page[1])
        names = can_see_names(actor)
        return Page(items=[distribution_public(d, names=names) for d in rows], total=total, limit=page[0],
                    offset=page[1])


@router.get("/events/{event_id}/distributions/{distribution_id}", response_model=DistributionPublic,
            summary="Satu penyaluran")
def get_distribution(event_id: str, distribution_id: str, actor: CurrentActor, db: DbDep) -> DistributionPublic:
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)
        row = people_repo.get_distribution(session, distribution_id)
        if row is None or row.event_id != event_id:
            raise NotFound("penyaluran tidak ditemukan (distribution not found)")
        return distribution_public(row, names=can_see_names(actor))


@router.post("/events/{event_id}/services", response_model=ServicePublic, status_code=201,
             summary="Catat layanan (penanganan khusus, psikososial)",
             responses={200: {"description": "replay of the same id"}})
async def create_service(event_id: str, body: ServiceCreate, actor: CurrentActor, request: Request,
                         response: Response) -> ServicePublic:
    require_names(actor)
    return await apply_command(
        request, actor, Command("service", event_id, body), response,
        from_row=lambda o: ServicePublic.model_validate(o.row),
        from_db=lambda s, o: ServicePublic.model_validate(people_repo.get_service(s, o.stored_id)))


@router.get("/events/{event_id}/services", response_model=Page[ServicePublic],
            summary="Daftar layanan (data kesehatan: bukan untuk pengamat)")
def list_services(event_id: str, actor: CurrentActor, db: DbDep, page: PageParams,
                  person_id: str | None = Query(default=None, max_length=36)) -> Page[ServicePublic]:
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)
        require_names(actor)
        rows, total = people_repo.list_services(session, event_id, person_id=person_id, limit=page[0], offset=page[1])
        return Page(items=[ServicePublic.model_validate(s) for s in rows], total=total, limit=page[0], offset=page[1])
