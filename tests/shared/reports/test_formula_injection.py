"""Names that look like spreadsheet formulas never become live formulas in CSV, XLSX or HXL exports.

Data is created through the API (event, shelters, item, household, persons, a distribution), every
spreadsheet-like export is downloaded and parsed: openpyxl must find no formula cell (data_type
"f") and no text cell that starts with `= + - @ TAB CR`; the csv module must find no field that
starts with one of them. Each check also asserts that the hostile name IS in the file (prefixed
with `'`), so a missing row cannot make it pass. TAB and CR cannot come through the API (request
bodies are stripped of surrounding whitespace), so they are tested on the renderers directly.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from shared.reports.cells import FORMULA_START, safe_text
from shared.reports.render.csv import event_csv
from shared.reports.render.tables import event_tables
from shared.reports.render.xlsx import event_xlsx
from tests.conftest import Api, build_scene, household_body, iso, now_wib, shelter_body

EVIL = ['=HYPERLINK("http://x.example","klik")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1)"]


@pytest.fixture(scope="module")
def hostile(admin: Api) -> dict[str, Any]:
    """An event named like a formula, with shelters, an item, a household and persons named so too."""
    scene = build_scene(admin, name=EVIL[0])
    eid = scene.eid
    shelters = []
    for name in EVIL[1:3]:
        r = admin.post(f"/events/{eid}/shelters", json=shelter_body(name=name))
        assert r.status_code == 201, r.text
        shelters.append(r.json())
    code = f"uji_{uuid.uuid4().hex[:10]}"
    r = admin.post("/items", json={"code": code, "name": EVIL[3], "unit": "=paket"})
    assert r.status_code == 201, r.text
    r = admin.post(f"/events/{eid}/households", json=household_body(head_name=EVIL[2]))
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    for name in EVIL:  # displaced and not fulfilled: each is in the report's list of unmet persons
        scene.person(full_name=name, household_id=hid, shelter_id=shelters[0]["id"])
    r = admin.post(f"/events/{eid}/distributions", json={
        "item_code": code, "quantity": 3, "shelter_id": shelters[0]["id"],
        "delivered_at": iso(now_wib() - timedelta(hours=1)), "notes": "=1+1"})
    assert r.status_code == 201, r.text
    return {"eid": eid, "year": now_wib().year}


NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _live(fields: list[str]) -> list[str]:
    """Fields a spreadsheet would evaluate: starting with a formula character and not a plain number."""
    return [f for f in fields if f.startswith(FORMULA_START) and not NUMBER.match(f)]


def _assert_csv_safe(body: bytes, must_hold: list[str]) -> None:
    fields = [f for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")) for f in row]
    live = _live(fields)
    assert live == [], f"fields a spreadsheet would run as formulas: {live}"
    for name in must_hold:
        assert any(f == "'" + name or f.startswith("'" + name) for f in fields), f"{name!r} missing from the export"


def _xlsx_cells(body: bytes) -> list[Any]:
    wb = load_workbook(io.BytesIO(body))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def _assert_xlsx_safe(body: bytes, must_hold: list[str]) -> list[Any]:
    cells = _xlsx_cells(body)
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == [], f"formula cells: {formulas}"
    live = [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START)]
    assert live == [], f"text cells starting with a formula character: {live}"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    for name in must_hold:
        assert any(t.startswith("'" + name) for t in texts), f"{name!r} missing from the workbook"
    return cells


def test_event_report_csv_has_no_live_formula(admin: Api, hostile: dict[str, Any]) -> None:
    r = admin.get(f"/events/{hostile['eid']}/report", params={"format": "csv"})
    assert r.status_code == 200, r.text
    _assert_csv_safe(r.content, EVIL)  # event, shelters, item and every person of the unmet list


def test_event_report_xlsx_has_no_formula_cell(admin: Api, hostile: dict[str, Any]) -> None:
    r = admin.get(f"/events/{hostile['eid']}/report", params={"format": "xlsx"})
    assert r.status_code == 200, r.text
    cells = _assert_xlsx_safe(r.content, EVIL)
    numbers = [c for c in cells if c.data_type == "n" and isinstance(c.value, int | float)]
    assert numbers, "numbers must stay number cells"


@pytest.mark.parametrize("dataset", ["shelters", "persons_summary", "distributions"])
def test_hxl_exports_have_no_live_formula(admin: Api, hostile: dict[str, Any], dataset: str) -> None:
    r = admin.get(f"/events/{hostile['eid']}/export.hxl.csv", params={"dataset": dataset})
    assert r.status_code == 200, r.text
    expected = {"shelters": EVIL[1:3], "persons_summary": [], "distributions": [EVIL[1], EVIL[3], "=paket"]}[dataset]
    _assert_csv_safe(r.content, expected)


def test_renstra_exports_have_no_live_formula(admin: Api, hostile: dict[str, Any]) -> None:
    r = admin.get("/reports/renstra", params={"year": hostile["year"], "format": "xlsx"})
    assert r.status_code == 200, r.text
    _assert_xlsx_safe(r.content, [EVIL[0]])  # the events counted, by name
    r = admin.get("/reports/renstra", params={"year": hostile["year"], "format": "csv"})
    assert r.status_code == 200, r.text
    _assert_csv_safe(r.content, [])


def test_tab_and_cr_and_numbers(admin: Api, hostile: dict[str, Any]) -> None:
    """TAB and CR never arrive through the API (bodies are stripped); the renderers guard them anyway."""
    assert safe_text("\t=1+1") == "'\t=1+1" and safe_text("\rX") == "'\rX"
    assert safe_text(-1) == -1 and safe_text(-2.5) == -2.5 and safe_text(None) is None
    assert safe_text("Siti -1") == "Siti -1"
    r = admin.get(f"/events/{hostile['eid']}/report", params={"format": "json"})
    assert r.status_code == 200, r.text
    report = r.json()
    names = ["\t=cmd", "\r@x", "-1", "Budi"]
    for row, name in zip(report["unmet"], names, strict=True):
        row["name"] = name
    report["shelters"][0]["capacity_persons"] = -4
    tables = {t.key: t for t in event_tables(report)}
    assert [r[1] for r in tables["unmet"].rows] == names
    fields = [f for row in csv.reader(io.StringIO(event_csv(report).decode("utf-8"), newline="")) for f in row]
    assert "'\t=cmd" in fields and "'\r@x" in fields and "'-1" in fields and "Budi" in fields
    assert _live(fields) == [] and "-4" in fields, "a negative number stays a plain number"
    cells = _xlsx_cells(event_xlsx(report))
    assert not [c for c in cells if c.data_type == "f"]
    assert "'\t=cmd" in [c.value for c in cells]
    negative = [c for c in cells if c.value == -4]
    assert negative and all(c.data_type == "n" for c in negative), "a negative number stays a number cell"
