"""Stock reports on SQLite and PostgreSQL: laporan penerimaan dan penyaluran (by donor and item vs
distributed, per period), kartu stok and the berita acara serah terima in JSON/CSV/XLSX/PDF, and the
HXL exports of stock and receipts with the standard hashtags (issue 13, "Reports")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.api.stock_helpers import add_gudang, dispatch, receive
from tests.conftest import Api, Scene, new_id


def _setup(scene: Scene, admin: Api) -> tuple[str, str, dict]:
    g = add_gudang(admin)
    eid, shelter = scene.eid, scene.shelter["id"]
    receive(admin, eid, g["id"], [{"item_code": "beras", "quantity": 4, "unit": "karung", "value_rupiah": 1_400_000,
                                   "expiry_date": "2027-06-30"}], donor_kind="swasta", donor_name="PT Sumber Rejeki")
    receive(admin, eid, g["id"], [], cash_rupiah=2_500_000, donor_kind="masyarakat", donor_name="Bapak Hasan Lubis")
    d = dispatch(admin, eid, g["id"], shelter, [{"item_code": "beras", "quantity": 2, "unit": "karung"}],
                 vehicle="BK 1234 AB")
    admin.post(f"/events/{eid}/dispatches/{d['id']}/receive", json={"lines": [{"item_code": "beras", "quantity": 48,
                                                                               "reason": "karung sobek"}]})
    admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "beras", "quantity": 30,
                                                      "shelter_id": shelter})
    return g["id"], shelter, d


def test_aid_report_by_donor_and_item_vs_distributed_in_every_format(scene: Scene, admin: Api, pengamat: Api) -> None:
    _, _, _ = _setup(scene, admin)
    eid = scene.eid
    r = admin.get(f"/events/{eid}/reports/aid")
    assert r.status_code == 200, r.text
    report = r.json()
    tables = {t["key"]: t["rows"] for t in report["tables"]}
    assert {"donor_kind": "swasta", "donor_name": "PT Sumber Rejeki", "item_code": "beras", "unit": "kg",
            "quantity": 100.0, "value_rupiah": 1_400_000.0} in tables["by_donor"]
    assert any(row["item_code"] == "uang_tunai" and row["quantity"] == 2_500_000 for row in tables["by_donor"])
    beras = next(row for row in tables["received_vs_distributed"] if row["item_code"] == "beras")
    assert beras == {"item_code": "beras", "unit": "kg", "received": 100.0, "distributed": 30.0, "difference": 70.0}
    before_any = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    early = admin.get(f"/events/{eid}/reports/aid", params={"to": before_any})
    assert early.status_code == 200 and all(not t["rows"] for t in early.json()["tables"])  # a period with nothing
    hidden = pengamat.get(f"/events/{eid}/reports/aid").json()
    assert "Bapak Hasan Lubis" not in str(hidden) and "(warga)" in str(hidden)
    text = admin.get(f"/events/{eid}/reports/aid", params={"format": "csv"}).text
    assert "section:by_donor" in text and "section:received_vs_distributed" in text and "PT Sumber Rejeki" in text
    wb = load_workbook(io.BytesIO(admin.get(f"/events/{eid}/reports/aid", params={"format": "xlsx"}).content))
    assert len(wb.sheetnames) == 3
    pdf = admin.get(f"/events/{eid}/reports/aid", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert "PENERIMAAN DAN PENYALURAN" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)


def test_stock_card_and_handover_record(scene: Scene, admin: Api) -> None:
    gudang, shelter, d = _setup(scene, admin)
    eid = scene.eid
    params = {"location_id": shelter, "item_code": "beras"}
    card = admin.get(f"/events/{eid}/stock-card", params=params).json()
    assert [(x["kind"], x["balance"]) for x in card["lines"]] == [("terima", 48.0), ("penyaluran", 18.0)]
    rows = list(csv.reader(io.StringIO(admin.get(f"/events/{eid}/stock-card", params={**params, "format": "csv"}).text)))
    assert rows[0] == ["section:lines"] and rows[2][1] == "terima"
    assert admin.get(f"/events/{eid}/stock-card", params={**params, "format": "xlsx"}).status_code == 200
    card_pdf = admin.get(f"/events/{eid}/stock-card", params={**params, "format": "pdf"})
    assert "KARTU STOK" in PdfReader(io.BytesIO(card_pdf.content)).pages[0].extract_text()
    bast = admin.get(f"/events/{eid}/dispatches/{d['id']}/handover")
    assert bast.status_code == 200 and bast.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(bast.content)).pages)
    assert "BERITA ACARA SERAH TERIMA" in text and "Yang menerima" in text and "karung sobek" in text
    as_json = admin.get(f"/events/{eid}/dispatches/{d['id']}/handover", params={"format": "json"}).json()
    assert as_json["tables"][1]["rows"][0]["difference"] == -2.0
    assert admin.get(f"/events/{eid}/dispatches/{new_id()}/handover").status_code == 404


def test_hxl_exports_of_stock_and_receipts(scene: Scene, admin: Api) -> None:
    import hxl

    gudang, shelter, _ = _setup(scene, admin)
    eid = scene.eid
    stock = admin.get(f"/events/{eid}/stock-export.hxl.csv", params={"dataset": "stock"})
    assert stock.status_code == 200
    data = hxl.data(io.BytesIO(stock.content)).cache()
    tags = data.display_tags
    assert {"#loc+name", "#item+code", "#value+quantity", "#date+expiry"} <= set(tags)
    by_loc = {(row.get("#loc+code"), row.get("#item+code")): row.get("#value+quantity") for row in data}
    assert float(by_loc[(gudang, "beras")]) == 50 and float(by_loc[(shelter, "beras")]) == 18
    receipts = hxl.data(io.BytesIO(admin.get(f"/events/{eid}/stock-export.hxl.csv",
                                             params={"dataset": "receipts"}).content)).cache()
    assert {"#org+name", "#item+code", "#value+idr", "#date+received", "#loc+name"} <= set(receipts.display_tags)
    assert "PT Sumber Rejeki" in [row.get("#org+name") for row in receipts]
