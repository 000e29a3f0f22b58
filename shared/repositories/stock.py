"""Every query of stock: locations, unit definitions, ledger sums, documents and alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shared.db import driver_rows
from shared.models import (
    Distribution,
    ItemKitComponent,
    ItemUnit,
    Shelter,
    StockAlert,
    StockDispatch,
    StockLedgerLine,
    StockReceipt,
    StockRequest,
    Warehouse,
)
from shared.repositories.bulk import in_chunks, insert_many, select_in
from shared.repositories.reference import _cached
from shared.stock.ledger import Key, LedgerSum

# ---- locations ----


def warehouse_ids(session: Session, ids: Iterable[str]) -> set[str]:
    """The ids among `ids` that are gudang."""
    return {row[0] for row in select_in(session, "SELECT id FROM warehouses WHERE id {values}", ids)}


def get_warehouse(session: Session, warehouse_id: str) -> Warehouse | None:
    return session.get(Warehouse, warehouse_id)


def add_warehouse(session: Session, row: Warehouse) -> None:
    session.add(row)
    session.flush()


def list_warehouses(session: Session, *, limit: int, offset: int) -> tuple[list[Warehouse], int]:
    total = session.exec(select(func.count()).select_from(Warehouse)).one()
    rows = session.exec(select(Warehouse).order_by(col(Warehouse.created_at), col(Warehouse.id))
                        .limit(limit).offset(offset)).all()
    return list(rows), total


def all_warehouses(session: Session) -> list[Warehouse]:
    return list(session.exec(select(Warehouse).order_by(col(Warehouse.created_at), col(Warehouse.id))).all())


def warehouse_created_after(session: Session, at: datetime) -> bool:
    """Whether a gudang was created after `at`. A snapshot computed before then does not know it (a gudang
    belongs to no event, so creating one bumps no event's data_seq), and every event's stock section
    changes with it: a gudang with no supply route of its own serves every open shelter."""
    return session.exec(select(Warehouse.id).where(col(Warehouse.created_at) > at).limit(1)).first() is not None


def event_shelters(session: Session, event_id: str) -> list[Shelter]:
    return list(session.exec(select(Shelter).where(Shelter.event_id == event_id)
                             .order_by(col(Shelter.created_at), col(Shelter.id))).all())


# ---- units and kits (reference data: cached like the catalogue) ----


def packagings(session: Session) -> dict[str, dict[str, str]]:
    """item_code → {packaging unit → size expression}."""
    def load() -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for u in session.exec(select(ItemUnit)).all():
            out.setdefault(u.item_code, {})[u.unit] = u.size
        return out
    return _cached(session, "item_units", load)  # type: ignore[no-any-return]


def kits(session: Session) -> dict[str, list[tuple[str, float, str]]]:
    """kit item_code → [(component item_code, quantity, unit)]."""
    def load() -> dict[str, list[tuple[str, float, str]]]:
        out: dict[str, list[tuple[str, float, str]]] = {}
        rows = session.exec(select(ItemKitComponent).order_by(col(ItemKitComponent.kit_code),
                                                              col(ItemKitComponent.item_code))).all()
        for k in rows:
            out.setdefault(k.kit_code, []).append((k.item_code, k.quantity, k.unit))
        return out
    return _cached(session, "item_kits", load)  # type: ignore[no-any-return]


# ---- the ledger ----


def ledger_sums(session: Session, event_id: str, as_of: datetime, *, location_id: str | None = None,
                item_codes: Iterable[str] | None = None) -> list[LedgerSum]:
    """Σ inflow and Σ outflow per location, item and expiry of the lines at or before `as_of`."""
    q = col(StockLedgerLine.quantity)
    stmt = (select(col(StockLedgerLine.location_id), col(StockLedgerLine.item_code),  # type: ignore[call-overload]
                   col(StockLedgerLine.expiry_date), func.sum(case((q > 0, q), else_=0)),
                   func.sum(case((q < 0, -q), else_=0)))
            .where(StockLedgerLine.event_id == event_id, col(StockLedgerLine.at) <= as_of)
            .group_by(col(StockLedgerLine.location_id), col(StockLedgerLine.item_code),
                      col(StockLedgerLine.expiry_date)))
    if location_id is not None:
        stmt = stmt.where(StockLedgerLine.location_id == location_id)
    if item_codes is not None:
        stmt = stmt.where(col(StockLedgerLine.item_code).in_(list(item_codes)))
    # through the driver: a large event's ledger has thousands of (location, item, expiry) groups
    return [LedgerSum(loc, item, _as_date(exp), _dec(inflow), _dec(outflow))
            for loc, item, exp, inflow, outflow in driver_rows(session, stmt)]


def drawn(session: Session, event_id: str, as_of: datetime, *, location_id: str | None = None,
          item_codes: Iterable[str] | None = None) -> dict[Key, Decimal]:
    """Σ distributions per (location drawn from, item) up to `as_of`: its `source_location_id`, else its
    shelter; distributions with neither draw from no stock."""
    source = func.coalesce(col(Distribution.source_location_id), col(Distribution.shelter_id))
    stmt = (select(source, Distribution.item_code, func.sum(col(Distribution.quantity)))
            .where(Distribution.event_id == event_id, col(Distribution.delivered_at) <= as_of, source.is_not(None))
            .group_by(source, col(Distribution.item_code)))
    if location_id is not None:
        stmt = stmt.where(source == location_id)
    if item_codes is not None:
        stmt = stmt.where(col(Distribution.item_code).in_(list(item_codes)))
    return {(loc, item): _dec(total) for loc, item, total in driver_rows(session, stmt)}


def drawn_by_source(session: Session, event_id: str, as_of: datetime) -> list[tuple[str, str | None, str, Decimal]]:
    """(source location, shelter, item, Σ quantity) of the distributions that name a source location
    (few: most distributions draw from their shelter; the index on source_location_id finds them)."""
    d = Distribution
    stmt = (select(col(d.source_location_id), col(d.shelter_id), col(d.item_code), func.sum(col(d.quantity)))
            .where(d.event_id == event_id, col(d.source_location_id).is_not(None), col(d.delivered_at) <= as_of)
            .group_by(col(d.source_location_id), col(d.shelter_id), col(d.item_code)))
    return [(src, shelter, item, _dec(q)) for src, shelter, item, q in driver_rows(session, stmt)]


def _as_date(value: Any) -> date | None:
    """A date column as the driver gives it (text on SQLite, a date on PostgreSQL)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _dec(value: Any) -> Decimal:
    """A summed quantity as the decimal it was written as (floats of written decimals: repr is exact)."""
    return Decimal(repr(float(value or 0)))


def ledger_lines(session: Session, event_id: str, *, location_id: str, item_code: str, as_of: datetime
                 ) -> list[StockLedgerLine]:
    """The stock card's ledger lines of one location and item, in time order."""
    return list(session.exec(select(StockLedgerLine).where(
        StockLedgerLine.event_id == event_id, StockLedgerLine.location_id == location_id,
        StockLedgerLine.item_code == item_code, col(StockLedgerLine.at) <= as_of)
        .order_by(col(StockLedgerLine.at), col(StockLedgerLine.created_at), col(StockLedgerLine.id))).all())


def drawn_rows(session: Session, event_id: str, *, location_id: str, item_code: str, as_of: datetime
               ) -> list[Distribution]:
    """The distributions drawn from one location of one item (the stock card's outflows)."""
    source = func.coalesce(col(Distribution.source_location_id), col(Distribution.shelter_id))
    return list(session.exec(select(Distribution).where(
        Distribution.event_id == event_id, source == location_id, Distribution.item_code == item_code,
        col(Distribution.delivered_at) <= as_of).order_by(col(Distribution.delivered_at), col(Distribution.id))).all())


def adjustments(session: Session, event_id: str, *, limit: int, offset: int) -> tuple[list[StockLedgerLine], int]:
    q = select(StockLedgerLine).where(StockLedgerLine.event_id == event_id, StockLedgerLine.doc_type == "adjustment")
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(StockLedgerLine.created_at), col(StockLedgerLine.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def get_adjustment(session: Session, adjustment_id: str) -> StockLedgerLine | None:
    return session.get(StockLedgerLine, adjustment_id)


# ---- documents ----


def get_receipt(session: Session, receipt_id: str) -> StockReceipt | None:
    return session.get(StockReceipt, receipt_id)


def list_receipts(session: Session, event_id: str, *, location_id: str | None, limit: int, offset: int
                  ) -> tuple[list[StockReceipt], int]:
    q = select(StockReceipt).where(StockReceipt.event_id == event_id)
    if location_id:
        q = q.where(StockReceipt.location_id == location_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(StockReceipt.created_at), col(StockReceipt.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def get_dispatch(session: Session, dispatch_id: str) -> StockDispatch | None:
    return session.get(StockDispatch, dispatch_id)


def dispatches_by_id(session: Session, ids: Iterable[str]) -> dict[str, StockDispatch]:
    ids = list(ids)
    if not ids:
        return {}
    return {d.id: d for d in session.exec(select(StockDispatch).where(col(StockDispatch.id).in_(ids))).all()}


def list_dispatches(session: Session, event_id: str, *, location_id: str | None, in_transit: bool | None,
                    limit: int, offset: int) -> tuple[list[StockDispatch], int]:
    q = select(StockDispatch).where(StockDispatch.event_id == event_id)
    if location_id:
        q = q.where((StockDispatch.from_location_id == location_id) | (StockDispatch.to_location_id == location_id))
    if in_transit is not None:
        q = q.where(col(StockDispatch.received_at).is_(None) if in_transit else col(StockDispatch.received_at).is_not(None))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(StockDispatch.created_at), col(StockDispatch.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def dispatches_in_transit(session: Session, event_id: str, as_of: datetime) -> list[Any]:
    """The dispatches in transit at `as_of` (sent by then, not received by then): plain rows (id,
    from_location_id, to_location_id, sent_at, lines), no ORM objects (an event has thousands of
    dispatches, a handful in transit)."""
    d = StockDispatch
    cols = (col(d.id), col(d.from_location_id), col(d.to_location_id), col(d.sent_at), col(d.lines))
    # two index ranges (event_id, received_at) rather than one OR that scans every dispatch of the event
    rows = list(session.execute(sa_select(*cols).where(col(d.event_id) == event_id, col(d.received_at).is_(None),
                                                       col(d.sent_at) <= as_of)).all())
    rows += session.execute(sa_select(*cols).where(col(d.event_id) == event_id, col(d.received_at) > as_of,
                                                   col(d.sent_at) <= as_of)).all()
    return rows


def supply_pairs(session: Session, event_id: str, as_of: datetime) -> list[tuple[str, str]]:
    """The distinct (from, to) location pairs of the dispatches sent by `as_of`."""
    d = StockDispatch
    return [(a, b) for a, b in session.execute(sa_select(col(d.from_location_id), col(d.to_location_id)).where(
        col(d.event_id) == event_id, col(d.sent_at) <= as_of).distinct()).all()]


def dispatched_lines_since(session: Session, event_id: str, to_ids: Iterable[str], since: datetime,
                           as_of: datetime) -> list[Any]:
    """(to_location_id, sent_at, lines) of the dispatches to `to_ids` sent in [since, as_of]."""
    ids = list(to_ids)
    if not ids:
        return []
    d = StockDispatch
    return list(session.execute(sa_select(col(d.to_location_id), col(d.sent_at), col(d.lines)).where(
        col(d.event_id) == event_id, col(d.to_location_id).in_(ids), col(d.sent_at) >= since,
        col(d.sent_at) <= as_of)).all())


def mark_received(session: Session, dispatch_id: str, received_at: datetime, receive_id: str,
                  received_lines: list[dict[str, Any]]) -> None:
    """Record a dispatch's receipt (its document; the stock moves are ledger lines)."""
    session.execute(update(StockDispatch).where(col(StockDispatch.id) == dispatch_id)
                    .values(received_at=received_at, receive_id=receive_id, received_lines=received_lines))


def get_request(session: Session, request_id: str) -> StockRequest | None:
    return session.get(StockRequest, request_id)


def list_requests(session: Session, event_id: str, *, shelter_id: str | None, limit: int, offset: int
                  ) -> tuple[list[StockRequest], int]:
    q = select(StockRequest).where(StockRequest.event_id == event_id)
    if shelter_id:
        q = q.where(StockRequest.shelter_id == shelter_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(StockRequest.created_at), col(StockRequest.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def requests_at(session: Session, event_id: str, as_of: datetime) -> list[StockRequest]:
    return list(session.exec(select(StockRequest).where(StockRequest.event_id == event_id,
                                                        col(StockRequest.requested_at) <= as_of)).all())


def anonymise_citizen_donors(session: Session, event_id: str, name: str) -> None:
    """The retention purge: receipts from citizens (donor_kind masyarakat) lose the donor's name and notes."""
    session.execute(update(StockReceipt).where(col(StockReceipt.event_id) == event_id,
                                               col(StockReceipt.donor_kind) == "masyarakat")
                    .values(donor_name=name, notes=None))


# ---- alerts ----


def alerts(session: Session, event_id: str, *, open_only: bool) -> list[StockAlert]:
    q = select(StockAlert).where(StockAlert.event_id == event_id)
    if open_only:
        q = q.where(col(StockAlert.cleared_at).is_(None))
    return list(session.exec(q.order_by(col(StockAlert.first_seen).desc(), col(StockAlert.id))).all())


def get_alert(session: Session, event_id: str, alert_id: str, *, for_update: bool = False) -> StockAlert | None:
    q = select(StockAlert).where(StockAlert.event_id == event_id, StockAlert.id == alert_id)
    if for_update:
        q = q.with_for_update()
    return session.exec(q).first()


def add_alert(session: Session, row: StockAlert) -> None:
    session.add(row)


ALERT_FIELDS = ("id", "kind", "severity", "message", "subject", "first_seen", "last_seen", "cleared_at",
                "acked_at", "acked_by")


def alert_values(session: Session, event_id: str) -> list[dict[str, Any]]:
    """Every stored alert of the event as plain values (no ORM objects: a recompute reads them all)."""
    q = select(*(col(getattr(StockAlert, f)) for f in ALERT_FIELDS)).where(StockAlert.event_id == event_id)
    return [dict(zip(ALERT_FIELDS, row, strict=True)) for row in session.execute(q)]


def insert_alerts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        insert_many(session, StockAlert, rows)


def set_alerts(session: Session, event_id: str, ids: Iterable[str], **values: Any) -> None:
    """The same values on many alerts of the event: one UPDATE per 1,000 ids."""
    for part in in_chunks(ids):
        session.execute(update(StockAlert).where(col(StockAlert.event_id) == event_id, col(StockAlert.id).in_(part))
                        .values(**values).execution_options(synchronize_session=False))


def rewrite_alerts(session: Session, event_id: str, rows: list[dict[str, Any]]) -> None:
    """Alerts whose text, severity, subject or first sighting changed: one executemany."""
    if not rows:
        return
    t = StockAlert.__table__  # type: ignore[attr-defined]
    fields = ("severity", "message", "subject", "first_seen", "last_seen", "cleared_at", "acked_at", "acked_by")
    stmt = (t.update().where(t.c.event_id == event_id, t.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in fields}))
    session.connection().execute(stmt, [{"b_id": r["id"], **{f"b_{f}": r[f] for f in fields}} for r in rows])


def cash_received(session: Session, event_id: str, as_of: datetime) -> float:
    """Σ cash donations (rupiah) received up to `as_of`."""
    total = session.exec(select(func.sum(col(StockReceipt.cash_rupiah))).where(
        StockReceipt.event_id == event_id, col(StockReceipt.cash_rupiah).is_not(None),
        col(StockReceipt.received_at) <= as_of)).one()
    return float(total or 0)


def event_shelter_ids(session: Session, ids: Iterable[str]) -> set[str]:
    """The ids among `ids` that are shelters (of any event)."""
    return {row[0] for row in select_in(session, "SELECT id FROM shelters WHERE id {values}", ids)}
