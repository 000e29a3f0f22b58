"""Tracing requests (laporan orang dicari): file, list, read, correct, confirm, reunite, close; the
matcher's candidates; PFIF 1.4 export and import."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.api.deps import (
    CurrentActor,
    DbDep,
    DispatcherDep,
    IfMatch,
    PageParams,
    ReadSession,
    SettingsDep,
    UnitOfWorkRoute,
    WriteUnit,
)
from services.api.write_answers import set_data_seq
from shared.db import UnitOfWork, in_write_unit
from shared.domain.tracing import TracingKind, TracingStatus
from shared.models import TracingRequest
from shared.queue import Dispatcher
from shared.repositories import tracing as tracing_repo
from shared.schemas.common import ObjectId, Page
from shared.schemas.tracing import (
    TracingCandidate,
    TracingCounts,
    TracingCreate,
    TracingPublic,
    TracingUpdate,
)
from shared.services import events as event_service
from shared.services import pfif, tracing_matching
from shared.services import tracing as tracing_service
from shared.services.bookkeeping import record_audit

router = APIRouter(tags=["tracing"], route_class=UnitOfWorkRoute)


def _after(uow: UnitOfWork, dispatcher: Dispatcher) -> None:
    """Once the write has committed, the worker matches what changed (never in this transaction)."""
    uow.after_commit(dispatcher.match_tracing)


def _one(uow: UnitOfWork, actor: CurrentActor, request_id: str) -> TracingPublic:
    request = tracing_service.visible_request(uow.session, actor, request_id)
    return tracing_service.present_many(uow.session, actor, [request])[0]


@router.get("/tracing/counts", response_model=TracingCounts,
            summary="Jumlah laporan orang dicari per status (semua peran; relawan: kejadian tempatnya bertugas)")
def tracing_counts(actor: CurrentActor, session: ReadSession,
                   event_id: ObjectId | None = Query(default=None)) -> TracingCounts:
    scope = tracing_service.visible_events(session, actor)
    if event_id is not None:
        event_service.visible_event(session, actor, event_id)
        scope = {event_id}
    return tracing_service.counts(session, scope)


@router.post("/tracing", response_model=TracingPublic, status_code=201, summary="Laporkan orang dicari",
             responses={200: {"description": "replay of the same id"}})
def create_tracing(body: TracingCreate, actor: CurrentActor, db: DbDep, session: ReadSession,
                   dispatcher: DispatcherDep, response: Response) -> TracingPublic:
    # Not the request's WriteUnit: a create that lost a key race to a concurrent one runs again in a
    # fresh transaction (in_write_unit) and answers as the replay it is.
    def work(uow: UnitOfWork) -> tuple[TracingRequest, bool, int | None]:
        request, created = tracing_service.create_request(uow, actor, body)
        if created:
            _after(uow, dispatcher)
        seq = event_service.data_seq(uow, request.event_id) if created and request.event_id else None
        return request, created, seq

    request, created, seq = in_write_unit(db, work, dispatcher.event_changed)
    response.status_code = 201 if created else 200
    if seq is not None:
        set_data_seq(response, seq)
    return tracing_service.present_many(session, actor, [request])[0]


@router.get("/tracing/export.pfif.xml", summary="Ekspor PFIF 1.4: orang dicari dan ditemukan (sesuai peran)",
            response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def export_pfif(actor: CurrentActor, session: ReadSession, uow: WriteUnit, settings: SettingsDep) -> Response:
    body, rows = pfif.export(session, actor, settings.pfif_domain)
    record_audit(uow, actor, "tracing.export", "tracing_request", "*", None, detail="format=pfif-1.4", row_count=rows)
    return Response(body, media_type="application/xml",
                    headers={"Content-Disposition": 'attachment; filename="posko-tracing.pfif.xml"',
                             "Cache-Control": "no-store"})


@router.post("/tracing/import", summary="Impor PFIF 1.4 sebagai laporan orang dicari (admin, posko; maks. 10 MB)",
             responses={200: {"description": "{created, existing}"}})
async def import_pfif(request: Request, actor: CurrentActor, db: DbDep, dispatcher: DispatcherDep) -> dict[str, int]:
    data = await request.body()

    def work(uow: UnitOfWork) -> dict[str, int]:
        result = pfif.import_file(uow, actor, data)
        if result["created"]:
            _after(uow, dispatcher)
        return result

    return await run_in_threadpool(in_write_unit, db, work)


@router.get("/tracing", response_model=Page[TracingPublic],
            summary="Daftar laporan orang dicari (relawan: kejadian tempatnya bertugas, telepon disamarkan)")
def list_tracing(actor: CurrentActor, session: ReadSession, uow: WriteUnit, page: PageParams,
                 status: TracingStatus | None = None, kind: TracingKind | None = None,
                 event_id: ObjectId | None = Query(default=None)) -> Page[TracingPublic]:
    tracing_service.require_reader(actor)
    scope = tracing_service.visible_events(session, actor)
    if event_id is not None:
        event_service.visible_event(session, actor, event_id)
        scope = {event_id}
    rows, total = tracing_repo.list_requests(session, event_ids=scope, status=status, kind=kind,
                                             limit=page.limit, offset=page.offset)
    items = tracing_service.present_many(session, actor, rows)
    record_audit(uow, actor, "tracing.list", "tracing_request", event_id or "*", event_id,
                 detail=",".join(f for f, v in (("status", status), ("kind", kind), ("event_id", event_id)) if v)
                 or "filter=none", row_count=len(items))
    return Page.of(items, total, page)


@router.get("/tracing/{request_id}", response_model=TracingPublic, summary="Satu laporan orang dicari (tercatat di audit)")
def get_tracing(request_id: ObjectId, actor: CurrentActor, uow: WriteUnit) -> TracingPublic:
    answer = _one(uow, actor, request_id)
    record_audit(uow, actor, "tracing.read", "tracing_request", request_id, answer.event_id)
    return answer


@router.patch("/tracing/{request_id}", response_model=TracingPublic,
              summary="Perbaiki laporan atau ubah statusnya: ditemukan, dipertemukan, ditutup (If-Match)")
def update_tracing(request_id: ObjectId, body: TracingUpdate, actor: CurrentActor, uow: WriteUnit,
                   dispatcher: DispatcherDep, response: Response, if_match: IfMatch = None) -> TracingPublic:
    request = tracing_service.update_request(uow, actor, request_id, body, if_match)
    _after(uow, dispatcher)
    if request.event_id is not None:
        set_data_seq(response, event_service.data_seq(uow, request.event_id))
    return tracing_service.present_many(uow.session, actor, [request])[0]


@router.get("/tracing/{request_id}/matches", response_model=list[TracingCandidate],
            summary="Orang terdaftar yang mungkin dicari (skor dan alasan, dari pencocokan di pekerja)")
def tracing_matches(request_id: ObjectId, actor: CurrentActor, uow: WriteUnit) -> list[TracingCandidate]:
    request = tracing_service.visible_request(uow.session, actor, request_id)
    answer = tracing_matching.candidates(uow.session, actor, request)
    record_audit(uow, actor, "tracing.matches", "tracing_request", request.id, request.event_id,
                 row_count=len(answer))
    return answer

