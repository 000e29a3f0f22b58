"""HXL exports: GET /events/{id}/export.hxl.csv?dataset=shelters|persons_summary|distributions.

Each export is read back with libhxl (`hxl.data`), validated against a schema of the columns it must
have (types, required values) and against libhxl's built-in schema, and its numbers are checked
against the hand-computed two-year scenario of test_event_report.py (31 Dec 2025 – 3 Jan 2026).

libhxl 5.2.2 imports `six` but does not declare it, and python-dateutil 4 no longer brings it in:
when `six` is missing, the one name libhxl uses from it (`string_types`) is provided here.
"""

from __future__ import annotations

import csv
import io
import sys
import types
from typing import Any

import pytest

try:
    import six  # noqa: F401
except ImportError:  # see the module docstring
    sys.modules["six"] = types.SimpleNamespace(string_types=(str,))  # type: ignore[assignment]

import hxl  # noqa: E402

from tests.conftest import KELURAHAN, KELURAHAN_2, Api, add_member, new_id  # noqa: E402
from tests.shared.reports.test_event_report import NAMES, Scenario, build_two_year_scenario, wib  # noqa: E402

KEC, KEC_2 = KELURAHAN.rsplit(".", 1)[0], KELURAHAN_2.rsplit(".", 1)[0]


@pytest.fixture(scope="module")
def scenario(admin: Api) -> Scenario:
    return build_two_year_scenario(admin)


def export(api: Api, eid: str, dataset: str, **params: str) -> Any:
    r = api.get(f"/events/{eid}/export.hxl.csv", params={"dataset": dataset, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f"-{dataset}-" in r.headers["content-disposition"] and ".hxl.csv" in r.headers["content-disposition"]
    return r


def parse(body: bytes) -> Any:
    """The export as a libhxl dataset (cached, so it can be read more than once)."""
    return hxl.data(io.BytesIO(body)).cache()


def validate(dataset: Any, rules: list[list[str]]) -> list[tuple[str, Any, str]]:
    """Errors of `dataset` against a schema given as rows (#valid_tag, #valid_datatype, #valid_required)."""
    errors: list[Any] = []
    schema = hxl.schema([["#valid_tag", "#valid_datatype", "#valid_required", "#valid_value+min"], *rules],
                        callback=errors.append)
    schema.validate(dataset)
    return [(e.message, e.value, str(e.rule.tag_pattern)) for e in errors]


def rows(dataset: Any) -> list[dict[str, str]]:
    """Each data row as {display tag: value}."""
    tags = [c.display_tag for c in dataset.columns]
    return [dict(zip(tags, row.values, strict=True)) for row in dataset]


def assert_valid_hxl(body: bytes, headings: list[str]) -> Any:
    """Row 1 is the Indonesian headings, row 2 the hashtags, libhxl recognises every column, and the
    built-in HXL schema finds nothing wrong."""
    first, second = list(csv.reader(io.StringIO(body.decode("utf-8"))))[:2]
    assert first[: len(headings)] == headings
    ds = parse(body)
    assert all(c.display_tag and c.display_tag.startswith("#") for c in ds.columns)
    assert [c.header for c in ds.columns] == first
    assert [c.display_tag for c in ds.columns] == second
    report = hxl.validate(io.BytesIO(body))
    assert report["is_valid"], report["issues"]
    return ds


# ---------------------------------------------------------------- shelters

def test_shelters_export_parses_validates_and_counts_occupants(scenario: Scenario, admin: Api) -> None:
    """At the event's end: A holds P2 P3 P4 P5 P6 (3 women, 2 men; one each balita, anak, dewasa, lansia and
    one of unknown age); B is closed and empty. Region codes and names go up to the kota."""
    ds = assert_valid_hxl(export(admin, scenario.eid, "shelters").content, ["Nama tempat penampungan", "Jenis"])
    assert validate(ds, [["#loc+name", "", "true", ""], ["#adm4+code", "", "true", ""], ["#adm2+code", "", "true", ""],
                         ["#geo", "number", "", ""], ["#date+opened", "date", "true", ""], ["#date+closed", "date", "", ""],
                         ["#capacity", "number", "true", "1"], ["#affected+idps", "number", "true", "0"]]) == []
    by_name = {r["#loc+name"]: r for r in rows(ds)}
    a, b = by_name["Masjid Al-Ikhlas Mencirim"], by_name["SD Negeri 020 Pahlawan"]
    assert (a["#adm4+code"], a["#adm4+name"], a["#adm3+code"], a["#adm3+name"], a["#adm2+code"], a["#adm2+name"]) == (
        KELURAHAN, "Mencirim", KEC, "Binjai Timur", "12.75", "Kota Binjai")
    assert (float(a["#geo+lat"]), float(a["#geo+lon"]), a["#loc+type"]) == (3.6123, 98.5012, "rumah_ibadah")
    assert (a["#date+opened"], a["#date+closed"], int(a["#capacity+ind"])) == ("2025-12-31", "", 10)
    counts = {tag: int(v) for tag, v in a.items() if tag.startswith("#affected")}
    assert counts == {"#affected+idps+ind": 5, "#affected+idps+f": 3, "#affected+idps+m": 2,
                      "#affected+idps+children+age0_4": 1, "#affected+idps+children+age5_17": 1,
                      "#affected+idps+adults+age18_59": 1, "#affected+idps+elderly+age60plus": 1,
                      "#affected+idps+unknown_age": 1}
    assert (b["#adm4+code"], b["#adm3+name"], b["#date+opened"], b["#date+closed"]) == (
        KELURAHAN_2, "Binjai Utara", "2026-01-01", "2026-01-02")
    assert (b["#geo+lat"], int(b["#capacity+ind"]), int(b["#affected+idps+ind"])) == ("", 5, 0)
    # libhxl's tag patterns sum the age bands back to the occupants, and children to balita + anak
    row_a = next(iter(ds.with_rows("#loc+name=Masjid Al-Ikhlas Mencirim")))
    assert sum(int(v) for v in row_a.get_all("#affected+children")) == 2  # balita + anak
    bands = [int(v) for v in row_a.get_all("#affected+idps") if v][3:]  # after ind, f, m: the age bands
    assert sum(bands) == int(row_a.get("#affected+idps+ind"))


def test_shelters_export_at_an_earlier_as_of(scenario: Scenario, admin: Api) -> None:
    """At 1 Jan 2026 12:00 WIB: A holds P1 P2 P3 P6, B holds P4 P5; B is not closed yet."""
    ds = parse(export(admin, scenario.eid, "shelters", as_of=wib("2026-01-01 12:00")).content)
    got = {r["#loc+name"]: (int(r["#affected+idps+ind"]), int(r["#affected+idps+f"]), int(r["#affected+idps+m"]),
                            r["#date+closed"]) for r in rows(ds)}
    assert got == {"Masjid Al-Ikhlas Mencirim": (4, 2, 2, ""), "SD Negeri 020 Pahlawan": (2, 1, 1, "")}


# ---------------------------------------------------------------- persons summary

def test_persons_summary_counts_per_kelurahan_without_personal_data(scenario: Scenario, admin: Api) -> None:
    """One row per kelurahan of the households (and one for persons without): registered, displaced (by sex),
    returned, affected, injured, missing, killed, and everyone by sex and age group."""
    r = export(admin, scenario.eid, "persons_summary")
    ds = assert_valid_hxl(r.content, ["Kode kelurahan", "Kelurahan"])
    assert validate(ds, [["#adm4+name", "", "true", ""], ["#affected", "number", "true", "0"]]) == []
    got = {row["#adm4+code"]: {t: int(v) for t, v in row.items() if t.startswith("#affected")} for row in rows(ds)}
    assert list(got) == [KELURAHAN, KELURAHAN_2, ""]
    assert got[KELURAHAN] == {
        "#affected+ind": 3, "#affected+idps+ind": 2, "#affected+idps+f": 2, "#affected+idps+m": 0,
        "#affected+returnees+ind": 1, "#affected+nondisplaced+ind": 0, "#affected+injured+ind": 0,
        "#affected+missing+ind": 0, "#affected+killed+ind": 0, "#affected+f": 2, "#affected+m": 1,
        "#affected+children+age0_4": 1, "#affected+children+age5_17": 0, "#affected+adults+age18_59": 1,
        "#affected+elderly+age60plus": 1, "#affected+unknown_age": 0}
    assert {k: got[KELURAHAN_2][k] for k in ("#affected+ind", "#affected+idps+ind", "#affected+idps+f",
                                             "#affected+idps+m", "#affected+children+age5_17")} == {
        "#affected+ind": 2, "#affected+idps+ind": 2, "#affected+idps+f": 1, "#affected+idps+m": 1,
        "#affected+children+age5_17": 1}
    assert {k: got[""][k] for k in ("#affected+ind", "#affected+idps+ind", "#affected+nondisplaced+ind",
                                    "#affected+injured+ind", "#affected+missing+ind", "#affected+unknown_age")} == {
        "#affected+ind": 3, "#affected+idps+ind": 1, "#affected+nondisplaced+ind": 1, "#affected+injured+ind": 1,
        "#affected+missing+ind": 1, "#affected+unknown_age": 1}
    # the totals agree with the status snapshot
    status = admin.get(f"/events/{scenario.eid}/status").json()["people"]
    assert sum(g["#affected+ind"] for g in got.values()) == status["registered"]
    assert sum(g["#affected+idps+ind"] for g in got.values()) == status["displaced_now"]
    assert sum(g["#affected+returnees+ind"] for g in got.values()) == status["returned"]
    assert sum(g["#affected+nondisplaced+ind"] for g in got.values()) == status["affected"]
    assert sum(g["#affected+f"] for g in got.values()) == status["by_sex"]["P"]
    assert [row["#adm4+name"] for row in rows(ds)] == ["Mencirim", "Pahlawan", "Tidak diketahui"]


# ---------------------------------------------------------------- distributions

def test_distributions_export_one_row_per_delivery_with_persons_reached(scenario: Scenario, admin: Api) -> None:
    """13 deliveries, oldest first, in local dates (the 06:15 WIB meal of 1 Jan is 31 Dec in UTC); persons
    reached: occupants at that moment for a shelter, members for a household, 1 for a person."""
    ds = assert_valid_hxl(export(admin, scenario.eid, "distributions").content, ["Tanggal", "Waktu penyaluran"])
    assert validate(ds, [["#date-delivered", "date", "true", ""], ["#item+code", "", "true", ""],
                         ["#output+num", "number", "true", "0"], ["#reached", "number", "true", "0"]]) == []
    data = rows(ds)
    assert len(data) == 13
    assert [r["#date+delivered"] for r in data] == sorted(r["#date+delivered"] for r in data)
    totals: dict[str, float] = {}
    for r in data:
        totals[r["#item+code"]] = totals.get(r["#item+code"], 0) + float(r["#output+num"])
    assert totals == {"makanan_siap_saji": 49, "air_minum": 40, "paket_sandang": 6, "uang_tunai": 500000}
    by_time = {(r["#date+delivered"], r["#item+code"], r["#loc+name"]): r for r in data}
    assert len(by_time) == 13
    a, b = "Masjid Al-Ikhlas Mencirim", "SD Negeri 020 Pahlawan"
    early = by_time[("2026-01-01T06:15+07:00", "makanan_siap_saji", a)]
    assert (early["#date"], early["#loc+name"], early["#adm4+code"], early["#output+num"], early["#output+unit"],
            early["#beneficiary+type"], early["#reached+ind"]) == (
        "2026-01-01", "Masjid Al-Ikhlas Mencirim", KELURAHAN, "5", "porsi", "tempat_penampungan", "4")
    assert by_time[("2026-01-01T08:00+07:00", "air_minum", a)]["#reached+ind"] == "5"  # P8 leaves at 10:00
    assert by_time[("2026-01-03T06:45+07:00", "makanan_siap_saji", a)]["#reached+ind"] == "6"
    assert by_time[("2026-01-02T06:30+07:00", "makanan_siap_saji", a)]["#reached+ind"] == "4"
    b_meal = by_time[("2026-01-02T06:30+07:00", "makanan_siap_saji", b)]
    assert (b_meal["#output+num"], b_meal["#reached+ind"], b_meal["#adm4+code"]) == ("1", "2", KELURAHAN_2)
    cash = by_time[("2026-01-02T14:00+07:00", "uang_tunai", "")]
    assert (cash["#beneficiary+type"], cash["#reached+ind"], cash["#adm4+code"], cash["#adm4+name"], cash["#loc+name"]) == (
        "keluarga", "2", KELURAHAN_2, "Pahlawan", "")
    h1 = by_time[("2025-12-31T19:00+07:00", "paket_sandang", "")]
    assert (h1["#date"], h1["#beneficiary+type"], h1["#reached+ind"], h1["#adm4+code"]) == ("2025-12-31", "keluarga", "3",
                                                                                             KELURAHAN)
    single = by_time[("2026-01-01T07:00+07:00", "paket_sandang", "")]  # P6: no household, no shelter
    assert (single["#beneficiary+type"], single["#reached+ind"], single["#adm4+code"]) == ("orang", "1", "")
    years = {r["#date"][:4] for r in data}
    assert years == {"2025", "2026"}


# ---------------------------------------------------------------- who may fetch them

def test_pengamat_gets_every_dataset_without_personal_data(scenario: Scenario, pengamat: Api) -> None:
    """Observers get the exports; none carries a name, NIK, person or household id."""
    for dataset in ("shelters", "persons_summary", "distributions"):
        text = export(pengamat, scenario.eid, dataset).content.decode()
        assert len(parse(text.encode()).cache().values) > 0
        for name in NAMES.values():
            assert name not in text, dataset
        for key, value in scenario.ids.items():
            if key.startswith(("P", "H")):
                assert value not in text, (dataset, key)
        for nik in scenario.niks:
            assert nik not in text, dataset


def test_relawan_outside_the_event_gets_404(scenario: Scenario, admin: Api, relawan: Api) -> None:
    """A relawan who is not a member gets 404 for every dataset; a member gets them."""
    for dataset in ("shelters", "persons_summary", "distributions"):
        r = relawan.get(f"/events/{scenario.eid}/export.hxl.csv", params={"dataset": dataset})
        assert r.status_code == 404, (dataset, r.text)
    assert relawan.get(f"/events/{new_id()}/export.hxl.csv", params={"dataset": "shelters"}).status_code == 404
    add_member(admin, scenario.eid, relawan.user_id)
    assert len(rows(parse(export(relawan, scenario.eid, "shelters").content))) == 2


def test_unknown_or_missing_dataset_is_422(scenario: Scenario, admin: Api, anon: Api) -> None:
    assert admin.get(f"/events/{scenario.eid}/export.hxl.csv", params={"dataset": "persons"}).status_code == 422
    assert admin.get(f"/events/{scenario.eid}/export.hxl.csv").status_code == 422
    assert anon.get(f"/events/{scenario.eid}/export.hxl.csv", params={"dataset": "shelters"}).status_code == 401
