"""Households, persons and their stays (check-in, transfer, check-out)."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi import APIRouter, Query, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.api.deps import (
    CurrentActor,
    IfMatch,
    PageParams,
    ReadSession,
    SettingsDep,
    UnitOfWorkRoute,
    VisibleEvent,
    WriterDep,
    WriteUnit,
)
from services.api.write_answers import apply_command, set_data_seq
from services.api.write_batcher import WriteBatcher
from shared.db import UnitOfWork, read_unit
from shared.domain.access import Actor, masks_nik_in_lists
from shared.domain.identity import mask_nik
from shared.domain.privacy import query_kind
from shared.domain.vocabulary import Condition
from shared.errors import NotFound
from shared.repositories import people as people_repo
from shared.schemas.common import Page
from shared.schemas.people import (
    CheckIn,
    CheckOut,
    HouseholdCreate,
    HouseholdPublic,
    NikConflictAnswer,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
    StayPublic,
)
from shared.services import events as event_service
from shared.services import people as people_service
from shared.services.bookkeeping import record_audit
from shared.services.field_records import Command, Outcome
from shared.services.presenters import person_public

router = APIRouter(tags=["people"], route_class=UnitOfWorkRoute)


def _audit_list(uow: UnitOfWork, actor: Actor, action: str, event_id: str, q: str | None, rows: int,
                **filters: str | None) -> None:
    """Record that a list of personal data was read: who, what kind of query (a NIK search is recorded as
    `search=nik`, never the NIK), how many rows it answered (UU 27/2022; docs/personal-data.md)."""
    parts = [query_kind(q, "kk" if action.startswith("household") else "nik") or "search=none", *(name for name, value in filters.items() if value)]
    record_audit(uow, actor, action, "event", event_id, event_id, detail=",".join(parts), row_count=rows)


def _household_public(session, household, *, mask: bool) -> HouseholdPublic:  # type: ignore[no-untyped-def]
    answer = HouseholdPublic.model_validate(household)
    answer.members = people_repo.member_counts(session, [household.id]).get(household.id, 0)
    if mask:
        answer.kk_number = mask_nik(answer.kk_number)
    return answer


@router.post("/events/{event_id}/households", response_model=HouseholdPublic, status_code=201,
             summary="Daftarkan keluarga", responses={200: {"description": "replay of the same id"}})
async def create_household(event_id: str, body: HouseholdCreate, actor: CurrentActor, writer: WriterDep,
                           response: Response) -> HouseholdPublic:
    people_service.require_names(actor)
    return await apply_command(
        writer, actor, Command("household", event_id, body), response,
        from_row=lambda o: HouseholdPublic.model_validate(o.row),
        from_db=lambda s, o: _household_public(s, people_repo.get_household(s, o.stored_id), mask=False))


@router.get("/events/{event_id}/households", response_model=Page[HouseholdPublic], summary="Daftar keluarga")
def list_households(event: VisibleEvent, actor: CurrentActor, session: ReadSession, uow: WriteUnit,
                    page: PageParams, q: str | None = Query(default=None, max_length=100)) -> Page[HouseholdPublic]:
    people_service.require_names(actor)
    rows, total = people_repo.list_households(session, event.id, q=q, limit=page.limit, offset=page.offset)
    counts = people_repo.member_counts(session, [h.id for h in rows])
    mask = masks_nik_in_lists(actor)
    items = []
    for h in rows:
        item = HouseholdPublic.model_validate(h)
        item.members = counts.get(h.id, 0)
        if mask:
            item.kk_number = mask_nik(item.kk_number)
        items.append(item)
    _audit_list(uow, actor, "household.list", event.id, q, len(items))
    return Page.of(items, total, page)


@router.get("/events/{event_id}/households/{household_id}", response_model=HouseholdPublic, summary="Satu keluarga")
def get_household(event: VisibleEvent, household_id: str, actor: CurrentActor, uow: WriteUnit) -> HouseholdPublic:
    people_service.require_names(actor)
    household = people_repo.get_household(uow.session, household_id)
    if household is None or household.event_id != event.id:
        raise NotFound("keluarga tidak ditemukan (household not found)")
    record_audit(uow, actor, "household.read", "household", household.id, event.id)
    return _household_public(uow.session, household, mask=False)


@router.post("/events/{event_id}/persons", response_model=PersonPublic, status_code=201,
             summary="Daftarkan orang (shelter_id atau mandiri membuka masa tinggal)",
             responses={200: {"description": "replay of the same id"},
                        409: {"model": NikConflictAnswer, "description": "NIK already registered: `existing` names them"}})
async def create_person(event_id: str, body: PersonCreate, actor: CurrentActor, writer: WriterDep,
                        settings: SettingsDep, response: Response) -> PersonPublic:
    people_service.require_names(actor)
    tz = settings.tz

    def from_row(o: Outcome) -> PersonPublic:
        assert o.row is not None and o.event is not None
        return person_public(SimpleNamespace(**o.row), o.event.started_at, o.row["shelter_id"],
                             o.row["stay_kind"] is not None, o.row["stay_kind"], tz, mask=False)

    def from_db(session: Session, o: Outcome) -> PersonPublic:
        row = people_repo.get_person_row(session, o.stored_id)  # type: ignore[arg-type]
        assert row is not None
        return person_public(*row, tz, mask=False)

    return await apply_command(writer, actor, Command("person", event_id, body), response,
                               from_row=from_row, from_db=from_db)


@router.get("/events/{event_id}/persons", response_model=Page[PersonPublic],
            summary="Daftar orang (q: nama atau NIK); NIK disamarkan untuk relawan")
def list_persons(event: VisibleEvent, actor: CurrentActor, session: ReadSession, uow: WriteUnit,
                 settings: SettingsDep, page: PageParams,
                 q: str | None = Query(default=None, max_length=100),
                 shelter_id: str | None = Query(default=None, max_length=36),
                 household_id: str | None = Query(default=None, max_length=36),
                 condition: Condition | None = None,
                 ) -> Page[PersonPublic]:
    tz, mask = settings.tz, masks_nik_in_lists(actor)
    people_service.require_names(actor)
    rows, total = people_repo.list_person_rows(session, event.id, q=q, shelter_id=shelter_id,
                                               household_id=household_id, condition=condition,
                                               limit=page.limit, offset=page.offset)
    answer: Page[PersonPublic] = Page.of([person_public(*r, tz, mask=mask) for r in rows], total, page)
    _audit_list(uow, actor, "person.list", event.id, q, len(answer.items),
                shelter_id=shelter_id, household_id=household_id, condition=condition)
    return answer


@router.get("/persons/{person_id}", response_model=PersonPublic, summary="Data lengkap satu orang (tercatat di audit)")
def get_person(person_id: str, actor: CurrentActor, uow: WriteUnit, settings: SettingsDep) -> PersonPublic:
    return people_service.person_detail(uow, actor, person_id, settings.tz)


@router.patch("/persons/{person_id}", response_model=PersonPublic, summary="Perbaiki data orang (If-Match)",
              responses={409: {"model": NikConflictAnswer, "description": "NIK already registered: `existing` names them"}})
def update_person(person_id: str, body: PersonUpdate, actor: CurrentActor, uow: WriteUnit, settings: SettingsDep,
                  response: Response, if_match: IfMatch = None) -> PersonPublic:
    person = people_service.update_person(uow, actor, person_id, body, if_match)
    answer = people_service.person_detail(uow, actor, person.id, settings.tz, audit=False)
    seq = event_service.data_seq(uow, person.event_id)
    set_data_seq(response, seq)
    return answer


@router.get("/persons/{person_id}/stays", response_model=list[StayPublic], summary="Riwayat tinggal satu orang")
def list_stays(person_id: str, actor: CurrentActor, session: ReadSession) -> list[StayPublic]:
    person = people_service.visible_person(session, actor, person_id)
    return [StayPublic.model_validate(s) for s in people_repo.list_stays(session, person.id)]


def _person_event(writer: WriteBatcher, actor: Actor, person_id: str) -> str:
    with read_unit(writer.db) as session:
        return people_service.visible_person(session, actor, person_id).event_id


async def _stay_command(writer: WriteBatcher, actor: Actor, person_id: str, kind: str, body: CheckIn | CheckOut,
                        response: Response) -> StayPublic:
    event_id = await run_in_threadpool(_person_event, writer, actor, person_id)
    return await apply_command(
        writer, actor, Command(kind, event_id, body, person_id=person_id), response,
        from_row=lambda o: StayPublic.model_validate(o.row),
        from_db=lambda s, o: StayPublic.model_validate(people_repo.get_stay(s, o.stored_id)))


@router.post("/persons/{person_id}/check-in", response_model=StayPublic, status_code=201,
             summary="Masuk tempat penampungan atau mengungsi mandiri (pindah menutup masa tinggal sebelumnya)",
             responses={200: {"description": "already in this shelter, or a replay of the same id"}})
async def check_in(person_id: str, body: CheckIn, actor: CurrentActor, writer: WriterDep,
                   response: Response) -> StayPublic:
    return await _stay_command(writer, actor, person_id, "check_in", body, response)


@router.post("/persons/{person_id}/check-out", response_model=StayPublic, summary="Keluar dari tempat penampungan")
async def check_out(person_id: str, body: CheckOut, actor: CurrentActor, writer: WriterDep,
                    response: Response) -> StayPublic:
    answer = await _stay_command(writer, actor, person_id, "check_out", body, response)
    response.status_code = 200
    return answer
