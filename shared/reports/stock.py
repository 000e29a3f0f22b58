"""Stock reports (issue 13, "Reports"): laporan penerimaan dan penyaluran bantuan (aid received by
donor and item against what was distributed, per period), the stock card (kartu stok), the handover
record of a dispatch (berita acara serah terima) and the HXL exports of stock and receipts.

Builders return the plain shape of shared/reports/render/stock_tables.py; quantities are in the
items' catalogue units, instants in the configured zone's local time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from shared.models import Distribution, Event, StockDispatch, StockLedgerLine, StockReceipt
from shared.reports.render.csv import hxl_csv
from shared.repositories import reference as ref_repo
from shared.repositories import stock as stock_repo


def _local(at: datetime | None, tz: ZoneInfo) -> str | None:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else None


def _names(session: Session, event: Event) -> dict[str, str]:
    return {**{w.id: w.name for w in stock_repo.all_warehouses(session)},
            **{s.id: s.name for s in stock_repo.event_shelters(session, event.id)}}


def received_and_distributed(session: Session, event: Event, start: datetime, end: datetime,
                             tz: ZoneInfo) -> dict[str, Any]:
    """Aid received by donor and item, and per item received against distributed, within [start, end]."""
    receipts = list(session.exec(select(StockReceipt).where(
        StockReceipt.event_id == event.id, col(StockReceipt.received_at) >= start,
        col(StockReceipt.received_at) <= end).order_by(col(StockReceipt.received_at), col(StockReceipt.id))).all())
    units = ref_repo.item_units(session)
    by_donor: dict[tuple[str, str, str], list[Decimal]] = {}
    for r in receipts:
        for line in r.lines:
            key = (r.donor_kind, r.donor_name, line["item_code"])
            acc = by_donor.setdefault(key, [Decimal(0), Decimal(0)])
            acc[0] += Decimal(repr(line["quantity_base"]))
            acc[1] += Decimal(repr(line.get("value_rupiah") or 0))
        if r.cash_rupiah:
            acc = by_donor.setdefault((r.donor_kind, r.donor_name, "uang_tunai"), [Decimal(0), Decimal(0)])
            acc[0] += Decimal(repr(r.cash_rupiah))
            acc[1] += Decimal(repr(r.cash_rupiah))
    donor_rows = [{"donor_kind": k, "donor_name": n, "item_code": i, "unit": units.get(i), "quantity": float(q),
                   "value_rupiah": float(v) or None} for (k, n, i), (q, v) in sorted(by_donor.items())]
    received: dict[str, Decimal] = {}
    for item, qty in session.exec(select(StockLedgerLine.item_code, StockLedgerLine.quantity).where(
            StockLedgerLine.event_id == event.id, StockLedgerLine.doc_type == "receipt",
            col(StockLedgerLine.at) >= start, col(StockLedgerLine.at) <= end)):
        received[item] = received.get(item, Decimal(0)) + Decimal(repr(qty))
    given: dict[str, Decimal] = {}
    for item, qty in session.exec(select(Distribution.item_code, Distribution.quantity).where(
            Distribution.event_id == event.id, col(Distribution.delivered_at) >= start,
            col(Distribution.delivered_at) <= end)):
        given[item] = given.get(item, Decimal(0)) + Decimal(repr(qty))
    cash = sum((Decimal(repr(r.cash_rupiah)) for r in receipts if r.cash_rupiah), Decimal(0))
    if cash or "uang_tunai" in given:
        received["uang_tunai"] = cash
    item_rows = [{"item_code": i, "unit": units.get(i), "received": float(received.get(i, 0)),
                  "distributed": float(given.get(i, 0)), "difference": float(received.get(i, 0) - given.get(i, 0))}
                 for i in sorted(set(received) | set(given))]
    names = _names(session, event)
    receipt_rows = [{"received_at": _local(r.received_at, tz), "location": names.get(r.location_id, r.location_id),
                     "location_id": r.location_id, "unit_base": units.get(line["item_code"]),
                     "donor_kind": r.donor_kind, "donor_name": r.donor_name, "reference_doc": r.reference_doc,
                     "item_code": line["item_code"], "quantity": line["quantity"], "unit": line.get("unit"),
                     "quantity_base": line["quantity_base"], "expiry_date": line.get("expiry_date"),
                     "value_rupiah": line.get("value_rupiah")}
                    for r in receipts for line in (r.lines or [{"item_code": "uang_tunai", "quantity": r.cash_rupiah,
                                                                "unit": "rupiah", "quantity_base": r.cash_rupiah}])]
    return {
        "title": "Laporan Penerimaan dan Penyaluran Bantuan", "event_id": event.id, "event_name": event.name,
        "subtitle": f"{event.name} — {_local(start, tz)} s.d. {_local(end, tz)}", "from": start.isoformat(),
        "to": end.isoformat(), "wide": True, "footer": f"Posko · {event.name}",
        "facts": [("Jumlah penerimaan", len(receipts)), ("Uang tunai diterima (Rp)", f"{float(cash):,.0f}")],
        "tables": [
            {"key": "by_donor", "heading": "Penerimaan per donatur dan barang",
             "columns": [("donor_kind", "Jenis donatur"), ("donor_name", "Donatur"), ("item_code", "Barang"),
                         ("unit", "Satuan"), ("quantity", "Jumlah"), ("value_rupiah", "Nilai (Rp)")], "rows": donor_rows},
            {"key": "received_vs_distributed", "heading": "Diterima dan disalurkan per barang",
             "columns": [("item_code", "Barang"), ("unit", "Satuan"), ("received", "Diterima"),
                         ("distributed", "Disalurkan"), ("difference", "Selisih")], "rows": item_rows},
            {"key": "receipts", "heading": "Rincian penerimaan",
             "columns": [("received_at", "Waktu"), ("location", "Lokasi"), ("donor_kind", "Jenis donatur"),
                         ("donor_name", "Donatur"), ("reference_doc", "No. surat jalan"), ("item_code", "Barang"),
                         ("quantity", "Jumlah"), ("unit", "Satuan"), ("quantity_base", "Jumlah (satuan katalog)"),
                         ("expiry_date", "Kedaluwarsa"), ("value_rupiah", "Nilai (Rp)")], "rows": receipt_rows},
        ],
    }


def stock_card_report(card: dict[str, Any], location_name: str, event: Event, unit: str | None,
                      tz: ZoneInfo) -> dict[str, Any]:
    """The kartu stok (the JSON of `GET /events/{id}/stock-card`) as a report."""
    rows = [{**line, "at": _local(datetime.fromisoformat(line["at"]), tz)} for line in card["lines"]]
    return {"title": "Kartu Stok", "subtitle": f"{event.name} — {location_name} — {card['item_code']} ({unit or ''})",
            "footer": f"Posko · {event.name}", **card,
            "facts": [("Lokasi", location_name), ("Barang", card["item_code"]), ("Satuan", unit or ""),
                      ("Saldo akhir", card["on_hand"])],
            "tables": [{"key": "lines", "heading": "Mutasi", "columns": [
                ("at", "Waktu"), ("kind", "Jenis"), ("doc_type", "Dokumen"), ("doc_id", "No. dokumen"),
                ("quantity", "Masuk (+) / keluar (-)"), ("balance", "Saldo"), ("expiry_date", "Kedaluwarsa"),
                ("reason", "Keterangan")], "rows": rows}]}


def handover_report(session: Session, event: Event, dispatch: StockDispatch, tz: ZoneInfo) -> dict[str, Any]:
    """Berita acara serah terima of one dispatch: what was handed over and, once received, what arrived."""
    names = _names(session, event)
    units = ref_repo.item_units(session)
    got = {r["item_code"]: r for r in (dispatch.received_lines or [])}
    rows = [{"item_code": line["item_code"], "unit": units.get(line["item_code"]), "expiry_date": line["expiry_date"],
             "sent": line["quantity"]} for line in dispatch.lines]
    summary = [{"item_code": code, "unit": units.get(code), "sent": r["sent"], "received": r["received"],
                "difference": r["difference"], "reason": r["reason"]} for code, r in got.items()]
    src, dst = names.get(dispatch.from_location_id, dispatch.from_location_id), names.get(
        dispatch.to_location_id, dispatch.to_location_id)
    return {"title": "Berita Acara Serah Terima Bantuan", "dispatch_id": dispatch.id, "event_name": event.name,
            "subtitle": f"{event.name}", "footer": f"Posko · BAST {dispatch.id[:8]}",
            "facts": [("Dari", src), ("Kepada", dst), ("Dikirim", _local(dispatch.sent_at, tz)),
                      ("Diterima", _local(dispatch.received_at, tz) or "belum diterima"),
                      ("Kendaraan", dispatch.vehicle or "-"), ("No. pengiriman", dispatch.id)],
            "tables": [{"key": "lines", "heading": "Barang yang diserahkan", "columns": [
                ("item_code", "Barang"), ("unit", "Satuan"), ("expiry_date", "Kedaluwarsa"), ("sent", "Jumlah")],
                "rows": rows},
                {"key": "received", "heading": "Barang yang diterima", "columns": [
                    ("item_code", "Barang"), ("unit", "Satuan"), ("sent", "Dikirim"), ("received", "Diterima"),
                    ("difference", "Selisih"), ("reason", "Keterangan")], "rows": summary}],
            "signatures": [f"Yang menyerahkan\n{src}", f"Yang menerima\n{dst}"]}


STOCK_HXL = [("Lokasi", "#loc+name"), ("Kode lokasi", "#loc+code"), ("Jenis lokasi", "#loc+type"),
             ("Barang", "#item+code"), ("Satuan", "#item+unit"), ("Stok", "#value+quantity"),
             ("Cukup (hari)", "#value+days_of_cover"), ("Kedaluwarsa pertama", "#date+expiry"), ("Per", "#date+as_of")]
RECEIPT_HXL = [("Tanggal diterima", "#date+received"), ("Lokasi", "#loc+name"), ("Kode lokasi", "#loc+code"),
               ("Donatur", "#org+name"), ("Jenis donatur", "#org+type"), ("No. surat jalan", "#meta+ref"),
               ("Barang", "#item+code"), ("Jumlah", "#value+quantity"), ("Satuan", "#item+unit"),
               ("Kedaluwarsa", "#date+expiry"), ("Nilai (Rp)", "#value+idr")]


def hxl_stock(stock: dict[str, Any], names: dict[str, str], as_of: str) -> bytes:
    rows = [[names.get(r["location_id"], r["location_id"]), r["location_id"], r["location_kind"], r["item_code"],
             r["unit"], r["on_hand"], r["days_of_cover"], r["fefo_next"], as_of[:10]] for r in stock["items"]]
    return hxl_csv(STOCK_HXL, rows)


def hxl_receipts(report: dict[str, Any]) -> bytes:
    receipts = next(t for t in report["tables"] if t["key"] == "receipts")["rows"]
    rows = [[r["received_at"][:10] if r["received_at"] else None, r["location"], r["location_id"], r["donor_name"],
             r["donor_kind"], r["reference_doc"], r["item_code"], r["quantity_base"], r["unit_base"], r["expiry_date"],
             r["value_rupiah"]] for r in receipts]
    return hxl_csv(RECEIPT_HXL, rows)
