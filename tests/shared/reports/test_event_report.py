"""The post-disaster report (laporan pasca bencana): GET /events/{id}/report in json, csv, xlsx and pdf.

Most tests share one hand-computed scenario spanning the turn of the year (built by
`build_two_year_scenario`, also used by test_hxl.py and test_cli_report.py): a flood that starts on
31 December 2025 16:00 WIB and ends on 3 January 2026 12:00 WIB, two shelters, eight persons.

Who is who (ages on the event's start date, 31 Dec 2025):

- H1 (kelurahan Mencirim 12.75.04.1004): P1 Budi (L, 40, NIK), P2 Nur (P, 2: balita), P3 Siti
  (P, age 65: lansia) — in shelter A from 31 Dec 17:00; P1 goes home on 3 Jan 08:00.
- H2 (kelurahan Pahlawan 12.75.01.1001): P4 Andi (L, 15: anak), P5 Dewi (P, 35, ibu hamil, needs
  psychosocial support, NIK) — in shelter B from 1 Jan 09:00 / 09:05, moved to A on 2 Jan 10:00.
- No household: P6 Rudi (L, no age, luka) in A from 1 Jan 06:30 WIB (= 31 Dec 23:30 UTC); P7 Maria
  (P, 55) never in a shelter (affected); P8 Joko (L, 45) in A from 31 Dec 17:00 to 1 Jan 10:00,
  then hilang (missing).

Meals (makanan_siap_saji, due = persons present at each meal time 07/12/18):
  A 31 Dec: due 4, got 4 (17:30).  A 1 Jan: due 5+4+4=13, got 5 at 06:15 WIB (still 31 Dec in UTC!)
  + 8 = 13.  A 2 Jan: due 4+6+6=16, got 16.  A 3 Jan (as_of 12:00): due 6+5=11, got 11.
  B 1 Jan: due 2+2=4, got 4.  B 2 Jan: due 2 (07:00), got 1 → P4 and P5 miss permakanan from then on.
Clothing: H1 household-level 3 (31 Dec), P6 1 (1 Jan), H2 household-level 1 (1 Jan 12:00 → the
first-registered member, P4), P5 1 (2 Jan). Services: P2 (31 Dec 20:00), P3 (1 Jan 10:00), P5
(2 Jan 11:00) penanganan khusus; P5 psikososial twice on 3 Jan.

End of each local day (fulfilled / eligible; displaced now):
  31 Dec: P1 P2 ✓, P3 lacks penanganan khusus → 2/3 = 66.67 %; displaced 3 (P8 is missing)
  1 Jan: only P5 lacks (sandang, penanganan khusus, psikososial) → 5/6 = 83.33 %; displaced 6
  2 Jan: P4 and P5 lack permakanan (B short) → 4/6 = 66.67 %; displaced 6
  3 Jan 12:00: still P4 and P5 → 4/6 = 66.67 %; displaced 5 (P1 returned)
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from shared.db import Database, read_unit
from shared.models import Event
from shared.reports.facts import age_group
from shared.reports.render.indonesian import fmt_num
from shared.reports.render.pdf import PDF_UNMET_LIMIT
from shared.repositories import status as status_repo
from shared.services import status as status_service
from tests.conftest import (
    KELURAHAN,
    KELURAHAN_2,
    Api,
    add_member,
    build_scene,
    fresh_nik,
    household_body,
    new_id,
    now_wib,
    person_body,
    shelter_body,
)

WIB = ZoneInfo("Asia/Jakarta")
FORMATS = ("json", "csv", "xlsx", "pdf")


def wib(text: str) -> str:
    """'2025-12-31 17:00' → ISO with +07:00."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB).isoformat()


NAMES = {"P1": "Budi Santoso", "P2": "Nur Aisyah", "P3": "Siti Rahmah", "P4": "Andi Saputra",
         "P5": "Dewi Lestari", "P6": "Rudi Hartono", "P7": "Maria Ginting", "P8": "Joko Prasetyo"}
STARTED = wib("2025-12-31 16:00")
ENDED = wib("2026-01-03 12:00")


class Scenario:
    def __init__(self, api: Api, event: dict[str, Any], ids: dict[str, str], niks: list[str]) -> None:
        self.api, self.event, self.ids, self.niks = api, event, ids, niks

    @property
    def eid(self) -> str:
        return self.event["id"]


def _ok(r: Any, *codes: int) -> dict[str, Any]:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def build_two_year_scenario(api: Api) -> Scenario:
    """The flood of 31 Dec 2025 – 3 Jan 2026 described in the module docstring, written through the API."""
    ev = _ok(api.post("/events", json={"id": new_id(), "name": "Banjir Akhir Tahun Binjai", "kind": "banjir",
                                       "started_at": STARTED, "kelurahan_codes": [KELURAHAN, KELURAHAN_2]}))
    eid = ev["id"]
    ids: dict[str, str] = {}
    ids["A"] = _ok(api.post(f"/events/{eid}/shelters", json=shelter_body(
        name="Masjid Al-Ikhlas Mencirim", kelurahan_code=KELURAHAN, kind="rumah_ibadah", capacity_persons=10,
        covered_area_m2=30.0, toilets=1, lat=3.6123, lon=98.5012, opened_at=STARTED)))["id"]
    ids["B"] = _ok(api.post(f"/events/{eid}/shelters", json=shelter_body(
        name="SD Negeri 020 Pahlawan", kelurahan_code=KELURAHAN_2, kind="sekolah", capacity_persons=5,
        covered_area_m2=None, toilets=None, opened_at=wib("2026-01-01 08:00"))))["id"]
    ids["H1"] = _ok(api.post(f"/events/{eid}/households", json=household_body(head_name=NAMES["P1"],
                                                                                kelurahan_code=KELURAHAN)))["id"]
    ids["H2"] = _ok(api.post(f"/events/{eid}/households", json=household_body(head_name=NAMES["P5"],
                                                                                kelurahan_code=KELURAHAN_2)))["id"]
    niks = [fresh_nik(born="1985-03-10"), fresh_nik(female=True, born="1990-04-04")]

    def person(key: str, **body: Any) -> None:
        ids[key] = _ok(api.post(f"/events/{eid}/persons", json=person_body(full_name=NAMES[key], **body)))["id"]

    person("P1", sex="L", birth_date="1985-03-10", nik=niks[0], household_id=ids["H1"], shelter_id=ids["A"],
           registered_at=wib("2025-12-31 17:00"))
    person("P2", sex="P", birth_date="2023-06-01", household_id=ids["H1"], shelter_id=ids["A"],
           registered_at=wib("2025-12-31 17:01"))
    person("P3", sex="P", birth_date=None, age_years=65, household_id=ids["H1"], shelter_id=ids["A"],
           registered_at=wib("2025-12-31 17:02"))
    person("P8", sex="L", birth_date="1980-02-02", shelter_id=ids["A"], registered_at=wib("2025-12-31 17:00"))
    person("P6", sex="L", birth_date=None, condition="luka", shelter_id=ids["A"],
           registered_at=wib("2026-01-01 06:30"))
    person("P7", sex="P", birth_date="1970-08-17", registered_at=wib("2026-01-01 09:00"))
    person("P4", sex="L", birth_date="2010-01-01", household_id=ids["H2"], shelter_id=ids["B"],
           registered_at=wib("2026-01-01 09:00"))
    person("P5", sex="P", birth_date="1990-04-04", nik=niks[1], household_id=ids["H2"], shelter_id=ids["B"],
           vulnerabilities=["ibu_hamil"], needs_psychosocial=True, registered_at=wib("2026-01-01 09:05"))

    _ok(api.post(f"/persons/{ids['P8']}/check-out", json={"at": wib("2026-01-01 10:00")}))
    _ok(api.patch(f"/persons/{ids['P8']}", json={"condition": "hilang"}))
    for key in ("P4", "P5"):
        _ok(api.post(f"/persons/{ids[key]}/check-in", json={"shelter_id": ids["A"], "at": wib("2026-01-02 10:00")}))
    _ok(api.patch(f"/events/{eid}/shelters/{ids['B']}", json={"closed_at": wib("2026-01-02 20:00")}))
    _ok(api.post(f"/persons/{ids['P1']}/check-out", json={"at": wib("2026-01-03 08:00")}))

    def give(item: str, qty: float, at: str, **to: str) -> None:
        _ok(api.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": item, "quantity": qty,
                                                           "delivered_at": wib(at), **to}))

    meals = [("A", 4, "2025-12-31 17:30"), ("A", 5, "2026-01-01 06:15"), ("A", 8, "2026-01-01 11:30"),
             ("A", 16, "2026-01-02 06:30"), ("A", 11, "2026-01-03 06:45"), ("B", 4, "2026-01-01 11:00"),
             ("B", 1, "2026-01-02 06:30")]
    for shelter, qty, at in meals:
        give("makanan_siap_saji", qty, at, shelter_id=ids[shelter])
    give("air_minum", 40, "2026-01-01 08:00", shelter_id=ids["A"])
    give("paket_sandang", 3, "2025-12-31 19:00", household_id=ids["H1"])
    give("paket_sandang", 1, "2026-01-01 07:00", person_id=ids["P6"])
    give("paket_sandang", 1, "2026-01-01 12:00", household_id=ids["H2"])
    give("paket_sandang", 1, "2026-01-02 09:00", person_id=ids["P5"])
    give("uang_tunai", 500000, "2026-01-02 14:00", household_id=ids["H2"])

    def serve(key: str, kind: str, at: str) -> None:
        _ok(api.post(f"/events/{eid}/services", json={"id": new_id(), "person_id": ids[key], "kind": kind,
                                                      "delivered_at": wib(at)}))

    serve("P2", "penanganan_khusus", "2025-12-31 20:00")
    serve("P3", "penanganan_khusus", "2026-01-01 10:00")
    serve("P5", "penanganan_khusus", "2026-01-02 11:00")
    serve("P5", "psikososial", "2026-01-03 09:00")
    serve("P5", "psikososial", "2026-01-03 10:00")
    _ok(api.patch(f"/events/{eid}", json={"status": "transisi_darurat"}))
    event = _ok(api.patch(f"/events/{eid}", json={"status": "selesai", "ended_at": ENDED}))
    return Scenario(api, event, ids, niks)


# Hand-computed figures of the scenario at its end (3 Jan 2026 12:00 WIB).
EXPECTED_DAILY = [("2025-12-31", 3, 3, 2, 66.67), ("2026-01-01", 6, 6, 5, 83.33), ("2026-01-02", 6, 6, 4, 66.67),
                  ("2026-01-03", 5, 6, 4, 66.67)]  # date, displaced, eligible, fulfilled, percent
EXPECTED_SERVICES = {"permakanan": (6, 4), "sandang": (6, 6), "tempat_penampungan": (6, 6),
                     "penanganan_khusus": (3, 3), "psikososial": (1, 1)}
EXPECTED_NEEDS = {  # item: required, delivered, gap, coverage
    "makanan_siap_saji": (50, 49, 1, 98.0), "air_minum": (125 / 3, 40, 125 / 3 - 40, 96.0),
    "air_bersih": (250, 0, 250, 0.0), "paket_sandang": (7, 6, 1, 85.71), "selimut": (7, 0, 7, 0.0),
    "family_kit": (2, 0, 2, 0.0), "paket_bayi": (1, 0, 1, 0.0), "paket_gizi_ibu": (1, 0, 1, 0.0)}


@pytest.fixture(scope="module")
def scenario(admin: Api) -> Scenario:
    return build_two_year_scenario(admin)


# ---------------------------------------------------------------- readers

def get_report(api: Api, eid: str, fmt: str, **params: str) -> Any:
    r = api.get(f"/events/{eid}/report", params={"format": fmt, **params})
    assert r.status_code == 200, r.text
    return r


def read_csv_sections(text: str) -> dict[str, list[dict[str, str]]]:
    """The CSV's `section:<key>` blocks as lists of dicts (header row → keys)."""
    sections: dict[str, list[dict[str, str]]] = {}
    header: list[str] | None = None
    current: list[dict[str, str]] = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) == 1 and row[0].startswith("section:"):
            current = sections.setdefault(row[0].removeprefix("section:"), [])
            header = None
        elif not row:
            header = None
        elif header is None:
            header = row
        else:
            current.append(dict(zip(header, row, strict=True)))
    return sections


def read_xlsx(body: bytes) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(io.BytesIO(body), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def pdf_text(body: bytes) -> str:
    """All text of the PDF, whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


# ---------------------------------------------------------------- the scenario in JSON

def test_json_report_matches_the_hand_computed_two_year_scenario(scenario: Scenario, admin: Api) -> None:
    """Every section of the JSON report carries the figures computed by hand for the flood across New Year."""
    r = get_report(admin, scenario.eid, "json")
    assert r.headers["content-type"].startswith("application/json")
    rep = r.json()
    assert rep["as_of"] == datetime.fromisoformat(ENDED).astimezone(UTC).isoformat()  # default: the event's end
    ev = rep["event"]
    assert (ev["kind"], ev["category"], ev["status"], ev["year"]) == ("banjir", "alam", "selesai", 2025)
    assert (ev["start_date"], ev["end_date"], ev["days"]) == ("2025-12-31", "2026-01-03", 4)
    assert [(k["code"], k["name"], k["kecamatan_name"]) for k in ev["kelurahan"]] == [
        (KELURAHAN, "Mencirim", "Binjai Timur"), (KELURAHAN_2, "Pahlawan", "Binjai Utara")]
    assert [h["action"] for h in ev["status_history"]] == ["event.create", "event.update", "event.update"]

    pp = rep["people"]
    assert {k: pp[k] for k in ("registered", "displaced_now", "returned", "affected", "injured", "missing", "dead")} == {
        "registered": 8, "displaced_now": 5, "returned": 1, "affected": 1, "injured": 1, "missing": 1, "dead": 0}
    assert pp["by_sex"] == {"L": 4, "P": 4}
    assert pp["by_condition"] == {"selamat": 6, "luka": 1, "hilang": 1, "meninggal": 0}
    assert pp["by_age_group"] == {"balita": 1, "anak": 1, "dewasa": 4, "lansia": 1, "tidak_diketahui": 1}
    assert pp["by_sex_age_group"] == {
        "L": {"balita": 0, "anak": 1, "dewasa": 2, "lansia": 0, "tidak_diketahui": 1},
        "P": {"balita": 1, "anak": 0, "dewasa": 2, "lansia": 1, "tidak_diketahui": 0}}
    assert pp["vulnerable"] == {"balita": 1, "lansia": 1, "ibu_hamil": 1, "ibu_menyusui": 0, "disabilitas": 0,
                                "terpisah": 0, "tanpa_pendamping": 0}
    assert pp["needs_psychosocial"] == 1
    by_kel = {r["kelurahan_code"]: r for r in pp["by_kelurahan"]}
    assert list(by_kel) == [KELURAHAN, KELURAHAN_2, ""]
    assert {k: by_kel[KELURAHAN][k] for k in ("registered", "displaced_now", "returned", "L", "P", "balita", "lansia")} == {
        "registered": 3, "displaced_now": 2, "returned": 1, "L": 1, "P": 2, "balita": 1, "lansia": 1}
    assert {k: by_kel[KELURAHAN_2][k] for k in ("registered", "displaced_now", "anak", "dewasa")} == {
        "registered": 2, "displaced_now": 2, "anak": 1, "dewasa": 1}
    assert {k: by_kel[""][k] for k in ("registered", "displaced_now", "affected", "missing", "injured")} == {
        "registered": 3, "displaced_now": 1, "affected": 1, "missing": 1, "injured": 1}

    shelters = {s["id"]: s for s in rep["shelters"]}
    a, b = shelters[scenario.ids["A"]], shelters[scenario.ids["B"]]
    assert (a["occupants"], a["peak_occupancy"], a["peak_date"], a["persons_served"]) == (5, 6, "2026-01-02", 7)
    assert a["peak_at"] == datetime.fromisoformat(wib("2026-01-02 10:00")).astimezone(UTC).isoformat()
    assert (a["opened_date"], a["closed_date"], a["days_open"], a["capacity_persons"]) == ("2025-12-31", None, 4, 10)
    assert (a["covered_area_ok"], a["toilets_ok"], a["meals_due_today"], a["meals_delivered_today"]) == (True, True, 11, 11)
    assert (b["occupants"], b["peak_occupancy"], b["peak_date"], b["persons_served"]) == (0, 2, "2026-01-01", 2)
    assert (b["opened_date"], b["closed_date"], b["days_open"]) == ("2026-01-01", "2026-01-02", 2)
    assert (b["covered_area_ok"], b["toilets_ok"]) == (None, None)

    needs = {n["item_code"]: n for n in rep["needs"]}
    for code, (required, delivered, gap, coverage) in EXPECTED_NEEDS.items():
        n = needs[code]
        assert (n["required"], n["delivered"], n["gap"], n["coverage_percent"]) == pytest.approx(
            (required, delivered, gap, coverage)), code
    assert needs["makanan_siap_saji"]["item_name"] and needs["makanan_siap_saji"]["unit"] == "porsi"
    dist = {d["item_code"]: (d["records"], d["quantity"]) for d in rep["distributions"]}
    assert dist == {"makanan_siap_saji": (7, 49), "air_minum": (1, 40), "paket_sandang": (4, 6),
                    "uang_tunai": (1, 500000)}

    ind = rep["indicator"]
    assert (ind["eligible"], ind["fulfilled"], ind["percent"], ind["target_percent"]) == (6, 4, 66.67, 100.0)
    assert {k: (v["eligible"], v["fulfilled"]) for k, v in ind["services"].items()} == EXPECTED_SERVICES
    assert ind["services"]["permakanan"]["percent"] == 66.67
    assert {s["kind"]: (s["records"], s["persons"]) for s in rep["services"]} == {
        "penanganan_khusus": (3, 3), "psikososial": (2, 1)}

    assert [(d["date"], d["displaced"], d["eligible"], d["fulfilled"], d["fulfilled_percent"]) for d in rep["daily"]] \
        == EXPECTED_DAILY
    assert {d["source"] for d in rep["daily"]} == {"computed"}
    assert rep["daily"][0]["as_of"] == "2025-12-31T16:59:59.999999+00:00"  # the end of 31 Dec in WIB

    assert rep["unmet_total"] == 2
    assert sorted((u["name"], u["missing"]) for u in rep["unmet"]) == [
        (NAMES["P4"], ["permakanan"]), (NAMES["P5"], ["permakanan"])]
    assert {u["person_id"] for u in rep["unmet"]} == {scenario.ids["P4"], scenario.ids["P5"]}
    for nik in scenario.niks:
        assert nik not in r.text  # a report never carries NIK, whoever asks


def test_report_numbers_equal_the_status_snapshot_for_the_same_as_of(scenario: Scenario, admin: Api) -> None:
    """GET /status and the report run the same engine: for the status's as_of, every shared figure is equal."""
    status = _ok(admin.get(f"/events/{scenario.eid}/status"))
    rep = get_report(admin, scenario.eid, "json", as_of=status["as_of"]).json()
    assert rep["as_of"] == status["as_of"]
    assert {k: rep["people"][k] for k in status["people"]} == status["people"]
    assert {k: v for k, v in rep["indicator"].items() if k != "services"} == {
        k: v for k, v in status["indicator"].items() if k != "services"}
    assert {k: {"eligible": v["eligible"], "fulfilled": v["fulfilled"]} for k, v in rep["indicator"]["services"].items()} \
        == status["indicator"]["services"]
    assert [{k: n[k] for k in status["needs"][0]} for n in rep["needs"]] == status["needs"]
    # the contract's shelter figures (the status adds what the command post acts on, which the report does not print)
    shared = ("id", "name", "occupants", "capacity_persons", "meals_due_today", "meals_delivered_today",
              "covered_area_ok", "toilets_ok")
    assert [{k: s[k] for k in shared} for s in rep["shelters"]] == [{k: s[k] for k in shared} for s in status["shelters"]]
    assert rep["daily"][-1]["fulfilled_percent"] == status["indicator"]["percent"]
    assert rep["daily"][-1]["displaced"] == status["people"]["displaced_now"]


def test_report_at_an_earlier_as_of_stops_the_daily_series_there(scenario: Scenario, admin: Api, database: Any,
                                                                  settings: Any) -> None:
    """as_of = the last instant of 1 Jan 2026: two days in the series, the figures of that moment, and the
    same snapshot the status service computes for that as_of."""
    as_of = "2026-01-01T23:59:59.999999+07:00"
    rep = get_report(admin, scenario.eid, "json", as_of=as_of).json()
    assert [(d["date"], d["displaced"], d["eligible"], d["fulfilled"], d["fulfilled_percent"]) for d in rep["daily"]] \
        == EXPECTED_DAILY[:2]
    assert (rep["indicator"]["eligible"], rep["indicator"]["fulfilled"], rep["indicator"]["percent"]) == (6, 5, 83.33)
    assert [u["name"] for u in rep["unmet"]] == [NAMES["P5"]]
    assert (rep["event"]["days"], rep["event"]["year"]) == (2, 2025)
    with read_unit(database) as session:
        event = session.get(Event, scenario.eid)
        snap = status_service.compute(session, event, datetime.fromisoformat(as_of), settings.tz)
    assert {k: rep["people"][k] for k in snap["people"]} == snap["people"]
    assert [{k: n[k] for k in snap["needs"][0]} for n in rep["needs"]] == snap["needs"]
    needs = {n["item_code"]: n for n in rep["needs"]}
    assert needs["makanan_siap_saji"]["required"] == 4 + 13 + 4  # A 31 Dec, A 1 Jan, B 1 Jan
    assert needs["makanan_siap_saji"]["delivered"] == 4 + 13 + 4


def test_as_of_before_the_start_gives_an_empty_series(scenario: Scenario, admin: Api) -> None:
    """Nothing had happened on 30 Dec 2025: no days, nobody displaced, an indicator without eligible persons."""
    rep = get_report(admin, scenario.eid, "json", as_of="2025-12-30T12:00:00+07:00").json()
    assert rep["daily"] == []
    assert rep["people"]["displaced_now"] == 0
    assert (rep["indicator"]["eligible"], rep["indicator"]["percent"]) == (0, None)
    assert rep["unmet"] == [] and rep["unmet_total"] == 0
    assert all(n["delivered"] == 0 for n in rep["needs"])


def test_as_of_past_the_end_of_a_finished_event_is_held_at_the_end(scenario: Scenario, admin: Api) -> None:
    """A selesai event's report stops at ended_at, as its status does (no meals fall due after the end)."""
    later = get_report(admin, scenario.eid, "json", as_of=(now_wib() - timedelta(days=1)).isoformat()).json()
    assert later["as_of"] == datetime.fromisoformat(ENDED).astimezone(UTC).isoformat()
    assert later["indicator"]["percent"] == 66.67 and len(later["daily"]) == 4


def test_as_of_validation(scenario: Scenario, admin: Api) -> None:
    """as_of needs an offset and may not lie in the future; an unknown format is refused: 422."""
    assert admin.get(f"/events/{scenario.eid}/report", params={"as_of": "2026-01-01T12:00:00"}).status_code == 422
    future = (now_wib() + timedelta(days=2)).isoformat()
    assert admin.get(f"/events/{scenario.eid}/report", params={"as_of": future}).status_code == 422
    assert admin.get(f"/events/{scenario.eid}/report", params={"format": "docx"}).status_code == 422


def test_as_of_within_the_clock_skew_is_held_at_now(admin: Api) -> None:
    """A request may carry an instant up to 5 minutes ahead (clock skew); the report never looks past now."""
    scene = build_scene(admin)
    ahead = datetime.now(UTC) + timedelta(minutes=3)
    rep = get_report(admin, scene.eid, "json", as_of=ahead.isoformat()).json()
    assert datetime.fromisoformat(rep["as_of"]) <= datetime.now(UTC) < ahead


# ---------------------------------------------------------------- the scenario in CSV, XLSX and PDF

def test_csv_report_carries_the_same_numbers(scenario: Scenario, admin: Api) -> None:
    """The CSV's section blocks, read with the csv module, give the hand-computed figures."""
    r = get_report(admin, scenario.eid, "csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="laporan-pasca-bencana-banjir-akhir-tahun-binjai-20260103.csv"' in r.headers["content-disposition"]
    sec = read_csv_sections(r.content.decode("utf-8"))
    assert list(sec) == ["event", "kelurahan", "status_history", "people", "people_by_kelurahan", "people_displaced_by_kelurahan", "shelters", "needs",
                         "distributions", "indicator", "services", "tracing", "daily", "unmet"]
    ev = {row["field"]: row["value"] for row in sec["event"]}
    assert (ev["year"], ev["start_date"], ev["end_date"], ev["status"]) == ("2025", "2025-12-31", "2026-01-03", "selesai")
    total = next(row for row in sec["indicator"] if row["service"] == "total")
    assert (int(total["eligible"]), int(total["fulfilled"]), float(total["percent"])) == (6, 4, 66.67)
    services = {row["service"]: (int(row["eligible"]), int(row["fulfilled"])) for row in sec["indicator"][1:]}
    assert services == EXPECTED_SERVICES
    daily = [(d["date"], int(d["displaced"]), int(d["eligible"]), int(d["fulfilled"]), float(d["fulfilled_percent"]))
             for d in sec["daily"]]
    assert daily == EXPECTED_DAILY
    people = {(row["group"], row["category"]): int(row["value"]) for row in sec["people"]}
    assert people[("summary", "displaced_now")] == 5 and people[("age_group", "anak")] == 1
    assert people[("age_group_P", "lansia")] == 1 and people[("vulnerability", "ibu_hamil")] == 1
    needs = {row["item_code"]: row for row in sec["needs"]}
    assert float(needs["air_minum"]["required"]) == pytest.approx(125 / 3)
    assert (float(needs["makanan_siap_saji"]["gap"]), float(needs["paket_sandang"]["coverage_percent"])) == (1.0, 85.71)
    assert needs["air_bersih"]["coverage_percent"] == "0.0"
    shelters = {row["id"]: row for row in sec["shelters"]}
    assert (int(shelters[scenario.ids["A"]]["peak_occupancy"]), shelters[scenario.ids["B"]]["covered_area_ok"]) == (6, "")
    assert shelters[scenario.ids["A"]]["covered_area_ok"] == "true"
    assert sorted((u["name"], u["missing"]) for u in sec["unmet"]) == [(NAMES["P4"], "permakanan"),
                                                                       (NAMES["P5"], "permakanan")]


def test_xlsx_report_has_a_sheet_per_section_with_number_cells(scenario: Scenario, admin: Api) -> None:
    """openpyxl reads one sheet per section; counts and percentages are numeric cells with the same values;
    dates are dates, instants local datetimes (WIB), codes replaced by their Indonesian labels."""
    r = get_report(admin, scenario.eid, "xlsx")
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets = read_xlsx(r.content)
    assert list(sheets) == ["Kejadian", "Wilayah", "Riwayat", "Korban", "Korban per kelurahan", "Tempat mengungsi", "Tempat penampungan",
                            "Kebutuhan", "Penyaluran", "Indikator", "Layanan", "Orang dicari", "Harian",
                            "Belum terpenuhi"]
    head, *daily = sheets["Harian"]
    assert head == ("Tanggal", "Mengungsi", "Wajib", "Terpenuhi", "Terpenuhi (%)", "Sumber", "Keadaan per (WIB)")
    assert [(row[0].date().isoformat(), *row[1:5]) for row in daily] == EXPECTED_DAILY
    assert all(isinstance(row[1], int) and isinstance(row[4], float) for row in daily)
    assert daily[-1][5] == "dihitung" and daily[-1][6] == datetime(2026, 1, 3, 12, 0)  # ENDED, in WIB
    total, *services = sheets["Indikator"][1:]
    assert total[:5] == ("Seluruh layanan dasar (indikator)", 6, 4, 66.67, 100)
    labels = {"permakanan": "Permakanan", "sandang": "Sandang", "tempat_penampungan": "Tempat penampungan",
              "penanganan_khusus": "Penanganan khusus kelompok rentan", "psikososial": "Dukungan psikososial"}
    assert {row[0]: (row[1], row[2]) for row in services} == {labels[k]: v for k, v in EXPECTED_SERVICES.items()}
    needs = {row[0]: row for row in sheets["Kebutuhan"][1:]}
    assert needs["makanan_siap_saji"][3:10] == ("per orang per hari", 3, "Permakanan", 50, 49, 1, 98)
    assert needs["air_minum"][6] == pytest.approx(125 / 3)
    kv = {row[0]: row[1] for row in sheets["Kejadian"][1:]}
    assert (kv["Tahun kejadian"], kv["Jumlah hari dilaporkan"]) == (2025, 4)
    assert kv["Tanggal mulai (WIB)"] == datetime(2025, 12, 31) and kv["Mulai (WIB)"] == datetime(2025, 12, 31, 16, 0)
    assert kv["Status"] == "Selesai" and kv["Jenis bencana"] == "Banjir" and kv["Kategori"] == "Bencana alam"
    shelters = {row[0]: row for row in sheets["Tempat penampungan"][1:]}
    heads = sheets["Tempat penampungan"][0]
    a = dict(zip(heads, shelters[scenario.ids["A"]], strict=True))
    assert (a["Penghuni"], a["Penghuni terbanyak"], a["Kapasitas"]) == (5, 6, 10)
    assert a["Tanggal penghuni terbanyak"] == datetime(2026, 1, 2) and a["Dibuka (WIB)"] == datetime(2025, 12, 31, 16)
    assert a["Luas memadai"] == "ya" and a["Jenis"] == "Rumah ibadah"
    korban = sheets["Korban"]
    assert korban[0] == ("Kelompok", "Uraian", "Jumlah") and ("Ringkasan", "Terdaftar", 8) in korban
    unmet = sheets["Belum terpenuhi"]
    assert unmet[0] == ("Nama", "Umur (tahun)", "Kepala keluarga", "Tempat (penampungan, atau kelurahan keluarga)",
                        "Layanan belum terpenuhi")
    assert sorted(unmet[1:]) == [(NAMES["P4"], 15, NAMES["P5"], "Masjid Al-Ikhlas Mencirim", "Permakanan"),
                                 (NAMES["P5"], 35, NAMES["P5"], "Masjid Al-Ikhlas Mencirim", "Permakanan")]
    assert not {scenario.ids["P4"], scenario.ids["P5"]} & {v for rows in sheets.values() for row in rows for v in row}
    codes = {"per_person_day", "per_person_once", "tanggap_darurat", "selesai", "permakanan", "stored", "computed",
             "event.create", "rumah_ibadah"}
    for title, rows in sheets.items():
        for row in rows:
            assert not codes & {v for v in row if isinstance(v, str)}, (title, row)
            assert not any(isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d(T.*)?", v) for v in row), (title, row)
    wb = load_workbook(io.BytesIO(r.content))
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title


def test_pdf_report_shows_the_figures_with_indonesian_headings(scenario: Scenario, admin: Api) -> None:
    """pypdf's text of the PDF: Indonesian headings, the indicator sentence, the daily rows across New Year,
    the chart's day labels, and the two persons not fulfilled."""
    r = get_report(admin, scenario.eid, "pdf")
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    for heading in ("LAPORAN PASCA BENCANA", "1. Data Kejadian", "2. Capaian Kebutuhan Dasar (SPM)",
                    "3. Grafik Harian", "4. Data Korban", "5. Tempat Penampungan", "6. Kebutuhan dan Penyaluran",
                    "7. Layanan", "8. Rekap Harian", "9. Korban Belum Terpenuhi"):
        assert heading in text
    assert "Banjir Akhir Tahun Binjai" in text
    assert "Keadaan per 3 Januari 2026 12.00 WIB" in text
    assert "Mulai 31 Desember 2025 16.00 WIB" in text and "Tahun kejadian 2025" in text
    assert "Selesai 3 Januari 2026 12.00 WIB" in text and "Lama dilaporkan 4 hari" in text
    assert "Status saat ini Selesai" in text
    assert "Mencirim (12.75.04.1004), Kec. Binjai Timur" in text
    assert "Korban terpenuhi kebutuhan dasarnya: 4 dari 6 orang (66,67%); target 100%." in text
    assert "Permakanan 6 4 2 66,67%" in text
    for day, displaced, eligible, fulfilled, pct in (("31 Desember 2025", 3, 3, 2, "66,67%"),
                                                     ("1 Januari 2026", 6, 6, 5, "83,33%"),
                                                     ("2 Januari 2026", 6, 6, 4, "66,67%"),
                                                     ("3 Januari 2026", 5, 6, 4, "66,67%")):
        assert f"{day} {displaced} {eligible} {fulfilled} {pct}" in text
    assert "31/12/2025" in text and "1/1/2026" in text  # chart labels: the year shows where it changes
    assert "Makanan siap saji porsi per orang per hari 50 49 1 98,00%" in text
    assert f"Air minum liter per orang per hari {fmt_num(125 / 3)} 40 {fmt_num(125 / 3 - 40)} 96,00%" in text
    assert "Air bersih liter per orang per hari 250 0 250 0,00%" in text
    assert "Bantuan langsung uang tunai rupiah 1 500.000" in text
    assert "Masjid Al-Ikhlas Mencirim Mencirim 31/12/2025 – 10 5 6 02/01/2026 ya ya" in text
    assert "SD Negeri 020 Pahlawan Pahlawan 01/01/2026 02/01/2026 5 0 2 01/01/2026 – –" in text
    assert "Seluruh 2 orang tercantum" in text
    assert NAMES["P4"] in text and NAMES["P5"] in text
    for nik in scenario.niks:
        assert nik not in text


# ---------------------------------------------------------------- who may fetch it

def _all_text(fmt: str, body: bytes) -> str:
    if fmt == "pdf":
        return pdf_text(body)
    if fmt == "xlsx":
        return " ".join(str(v) for rows in read_xlsx(body).values() for row in rows for v in row if v is not None)
    return body.decode("utf-8")


def test_pengamat_gets_every_format_without_names_or_nik(scenario: Scenario, pengamat: Api) -> None:
    """An observer receives the report, with the same figures, but no person's name, id or NIK in any format."""
    for fmt in FORMATS:
        r = get_report(pengamat, scenario.eid, fmt)
        text = _all_text(fmt, r.content)
        for key, name in NAMES.items():
            assert name not in text, (fmt, key)
        for key in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"):
            assert scenario.ids[key] not in text, (fmt, key)
        for nik in scenario.niks:
            assert nik not in text, fmt
        if fmt == "json":
            rep = r.json()
            assert "unmet" not in rep and rep["unmet_total"] == 2
            assert rep["indicator"]["percent"] == 66.67
        elif fmt == "csv":
            assert "unmet" not in read_csv_sections(text)
        elif fmt == "xlsx":
            assert "Belum terpenuhi" not in read_xlsx(r.content)
        else:
            assert "Jumlah korban belum terpenuhi: 2 orang" in text
            assert "4 dari 6 orang (66,67%)" in text


def test_relawan_sees_reports_of_member_events_only(scenario: Scenario, admin: Api, relawan: Api) -> None:
    """A relawan outside the event gets 404 for every format; once a member, the report with names."""
    for fmt in FORMATS:
        assert relawan.get(f"/events/{scenario.eid}/report", params={"format": fmt}).status_code == 404
    assert relawan.get(f"/events/{new_id()}/report").status_code == 404
    add_member(admin, scenario.eid, relawan.user_id)
    rep = get_report(relawan, scenario.eid, "json").json()
    assert sorted(u["name"] for u in rep["unmet"]) == [NAMES["P4"], NAMES["P5"]]


def test_report_needs_a_token(scenario: Scenario, anon: Api) -> None:
    assert anon.get(f"/events/{scenario.eid}/report").status_code == 401


def test_a_report_with_names_is_recorded_in_the_audit_log(scenario: Scenario, posko: Api, pengamat: Api,
                                                          database: Any) -> None:
    """Reading names of persons is processing of personal data: an audit row per report that carries them."""
    from sqlmodel import col, func, select

    from shared.models import AuditLog

    def count(user_id: int | None) -> int:
        with read_unit(database) as session:
            return session.execute(select(func.count()).select_from(AuditLog).where(
                col(AuditLog.action) == "event.report", col(AuditLog.actor_id) == user_id,
                col(AuditLog.event_id) == scenario.eid)).scalar_one()

    before = count(posko.user_id)
    get_report(posko, scenario.eid, "csv")
    assert count(posko.user_id) == before + 1
    get_report(pengamat, scenario.eid, "csv")
    assert count(pengamat.user_id) == 0


# ---------------------------------------------------------------- stored daily snapshots, the 500 cap

def test_daily_series_takes_the_stored_end_of_day_snapshot(admin: Api, settings: Any, database: Any) -> None:
    """A day closed by the worker (jobs.close_day) keeps the figures of its end-of-day snapshot even when a
    late, back-dated record changes the past; days without one are computed. The report still equals the
    worker's stored status for the status's as_of."""
    from services.worker import jobs

    start = (now_wib() - timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    scene = build_scene(admin, started_at=start.isoformat())
    sid = scene.shelter["id"]
    p = scene.person(sex="L", birth_date="1980-01-01", shelter_id=sid, registered_at=(start + timedelta(hours=1)).isoformat())
    day1 = start.date()
    jobs.configure(settings)
    assert jobs.close_day(scene.eid, day1.isoformat())["stored"] is True
    # a meal for day 1 arrives late from an offline phone: day 1 is now covered in fact
    for hour in (11, 17):
        _ok(admin.post(f"/events/{scene.eid}/distributions", json={
            "item_code": "makanan_siap_saji", "quantity": 1, "shelter_id": sid,
            "delivered_at": start.replace(hour=hour, minute=30).isoformat()}))
    for kind in ("paket_sandang",):
        _ok(admin.post(f"/events/{scene.eid}/distributions", json={
            "item_code": kind, "quantity": 1, "person_id": p["id"], "delivered_at": (start + timedelta(hours=2)).isoformat()}))
    jobs.recompute(scene.eid)
    status = _ok(admin.get(f"/events/{scene.eid}/status"))
    assert status["seq"] > 0
    rep = get_report(admin, scene.eid, "json", as_of=status["as_of"]).json()
    assert [d["source"] for d in rep["daily"]] == ["stored", "computed", "computed"]
    with read_unit(database) as session:
        stored = {row.local_date: row for row in status_repo.daily(session, scene.eid)}[day1]
    first = rep["daily"][0]
    assert (first["fulfilled"], first["fulfilled_percent"]) == (stored.body["indicator"]["fulfilled"], 0.0)
    assert first["as_of"] == stored.as_of.astimezone(UTC).isoformat()
    # computed at the end of day 1 with today's data it would be 1/1: the late meal covers the day
    with read_unit(database) as session:
        event = session.get(Event, scene.eid)
        end1 = datetime.fromisoformat(first["as_of"])
        assert status_service.compute(session, event, end1, settings.tz)["indicator"]["fulfilled"] == 1
    assert {k: rep["people"][k] for k in status["people"]} == status["people"]
    assert {k: rep["indicator"][k] for k in ("eligible", "fulfilled", "percent")} == {
        k: status["indicator"][k] for k in ("eligible", "fulfilled", "percent")}
    assert [{k: n[k] for k in status["needs"][0]} for n in rep["needs"]] == status["needs"]


def test_pdf_lists_at_most_500_unmet_persons_and_points_to_the_spreadsheets(admin: Api) -> None:
    """520 persons without meals: the PDF lists the first 500 and says 20 more are in the XLSX/CSV, which
    list all 520."""
    scene = build_scene(admin)
    sid = scene.shelter["id"]
    at = (now_wib() - timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    records = [{"type": "person", "event_id": scene.eid,
                "data": {"id": new_id(), "full_name": f"Warga Uji {i:04d}", "sex": "LP"[i % 2],
                         "birth_date": "1990-01-01", "shelter_id": sid, "registered_at": at.isoformat()}}
               for i in range(520)]
    result = _ok(admin.post("/sync", json={"records": records}))
    assert all(x["status"] == "created" for x in result["results"])
    text = pdf_text(get_report(admin, scene.eid, "pdf").content)
    assert "Ditampilkan 500 dari 520 orang; 20 orang lainnya tercantum di berkas XLSX/CSV laporan ini." in text
    listed = set(re.findall(r"Warga Uji (\d{4})", text))
    assert len(listed) == PDF_UNMET_LIMIT
    sheets = read_xlsx(get_report(admin, scene.eid, "xlsx").content)
    assert len(sheets["Belum terpenuhi"]) == 1 + 520
    sec = read_csv_sections(get_report(admin, scene.eid, "csv").content.decode())
    assert len(sec["unmet"]) == 520 and all(u["missing"].startswith("permakanan") for u in sec["unmet"])


def test_the_document_number_counts_the_events_of_the_year_in_start_order(admin: Api) -> None:
    """event.number_in_year is the event's ordinal among the events started in its local year: a later
    event created first is still second; an event of New Year's Eve in WIB belongs to the old year. The PDF
    prints it in the document number."""
    later = _ok(admin.post("/events", json={"id": new_id(), "name": "Kebakaran Pasar Tavip", "kind": "kebakaran_permukiman",
                                            "started_at": wib("2004-03-05 10:00"), "kelurahan_codes": [KELURAHAN]}))
    first = _ok(admin.post("/events", json={"id": new_id(), "name": "Banjir Awal Tahun", "kind": "banjir",
                                            "started_at": wib("2004-01-01 00:30"), "kelurahan_codes": [KELURAHAN]}))
    old_year = _ok(admin.post("/events", json={"id": new_id(), "name": "Banjir Malam Tahun Baru", "kind": "banjir",
                                               "started_at": wib("2003-12-31 23:30"), "kelurahan_codes": [KELURAHAN]}))
    for ev in (later, first, old_year):  # ended a day later: the report's daily series stays short
        end = (datetime.fromisoformat(ev["started_at"]) + timedelta(days=1)).isoformat()
        _ok(admin.patch(f"/events/{ev['id']}", json={"status": "transisi_darurat"}))
        _ok(admin.patch(f"/events/{ev['id']}", json={"status": "selesai", "ended_at": end}))
    numbers = {ev["id"]: get_report(admin, ev["id"], "json").json()["event"]["number_in_year"]
               for ev in (later, first, old_year)}
    assert (numbers[first["id"]], numbers[later["id"]]) == (1, 2)
    assert numbers[old_year["id"]] >= 1 and get_report(admin, old_year["id"], "json").json()["event"]["year"] == 2003
    text = pdf_text(get_report(admin, later["id"], "pdf").content)
    assert re.search(r"Nomor: 460/2/DINSOS/[IVX]+/20\d\d", text), text[:300]


def test_unmet_persons_carry_age_household_and_place_in_json(scenario: Scenario, admin: Api) -> None:
    rep = get_report(admin, scenario.eid, "json").json()
    got = sorted((u["name"], u["age"], u["household_head"], u["shelter_name"], u["kelurahan_name"])
                 for u in rep["unmet"])
    assert got == [(NAMES["P4"], 15, NAMES["P5"], "Masjid Al-Ikhlas Mencirim", "Pahlawan"),
                   (NAMES["P5"], 35, NAMES["P5"], "Masjid Al-Ikhlas Mencirim", "Pahlawan")]
    text = pdf_text(get_report(admin, scenario.eid, "pdf").content)
    annex = text[text.index("LAMPIRAN"):]
    assert "Masjid Al-Ikhlas Mencirim" in annex and "15 th" in annex and "35 th" in annex
    assert scenario.ids["P4"] not in text and scenario.ids["P5"] not in text


# ---------------------------------------------------------------- pure pieces

@pytest.mark.parametrize(("age", "group"), [(None, "tidak_diketahui"), (0, "balita"), (4, "balita"), (5, "anak"),
                                            (17, "anak"), (18, "dewasa"), (59, "dewasa"), (60, "lansia"), (97, "lansia")])
def test_age_groups_follow_the_report_bands(age: int | None, group: str) -> None:
    """0–4 balita, 5–17 anak, 18–59 dewasa, 60+ lansia; exactly 5 is anak and exactly 60 lansia."""
    assert age_group(age) == group


def test_json_answer_is_plain_json_with_a_file_name(scenario: Scenario, admin: Api) -> None:
    r = get_report(admin, scenario.eid, "json")
    assert json.loads(r.content)["report"] == "laporan_pasca_bencana"
    assert "laporan-pasca-bencana-banjir-akhir-tahun-binjai-20260103.json" in r.headers["content-disposition"]


def test_an_event_without_persons_renders_in_every_format(admin: Api) -> None:
    """A fresh event (one shelter, nobody registered yet): empty tables, no indicator, a chart without a line."""
    scene = build_scene(admin)
    for fmt in FORMATS:
        body = get_report(admin, scene.eid, fmt).content
        if fmt == "json":
            rep = json.loads(body)
            assert rep["people"]["registered"] == 0 and rep["indicator"]["percent"] is None
            assert [d["displaced"] for d in rep["daily"]] == [0] * len(rep["daily"]) and len(rep["daily"]) == 3
            assert rep["unmet"] == [] and rep["shelters"][0]["peak_occupancy"] == 0
        elif fmt == "pdf":
            text = pdf_text(body)
            assert "Belum ada korban yang mengungsi" in text
            assert "Belum ada korban yang wajib dilayani." in text
        elif fmt == "xlsx":
            assert read_xlsx(body)["Belum terpenuhi"][1:] == []
        else:
            assert read_csv_sections(body.decode())["unmet"] == []


def test_daily_series_endpoint_has_no_names_and_matches_the_report(admin: Api, pengamat: Api,
                                                                   database: Database) -> None:
    """GET /events/{id}/daily: the report's series for every role that sees the event, no audit row."""
    from sqlmodel import func, select

    from shared.models import AuditLog
    from tests.conftest import build_scene

    sc = build_scene(admin)
    sc.person(shelter_id=sc.shelter["id"], full_name="Nama Rahasia Sekali")
    report = admin.get(f"/events/{sc.eid}/report", params={"format": "json"}).json()
    with read_unit(database) as s:
        before = s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.event_id == sc.eid)).one()
    for api in (admin, pengamat):
        r = api.get(f"/events/{sc.eid}/daily")
        assert r.status_code == 200
        assert "Nama Rahasia" not in r.text
        got = [(d["date"], d["displaced"], d["fulfilled_percent"]) for d in r.json()["items"]]
        assert got == [(d["date"], d["displaced"], d["fulfilled_percent"]) for d in report["daily"]]
    with read_unit(database) as s:
        after = s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.event_id == sc.eid)).one()
    assert after == before
