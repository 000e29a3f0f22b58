"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from shared.models.auth import EventMember, User
from shared.models.duplicates import DuplicatePair, DuplicateScan, PersonMerge
from shared.models.event import Event
from shared.models.infra import AuditLog, ClientOperation, Outbox
from shared.models.logistics import DeliveryTotal, Distribution, Service
from shared.models.matching import PersonKeyBacklog, PersonMatchKey
from shared.models.people import Household, Person, Shelter, Stay
from shared.models.reference import Item, Region, StandardProfile
from shared.models.registers import PreparednessActivity, TaganaTraining, TaganaVolunteer
from shared.models.renstra import RenstraManualValue, RenstraTarget
from shared.models.status import DailySnapshot, LatestSnapshot, UnmetEntry
from shared.models.stock import (
    ItemKitComponent,
    ItemUnit,
    StockAlert,
    StockDispatch,
    StockLedgerLine,
    StockReceipt,
    StockRequest,
    StockTotal,
    Warehouse,
)
from shared.models.tracing import TracingCursor, TracingMatch, TracingMatchKey, TracingRequest
from shared.models.worker_state import WorkerState

__all__ = [
    "AuditLog", "ClientOperation", "DailySnapshot", "DeliveryTotal", "Distribution", "DuplicatePair", "DuplicateScan", "Event", "EventMember",
    "Household", "Item", "LatestSnapshot", "UnmetEntry",
    "Outbox", "Person", "PersonKeyBacklog", "PersonMatchKey", "PersonMerge", "PreparednessActivity", "Region",
    "RenstraManualValue", "RenstraTarget", "Service", "Shelter", "StandardProfile", "Stay", "TaganaTraining",
    "TaganaVolunteer", "TracingCursor", "TracingMatch", "TracingMatchKey", "TracingRequest", "User",
    "WorkerState", "ItemKitComponent", "ItemUnit", "StockAlert", "StockDispatch", "StockLedgerLine", "StockReceipt",
    "StockRequest", "StockTotal", "Warehouse",
]
