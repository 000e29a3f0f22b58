"""Distributions of items and services to persons.

What pengamat (observer) gets: distributions without `person_id`, `household_id` and `notes` (they
stay in the answer as null: who received what is personal data, what was given where is not);
services are health and psychosocial care of named persons, so every services route is 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from services.api.deps import CurrentActor, PageParams, ReadSession, UnitOfWorkRoute, VisibleEvent, WriterDep
from services.api.write_answers import apply_command
from shared.domain.access import can_see_names
from shared.errors import NotFound
from shared.repositories import people as people_repo
from shared.schemas.common import Page
from shared.schemas.people import DistributionCreate, DistributionPublic, ServiceCreate, ServicePublic
from shared.services.field_records import Command
from shared.services.people import require_names
from shared.services.presenters import distribution_public

router = APIRouter(tags=["logistics"], route_class=UnitOfWorkRoute)


@router.post("/events/{event_id}/distributions", response_model=DistributionPublic, status_code=201,
             summary="Catat penyaluran bantuan", responses={200: {"description": "replay of the same id"}})
async def create_distribution(event_id: str, body: DistributionCreate, actor: CurrentActor, writer: WriterDep,
                              response: Response) -> DistributionPublic:
    return await apply_command(
        writer, actor, Command("distribution", event_id, body), response,
        from_row=lambda o: DistributionPublic.model_validate(o.row),
        from_db=lambda s, o: DistributionPublic.model_validate(people_repo.get_distribution(s, o.stored_id)))


@router.get("/events/{event_id}/distributions", response_model=Page[DistributionPublic], summary="Daftar penyaluran")
def list_distributions(event: VisibleEvent, actor: CurrentActor, session: ReadSession, page: PageParams,
                       shelter_id: str | None = Query(default=None, max_length=36),
                       item_code: str | None = Query(default=None, max_length=60)) -> Page[DistributionPublic]:
    rows, total = people_repo.list_distributions(session, event.id, shelter_id=shelter_id, item_code=item_code,
                                                 limit=page.limit, offset=page.offset)
    names = can_see_names(actor)
    return Page.of([distribution_public(d, names=names) for d in rows], total, page)


@router.get("/events/{event_id}/distributions/{distribution_id}", response_model=DistributionPublic,
            summary="Satu penyaluran")
def get_distribution(event: VisibleEvent, distribution_id: str, actor: CurrentActor,
                     session: ReadSession) -> DistributionPublic:
    row = people_repo.get_distribution(session, distribution_id)
    if row is None or row.event_id != event.id:
        raise NotFound("penyaluran tidak ditemukan (distribution not found)")
    return distribution_public(row, names=can_see_names(actor))


@router.post("/events/{event_id}/services", response_model=ServicePublic, status_code=201,
             summary="Catat layanan (penanganan khusus, psikososial)",
             responses={200: {"description": "replay of the same id"}})
async def create_service(event_id: str, body: ServiceCreate, actor: CurrentActor, writer: WriterDep,
                         response: Response) -> ServicePublic:
    require_names(actor)
    return await apply_command(
        writer, actor, Command("service", event_id, body), response,
        from_row=lambda o: ServicePublic.model_validate(o.row),
        from_db=lambda s, o: ServicePublic.model_validate(people_repo.get_service(s, o.stored_id)))


@router.get("/events/{event_id}/services", response_model=Page[ServicePublic],
            summary="Daftar layanan (data kesehatan: bukan untuk pengamat)")
def list_services(event: VisibleEvent, actor: CurrentActor, session: ReadSession, page: PageParams,
                  person_id: str | None = Query(default=None, max_length=36)) -> Page[ServicePublic]:
    require_names(actor)
    rows, total = people_repo.list_services(session, event.id, person_id=person_id, limit=page.limit,
                                            offset=page.offset)
    return Page.of([ServicePublic.model_validate(s) for s in rows], total, page)
