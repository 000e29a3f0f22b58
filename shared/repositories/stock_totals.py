"""Running sums of the stock ledger (shared.models.StockTotal): kept by the write path, read by the
recompute (the pattern of shared/repositories/delivery_totals.py). A 500,000-line ledger sums to a
few thousand totals; the totals are trusted only when they count every ledger line of the event and
none lies after `as_of` — otherwise the caller sums the raw lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from shared.db import driver_rows, instant_seconds
from shared.models import StockLedgerLine, StockTotal
from shared.stock.ledger import LedgerSum


def _summarise(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    sums: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for r in rows:
        expiry = r["expiry_date"].isoformat() if r["expiry_date"] else ""
        key = (r["event_id"], r["location_id"], r["item_code"], expiry)
        s = sums.get(key)
        if s is None:
            s = sums[key] = {"event_id": key[0], "location_id": key[1], "item_code": key[2], "expiry": expiry,
                             "inflow": 0.0, "outflow": 0.0, "lines": 0, "last_at": r["at"]}
        q = float(r["quantity"])
        if q > 0:
            s["inflow"] = float(Decimal(repr(s["inflow"])) + Decimal(repr(q)))
        else:
            s["outflow"] = float(Decimal(repr(s["outflow"])) - Decimal(repr(q)))
        s["lines"] += 1
        s["last_at"] = max(s["last_at"], r["at"])
    return list(sums.values())


def add(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add newly inserted ledger lines to the totals (upsert), in the same transaction."""
    if not rows:
        return
    table = StockTotal.__table__  # type: ignore[attr-defined]
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    stmt: Any = sqlite_insert(table) if is_sqlite else pg_insert(table)
    latest: Any = func.max if is_sqlite else func.greatest
    stmt = stmt.on_conflict_do_update(
        index_elements=["event_id", "location_id", "item_code", "expiry"],
        set_={"inflow": table.c.inflow + stmt.excluded.inflow, "outflow": table.c.outflow + stmt.excluded.outflow,
              "lines": table.c.lines + stmt.excluded.lines, "last_at": latest(table.c.last_at, stmt.excluded.last_at)})
    session.execute(stmt, _summarise(rows))


def read_checked(session: Session, event_id: str, as_of: datetime) -> tuple[str, list[LedgerSum]]:
    """("ok", the sums) when the totals count every ledger line of the event and none is after `as_of`;
    else ("stale" | "later", []) and the caller sums the raw lines."""
    t = StockTotal
    last_at, seconds = instant_seconds(session, col(t.last_at))
    q = select(col(t.location_id), col(t.item_code), col(t.expiry), col(t.inflow), col(t.outflow), col(t.lines),
               last_at).where(col(t.event_id) == event_id)
    out: list[LedgerSum] = []
    counted = 0
    last = float("-inf")
    for loc, item, expiry, inflow, outflow, n, at in driver_rows(session, q):
        counted += n
        last = max(last, seconds(at))
        out.append(LedgerSum(loc, item, date.fromisoformat(expiry) if expiry else None, Decimal(repr(float(inflow))),
                             Decimal(repr(float(outflow)))))
    stored = int(session.execute(select(func.count()).select_from(StockLedgerLine)
                                 .where(col(StockLedgerLine.event_id) == event_id)).scalar_one())
    if counted != stored:
        return "stale", []
    if last > as_of.timestamp():
        return "later", []
    return "ok", out


def rebuild(session: Session, event_id: str) -> None:
    """Recount an event's totals from its ledger (after lines were written around the write path)."""
    session.execute(delete(StockTotal).where(col(StockTotal.event_id) == event_id))
    cols = (col(StockLedgerLine.event_id), col(StockLedgerLine.location_id), col(StockLedgerLine.item_code),
            col(StockLedgerLine.expiry_date), col(StockLedgerLine.quantity), col(StockLedgerLine.at))
    names = ("event_id", "location_id", "item_code", "expiry_date", "quantity", "at")
    result = session.connection().execute(select(*cols).where(col(StockLedgerLine.event_id) == event_id))
    values = _summarise(dict(zip(names, r, strict=True)) for r in result)
    if values:
        session.execute(StockTotal.__table__.insert(), values)  # type: ignore[attr-defined]
