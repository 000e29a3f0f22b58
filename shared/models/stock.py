"""Stock: warehouses (gudang), aid received (penerimaan), shipments (pengiriman), adjustments, the
append-only ledger every stock figure is summed from, requests (permintaan) and alerts (peringatan).

Every shelter of an event is a stock location too (its id is the location id); a gudang is a
`Warehouse`, shared by every event. Stock is accounted per event: the aid received for a disaster is
reported against that disaster (docs/rules.md, "Stock").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant, json_dict, json_list


class Warehouse(SQLModel, table=True):
    """A gudang: the Dinas Sosial gudang, a lumbung sosial, a partner's store."""

    __tablename__ = "warehouses"
    __table_args__ = (Index("ix_warehouses_created", "created_at", "id"),)
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    kelurahan_code: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=500)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=30)
    created_by: int | None = None
    created_at: datetime = created_at()


class ItemUnit(SQLModel, table=True):
    """A packaging unit of one item and its size as a unit expression (`karung` of beras = "25 kg"),
    converted by the unit library (shared/stock/units.py)."""

    __tablename__ = "item_units"
    item_code: str = Field(primary_key=True, foreign_key="items.code", max_length=60)
    unit: str = Field(primary_key=True, max_length=30)
    size: str = Field(max_length=60)


class ItemKitComponent(SQLModel, table=True):
    """One component of a kit item (paket sembako = 10 kg beras + 2 liter minyak goreng + ...)."""

    __tablename__ = "item_kit_components"
    kit_code: str = Field(primary_key=True, foreign_key="items.code", max_length=60)
    item_code: str = Field(primary_key=True, foreign_key="items.code", max_length=60)
    quantity: float
    unit: str = Field(max_length=30)


class StockReceipt(SQLModel, table=True):
    """Penerimaan bantuan: aid received at a location from a donor, with its lines (as sent) and the
    cash part, which is money and never stock."""

    __tablename__ = "stock_receipts"
    __table_args__ = (Index("ix_stock_receipts_event_created", "event_id", "created_at", "id"),
                      # the recompute's cash total reads the few cash receipts from this index alone
                      Index("ix_stock_receipts_event_cash", "event_id", "cash_rupiah", "received_at"))
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    location_id: str = Field(max_length=36)
    donor_kind: str = Field(max_length=40)
    donor_name: str = Field(max_length=200)
    reference_doc: str | None = Field(default=None, max_length=100)
    received_at: datetime = instant()
    lines: list[dict[str, Any]] = json_list()
    cash_rupiah: float | None = None
    notes: str | None = Field(default=None, max_length=1000)
    created_by: int | None = None
    created_at: datetime = created_at()


class StockDispatch(SQLModel, table=True):
    """Pengiriman: a shipment from one location to another, in transit until received."""

    __tablename__ = "stock_dispatches"
    __table_args__ = (Index("ix_stock_dispatches_event_created", "event_id", "created_at", "id"),
                      # the recompute's reads: in transit (not received, or received after as_of), who supplies whom
                      Index("ix_stock_dispatches_event_received", "event_id", "received_at"),
                      Index("ix_stock_dispatches_event_route", "event_id", "from_location_id", "to_location_id",
                            "sent_at"))
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    from_location_id: str = Field(max_length=36)
    to_location_id: str = Field(max_length=36)
    sent_at: datetime = instant()
    lines: list[dict[str, Any]] = json_list()  # [{item_code, quantity, expiry_date}] in base units, FEFO-split
    request_id: str | None = Field(default=None, max_length=36)
    vehicle: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=1000)
    received_at: datetime | None = instant(nullable=True)
    receive_id: str | None = Field(default=None, max_length=36)
    received_lines: list[dict[str, Any]] | None = json_dict(nullable=True)
    created_by: int | None = None
    created_at: datetime = created_at()


class StockLedgerLine(SQLModel, table=True):
    """One signed quantity of one item at one location, in the item's catalogue unit. Append-only:
    never updated or deleted; stock on hand at `as_of` is the sum of lines with `at ≤ as_of` less the
    distributions drawn from that location."""

    __tablename__ = "stock_ledger"
    __table_args__ = (Index("ix_stock_ledger_event_loc", "event_id", "location_id", "item_code", "at"),
                      Index("ix_stock_ledger_doc", "doc_id"))
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    location_id: str = Field(max_length=36)
    item_code: str = Field(foreign_key="items.code", max_length=60)
    quantity: float
    kind: str = Field(max_length=20)  # penerimaan | kirim | terima | penyesuaian
    at: datetime = instant()
    expiry_date: date | None = None
    value_rupiah: float | None = None
    doc_type: str = Field(max_length=20)  # receipt | dispatch | receive | adjustment
    doc_id: str = Field(max_length=36)
    reason: str | None = Field(default=None, max_length=500)
    created_by: int | None = None
    created_at: datetime = created_at()


class StockTotal(SQLModel, table=True):
    """Running sums of the ledger per event, location, item and expiry, kept by the write path and read
    by the recompute instead of summing every ledger line; `lines` is checked against the ledger and
    the raw lines are summed whenever they disagree (lines written around the write path) or a line
    lies after the snapshot's `as_of`. '' stands for "no expiry date" (keys cannot be NULL)."""

    __tablename__ = "stock_totals"
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    location_id: str = Field(primary_key=True, max_length=36)
    item_code: str = Field(primary_key=True, max_length=60)
    expiry: str = Field(primary_key=True, max_length=10)
    inflow: float
    outflow: float
    lines: int
    last_at: datetime = instant()


class StockRequest(SQLModel, table=True):
    """Permintaan: what a shelter asks for."""

    __tablename__ = "stock_requests"
    __table_args__ = (Index("ix_stock_requests_event_created", "event_id", "created_at", "id"),)
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    shelter_id: str = Field(max_length=36)
    requested_at: datetime = instant()
    lines: list[dict[str, Any]] = json_list()  # [{item_code, quantity}] in base units
    notes: str | None = Field(default=None, max_length=1000)
    created_by: int | None = None
    created_at: datetime = created_at()


class StockAlert(SQLModel, table=True):
    """Peringatan: one condition found by a snapshot, kept under a stable id while it lasts."""

    __tablename__ = "stock_alerts"
    __table_args__ = (Index("ix_stock_alerts_event_open", "event_id", "cleared_at"),)
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    id: str = Field(primary_key=True, max_length=120)
    kind: str = Field(max_length=30)
    severity: str = Field(max_length=10)
    message: str = Field(max_length=500)
    subject: dict[str, Any] = json_dict()
    first_seen: datetime = instant()
    last_seen: datetime = instant()
    cleared_at: datetime | None = instant(nullable=True)
    acked_at: datetime | None = instant(nullable=True)
    acked_by: int | None = None
