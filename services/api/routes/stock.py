"""Stock (docs/api.md, "Stock"): gudang, penerimaan bantuan, pengiriman, penyesuaian, permintaan,
stock on hand and the stock card, what to send next, and alerts (peringatan).

Writes inside an event go through the field-record engine (shared/services/stock_records.py), so they
are idempotent by client id, sync offline and bump the event's data_seq. Reads are for every role
that sees the event: stock, shipments and alerts carry no personal data; a citizen donor's name
(donor_kind masyarakat) is hidden from pengamat.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from services.api.deps import (
    CurrentActor,
    PageParams,
    ReadSession,
    SettingsDep,
    UnitOfWorkRoute,
    VisibleEvent,
    WritableEvent,
    WriterDep,
    WriteUnit,
)
from services.api.write_answers import apply_command, set_data_seq
from shared.db import read_unit, utcnow
from shared.domain.access import Actor, can_manage_events, can_see_names
from shared.domain.vocabulary import ReportFormat
from shared.errors import Forbidden, Invalid, NotFound
from shared.models import StockDispatch, StockReceipt
from shared.reports import stock as stock_reports
from shared.reports.event import report_as_of
from shared.reports.letter import Letter, dated_letter
from shared.reports.render import hxl_filename, slug, stock_tables
from shared.repositories import reference as ref_repo
from shared.repositories import stock as stock_repo
from shared.schemas.common import Page, PastInstant
from shared.schemas.stock import (
    AdjustmentCreate,
    AdjustmentPublic,
    AlertPublic,
    DispatchCreate,
    DispatchPublic,
    DispatchReceive,
    DispatchReceiveRecord,
    ReceiptCreate,
    ReceiptPublic,
    StockRequestCreate,
    StockRequestPublic,
    SuggestionDispatch,
    WarehouseCreate,
    WarehousePublic,
)
from shared.services import status as status_service
from shared.services import stock as stock_service
from shared.services.bookkeeping import record_event_write
from shared.services.field_records import Command
from shared.services.stock_records import dispatch_id_for
from shared.services.warehouses import create_warehouse

router = APIRouter(tags=["stock"], route_class=UnitOfWorkRoute)
AsOf = Annotated[PastInstant | None, Query(description="ISO 8601 with an offset; default now, or the event's end")]
LocationQuery = Annotated[str | None, Query(max_length=36)]


# ---- gudang ----

@router.post("/warehouses", response_model=WarehousePublic, status_code=201, summary="Tambah gudang",
             responses={200: {"description": "replay of the same id"}})
def add_warehouse(body: WarehouseCreate, actor: CurrentActor, uow: WriteUnit, response: Response) -> WarehousePublic:
    row, created = create_warehouse(uow, actor, body)
    response.status_code = 201 if created else 200
    return WarehousePublic.model_validate(row)


@router.get("/warehouses", response_model=Page[WarehousePublic], summary="Daftar gudang")
def list_warehouses(actor: CurrentActor, session: ReadSession, page: PageParams) -> Page[WarehousePublic]:
    rows, total = stock_repo.list_warehouses(session, limit=page.limit, offset=page.offset)
    return Page.of([WarehousePublic.model_validate(w) for w in rows], total, page)


@router.get("/warehouses/{warehouse_id}", response_model=WarehousePublic, summary="Satu gudang")
def get_warehouse(warehouse_id: str, actor: CurrentActor, session: ReadSession) -> WarehousePublic:
    row = stock_repo.get_warehouse(session, warehouse_id)
    if row is None:
        raise NotFound("gudang tidak ditemukan (warehouse not found)")
    return WarehousePublic.model_validate(row)


@router.get("/item-units", summary="Satuan kemasan dan isi paket (konversi oleh pustaka satuan)")
def item_units(actor: CurrentActor, session: ReadSession) -> dict[str, Any]:
    return {"units": [{"item_code": i, "unit": u, "size": size} for i, units in sorted(stock_repo.packagings(session).items())
                      for u, size in sorted(units.items())],
            "kits": [{"kit_code": k, "contents": [{"item_code": c, "quantity": q, "unit": u} for c, q, u in parts]}
                     for k, parts in sorted(stock_repo.kits(session).items())]}


# ---- receipts ----

def _receipt_public(row: Any, actor: Actor) -> ReceiptPublic:
    out = ReceiptPublic.model_validate(row)
    if not can_see_names(actor) and out.donor_kind == "masyarakat":
        out = out.model_copy(update={"donor_name": "(warga)", "notes": None})
    return out


@router.post("/events/{event_id}/receipts", response_model=ReceiptPublic, status_code=201,
             summary="Catat penerimaan bantuan", responses={200: {"description": "replay of the same id"}})
async def create_receipt(event_id: str, body: ReceiptCreate, actor: CurrentActor, writer: WriterDep,
                         response: Response) -> ReceiptPublic:
    return await apply_command(  # type: ignore[no-any-return]
        writer, actor, Command("receipt", event_id, body), response,
        from_row=lambda o: ReceiptPublic.model_validate(o.row),
        from_db=lambda s, o: ReceiptPublic.model_validate(stock_repo.get_receipt(s, o.stored_id)))


@router.get("/events/{event_id}/receipts", response_model=Page[ReceiptPublic], summary="Daftar penerimaan bantuan")
def list_receipts(event: VisibleEvent, actor: CurrentActor, session: ReadSession, page: PageParams,
                  location_id: LocationQuery = None) -> Page[ReceiptPublic]:
    rows, total = stock_repo.list_receipts(session, event.id, location_id=location_id, limit=page.limit,
                                           offset=page.offset)
    return Page.of([_receipt_public(r, actor) for r in rows], total, page)


@router.get("/events/{event_id}/receipts/{receipt_id}", response_model=ReceiptPublic, summary="Satu penerimaan")
def get_receipt(event: VisibleEvent, receipt_id: str, actor: CurrentActor, session: ReadSession) -> ReceiptPublic:
    row = stock_repo.get_receipt(session, receipt_id)
    if not isinstance(row, StockReceipt) or row.event_id != event.id:
        raise NotFound("penerimaan tidak ditemukan (receipt not found)")
    return _receipt_public(row, actor)


# ---- dispatches ----

def dispatch_public(row: Any) -> DispatchPublic:
    data = row if isinstance(row, dict) else row.model_dump()
    return DispatchPublic.model_validate({**data, "status": "diterima" if data.get("received_at") else "dalam_perjalanan"})


def _stored_dispatch(session: Any, dispatch_id: str) -> DispatchPublic:
    return dispatch_public(stock_repo.get_dispatch(session, dispatch_id))


@router.post("/events/{event_id}/dispatches", response_model=DispatchPublic, status_code=201,
             summary="Kirim barang antar lokasi (dalam perjalanan sampai diterima)",
             responses={200: {"description": "replay of the same id"}})
async def create_dispatch(event_id: str, body: DispatchCreate, actor: CurrentActor, writer: WriterDep,
                          response: Response) -> DispatchPublic:
    return await apply_command(  # type: ignore[no-any-return]
        writer, actor, Command("dispatch", event_id, body), response,
        from_row=lambda o: dispatch_public(o.row), from_db=lambda s, o: _stored_dispatch(s, o.stored_id))


@router.post("/events/{event_id}/dispatches/{dispatch_id}/receive", response_model=DispatchPublic,
             summary="Terima kiriman (jumlah berbeda: isi alasan)", responses={409: {"description": "received already"}})
async def receive_dispatch(event_id: str, dispatch_id: str, body: DispatchReceive, actor: CurrentActor,
                           writer: WriterDep, response: Response) -> DispatchPublic:
    record = DispatchReceiveRecord(dispatch_id=dispatch_id, **body.model_dump(exclude_unset=True))
    answer = await apply_command(writer, actor, Command("dispatch_receive", event_id, record), response,
                                 from_row=lambda o: dispatch_public(o.row),
                                 from_db=lambda s, o: _stored_dispatch(s, o.stored_id))
    response.status_code = 200
    return answer  # type: ignore[no-any-return]


@router.get("/events/{event_id}/dispatches", response_model=Page[DispatchPublic], summary="Daftar pengiriman")
def list_dispatches(event: VisibleEvent, session: ReadSession, page: PageParams, location_id: LocationQuery = None,
                    in_transit: bool | None = Query(default=None)) -> Page[DispatchPublic]:
    rows, total = stock_repo.list_dispatches(session, event.id, location_id=location_id, in_transit=in_transit,
                                             limit=page.limit, offset=page.offset)
    return Page.of([dispatch_public(d) for d in rows], total, page)


@router.get("/events/{event_id}/dispatches/{dispatch_id}", response_model=DispatchPublic, summary="Satu pengiriman")
def get_dispatch(event: VisibleEvent, dispatch_id: str, session: ReadSession) -> DispatchPublic:
    row = stock_repo.get_dispatch(session, dispatch_id)
    if not isinstance(row, StockDispatch) or row.event_id != event.id:
        raise NotFound("pengiriman tidak ditemukan (dispatch not found)")
    return dispatch_public(row)


# ---- adjustments and requests ----

def _adjustment_public(row: Any) -> AdjustmentPublic:
    data = row if isinstance(row, dict) else row.model_dump()
    kind = data.get("kind")
    if kind == "penyesuaian":  # a stored ledger line: its reason starts with the adjustment's kind
        kind = (data.get("reason") or "").split(":", 1)[0]
    return AdjustmentPublic.model_validate({**data, "kind": kind})


@router.post("/events/{event_id}/stock-adjustments", response_model=AdjustmentPublic, status_code=201,
             summary="Penyesuaian stok (rusak, kedaluwarsa, hilang, koreksi hitung)",
             responses={200: {"description": "replay of the same id"}})
async def create_adjustment(event_id: str, body: AdjustmentCreate, actor: CurrentActor, writer: WriterDep,
                            response: Response) -> AdjustmentPublic:
    return await apply_command(  # type: ignore[no-any-return]
        writer, actor, Command("stock_adjustment", event_id, body), response,
        from_row=lambda o: _adjustment_public(o.row),
        from_db=lambda s, o: _adjustment_public(stock_repo.get_adjustment(s, o.stored_id)))


@router.get("/events/{event_id}/stock-adjustments", response_model=Page[AdjustmentPublic], summary="Daftar penyesuaian")
def list_adjustments(event: VisibleEvent, session: ReadSession, page: PageParams) -> Page[AdjustmentPublic]:
    rows, total = stock_repo.adjustments(session, event.id, limit=page.limit, offset=page.offset)
    return Page.of([_adjustment_public(r) for r in rows], total, page)


@router.post("/events/{event_id}/requests", response_model=StockRequestPublic, status_code=201,
             summary="Permintaan barang dari tempat penampungan", responses={200: {"description": "replay of the same id"}})
async def create_request(event_id: str, body: StockRequestCreate, actor: CurrentActor, writer: WriterDep,
                         response: Response) -> StockRequestPublic:
    return await apply_command(  # type: ignore[no-any-return]
        writer, actor, Command("stock_request", event_id, body), response,
        from_row=lambda o: StockRequestPublic.model_validate(o.row),
        from_db=lambda s, o: StockRequestPublic.model_validate(stock_repo.get_request(s, o.stored_id)))


@router.get("/events/{event_id}/requests", response_model=Page[StockRequestPublic], summary="Daftar permintaan")
def list_requests(event: VisibleEvent, session: ReadSession, page: PageParams,
                  shelter_id: LocationQuery = None) -> Page[StockRequestPublic]:
    rows, total = stock_repo.list_requests(session, event.id, shelter_id=shelter_id, limit=page.limit,
                                           offset=page.offset)
    return Page.of([StockRequestPublic.model_validate(r) for r in rows], total, page)


# ---- stock on hand, stock card, suggestions ----

@router.get("/events/{event_id}/stock", summary="Stok per lokasi dan barang, hari ketersediaan, kedaluwarsa")
def get_stock(event: VisibleEvent, session: ReadSession, settings: SettingsDep, as_of: AsOf = None,
              location_id: LocationQuery = None) -> dict[str, Any]:
    """Without `as_of`: the stock section of the current snapshot. With it: computed exactly at `as_of`."""
    if as_of is None:
        body = status_service.current_snapshot(session, event, settings.tz)
        section, at = body.get("stock") or {}, body.get("as_of")
    else:
        at_dt = report_as_of(event, as_of, utcnow())
        section, at = status_service.compute(session, event, at_dt, settings.tz)["stock"], at_dt.isoformat()
    if location_id is not None:
        section = {**section, "items": [r for r in section.get("items", []) if r["location_id"] == location_id]}
    return {"event_id": event.id, "as_of": at, **section}


@router.get("/events/{event_id}/stock-card", summary="Kartu stok: satu barang di satu lokasi, dengan saldo berjalan "
                                                   "(json, csv, xlsx, pdf)")
def stock_card(event: VisibleEvent, session: ReadSession, settings: SettingsDep,
               location_id: Annotated[str, Query(max_length=36)], item_code: Annotated[str, Query(max_length=60)],
               as_of: AsOf = None, format: ReportFormat = "json") -> Any:
    card = _stock_card(event, session, location_id, item_code, as_of)
    if format == "json":
        return card
    names = {**{w.id: w.name for w in stock_repo.all_warehouses(session)},
             **{s.id: s.name for s in stock_repo.event_shelters(session, event.id)}}
    report = stock_reports.stock_card_report(card, names.get(location_id, location_id), event,
                                             ref_repo.item_units(session).get(item_code), settings.tz)
    return _report_response(report, format, f"kartu-stok-{item_code}", _letter_now(settings, event))


def _stock_card(event: Any, session: Any, location_id: str, item_code: str, as_of: datetime | None) -> dict[str, Any]:
    at = report_as_of(event, as_of, utcnow())
    moves: list[tuple[datetime, str, dict[str, Any]]] = []
    for line in stock_repo.ledger_lines(session, event.id, location_id=location_id, item_code=item_code, as_of=at):
        moves.append((line.at, line.id, {"at": line.at.isoformat(), "kind": line.kind, "doc_type": line.doc_type,
                                         "doc_id": line.doc_id, "quantity": line.quantity,
                                         "expiry_date": line.expiry_date.isoformat() if line.expiry_date else None,
                                         "reason": line.reason}))
    for d in stock_repo.drawn_rows(session, event.id, location_id=location_id, item_code=item_code, as_of=at):
        moves.append((d.delivered_at, d.id, {"at": d.delivered_at.isoformat(), "kind": "penyaluran",
                                             "doc_type": "distribution", "doc_id": d.id, "quantity": -d.quantity,
                                             "expiry_date": None, "reason": None}))
    moves.sort(key=lambda m: (m[0], m[1]))
    balance = Decimal(0)
    lines = []
    for _, _, m in moves:
        balance += Decimal(repr(m["quantity"]))
        lines.append({**m, "balance": float(balance)})
    return {"event_id": event.id, "location_id": location_id, "item_code": item_code, "as_of": at.isoformat(),
            "lines": lines, "on_hand": float(balance)}


# ---- reports ----

def _letter_now(settings: Any, event: Any) -> Letter:
    day = utcnow().astimezone(settings.tz).date()
    return dated_letter(settings, day, event.started_at.astimezone(settings.tz).year)


def _report_response(report: dict[str, Any], fmt: str, name: str, letter: Letter | None) -> Response:
    ext = "json" if fmt == "json" else fmt
    body = stock_tables.render(report, fmt, letter)
    filename = f"{slug(name)}.{ext}"
    kind = "inline" if fmt in ("json", "pdf") else "attachment"
    return Response(content=body, media_type=stock_tables.MEDIA[fmt],
                    headers={"Content-Disposition": f"{kind}; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"})


@router.get("/events/{event_id}/reports/aid", summary="Laporan penerimaan dan penyaluran bantuan (json, csv, xlsx, pdf)")
def aid_report(event: VisibleEvent, actor: CurrentActor, session: ReadSession, settings: SettingsDep,
               format: ReportFormat = "json", start: Annotated[PastInstant | None, Query(alias="from")] = None,
               end: Annotated[PastInstant | None, Query(alias="to")] = None) -> Response:
    """Aid received per donor and item against what was distributed, from `from` (default the event's
    start) to `to` (default now, or the event's end)."""
    stop = report_as_of(event, end, utcnow())
    report = stock_reports.received_and_distributed(session, event, start or event.started_at, stop, settings.tz)
    if not can_see_names(actor):  # a citizen donor's name is personal data
        for t in report["tables"]:
            for row in t["rows"]:
                if row.get("donor_kind") == "masyarakat":
                    row["donor_name"] = "(warga)"
    return _report_response(report, format, f"penerimaan-penyaluran-{event.name}", _letter_now(settings, event))


@router.get("/events/{event_id}/dispatches/{dispatch_id}/handover",
            summary="Berita acara serah terima (BAST) sebuah pengiriman (pdf, json, csv, xlsx)")
def handover(event: VisibleEvent, dispatch_id: str, session: ReadSession, settings: SettingsDep,
             format: ReportFormat = "pdf") -> Response:
    row = stock_repo.get_dispatch(session, dispatch_id)
    if not isinstance(row, StockDispatch) or row.event_id != event.id:
        raise NotFound("pengiriman tidak ditemukan (dispatch not found)")
    report = stock_reports.handover_report(session, event, row, settings.tz)
    return _report_response(report, format, f"bast-{dispatch_id[:8]}", _letter_now(settings, event))


@router.get("/events/{event_id}/stock-export.hxl.csv", summary="Ekspor HXL: stock, receipts")
def stock_hxl(event: VisibleEvent, actor: CurrentActor, session: ReadSession, settings: SettingsDep,
              dataset: Literal["stock", "receipts"], as_of: AsOf = None) -> Response:
    at = report_as_of(event, as_of, utcnow())
    if dataset == "stock":
        section = status_service.compute(session, event, at, settings.tz)["stock"]
        names = {loc["id"]: loc["name"] for loc in section["locations"]}
        body = stock_reports.hxl_stock(section, names, at.astimezone(settings.tz).isoformat())
    else:
        report = stock_reports.received_and_distributed(session, event, event.started_at, at, settings.tz)
        if not can_see_names(actor):
            for r in report["tables"][2]["rows"]:
                if r["donor_kind"] == "masyarakat":
                    r["donor_name"] = "(warga)"
        body = stock_reports.hxl_receipts(report)
    filename = hxl_filename(event.name, dataset, at.astimezone(settings.tz).date().isoformat())
    return Response(content=body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"{filename}\""})


@router.get("/events/{event_id}/suggestions", summary="Kirim berikutnya: usulan kiriman per tempat penampungan")
def get_suggestions(event: VisibleEvent, session: ReadSession, settings: SettingsDep) -> dict[str, Any]:
    body = status_service.current_snapshot(session, event, settings.tz)
    return {"event_id": event.id, "as_of": body.get("as_of"), "items": (body.get("stock") or {}).get("suggestions", [])}


def _suggestion_for(db: Any, event: Any, shelter_id: str, tz: Any) -> dict[str, Any] | None:
    with read_unit(db) as session:
        snapshot = status_service.compute(session, event, status_service.status_as_of(event, utcnow()), tz)
    return next((s for s in snapshot["stock"]["suggestions"] if s["shelter_id"] == shelter_id), None)


@router.post("/events/{event_id}/suggestions/{shelter_id}/dispatch", response_model=list[DispatchPublic],
             status_code=201, summary="Jadikan usulan kiriman sebagai pengiriman (satu per gudang asal)")
async def dispatch_suggestion(event: VisibleEvent, shelter_id: str, body: SuggestionDispatch, actor: CurrentActor,
                              writer: WriterDep, settings: SettingsDep, response: Response) -> list[DispatchPublic]:
    if not can_manage_events(actor):
        raise Forbidden("hanya posko yang mengirim dari usulan (only posko dispatches from a suggestion)")
    db = writer.db
    # A replay of the same action answers the dispatches it made (the suggestion has changed since: they are in transit).
    with read_unit(db) as session:
        made = [d for d in stock_repo.dispatches_by_id(session, [
            dispatch_id_for(body.id, w.id) for w in stock_repo.all_warehouses(session)]).values()]
    if made:
        response.status_code = 200
        return [dispatch_public(d) for d in sorted(made, key=lambda d: d.id)]
    suggestion = await run_in_threadpool(_suggestion_for, db, event, shelter_id, settings.tz)
    if suggestion is None:
        raise Invalid(("path", "shelter_id"), "tidak ada usulan kiriman untuk tempat ini (no suggestion for this shelter)")
    by_source: dict[str, list[dict[str, Any]]] = {}
    for item in suggestion["items"]:
        if item["from_location_id"] is None or (body.item_codes and item["item_code"] not in body.item_codes):
            continue
        qty = min(item["suggested"], item["available_at_source"])
        if qty > 0:
            by_source.setdefault(item["from_location_id"], []).append({"item_code": item["item_code"], "quantity": qty})
    if not by_source:
        raise Invalid(("path", "shelter_id"), "tidak ada gudang yang punya stok untuk usulan ini (no gudang holds "
                                              "stock for this suggestion)")
    answers = []
    for source, lines in sorted(by_source.items()):
        cmd = DispatchCreate(id=dispatch_id_for(body.id, source), from_location_id=source, to_location_id=shelter_id,
                             lines=lines, notes="dari usulan kirim berikutnya")
        outcome = await writer.submit(actor, Command("dispatch", event.id, cmd))
        if outcome.error is not None:
            raise outcome.error
        if outcome.data_seq is not None:
            set_data_seq(response, outcome.data_seq)
        answers.append(dispatch_public(outcome.row) if outcome.row else
                       await run_in_threadpool(_read_dispatch, db, outcome.stored_id))
    return answers


def _read_dispatch(db: Any, dispatch_id: str) -> DispatchPublic:
    with read_unit(db) as session:
        return _stored_dispatch(session, dispatch_id)


# ---- alerts ----

@router.get("/events/{event_id}/alerts", response_model=list[AlertPublic],
            summary="Peringatan: terbuka (terbaru dulu), atau semua")
def list_alerts(event: VisibleEvent, session: ReadSession, open_only: bool = Query(default=True)) -> list[AlertPublic]:
    return [AlertPublic.model_validate(a) for a in stock_repo.alerts(session, event.id, open_only=open_only)]


@router.post("/events/{event_id}/alerts/{alert_id}/ack", response_model=AlertPublic,
             summary="Tandai peringatan sudah ditangani (posko)")
def ack_alert(event: WritableEvent, alert_id: str, actor: CurrentActor,
              uow: WriteUnit, response: Response) -> AlertPublic:
    if not can_manage_events(actor):
        raise Forbidden("hanya posko yang menandai peringatan (only posko acknowledges alerts)")
    alert = stock_service.acknowledge(uow.session, event.id, alert_id, actor.id)
    if alert is None:
        raise NotFound("peringatan tidak ditemukan (alert not found)")
    answer = AlertPublic.model_validate(alert)
    # outbox and audit keys hold 36 characters: the alert is named by a digest of its id (the row keeps who and when)
    key = hashlib.md5(alert_id.encode(), usedforsecurity=False).hexdigest()
    set_data_seq(response, record_event_write(uow, event, actor, "alert.ack", "alert", key))
    return answer
