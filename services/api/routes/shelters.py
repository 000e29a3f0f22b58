"""Shelters (tempat penampungan) of an event."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from services.api.deps import (
    CurrentActor,
    IfMatch,
    PageParams,
    ReadSession,
    UnitOfWorkRoute,
    VisibleEvent,
    WritableEvent,
    WriterDep,
    WriteUnit,
)
from services.api.write_answers import apply_command, set_data_seq
from shared.errors import NotFound
from shared.repositories import people as people_repo
from shared.schemas.common import Page
from shared.schemas.people import ShelterCreate, ShelterPublic, ShelterUpdate
from shared.services import events as event_service
from shared.services.field_records import Command

router = APIRouter(tags=["shelters"], route_class=UnitOfWorkRoute)


def _public(session, shelter) -> ShelterPublic:  # type: ignore[no-untyped-def]
    answer = ShelterPublic.model_validate(shelter)
    answer.occupants = people_repo.occupants(session, [shelter.id]).get(shelter.id, 0)
    return answer


@router.post("/events/{event_id}/shelters", response_model=ShelterPublic, status_code=201,
             summary="Buka tempat penampungan", responses={200: {"description": "replay of the same id"}})
async def create_shelter(event_id: str, body: ShelterCreate, actor: CurrentActor, writer: WriterDep,
                         response: Response) -> ShelterPublic:
    return await apply_command(
        writer, actor, Command("shelter", event_id, body), response,
        from_row=lambda o: ShelterPublic.model_validate(o.row),
        from_db=lambda s, o: _public(s, people_repo.get_shelter(s, o.stored_id)))


@router.get("/events/{event_id}/shelters", response_model=Page[ShelterPublic], summary="Daftar tempat penampungan")
def list_shelters(event: VisibleEvent, session: ReadSession, page: PageParams,
                  open_only: bool = Query(default=False)) -> Page[ShelterPublic]:
    rows, total = people_repo.list_shelters(session, event.id, open_only=open_only, limit=page.limit,
                                            offset=page.offset)
    counts = people_repo.occupants(session, [s.id for s in rows])
    items = []
    for s in rows:
        item = ShelterPublic.model_validate(s)
        item.occupants = counts.get(s.id, 0)
        items.append(item)
    return Page.of(items, total, page)


@router.get("/events/{event_id}/shelters/{shelter_id}", response_model=ShelterPublic, summary="Satu tempat penampungan")
def get_shelter(event: VisibleEvent, shelter_id: str, session: ReadSession) -> ShelterPublic:
    shelter = people_repo.get_shelter(session, shelter_id)
    if shelter is None or shelter.event_id != event.id:
        raise NotFound("tempat penampungan tidak ditemukan (shelter not found)")
    return _public(session, shelter)


@router.patch("/events/{event_id}/shelters/{shelter_id}", response_model=ShelterPublic,
              summary="Ubah atau tutup tempat penampungan (closed_at)")
def update_shelter(event: WritableEvent, shelter_id: str, body: ShelterUpdate, actor: CurrentActor,
                   uow: WriteUnit, response: Response, if_match: IfMatch = None) -> ShelterPublic:
    shelter, seq = event_service.update_shelter(uow, actor, event, shelter_id, body, if_match)
    answer = _public(uow.session, shelter)
    set_data_seq(response, seq)
    return answer
