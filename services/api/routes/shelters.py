"""Shelters (tempat penampungan) of an event."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from services.api.deps import CurrentActor, DbDep, DispatcherDep, IfMatch, PageParams
from services.api.writing import apply_command, set_data_seq
from shared.db import read_unit, write_unit
from shared.errors import NotFound
from shared.repositories import people as people_repo
from shared.schemas.common import Page
from shared.schemas.people import ShelterCreate, ShelterPublic, ShelterUpdate
from shared.services import events as event_service
from shared.services.field_writes import Command

router = APIRouter(tags=["shelters"])


def _public(session, shelter) -> ShelterPublic:  # type: ignore[no-untyped-def]
    answer = ShelterPublic.model_validate(shelter)
    answer.occupants = people_repo.occupants(session, [shelter.id]).get(shelter.id, 0)
    return answer


@router.post("/events/{event_id}/shelters", response_model=ShelterPublic, status_code=201,
             summary="Buka tempat penampungan", responses={200: {"description": "replay of the same id"}})
async def create_shelter(event_id: str, body: ShelterCreate, actor: CurrentActor, request: Request,
                         response: Response) -> ShelterPublic:
    return await apply_command(
        request, actor, Command("shelter", event_id, body), response,
        from_row=lambda o: ShelterPublic.model_validate(o.row),
        from_db=lambda s, o: _public(s, people_repo.get_shelter(s, o.stored_id)))


@router.get("/events/{event_id}/shelters", response_model=Page[ShelterPublic], summary="Daftar tempat penampungan")
def list_shelters(event_id: str, actor: CurrentActor, db: DbDep, page: PageParams,
                  open_only: bool = Query(default=False)) -> Page[ShelterPublic]:
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)
        rows, total = people_repo.list_shelters(session, event_id, open_only=open_only, limit=page[0], offset=page[1])
        counts = people_repo.occupants(session, [s.id for s in rows])
        items = []
        for s in rows:
            item = ShelterPublic.model_validate(s)
            item.occupants = counts.get(s.id, 0)
            items.append(item)
        return Page(items=items, total=total, limit=page[0], offset=page[1])


@router.get("/events/{event_id}/shelters/{shelter_id}", response_model=ShelterPublic, summary="Satu tempat penampungan")
def get_shelter(event_id: str, shelter_id: str, actor: CurrentActor, db: DbDep) -> ShelterPublic:
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)
        shelter = people_repo.get_shelter(session, shelter_id)
        if shelter is None or shelter.event_id != event_id:
            raise NotFound("tempat penampungan tidak ditemukan (shelter not found)")
        return _public(session, shelter)


@router.patch("/events/{event_id}/shelters/{shelter_id}", response_model=ShelterPublic,
              summary="Ubah atau tutup tempat penampungan (closed_at)")
def update_shelter(event_id: str, shelter_id: str, body: ShelterUpdate, actor: CurrentActor, db: DbDep,
                   dispatcher: DispatcherDep, response: Response, if_match: IfMatch = None) -> ShelterPublic:
    with write_unit(db) as uow:
        shelter, seq = event_service.update_shelter(uow, actor, event_id, shelter_id, body, if_match,
                                                    dispatcher.event_changed)
        answer = _public(uow.session, shelter)
    set_data_seq(response, seq)
    return answer
