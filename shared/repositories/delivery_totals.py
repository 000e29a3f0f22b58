"""Running sums of distributions (shared.models.DeliveryTotal): kept by the write path, read by the recompute.

Sums are as fine as the needs rules look, and no finer: deliveries to a shelter per item, recipient
and local day (the per-day meal check); the event's permakanan item to a person or household without
a shelter per recipient and local day (the household-day meal check of mandiri stays); the event's
sandang item to a person or household per recipient (who is clothed); everything else per item (it
only enters the totals).

Each event's two items are handed in as `ItemCodes` (sandang, permakanan).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from math import inf
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from shared.db import driver_rows, instant_seconds, same_event
from shared.models import DeliveryTotal, Distribution
from shared.needs.model import DeliveryIn
from shared.needs.model import seconds as seconds_of
from shared.repositories.bulk import in_chunks

Key = tuple[str, str, str, str, str, date]  # event, item, shelter, person, household, local date
ANY_DAY = date(1970, 1, 1)  # the day of sums that do not depend on the day
# An event's sandang and permakanan item codes (either may be missing from its profile); a bare code
# (or None) is the sandang item alone, as callers before mandiri stays passed it.
ItemCodes = tuple[str | None, str | None]


def _codes(value: ItemCodes | str | None) -> ItemCodes:
    return value if isinstance(value, tuple) else (value, None)


@dataclass
class _Sum:
    quantity: float = 0.0
    rows: int = 0
    last: datetime | None = None


def total_key(r: dict[str, Any], tz: ZoneInfo, sandang_code: str | None, meal_code: str | None = None) -> Key:
    at: datetime = r["delivered_at"]
    if r["shelter_id"] or (r["item_code"] == meal_code and (r["person_id"] or r["household_id"])):
        return (r["event_id"], r["item_code"], r["shelter_id"] or "", r["person_id"] or "", r["household_id"] or "",
                at.astimezone(tz).date())
    if r["item_code"] == sandang_code and (r["person_id"] or r["household_id"]):
        return (r["event_id"], r["item_code"], "", r["person_id"] or "", r["household_id"] or "", ANY_DAY)
    return (r["event_id"], r["item_code"], "", "", "", ANY_DAY)


def summarise(rows: Iterable[dict[str, Any]], tz: ZoneInfo,
              items: dict[str, ItemCodes] | dict[str, str | None]) -> dict[Key, _Sum]:
    """Sum distribution rows (dicts with the Distribution columns) by total key; `items` names each
    event's sandang and permakanan items."""
    sums: dict[Key, _Sum] = {}
    for r in rows:
        at: datetime = r["delivered_at"]
        key = total_key(r, tz, *_codes(items.get(r["event_id"])))
        s = sums.setdefault(key, _Sum())
        s.quantity += float(r["quantity"])
        s.rows += 1
        s.last = at if s.last is None or at > s.last else s.last
    return sums


def _values(sums: dict[Key, _Sum], tz: ZoneInfo) -> list[dict[str, Any]]:
    return [{"event_id": k[0], "item_code": k[1], "shelter_id": k[2], "person_id": k[3], "household_id": k[4],
             "local_date": k[5], "quantity": s.quantity, "rows": s.rows, "last_delivered_at": s.last, "tz": tz.key}
            for k, s in sums.items()]


def add(session: Session, rows: Sequence[dict[str, Any]], tz: ZoneInfo,
        items: dict[str, ItemCodes] | dict[str, str | None]) -> None:
    """Add newly inserted distributions to the totals (upsert), in the same transaction."""
    if not rows:
        return
    values = _values(summarise(rows, tz, items), tz)
    table = DeliveryTotal.__table__  # type: ignore[attr-defined]
    sqlite = session.get_bind().dialect.name == "sqlite"
    stmt: Any = sqlite_insert(table) if sqlite else pg_insert(table)
    latest: Any = func.max if sqlite else func.greatest  # SQLite's two-argument max() is PostgreSQL's greatest()
    stmt = stmt.on_conflict_do_update(
        index_elements=["event_id", "item_code", "shelter_id", "person_id", "household_id", "local_date"],
        set_={"quantity": table.c.quantity + stmt.excluded.quantity, "rows": table.c.rows + stmt.excluded.rows,
              "last_delivered_at": latest(table.c.last_delivered_at, stmt.excluded.last_delivered_at)},
    )
    session.execute(stmt, values)


TotalRow = tuple[str, float, float, str | None, str | None, str | None]


def check(session: Session, event_id: str, as_of: datetime, tz: ZoneInfo) -> str:
    """"ok" when the totals count every distribution of the event, all at or before `as_of`, in `tz`;
    else why not: "stale" (rows written around the write path: rebuild), "later" (a delivery after
    `as_of`), "zone" (summed in another time zone)."""
    counted, last, zones, other_zone = session.execute(
        select(func.coalesce(func.sum(col(DeliveryTotal.rows)), 0), func.max(col(DeliveryTotal.last_delivered_at)),
               func.count(), func.sum(case((col(DeliveryTotal.tz) != tz.key, 1), else_=0)))
        .where(col(DeliveryTotal.event_id) == event_id)).one()
    return _verdict(int(counted), distribution_count(session, event_id), bool(zones and other_zone),
                    last is not None and last > as_of)


def distribution_count(session: Session, event_id: str) -> int:
    """How many distributions the event has (what the totals' `rows` must add up to)."""
    return int(session.execute(select(func.count()).select_from(Distribution)
                               .where(col(Distribution.event_id) == event_id)).scalar_one())


def _verdict(counted: int, stored: int, other_zone: bool, later: bool) -> str:
    if counted != stored:
        return "stale"
    if other_zone:
        return "zone"
    if later:
        return "later"
    return "ok"


def read_checked(session: Session, event_id: str, as_of: datetime, tz: ZoneInfo) -> tuple[str, list[DeliveryIn]]:
    """`check` and, when "ok", every total of the event, from one read of the totals (the recompute's
    path: a second pass over 50,000 totals just to check them cost a few hundredths of a second).

    Each total as the needs engine's DeliveryIn (item, quantity, last delivered_at, shelter, person,
    household; a `TotalRow` too), the instant as POSIX seconds, no recipient as None: built here, once
    (half a million totals at 300,000 persons; a tuple each and then a DeliveryIn each cost a second)."""
    t = DeliveryTotal
    last_at, seconds = instant_seconds(session, col(t.last_delivered_at))
    q = select(col(t.item_code), col(t.quantity), last_at, func.nullif(col(t.shelter_id), ""),
               func.nullif(col(t.person_id), ""), func.nullif(col(t.household_id), ""), col(t.rows),
               case((col(t.tz) != tz.key, 1), else_=0)).where(col(t.event_id) == event_id)
    out: list[DeliveryIn] = []
    add = out.append
    counted = other_zone = 0
    last = -inf
    make = tuple.__new__  # DeliveryIn's fields from one tuple, without its Python-level __new__
    for item, qty, at, sid, pid, hid, n, other in driver_rows(session, q):
        at = seconds(at)
        if at > last:
            last = at
        counted += n
        other_zone += other
        add(make(DeliveryIn, (item, qty, at, sid, pid, hid)))
    verdict = _verdict(counted, distribution_count(session, event_id), other_zone > 0, last > seconds_of(as_of))
    return verdict, out if verdict == "ok" else []


def rebuild(session: Session, event_id: str, tz: ZoneInfo, items: ItemCodes | str | None) -> None:
    """Recount an event's totals from its distributions (after rows were written around the write path)."""
    session.execute(delete(DeliveryTotal).where(col(DeliveryTotal.event_id) == event_id))
    cols = (col(Distribution.event_id), col(Distribution.item_code), col(Distribution.shelter_id),
            col(Distribution.person_id), col(Distribution.household_id), col(Distribution.delivered_at),
            col(Distribution.quantity))
    names = ("event_id", "item_code", "shelter_id", "person_id", "household_id", "delivered_at", "quantity")
    # Core, not ORM execution: the ORM buffers every row before the first is seen (300,000 rows of a large
    # event: over 100 MB); a Core result streams them from the cursor into the sums.
    result = session.connection().execute(select(*cols).where(col(Distribution.event_id) == event_id))
    rows = (dict(zip(names, r, strict=True)) for r in result)
    sums = summarise(rows, tz, {event_id: _codes(items)})
    if sums:
        session.execute(DeliveryTotal.__table__.insert(), _values(sums, tz))  # type: ignore[attr-defined]


# A total's key without the event, its local date as ISO text (what SQLite stores; PostgreSQL's date is
# turned to the same text): how the worker's live inputs (shared/services/live_inputs.py) keep totals.
LiveKey = tuple[str, str, str, str, str]


def read_keyed(session: Session, event_id: str, tz: ZoneInfo,
               keys: Iterable[Key] | None = None) -> tuple[dict[LiveKey, tuple[DeliveryIn, int]], bool]:
    """The event's totals (or those of `keys`) by key, each as (the engine's DeliveryIn, how many
    distributions it sums); and whether any was summed in another zone than `tz`."""
    t = DeliveryTotal
    last_at, seconds = instant_seconds(session, col(t.last_delivered_at))
    q = select(col(t.item_code), col(t.shelter_id), col(t.person_id), col(t.household_id), col(t.local_date),
               col(t.quantity), last_at, col(t.rows), case((col(t.tz) != tz.key, 1), else_=0))
    parts: Iterable[list[Key] | None] = [None] if keys is None else in_chunks(keys, 500)
    out: dict[LiveKey, tuple[DeliveryIn, int]] = {}
    other_zone = False
    for part in parts:
        where = [col(t.event_id) == event_id]
        if part is not None:
            # one primary-key lookup per key: SQLite serves a row-value IN with the event prefix alone
            # (every total of the event read to find ten), an OR of full-key equalities key by key
            where = [or_(*(and_(col(t.event_id) == event_id, col(t.item_code) == k[1], col(t.shelter_id) == k[2],
                                col(t.person_id) == k[3], col(t.household_id) == k[4], col(t.local_date) == k[5])
                           for k in part))]
        for item, sid, pid, hid, day, qty, at, n, other in driver_rows(session, q.where(*where)):
            out[(item, sid, pid, hid, str(day))] = (DeliveryIn(item, qty, seconds(at), sid or None, pid or None,
                                                               hid or None), n)
            other_zone = other_zone or bool(other)
    return out, other_zone


def keys_of(session: Session, event_id: str, distribution_ids: Iterable[str], tz: ZoneInfo,
            items: ItemCodes) -> set[Key]:
    """The totals the distributions of `distribution_ids` were added to."""
    d = Distribution
    names = ("event_id", "item_code", "shelter_id", "person_id", "household_id", "delivered_at")
    keys: set[Key] = set()
    for part in in_chunks(distribution_ids):
        for r in session.execute(select(col(d.event_id), col(d.item_code), col(d.shelter_id), col(d.person_id),
                                        col(d.household_id), col(d.delivered_at))
                                 .where(same_event(col(d.event_id), event_id, by_key=True), col(d.id).in_(part))):
            keys.add(total_key(dict(zip(names, r, strict=True)), tz, *items))
    return keys
