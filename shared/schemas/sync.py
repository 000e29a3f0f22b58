"""The offline queue's batch: POST /sync."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.schemas.common import ClientId, Input, ObjectId, PastInstant
from shared.schemas.people import (
    CheckIn,
    DistributionCreate,
    ExistingPerson,
    HouseholdCreate,
    PersonCreate,
    ServiceCreate,
)
from shared.schemas.stock import (
    AdjustmentCreate,
    DispatchCreate,
    DispatchReceiveRecord,
    ReceiptCreate,
    StockRequestCreate,
)
from shared.schemas.tracing import TracingCreate

SyncStatus = Literal["created", "duplicate", "conflict", "invalid", "forbidden"]


class SyncRecord(BaseModel):
    """One queued record. Its envelope is checked record by record (shared/services/sync.py), so one
    corrupt record in a phone's queue is answered `invalid` instead of blocking every resend."""

    type: Any = Field(default=None, description=(
        "household | person | check_in | check_out | distribution | service | tracing | receipt | dispatch | "
        "dispatch_receive | stock_adjustment | stock_request"))
    event_id: Any = Field(default=None, description="the event the record belongs to")
    data: Any = Field(default=None, description="the body of the single endpoint plus a required id")


class SyncRequest(BaseModel):
    """At most `max_sync_records` (1,000) records; more is refused whole with 413."""

    records: list[SyncRecord]


class SyncResult(BaseModel):
    index: int
    id: str | None
    status: SyncStatus
    error: str | None = None
    data_seq: int | None = None
    existing: ExistingPerson | None = Field(default=None, description=(
        "a `conflict` of a person whose NIK is already registered: that person (only for roles that may see "
        "names; the key is absent otherwise)"))


class SyncResponse(BaseModel):
    results: list[SyncResult]


# In a batch every record carries its own id, so a resend is recognised.
class SyncHousehold(HouseholdCreate):
    id: ClientId


class SyncPerson(PersonCreate):
    id: ClientId


class SyncCheckIn(CheckIn):
    """A check-in as the single endpoint takes it (a shelter, or `kind: "mandiri"` with a kelurahan),
    plus the person and a required `at`."""

    id: ClientId
    person_id: ObjectId
    at: PastInstant


class SyncCheckOut(Input):
    id: ClientId
    person_id: ObjectId
    at: PastInstant


class SyncDistribution(DistributionCreate):
    id: ClientId


class SyncService(ServiceCreate):
    id: ClientId


class SyncTracing(TracingCreate):
    """A tracing request filed on a phone (offline too): the body of POST /tracing; its event is the
    record's `event_id` (a `data.event_id`, if sent, must be the same)."""

    id: ClientId


SYNC_SCHEMAS: dict[str, type[Input]] = {
    "household": SyncHousehold,
    "person": SyncPerson,
    "check_in": SyncCheckIn,
    "check_out": SyncCheckOut,
    "distribution": SyncDistribution,
    "service": SyncService,
    "tracing": SyncTracing,
}


# Stock records (shared/services/stock_records.py): every ledger document syncs offline too.
class SyncReceipt(ReceiptCreate):
    id: ClientId


class SyncDispatch(DispatchCreate):
    id: ClientId


class SyncDispatchReceive(DispatchReceiveRecord):
    """Receiving a dispatch: the dispatch named in `dispatch_id`; `id` is the receive operation's id."""

    id: ClientId


class SyncAdjustment(AdjustmentCreate):
    id: ClientId


class SyncStockRequest(StockRequestCreate):
    id: ClientId


SYNC_SCHEMAS.update({
    "receipt": SyncReceipt,
    "dispatch": SyncDispatch,
    "dispatch_receive": SyncDispatchReceive,
    "stock_adjustment": SyncAdjustment,
    "stock_request": SyncStockRequest,
})
