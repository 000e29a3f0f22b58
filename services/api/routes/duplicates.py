"""Duplicate review: the queue of likely pairs, dismissing a pair, merging and unmerging persons."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from services.api.deps import (
    CurrentActor,
    DispatcherDep,
    PageParams,
    ReadSession,
    SettingsDep,
    UnitOfWorkRoute,
    VisibleEvent,
    WriteUnit,
)
from services.api.write_answers import set_data_seq
from shared.db import UnitOfWork
from shared.domain.access import Actor
from shared.models import PersonMerge
from shared.schemas.common import ObjectId, Page
from shared.schemas.duplicates import DuplicatePairPublic, MergePublic, MergeRequest, Moved
from shared.services import duplicates as duplicate_service
from shared.services import events as event_service
from shared.services import merge as merge_service
from shared.services import people as people_service

router = APIRouter(tags=["duplicates"], route_class=UnitOfWorkRoute)


@router.get("/events/{event_id}/duplicates", response_model=Page[DuplicatePairPublic],
            summary="Kemungkinan ganda: pasangan orang yang mungkin sama (NIK disamarkan untuk relawan)")
def list_duplicates(event: VisibleEvent, actor: CurrentActor, session: ReadSession, uow: WriteUnit,
                    settings: SettingsDep, page: PageParams,
                    status: str | None = Query(default="open", pattern="^(open|dismissed|merged|all)$"),
                    ) -> Page[DuplicatePairPublic]:
    return duplicate_service.list_pairs(uow, session, actor, event, None if status == "all" else status, page,
                                        settings.tz)


@router.post("/events/{event_id}/duplicates/{pair_id}/dismiss", response_model=DuplicatePairPublic,
             summary="Bukan orang yang sama: pasangan tidak diusulkan lagi")
def dismiss_duplicate(event: VisibleEvent, pair_id: ObjectId, actor: CurrentActor, uow: WriteUnit,
                      settings: SettingsDep) -> DuplicatePairPublic:
    return duplicate_service.dismiss(uow, actor, event, pair_id, settings.tz)


@router.post("/events/{event_id}/duplicates/scan", status_code=202,
             summary="Pindai kemungkinan ganda sekarang (antrean pekerja)")
def request_scan(event: VisibleEvent, actor: CurrentActor, dispatcher: DispatcherDep) -> dict[str, object]:
    merge_service.require_merger(actor)
    return {"event_id": event.id, "queued": dispatcher.scan_duplicates(event.id)}


def _answer(uow: UnitOfWork, actor: Actor, record: PersonMerge, tz: ZoneInfo, *, with_merged: bool) -> MergePublic:
    moved = record.moved
    survivor = people_service.person_detail(uow, actor, record.survivor_id, tz, audit=False)
    merged = people_service.person_detail(uow, actor, record.merged_id, tz, audit=False) if with_merged else None
    return MergePublic(merge_id=record.id, event_id=record.event_id, merged_id=record.merged_id,
                       survivor_id=record.survivor_id, pair_id=record.pair_id,
                       moved=Moved(stays=len(moved.get("stays", [])), distributions=len(moved.get("distributions", [])),
                                   services=len(moved.get("services", []))),
                       closed_stays=len(moved.get("closed_stays") or {}), merged_at=record.merged_at,
                       undone_at=record.undone_at, survivor=survivor, merged=merged)


@router.post("/persons/{person_id}/merge", response_model=MergePublic,
             summary="Gabungkan orang ini ke orang lain (posko, admin); id lama menjadi alias")
def merge_person(person_id: ObjectId, body: MergeRequest, actor: CurrentActor, uow: WriteUnit, settings: SettingsDep,
                 response: Response) -> MergePublic:
    record = merge_service.merge(uow, actor, person_id, body.into, body.fields)
    answer = _answer(uow, actor, record, settings.tz, with_merged=False)
    set_data_seq(response, event_service.data_seq(uow, record.event_id))
    return answer


@router.post("/persons/{person_id}/unmerge", response_model=MergePublic,
             summary="Batalkan penggabungan: orang dan datanya kembali persis seperti sebelumnya")
def unmerge_person(person_id: ObjectId, actor: CurrentActor, uow: WriteUnit, settings: SettingsDep,
                   response: Response) -> MergePublic:
    record = merge_service.unmerge(uow, actor, person_id)
    answer = _answer(uow, actor, record, settings.tz, with_merged=True)
    set_data_seq(response, event_service.data_seq(uow, record.event_id))
    return answer
