"""The stock section of a snapshot and its alerts (docs/rules.md, "Stock" and "Alerts").

Computed with every snapshot (shared/services/status.py): the worker loads summed ledger rows (one
grouped query, not the lines), the distributions drawn per location and item, the shipments and
requests, and hands plain data to the pure rules of shared/stock. The alerts found are reconciled
with the stored ones when the snapshot is stored: a new one is raised with its first-seen time, one
still there keeps it (and its acknowledgement), one whose cause went away is cleared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.db import utcnow
from shared.models import Event, StockAlert
from shared.needs.model import DeliveryIn, Profile
from shared.repositories import reference as ref_repo
from shared.repositories import stock as stock_repo
from shared.repositories import stock_totals
from shared.stock.alerts import find_alerts
from shared.stock.ledger import Key, LedgerSum, positions
from shared.stock.plan import Locations, NeedRule, daily_needs, days_of_cover, suggestions


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def drawn_from(session: Session, event_id: str, as_of: datetime,
               deliveries: Sequence[DeliveryIn] | None, to_shelters: Mapping[Key, Decimal] | None = None
               ) -> dict[Key, Decimal]:
    """Σ distributions per (location drawn from, item) up to `as_of`. With the needs engine's
    deliveries (already loaded for the snapshot, summed by shelter and day) only the distributions that
    name a source location are read again; without them, every distribution is summed in SQL.
    `to_shelters`: those deliveries already summed per (shelter, item), as the incremental needs state
    keeps them (shared/needs/incremental.py), instead of `deliveries`."""
    if deliveries is None and to_shelters is None:
        return stock_repo.drawn(session, event_id, as_of)
    out: dict[Key, Decimal] = dict(to_shelters) if to_shelters is not None else {}
    for d in deliveries or ():
        if d.shelter_id:
            key = (d.shelter_id, d.item_code)
            out[key] = out.get(key, Decimal(0)) + Decimal(repr(float(d.quantity)))
    for source, shelter, item, qty in stock_repo.drawn_by_source(session, event_id, as_of):
        if shelter:  # counted above under its shelter: it came from the source instead
            out[(shelter, item)] = out.get((shelter, item), Decimal(0)) - qty
        out[(source, item)] = out.get((source, item), Decimal(0)) + qty
    return {k: v for k, v in out.items() if v != 0}


def ledger_sums(session: Session, event_id: str, as_of: datetime, *,
                from_scratch: bool = False) -> tuple[list[LedgerSum], str]:
    """The ledger summed per location, item and expiry: from the running totals when they are whole,
    else from the lines; with the totals' verdict ("ok", "stale": recount them, "later"). `from_scratch`
    (the verifier's reference) never reads the totals: the lines are summed, verdict "from_scratch"."""
    verdict, sums = ("from_scratch", []) if from_scratch else stock_totals.read_checked(session, event_id, as_of)
    if verdict != "ok":
        sums = stock_repo.ledger_sums(session, event_id, as_of)
    return sums, verdict


def compute_stock(session: Session, event: Event, as_of: datetime, tz: ZoneInfo, profile: Profile,
                  shelter_rows: list[dict[str, Any]], deliveries: Sequence[DeliveryIn] | None = None, *,
                  from_scratch: bool = False, to_shelters: Mapping[Key, Decimal] | None = None
                  ) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The snapshot's `stock` section, the alerts the state at `as_of` raises (not yet reconciled) and
    the verdict on the ledger totals ("stale": the worker recounts them). `from_scratch`: the ledger
    lines are summed instead of the running totals (`ledger_sums`)."""
    eid = event.id
    sums, verdict = ledger_sums(session, eid, as_of, from_scratch=from_scratch)
    stock = positions(sums, drawn_from(session, eid, as_of, deliveries, to_shelters))
    occupants = {r["id"]: r["occupants"] for r in shelter_rows}
    shelters = stock_repo.event_shelters(session, eid)
    gudang = {w.id: w.name for w in stock_repo.all_warehouses(session)}
    locs = Locations(gudang=gudang, shelters={
        s.id: (s.name, occupants.get(s.id, 0), s.closed_at is None or s.closed_at > as_of) for s in shelters})
    for src, dst in stock_repo.supply_pairs(session, eid, as_of):
        if src in gudang and dst in locs.shelters:
            locs.supplies.setdefault(src, set()).add(dst)
    in_transit_rows = stock_repo.dispatches_in_transit(session, eid, as_of)
    in_transit: dict[Key, Decimal] = {}
    for d in in_transit_rows:
        for line in d.lines:
            key = (d.to_location_id, line["item_code"])
            in_transit[key] = in_transit.get(key, Decimal(0)) + Decimal(repr(line["quantity"]))
    rules = [NeedRule(i.code, i.unit, Decimal(repr(i.rate))) for i in profile.items if i.basis == "per_person_day"]
    needs = daily_needs(locs, rules)
    units = ref_repo.item_units(session)
    names = {**gudang, **{sid: v[0] for sid, v in locs.shelters.items()}}
    stocked = {x.item_code for x in sums}  # the items the event keeps stock of: any ledger line names them
    rows: list[dict[str, Any]] = []
    for key in sorted(set(stock) | {k for k, v in needs.items() if v > 0 and k[1] in stocked}):
        loc, item = key
        pos = stock.get(key)
        on_hand = pos.on_hand if pos is not None else Decimal(0)
        need = needs.get(key, Decimal(0))
        fefo = pos.fefo_next() if pos is not None else None
        rows.append({"location_id": loc, "location_kind": "gudang" if loc in gudang else "shelter",
                     "item_code": item, "unit": units.get(item), "on_hand": float(on_hand),
                     "daily_need": float(need), "days_of_cover": days_of_cover(on_hand, need),
                     "in_transit_in": float(in_transit.get(key, Decimal(0))),
                     "lots": pos.lot_rows() if pos is not None else [],
                     "fefo_next": fefo.isoformat() if fefo else None})
    local = as_of.astimezone(tz)
    passed = sum(1 for t in profile.meal_times if t <= local.time().replace(tzinfo=None))
    requested = _requested(session, eid, as_of)
    section = {
        "locations": [{"id": gid, "kind": "gudang", "name": name} for gid, name in gudang.items()]
        + [{"id": sid, "kind": "shelter", "name": v[0]} for sid, v in locs.shelters.items()],
        "items": rows,
        "in_transit": [{"id": d.id, "from_location_id": d.from_location_id, "to_location_id": d.to_location_id,
                        "sent_at": _iso(d.sent_at), "lines": d.lines} for d in in_transit_rows],
        "negative": [{"location_id": r["location_id"], "item_code": r["item_code"], "on_hand": r["on_hand"]}
                     for r in rows if r["on_hand"] < 0],
        "suggestions": suggestions(locs, rules, needs, stock, in_transit, requested,
                                   len(profile.meal_times) - passed, len(profile.meal_times)),
        "cash_rupiah": stock_repo.cash_received(session, eid, as_of),
    }
    found = find_alerts(shelters=shelter_rows, stock_rows=rows,
                        in_transit=[{"id": d.id, "to_location_id": d.to_location_id, "sent_at": d.sent_at}
                                    for d in in_transit_rows],
                        names=names, today=local.date(), as_of=as_of, meal_times_passed_today=passed)
    return section, found, verdict


def _requested(session: Session, event_id: str, as_of: datetime) -> dict[Key, Decimal]:
    """Per (shelter, item): Σ requested less Σ sent to the shelter since its first request."""
    out: dict[Key, Decimal] = {}
    first: dict[str, datetime] = {}
    for r in stock_repo.requests_at(session, event_id, as_of):
        first[r.shelter_id] = min(first.get(r.shelter_id, r.requested_at), r.requested_at)
        for line in r.lines:
            key = (r.shelter_id, line["item_code"])
            out[key] = out.get(key, Decimal(0)) + Decimal(repr(line["quantity"]))
    if first:
        for to_id, sent_at, lines in stock_repo.dispatched_lines_since(session, event_id, first, min(first.values()),
                                                                       as_of):
            if sent_at >= first[to_id]:
                for line in lines:
                    key = (to_id, line["item_code"])
                    if key in out:
                        out[key] -= Decimal(repr(line["quantity"]))
    return {k: v for k, v in out.items() if v > 0}


def alert_public(a: StockAlert) -> dict[str, Any]:
    return _alert_dict({f: getattr(a, f) for f in stock_repo.ALERT_FIELDS})


def unstored_alerts(found: list[dict[str, Any]], as_of: datetime) -> list[dict[str, Any]]:
    """Alerts as a snapshot computed on the spot shows them (nothing stored: first seen now)."""
    return [{**a, "first_seen": _iso(as_of), "last_seen": _iso(as_of), "cleared_at": None, "acked_at": None,
             "acked_by": None} for a in found]


def reconcile_alerts(session: Session, event_id: str, found: list[dict[str, Any]], as_of: datetime
                     ) -> list[dict[str, Any]]:
    """Raise new alerts, keep lasting ones, clear those whose cause is gone; answer the open ones,
    newest first. An alert that comes back after clearing is raised again (new first-seen, no ack).

    Set-based: a large event carries a thousand open alerts, and each snapshot sees them again. Their
    `last_seen` moves forward in one UPDATE; only a new, returning or reworded alert costs a row of its
    own (an ORM object per alert and a flush of each took a quarter of a second at 500,000 ledger lines).
    """
    stored = {a["id"]: a for a in stock_repo.alert_values(session, event_id)}
    new_rows: list[dict[str, Any]] = []
    rewritten: list[dict[str, Any]] = []
    lasting: list[str] = []
    seen: set[str] = set()
    for f in found:
        seen.add(f["id"])
        a = stored.get(f["id"])
        if a is None:
            a = stored[f["id"]] = {"event_id": event_id, "id": f["id"], "kind": f["kind"], "severity": f["severity"],
                                   "message": f["message"], "subject": f["subject"], "first_seen": as_of,
                                   "last_seen": as_of, "cleared_at": None, "acked_at": None, "acked_by": None}
            new_rows.append(a)
            continue
        changed = (a["message"], a["severity"], a["subject"]) != (f["message"], f["severity"], f["subject"])
        a["message"], a["severity"], a["subject"] = f["message"], f["severity"], f["subject"]
        if a["cleared_at"] is not None:  # its cause came back: raised again
            a["first_seen"], a["cleared_at"], a["acked_at"], a["acked_by"] = as_of, None, None, None
            changed = True
        if a["last_seen"] < as_of:
            a["last_seen"] = as_of
            if not changed:
                lasting.append(a["id"])
        if changed:
            rewritten.append(a)
    gone = [a["id"] for a in stored.values() if a["id"] not in seen and a["cleared_at"] is None]
    for alert_id in gone:
        stored[alert_id]["cleared_at"] = as_of
    stock_repo.insert_alerts(session, new_rows)
    stock_repo.rewrite_alerts(session, event_id, rewritten)
    stock_repo.set_alerts(session, event_id, lasting, last_seen=as_of)
    stock_repo.set_alerts(session, event_id, gone, cleared_at=as_of)
    open_alerts = [a for a in stored.values() if a["cleared_at"] is None]
    open_alerts.sort(key=lambda a: (a["first_seen"], a["id"]), reverse=True)
    return [_alert_dict(a) for a in open_alerts]


def _alert_dict(a: dict[str, Any]) -> dict[str, Any]:
    return {"id": a["id"], "kind": a["kind"], "severity": a["severity"], "message": a["message"],
            "subject": a["subject"], "first_seen": _iso(a["first_seen"]), "last_seen": _iso(a["last_seen"]),
            "cleared_at": _iso(a["cleared_at"]), "acked_at": _iso(a["acked_at"]), "acked_by": a["acked_by"]}


def acknowledge(session: Session, event_id: str, alert_id: str, actor_id: int | None) -> StockAlert | None:
    """Mark an alert acknowledged (the first acknowledgement stands); None when there is no such alert."""
    a = stock_repo.get_alert(session, event_id, alert_id, for_update=True)
    if a is None:
        return None
    if a.acked_at is None:
        a.acked_at, a.acked_by = utcnow(), actor_id
        stock_repo.add_alert(session, a)
        session.flush()
    return a
