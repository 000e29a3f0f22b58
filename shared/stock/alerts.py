"""Peringatan: the conditions a snapshot raises (docs/rules.md, "Alerts"). Pure: the snapshot's
shelters, stock and shipments in, alerts out, each under an id that stays the same while its cause
lasts (kind and subject), so it keeps its first-seen time and acknowledgement across snapshots."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

EXPIRY_DAYS = 3
TRANSIT_HOURS = 24


def _alert(kind: str, key: str, severity: str, message: str, **subject: Any) -> dict[str, Any]:
    return {"id": f"{kind}:{key}", "kind": kind, "severity": severity, "message": message, "subject": subject}


def find_alerts(*, shelters: list[dict[str, Any]], stock_rows: list[dict[str, Any]],
                in_transit: list[dict[str, Any]], names: dict[str, str], today: date, as_of: datetime,
                meal_times_passed_today: int) -> list[dict[str, Any]]:
    """Every alert the state at `as_of` raises.

    `shelters`: the snapshot's shelter rows. `stock_rows`: per location and item, `on_hand`,
    `days_of_cover` and `lots`. `in_transit`: dispatches not received, with `sent_at` (aware).
    """
    out: list[dict[str, Any]] = []
    for sh in shelters:
        if sh["occupants"] > sh["capacity_persons"]:
            out.append(_alert("melebihi_kapasitas", sh["id"], "tinggi",
                              f"{sh['name']}: {sh['occupants']} pengungsi, kapasitas {sh['capacity_persons']}",
                              location_id=sh["id"]))
        if meal_times_passed_today and sh["meals_due_today"] > sh["meals_delivered_today"]:
            out.append(_alert("makan_belum_diantar", f"{sh['id']}:{today.isoformat()}", "tinggi",
                              f"{sh['name']}: makan belum diantar ({sh['meals_delivered_today']:g} dari "
                              f"{sh['meals_due_today']:g} porsi hari ini)", location_id=sh["id"],
                              date=today.isoformat(), due=sh["meals_due_today"],
                              delivered=sh["meals_delivered_today"]))
    soon = today + timedelta(days=EXPIRY_DAYS)
    for row in stock_rows:
        loc, item = row["location_id"], row["item_code"]
        where = names.get(loc, loc)
        if row["on_hand"] < 0:
            out.append(_alert("stok_minus", f"{loc}:{item}", "tinggi",
                              f"{where}: stok {item} minus ({row['on_hand']:g}); penyaluran melebihi stok",
                              location_id=loc, item_code=item, on_hand=row["on_hand"]))
        cover = row.get("days_of_cover")
        if cover is not None and cover < 1:
            out.append(_alert("stok_kurang_sehari", f"{loc}:{item}", "sedang",
                              f"{where}: {item} cukup untuk {cover:g} hari", location_id=loc, item_code=item,
                              days_of_cover=cover))
        for lot in row["lots"]:
            if lot["expiry_date"] and lot["quantity"] > 0 and date.fromisoformat(lot["expiry_date"]) <= soon:
                out.append(_alert("segera_kedaluwarsa", f"{loc}:{item}:{lot['expiry_date']}", "sedang",
                                  f"{where}: {lot['quantity']:g} {item} kedaluwarsa {lot['expiry_date']}",
                                  location_id=loc, item_code=item, expiry_date=lot["expiry_date"],
                                  quantity=lot["quantity"]))
    for d in in_transit:
        hours = (as_of - d["sent_at"]).total_seconds() / 3600
        if hours > TRANSIT_HOURS:
            out.append(_alert("kiriman_tertahan", d["id"], "sedang",
                              f"kiriman ke {names.get(d['to_location_id'], d['to_location_id'])} belum diterima "
                              f"setelah {int(hours)} jam", dispatch_id=d["id"], to_location_id=d["to_location_id"]))
    return out
