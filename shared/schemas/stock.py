"""Request and answer shapes of stock: warehouses, receipts, dispatches, adjustments, requests,
stock positions, suggestions and alerts (docs/api.md, "Stock")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from shared.schemas.common import (
    ClientId,
    Code,
    Input,
    KelurahanCode,
    Name,
    Notes,
    ObjectId,
    Output,
    PastInstant,
    ShortText,
    UTCInstantOut,
    one_line,
)

WarehouseKind = Literal["gudang_dinsos", "lumbung_sosial", "gudang_mitra", "lainnya"]
DonorKind = Literal["pemerintah_pusat", "pemerintah_provinsi", "pemerintah_kota", "bpbd", "swasta",
                    "organisasi_kemanusiaan", "masyarakat"]
AdjustmentKind = Literal["rusak", "kedaluwarsa", "koreksi_hitung", "hilang"]
# One-line text: a control character (NUL, a line break) is refused naming the field, as everywhere else.
UnitText = Annotated[str, Field(min_length=1, max_length=30), one_line]
DocText = Annotated[str, Field(min_length=1, max_length=100), one_line]
UnitName = Field(default=None, description="the unit written (default: the item's unit)")
Quantity = Field(gt=0, le=1_000_000_000)


class WarehouseCreate(Input):
    """POST /warehouses: a gudang (admin, posko)."""

    id: ClientId | None = None
    name: Name
    kind: WarehouseKind = "gudang_dinsos"
    kelurahan_code: KelurahanCode
    address: ShortText | None = None
    contact_name: Name | None = None
    contact_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 \-]{6,20}$")


class WarehousePublic(Output):
    id: str
    name: str
    kind: str
    kelurahan_code: str
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    created_at: UTCInstantOut


class ReceiptLineIn(Input):
    item_code: Code
    quantity: float = Quantity
    unit: UnitText | None = UnitName
    expiry_date: date | None = None
    value_rupiah: float | None = Field(default=None, ge=0, le=1e13)


class ReceiptCreate(Input):
    """POST /events/{id}/receipts: penerimaan bantuan at a location (a gudang or a shelter)."""

    id: ClientId | None = None
    location_id: ObjectId
    donor_kind: DonorKind
    donor_name: Name
    reference_doc: DocText | None = Field(default=None, description="e.g. surat jalan number")
    received_at: PastInstant | None = None
    lines: list[ReceiptLineIn] = Field(default_factory=list, max_length=200)
    cash_rupiah: float | None = Field(default=None, gt=0, le=1e13, description="cash donated: money, not stock")
    notes: Notes | None = None

    @model_validator(mode="after")
    def _something_received(self) -> ReceiptCreate:
        if not self.lines and self.cash_rupiah is None:
            raise ValueError("lines: isi minimal satu barang atau cash_rupiah (give at least one line or cash_rupiah)")
        return self


class DispatchLineIn(Input):
    item_code: Code
    quantity: float = Quantity
    unit: UnitText | None = UnitName


class DispatchCreate(Input):
    """POST /events/{id}/dispatches: pengiriman from one location to another, in transit until received."""

    id: ClientId | None = None
    from_location_id: ObjectId
    to_location_id: ObjectId
    sent_at: PastInstant | None = None
    lines: list[DispatchLineIn] = Field(min_length=1, max_length=200)
    request_id: ObjectId | None = None
    vehicle: DocText | None = None
    notes: Notes | None = None


class ReceiveLineIn(Input):
    item_code: Code
    quantity: float = Field(ge=0, le=1_000_000_000)
    unit: UnitText | None = UnitName
    reason: ShortText | None = Field(default=None, description="required when the quantity differs from what was sent")


class DispatchReceive(Input):
    """POST /events/{id}/dispatches/{dispatch_id}/receive: lines omitted arrived as sent."""

    id: ClientId | None = None
    received_at: PastInstant | None = None
    lines: list[ReceiveLineIn] = Field(default_factory=list, max_length=200)
    notes: Notes | None = None


class DispatchReceiveRecord(DispatchReceive):
    """A receive as the write path applies it (the dispatch named in the body)."""

    dispatch_id: ObjectId


class AdjustmentCreate(Input):
    """POST /events/{id}/stock-adjustments: damage, expiry, loss or a count correction, with its reason."""

    id: ClientId | None = None
    location_id: ObjectId
    item_code: Code
    quantity: float = Field(ge=-1_000_000_000, le=1_000_000_000, description="signed: negative takes stock out")
    unit: UnitText | None = UnitName
    kind: AdjustmentKind
    reason: ShortText = Field(min_length=3)
    expiry_date: date | None = None
    at: PastInstant | None = None

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustmentCreate:
        if self.quantity == 0:
            raise ValueError("quantity: tidak boleh 0 (must not be zero)")
        return self


class RequestLineIn(Input):
    item_code: Code
    quantity: float = Quantity
    unit: UnitText | None = UnitName


class StockRequestCreate(Input):
    """POST /events/{id}/requests: permintaan of a shelter."""

    id: ClientId | None = None
    shelter_id: ObjectId
    requested_at: PastInstant | None = None
    lines: list[RequestLineIn] = Field(min_length=1, max_length=200)
    notes: Notes | None = None


class SuggestionDispatch(Input):
    """POST /events/{id}/suggestions/{shelter_id}/dispatch: turn the current suggestion into dispatches
    (one per gudang it names). `id` makes the action idempotent: the dispatches' ids derive from it."""

    id: ClientId
    item_codes: list[Code] | None = Field(default=None, max_length=200, description="only these items (default all)")


class ReceiptPublic(Output):
    id: str
    event_id: str
    location_id: str
    donor_kind: str
    donor_name: str
    reference_doc: str | None
    received_at: UTCInstantOut
    lines: list[dict[str, Any]]
    cash_rupiah: float | None
    notes: str | None
    created_at: UTCInstantOut


class DispatchPublic(Output):
    id: str
    event_id: str
    from_location_id: str
    to_location_id: str
    sent_at: UTCInstantOut
    lines: list[dict[str, Any]]
    request_id: str | None
    vehicle: str | None
    notes: str | None
    status: Literal["dalam_perjalanan", "diterima"]
    received_at: UTCInstantOut | None
    received_lines: list[dict[str, Any]] | None
    created_at: UTCInstantOut


class AdjustmentPublic(Output):
    id: str
    event_id: str
    location_id: str
    item_code: str
    quantity: float
    kind: str
    reason: str | None
    expiry_date: date | None
    at: UTCInstantOut


class StockRequestPublic(Output):
    id: str
    event_id: str
    shelter_id: str
    requested_at: UTCInstantOut
    lines: list[dict[str, Any]]
    notes: str | None
    created_at: UTCInstantOut


class AlertPublic(Output):
    id: str
    kind: str
    severity: str
    message: str
    subject: dict[str, Any]
    first_seen: UTCInstantOut
    last_seen: UTCInstantOut
    cleared_at: UTCInstantOut | None
    acked_at: UTCInstantOut | None
    acked_by: int | None
