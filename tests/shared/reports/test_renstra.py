"""The Renstra indicator report (issue 5, part 2): year attribution in local time, every computed
indicator checked against a hand-computed two-year scenario, targets/pagu (seeded and edited),
manual values, every format opened with its own reader, and who may read or edit.

The scenario lives in 2019 and 2020, years no other test writes into (tests share one database per
backend; other tests use the current year). Times are WIB (UTC+7); meal times 07:00, 12:00, 18:00.

Year 2019
  E1 "Banjir Tanah Seribu", started 30 Dec 2019 08:00, selesai 1 Jan 2020 20:00 (as_of = its end)
    S1, S2 opened 30 Dec; S3 opened 2 Jan 2020 (after the end: not counted)
    H1: A (adult, 10:00, S1), B (born 2017: balita, 10:05, S1), C (born 1950: lansia, 10:10, no stay)
    H2: D (needs psychosocial, 11:00, S2), E (meninggal, 11:05, S2);  F (ibu_hamil, 13:00, S2, by relawan R1)
    S1 stays end 31 Dec 06:00; S2 stays end 30 Dec 19:00
    meals: S1 30 Dec due 4 (A, B at 12:00 and 18:00), delivered 4 → covered
           S2 30 Dec due 5 (D, E at 12:00; D, E, F at 18:00), delivered 4 → not covered (D, F miss)
    paket_sandang: H1 household 2 (→ A, B), C 1, D 1
    services: B penanganan_khusus, C penanganan_khusus, A psikososial, D psikososial,
              F psikososial on 2 Jan 2020 (after the end: ignored)
    uang_tunai: A, B person-level; H2 household-level (D, E); F on 2 Jan 2020 by relawan R3 (after the end)
    eligible A, B, D, F; fulfilled A, B
  E2 "Kebakaran Malam Tahun Baru", started 31 Dec 2019 23:30 (16:30 UTC), selesai 1 Jan 2020 18:00
    S4; G (23:45), H (hilang, 23:50), stays to 1 Jan 13:00; meals 1 Jan due 4, delivered 4
    G: paket_sandang 1, uang_tunai 1 (delivered on 1 Jan 2020, still counted for 2019: the event's year)
    eligible G; fulfilled G
  → ikk5 3/5 = 60; pemulihan_sosial 3/7 = 42.86 (A, B, D of A, B, D, E, F, G, H); makanan 3 (A, B, G);
    sandang 5 (A, B, C, D, G); penanganan_khusus_rentan 2 (B, C); psikososial 2 (A, D);
    tempat_penampungan 3 (S1, S2, S4); uang_tunai 5 (A, B, D, E, G); taruna 1 (R1)

Year 2020
  E3 "Banjir Dini Hari", started 1 Jan 2020 00:30 (31 Dec 2019 17:30 UTC: a UTC year would say 2019)
    S5; H3 by relawan R2: I (born 2018: balita, 01:00), J (ibu_menyusui, needs psychosocial, 01:05),
    K (01:10), stays to 1 Jan 15:00; meals due 6, delivered 6; H3 paket_sandang 2 (→ I, J), K 1;
    I, J penanganan_khusus; J psikososial; H3 uang_tunai (I, J, K); selesai 1 Jan 2020 20:00
    eligible 3, fulfilled 3
  E4 "Longsor Awal Tahun", started 2 Jan 2020 10:00, still open (as_of = now); S6, S7, S8
    L (10:30 to 19:00; psikososial), M (luka, 10:40 to 11:30; paket_sandang 2; psikososial),
    O (10:50 to 11:40; penanganan_khusus though not vulnerable), N (no stay; paket_sandang 1, uang_tunai)
    S6 2 Jan due 2 (L at 12:00, 18:00), delivered 1 → L misses permakanan; M, O were at no meal time
    eligible L, M, O; fulfilled M
  → ikk5 4/6 = 66.67; pemulihan 5/6 = 83.33; makanan 5 (I, J, K, M, O); sandang 5 (I, J, K, M, N);
    penanganan_khusus_rentan 2 (I, J); psikososial 3 (J, L, M); tempat_penampungan 4; uang_tunai 4;
    taruna 2 (R2, and R3 whose only record is dated 2 Jan 2020; R4 recorded in 2020 but is deactivated)
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pypdf
import pytest
from sqlmodel import select

from shared.db import read_unit
from shared.models import RenstraTarget
from shared.reports.render import render_renstra_report
from shared.reports.renstra import build_renstra_report
from shared.seed import load_json, seed_reference
from tests.conftest import (
    KELURAHAN,
    WIB,
    Api,
    add_member,
    fresh_nik,
    household_body,
    new_id,
    shelter_body,
)

Y1, Y2 = 2019, 2020
SEED_YEAR = 2027  # targets/pagu straight from the seed: no test edits this year
EDIT_YEAR = 2028  # edited by test_put_target_upserts_and_keeps_what_is_not_sent only


def wib(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> str:
    return datetime(y, mo, d, h, mi, tzinfo=WIB).isoformat()


# computed from the office registers (tests/shared/reports/test_renstra_registers.py): nothing recorded in these years
REGISTER_ZEROS = {"kampung_siaga_bencana": 0, "kapasitas_relawan_tagana_muda": 0, "ksb_lumbung_sosial": 0,
                  "kompetensi_tagana": 0, "edukasi_anak_sekolah": 0, "penyuluhan_kie": 0}

EXPECTED = {
    Y1: {
        "ikk5_kebutuhan_dasar_terpenuhi": 60, "pemulihan_sosial": 42.86, "penyediaan_makanan": 3,
        "penyediaan_sandang": 5, "penanganan_khusus_rentan": 2, "dukungan_psikososial": 2,
        "tempat_penampungan": 3, "bantuan_uang_tunai": 5, "taruna_siaga_bencana": 1, **REGISTER_ZEROS,
    },
    Y2: {
        "ikk5_kebutuhan_dasar_terpenuhi": 66.67, "pemulihan_sosial": 83.33, "penyediaan_makanan": 5,
        "penyediaan_sandang": 5, "penanganan_khusus_rentan": 2, "dukungan_psikososial": 3,
        "tempat_penampungan": 4, "bantuan_uang_tunai": 4, "taruna_siaga_bencana": 2, **REGISTER_ZEROS,
    },
}
MANUAL_CODES = ("kesiapsiagaan_masyarakat", "pelopor_perdamaian", "monev_keserasian_sosial", "pemetaan_rawan_konflik")
PERSON_NAMES = ("Zulkarnain Tarigan", "Butet Sembiring", "Cahaya Ginting", "Darmawan Sitepu", "Erna Barus",
                "Fitri Perangin-angin", "Gunawan Karo-karo", "Hotma Purba", "Intan Bangun", "Juwita Surbakti",
                "Kristian Milala", "Lestari Pinem", "Mangara Tambun", "Nurhaliza Keliat", "Oloan Sinulingga")

# targets/pagu put for 2019 by the scenario (the seed has none before 2025)
TARGETS_2019 = {
    "ikk5_kebutuhan_dasar_terpenuhi": (100, 200_000_000),
    "penyediaan_makanan": (7, 484_613_267),
    "monev_keserasian_sosial": (1, 250_000_000),
    "tempat_penampungan": (0, 100_000_000),
}


# ---- building the scenario through the API ---------------------------------------------------------

def ok(r: Any, *codes: int) -> dict[str, Any]:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


class Builder:
    def __init__(self, admin: Api) -> None:
        self.admin = admin
        self.ids: dict[str, str] = {}

    def event(self, key: str, name: str, started: str, kind: str = "banjir") -> str:
        body = {"id": new_id(), "name": name, "kind": kind, "started_at": started, "kelurahan_codes": [KELURAHAN]}
        self.ids[key] = ok(self.admin.post("/events", json=body), 201)["id"]
        return self.ids[key]

    def shelter(self, key: str, event: str, opened: str) -> str:
        body = shelter_body(name=f"Posko {key}", opened_at=opened)
        self.ids[key] = ok(self.admin.post(f"/events/{self.ids[event]}/shelters", json=body), 201)["id"]
        return self.ids[key]

    def household(self, key: str, event: str, api: Api | None = None) -> str:
        r = (api or self.admin).post(f"/events/{self.ids[event]}/households", json=household_body(head_name=f"KK {key}"))
        self.ids[key] = ok(r, 201)["id"]
        return self.ids[key]

    def person(self, key: str, event: str, name: str, at: str, *, api: Api | None = None, shelter: str | None = None,
               household: str | None = None, sex: str = "L", birth: str = "1980-04-02", **extra: Any) -> str:
        body: dict[str, Any] = {"id": new_id(), "full_name": name, "sex": sex, "birth_date": birth,
                                "registered_at": at, "nik": fresh_nik(female=sex == "P", born=birth), **extra}
        if shelter:
            body["shelter_id"] = self.ids[shelter]
        if household:
            body["household_id"] = self.ids[household]
        self.ids[key] = ok((api or self.admin).post(f"/events/{self.ids[event]}/persons", json=body), 201)["id"]
        return self.ids[key]

    def check_out(self, key: str, at: str) -> None:
        ok(self.admin.post(f"/persons/{self.ids[key]}/check-out", json={"at": at}), 200)

    def give(self, event: str, item: str, qty: float, at: str, *, api: Api | None = None, **to: str) -> None:
        body: dict[str, Any] = {"id": new_id(), "item_code": item, "quantity": qty, "delivered_at": at}
        for field, key in to.items():
            body[field] = self.ids[key]
        ok((api or self.admin).post(f"/events/{self.ids[event]}/distributions", json=body), 201)

    def service(self, event: str, person: str, kind: str, at: str) -> None:
        body = {"id": new_id(), "person_id": self.ids[person], "kind": kind, "delivered_at": at}
        ok(self.admin.post(f"/events/{self.ids[event]}/services", json=body), 201)

    def close(self, event: str, ended: str) -> None:
        ok(self.admin.patch(f"/events/{self.ids[event]}", json={"status": "selesai", "ended_at": ended}), 200)


@pytest.fixture(scope="module")
def scenario(admin: Api, make_api: Any) -> dict[str, str]:
    """The two-year scenario of the module docstring; returns the ids by key."""
    b = Builder(admin)
    r1, r2, r3, r4 = (make_api("relawan") for _ in range(4))

    # ---- 2019: E1 ----
    b.event("E1", "Banjir Tanah Seribu", wib(2019, 12, 30, 8))
    for user in (r1, r3):
        add_member(admin, b.ids["E1"], user.user_id)
    b.shelter("S1", "E1", wib(2019, 12, 30, 8))
    b.shelter("S2", "E1", wib(2019, 12, 30, 9))
    b.shelter("S3", "E1", wib(2020, 1, 2, 9))  # opened after E1 ended
    b.household("H1", "E1")
    b.household("H2", "E1")
    b.person("A", "E1", PERSON_NAMES[0], wib(2019, 12, 30, 10), shelter="S1", household="H1")
    b.person("B", "E1", PERSON_NAMES[1], wib(2019, 12, 30, 10, 5), shelter="S1", household="H1", sex="P",
             birth="2017-06-01")
    b.person("C", "E1", PERSON_NAMES[2], wib(2019, 12, 30, 10, 10), household="H1", sex="P", birth="1950-01-01")
    b.person("D", "E1", PERSON_NAMES[3], wib(2019, 12, 30, 11), shelter="S2", household="H2", birth="1985-03-03",
             needs_psychosocial=True)
    b.person("E", "E1", PERSON_NAMES[4], wib(2019, 12, 30, 11, 5), shelter="S2", household="H2", sex="P",
             birth="1985-07-07")
    ok(admin.patch(f"/persons/{b.ids['E']}", json={"condition": "meninggal"}), 200)
    b.person("F", "E1", PERSON_NAMES[5], wib(2019, 12, 30, 13), api=r1, shelter="S2", sex="P", birth="1990-01-01",
             vulnerabilities=["ibu_hamil"])
    for key in ("A", "B"):
        b.check_out(key, wib(2019, 12, 31, 6))
    for key in ("D", "E", "F"):
        b.check_out(key, wib(2019, 12, 30, 19))
    b.give("E1", "makanan_siap_saji", 4, wib(2019, 12, 30, 12, 30), shelter_id="S1")
    b.give("E1", "makanan_siap_saji", 4, wib(2019, 12, 30, 12, 30), shelter_id="S2")
    b.give("E1", "paket_sandang", 2, wib(2019, 12, 30, 14), household_id="H1")
    b.give("E1", "paket_sandang", 1, wib(2019, 12, 30, 14), person_id="C")
    b.give("E1", "paket_sandang", 1, wib(2019, 12, 30, 14), person_id="D")
    b.service("E1", "B", "penanganan_khusus", wib(2019, 12, 30, 15))
    b.service("E1", "C", "penanganan_khusus", wib(2019, 12, 30, 15))
    b.service("E1", "A", "psikososial", wib(2019, 12, 30, 16))
    b.service("E1", "D", "psikososial", wib(2019, 12, 30, 16))
    b.service("E1", "F", "psikososial", wib(2020, 1, 2, 10))  # after E1's end
    b.give("E1", "uang_tunai", 500_000, wib(2019, 12, 31, 9), person_id="A")
    b.give("E1", "uang_tunai", 500_000, wib(2019, 12, 31, 9), person_id="B")
    b.give("E1", "uang_tunai", 1_000_000, wib(2019, 12, 31, 9), household_id="H2")
    b.give("E1", "uang_tunai", 500_000, wib(2020, 1, 2, 10), api=r3, person_id="F")  # after E1's end

    # ---- 2019: E2, started 23:30 local on 31 December ----
    b.event("E2", "Kebakaran Malam Tahun Baru", wib(2019, 12, 31, 23, 30), kind="kebakaran_permukiman")
    b.shelter("S4", "E2", wib(2019, 12, 31, 23, 30))
    b.person("G", "E2", PERSON_NAMES[6], wib(2019, 12, 31, 23, 45), shelter="S4")
    b.person("H", "E2", PERSON_NAMES[7], wib(2019, 12, 31, 23, 50), shelter="S4", sex="P", birth="1979-09-09",
             condition="hilang")
    for key in ("G", "H"):
        b.check_out(key, wib(2020, 1, 1, 13))
    b.give("E2", "makanan_siap_saji", 4, wib(2020, 1, 1, 6, 30), shelter_id="S4")
    b.give("E2", "paket_sandang", 1, wib(2020, 1, 1, 8), person_id="G")
    b.give("E2", "uang_tunai", 250_000, wib(2020, 1, 1, 9), person_id="G")

    # ---- 2020: E3, started 00:30 local on 1 January (still 31 December in UTC) ----
    b.event("E3", "Banjir Dini Hari", wib(2020, 1, 1, 0, 30))
    add_member(admin, b.ids["E3"], r2.user_id)
    b.shelter("S5", "E3", wib(2020, 1, 1, 0, 30))
    b.household("H3", "E3", api=r2)
    b.person("I", "E3", PERSON_NAMES[8], wib(2020, 1, 1, 1), api=r2, shelter="S5", household="H3", birth="2018-03-01")
    b.person("J", "E3", PERSON_NAMES[9], wib(2020, 1, 1, 1, 5), api=r2, shelter="S5", household="H3", sex="P",
             birth="1992-02-02", vulnerabilities=["ibu_menyusui"], needs_psychosocial=True)
    b.person("K", "E3", PERSON_NAMES[10], wib(2020, 1, 1, 1, 10), api=r2, shelter="S5", household="H3",
             birth="1990-10-10")
    for key in ("I", "J", "K"):
        b.check_out(key, wib(2020, 1, 1, 15))
    b.give("E3", "makanan_siap_saji", 6, wib(2020, 1, 1, 11), shelter_id="S5")
    b.give("E3", "paket_sandang", 2, wib(2020, 1, 1, 12), household_id="H3")
    b.give("E3", "paket_sandang", 1, wib(2020, 1, 1, 12), person_id="K")
    b.service("E3", "I", "penanganan_khusus", wib(2020, 1, 1, 13))
    b.service("E3", "J", "penanganan_khusus", wib(2020, 1, 1, 13))
    b.service("E3", "J", "psikososial", wib(2020, 1, 1, 14))
    b.give("E3", "uang_tunai", 900_000, wib(2020, 1, 1, 14), household_id="H3")

    # ---- 2020: E4, still open ----
    b.event("E4", "Longsor Awal Tahun", wib(2020, 1, 2, 10), kind="tanah_longsor")
    add_member(admin, b.ids["E4"], r4.user_id)
    b.shelter("S6", "E4", wib(2020, 1, 2, 10))
    b.shelter("S7", "E4", wib(2020, 1, 2, 11))
    b.shelter("S8", "E4", wib(2020, 1, 2, 12))
    b.person("L", "E4", PERSON_NAMES[11], wib(2020, 1, 2, 10, 30), shelter="S6", sex="P", birth="1988-08-08")
    b.person("M", "E4", PERSON_NAMES[12], wib(2020, 1, 2, 10, 40), shelter="S6", birth="1987-07-17", condition="luka")
    b.person("O", "E4", PERSON_NAMES[14], wib(2020, 1, 2, 10, 50), shelter="S6", birth="1986-06-16")
    b.person("N", "E4", PERSON_NAMES[13], wib(2020, 1, 2, 11), api=r4, sex="P", birth="1989-09-19")
    b.check_out("L", wib(2020, 1, 2, 19))
    b.check_out("M", wib(2020, 1, 2, 11, 30))
    b.check_out("O", wib(2020, 1, 2, 11, 40))
    b.give("E4", "makanan_siap_saji", 1, wib(2020, 1, 2, 12), shelter_id="S6")
    b.give("E4", "paket_sandang", 2, wib(2020, 1, 2, 13), person_id="M")
    b.give("E4", "paket_sandang", 1, wib(2020, 1, 2, 13), person_id="N")
    b.service("E4", "L", "psikososial", wib(2020, 1, 2, 14))
    b.service("E4", "M", "psikososial", wib(2020, 1, 2, 14))
    b.service("E4", "O", "penanganan_khusus", wib(2020, 1, 2, 14))
    b.give("E4", "uang_tunai", 300_000, wib(2020, 1, 2, 15), person_id="N")
    ok(admin.patch(f"/users/{r4.user_id}", json={"is_active": False}), 200)  # R4 no longer counts

    for event, ended in (("E1", wib(2020, 1, 1, 20)), ("E2", wib(2020, 1, 1, 18)), ("E3", wib(2020, 1, 1, 20))):
        b.close(event, ended)
    for code, (target, pagu) in TARGETS_2019.items():
        ok(admin.put("/reports/renstra/targets",
                     json={"year": Y1, "indicator_code": code, "target": target, "pagu": pagu}), 200)
    ok(admin.put("/reports/renstra/manual", json={"year": Y1, "indicator_code": "monev_keserasian_sosial", "value": 1}),
       200)
    ok(admin.put("/reports/renstra/manual", json={"year": Y1, "indicator_code": "pelopor_perdamaian", "value": 4}),
       200)
    return b.ids


def report(api: Api, year: int) -> dict[str, Any]:
    r = api.get("/reports/renstra", params={"year": year})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def rows(rep: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in rep["indicators"]}


def fetch(api: Api, year: int, fmt: str) -> Any:
    r = api.get("/reports/renstra", params={"year": year, "format": fmt})
    assert r.status_code == 200, r.text
    return r


# ---- computed indicators --------------------------------------------------------------------------------

@pytest.mark.parametrize("year", [Y1, Y2])
def test_computed_indicators_match_the_hand_computed_scenario(scenario: dict[str, str], posko: Api, year: int) -> None:
    """Every computed indicator follows its `computed` sentence, over the events that started in the
    year in local time, each evaluated at its end (or now)."""
    got = rows(report(posko, year))
    for code, value in EXPECTED[year].items():
        assert got[code]["realisation"] == value, (code, got[code])
        assert got[code]["source"] == "computed", code


def test_events_are_attributed_by_their_local_start_year(scenario: dict[str, str], pengamat: Api) -> None:
    """31 Dec 23:30 WIB belongs to 2019; 1 Jan 00:30 WIB (31 Dec 17:30 UTC) belongs to 2020."""
    ids = {year: [e["id"] for e in report(pengamat, year)["events"]] for year in (Y1, Y2)}
    assert ids[Y1] == [scenario["E1"], scenario["E2"]]
    assert ids[Y2] == [scenario["E3"], scenario["E4"]]


def test_each_event_is_evaluated_at_its_end_or_now(scenario: dict[str, str], admin: Api) -> None:
    """A selesai event stops at ended_at; an open one is evaluated now."""
    events = {e["id"]: e for e in report(admin, Y1)["events"] + report(admin, Y2)["events"]}
    e1 = events[scenario["E1"]]
    assert datetime.fromisoformat(e1["as_of"]) == datetime(2020, 1, 1, 20, tzinfo=WIB)
    assert (e1["eligible"], e1["fulfilled"], e1["percent"]) == (4, 2, 50.0)
    e4 = events[scenario["E4"]]
    assert abs(datetime.fromisoformat(e4["as_of"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert (e4["eligible"], e4["fulfilled"]) == (3, 1)


@pytest.mark.parametrize("year", [Y1, Y2])
def test_basic_needs_and_meals_equal_the_sum_of_the_status_snapshots(scenario: dict[str, str], admin: Api,
                                                                     year: int) -> None:
    """ikk5 = Σ fulfilled / Σ eligible and penyediaan_makanan = Σ permakanan fulfilled of the events' snapshots."""
    rep = report(admin, year)
    snaps = [ok(admin.get(f"/events/{e['id']}/status"), 200) for e in rep["events"]]
    eligible = sum(s["indicator"]["eligible"] for s in snaps)
    fulfilled = sum(s["indicator"]["fulfilled"] for s in snaps)
    got = rows(rep)
    assert got["ikk5_kebutuhan_dasar_terpenuhi"]["detail"] == {"fulfilled": fulfilled, "eligible": eligible}
    assert got["ikk5_kebutuhan_dasar_terpenuhi"]["realisation"] == round(fulfilled / eligible * 100, 2)
    assert got["penyediaan_makanan"]["realisation"] == sum(
        s["indicator"]["services"]["permakanan"]["fulfilled"] for s in snaps)


def test_build_function_matches_the_endpoint_and_renders_every_format(scenario: dict[str, str], admin: Api,
                                                                      database: Any) -> None:
    """The CLI's entry points: build_renstra_report(session, year, tz, now) and render_renstra_report."""
    calls: list[tuple[int, int]] = []
    with read_unit(database) as session:
        rep = build_renstra_report(session, Y1, WIB, datetime.now(UTC), progress=lambda done, total: calls.append(
            (done, total)))
    assert calls == [(0, 2), (1, 2), (2, 2)]  # the CLI's progress bar: one step per event of the year
    assert [r["code"] for r in rep["indicators"]] == [r["code"] for r in report(admin, Y1)["indicators"]]
    assert {r["code"]: r["realisation"] for r in rep["indicators"]} == {
        r["code"]: r["realisation"] for r in report(admin, Y1)["indicators"]}
    for fmt, media in (("json", "application/json"), ("csv", "text/csv"), ("pdf", "application/pdf"),
                       ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        body, media_type, name = render_renstra_report(rep, fmt)
        assert media_type.startswith(media) and name == f"renstra-penanganan-bencana-{Y1}.{fmt}" and body
    with pytest.raises(ValueError):
        render_renstra_report(rep, "docx")


def test_year_without_events_has_zero_counts_and_no_percentages(admin: Api) -> None:
    """No event in 2005: counts are 0 (still computed), percentages null, manual ones 'none'."""
    got = rows(report(admin, 2005))
    assert got["ikk5_kebutuhan_dasar_terpenuhi"]["realisation"] is None
    assert got["pemulihan_sosial"]["realisation"] is None
    assert got["penyediaan_makanan"]["realisation"] == 0 and got["penyediaan_makanan"]["source"] == "computed"
    assert got["kesiapsiagaan_masyarakat"]["source"] == "none"
    assert got["kesiapsiagaan_masyarakat"]["realisation"] is None


# ---- targets, pagu, achievement ----------------------------------------------------------------------------

def test_every_indicator_of_the_plan_in_its_order_with_seeded_targets_and_pagu(admin: Api) -> None:
    """All 19 indicators, in the file's order, with the seeded target and pagu of the year."""
    plan = load_json("renstra_penanganan_bencana.json")["indicators"]
    rep = report(admin, SEED_YEAR)
    assert rep["year"] == SEED_YEAR
    assert [r["code"] for r in rep["indicators"]] == [i["code"] for i in plan]
    for row, ind in zip(rep["indicators"], plan, strict=True):
        assert row["name"] == ind["name"] and row["unit"] == ind["unit"]
        assert row["target"] == ind["targets"].get(str(SEED_YEAR)), row["code"]
        assert row["pagu"] == ind["pagu"].get(str(SEED_YEAR)), row["code"]
        assert set(row) >= {"code", "name", "unit", "target", "realisation", "achievement_percent", "pagu", "source"}
    got = rows(rep)
    assert got["penyediaan_makanan"]["target"] == 500 and got["penyediaan_makanan"]["pagu"] == 550_000_000
    assert got["bantuan_uang_tunai"]["target"] is None and got["bantuan_uang_tunai"]["pagu"] is None
    assert got["bantuan_uang_tunai"]["achievement_percent"] is None


def test_achievement_is_realisation_over_target_rounded_half_up(scenario: dict[str, str], admin: Api) -> None:
    """Targets put for 2019: 60/100 → 60.00; 3/7 → 42.86; a 0 target or no target → null."""
    got = rows(report(admin, Y1))
    assert got["ikk5_kebutuhan_dasar_terpenuhi"]["target"] == 100
    assert got["ikk5_kebutuhan_dasar_terpenuhi"]["achievement_percent"] == 60.0
    assert got["penyediaan_makanan"]["target"] == 7 and got["penyediaan_makanan"]["pagu"] == 484_613_267
    assert got["penyediaan_makanan"]["achievement_percent"] == 42.86
    assert got["tempat_penampungan"]["target"] == 0 and got["tempat_penampungan"]["achievement_percent"] is None
    assert got["penyediaan_sandang"]["target"] is None and got["penyediaan_sandang"]["achievement_percent"] is None


def test_put_target_upserts_and_keeps_what_is_not_sent(admin: Api, database: Any) -> None:
    """PUT targets replaces the seeded figures; a field not sent is kept, null clears it; seeding
    again does not undo an edit."""
    code = "dukungan_psikososial"
    before = rows(report(admin, EDIT_YEAR))[code]
    assert (before["target"], before["pagu"]) == (15, 75_000_000)  # seeded
    r = admin.put("/reports/renstra/targets", json={"year": EDIT_YEAR, "indicator_code": code, "target": 18.5})
    assert ok(r, 200)["target"] == 18.5 and r.json()["pagu"] == 75_000_000
    ok(admin.put("/reports/renstra/targets", json={"year": EDIT_YEAR, "indicator_code": code, "pagu": 80_000_000}), 200)
    seed_reference(database)
    got = rows(report(admin, EDIT_YEAR))[code]
    assert (got["target"], got["pagu"]) == (18.5, 80_000_000)
    ok(admin.put("/reports/renstra/targets", json={"year": EDIT_YEAR, "indicator_code": code, "pagu": None}), 200)
    seed_reference(database)
    assert rows(report(admin, EDIT_YEAR))[code]["pagu"] is None
    with read_unit(database) as session:
        stored = session.get(RenstraTarget, (EDIT_YEAR, code))
        assert stored is not None and stored.updated_by == admin.user_id
        seeded = len(session.exec(select(RenstraTarget).where(RenstraTarget.year == SEED_YEAR)).all())
    assert seeded == 18  # every indicator but bantuan_uang_tunai has a 2027 target


def test_put_target_for_a_year_without_a_row_creates_it(admin: Api) -> None:
    """(2012, bantuan_uang_tunai) has no seeded row: PUT creates it."""
    ok(admin.put("/reports/renstra/targets",
                 json={"year": 2012, "indicator_code": "bantuan_uang_tunai", "target": 40, "pagu": 12_500_000}), 200)
    got = rows(report(admin, 2012))["bantuan_uang_tunai"]
    assert (got["target"], got["pagu"], got["realisation"], got["achievement_percent"]) == (40, 12_500_000, 0, 0.0)


@pytest.mark.parametrize("body", [
    {"year": Y1, "indicator_code": "tidak_ada", "target": 1, "pagu": 1},
    {"year": 1999, "indicator_code": "penyediaan_makanan", "target": 1},
    {"year": Y1, "indicator_code": "penyediaan_makanan", "target": -1},
    {"year": Y1, "indicator_code": "penyediaan_makanan", "target": 1, "extra": 2},
])
def test_put_target_rejects_bad_bodies_with_422(admin: Api, body: dict[str, Any]) -> None:
    """Unknown indicator, a year out of range, a negative figure, an unknown field → 422, nothing stored."""
    r = admin.put("/reports/renstra/targets", json=body)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], list)
    if body["indicator_code"] == "tidak_ada":
        assert r.json()["detail"][0]["loc"] == ["body", "indicator_code"]


# ---- realisasi anggaran ------------------------------------------------------------------------------------

BUDGET_YEAR = 2029  # edited by the realisasi anggaran tests only


def test_budget_realisation_is_entered_per_indicator_and_year_beside_pagu(admin: Api) -> None:
    """PUT targets with budget_realisation: the report row carries it beside the seeded pagu; a field not
    sent keeps it, another year and indicator are untouched, null clears it."""
    code = "penyediaan_makanan"
    before = rows(report(admin, BUDGET_YEAR))
    assert before[code]["budget_realisation"] is None and before[code]["pagu"] is not None
    r = ok(admin.put("/reports/renstra/targets", json={"year": BUDGET_YEAR, "indicator_code": code,
                                                       "budget_realisation": 412_500_000}), 200)
    assert r["budget_realisation"] == 412_500_000 and r["pagu"] == before[code]["pagu"]
    ok(admin.put("/reports/renstra/targets", json={"year": BUDGET_YEAR, "indicator_code": code, "target": 7}), 200)
    got = rows(report(admin, BUDGET_YEAR))
    assert (got[code]["budget_realisation"], got[code]["target"], got[code]["pagu"]) == (
        412_500_000, 7, before[code]["pagu"])
    assert got["penyediaan_sandang"]["budget_realisation"] is None
    assert rows(report(admin, SEED_YEAR))[code]["budget_realisation"] is None
    ok(admin.put("/reports/renstra/targets", json={"year": BUDGET_YEAR, "indicator_code": code,
                                                   "budget_realisation": 1250.5}), 200)
    assert rows(report(admin, BUDGET_YEAR))[code]["budget_realisation"] == 1250.5
    ok(admin.put("/reports/renstra/targets", json={"year": BUDGET_YEAR, "indicator_code": code,
                                                   "budget_realisation": None}), 200)
    assert rows(report(admin, BUDGET_YEAR))[code]["budget_realisation"] is None


@pytest.mark.parametrize("value", [-1, "banyak", float("inf")])
def test_budget_realisation_must_be_a_rupiah_amount_of_zero_or_more(admin: Api, value: Any) -> None:
    body = {"year": BUDGET_YEAR, "indicator_code": "penyediaan_sandang", "budget_realisation": value}
    r = admin.put("/reports/renstra/targets", content=raw_json(body), headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "budget_realisation"]
    assert rows(report(admin, BUDGET_YEAR))["penyediaan_sandang"]["budget_realisation"] is None


def raw_json(body: dict[str, Any]) -> bytes:
    """JSON with Infinity allowed (the client library refuses to send it)."""
    import json

    return json.dumps(body).encode()


def test_only_admin_enters_budget_realisation(admin: Api, posko: Api) -> None:
    r = posko.put("/reports/renstra/targets", json={"year": BUDGET_YEAR, "indicator_code": "dukungan_psikososial",
                                                    "budget_realisation": 5})
    assert r.status_code == 403
    assert rows(report(admin, BUDGET_YEAR))["dukungan_psikososial"]["budget_realisation"] is None


def test_budget_realisation_in_csv_xlsx_and_pdf(admin: Api) -> None:
    """CSV: the last column realisasi_anggaran_rupiah (the others unchanged); XLSX: a number in the last
    column; PDF: Rupiah with thousands dots under the heading "Realisasi anggaran (Rp)"."""
    code = "bantuan_uang_tunai"
    ok(admin.put("/reports/renstra/targets", json={"year": BUDGET_YEAR, "indicator_code": code,
                                                   "budget_realisation": 98_765_432}), 200)
    text = fetch(admin, BUDGET_YEAR, "csv").content.decode("utf-8")
    header = text.splitlines()[0].split(",")
    assert header[:11] == ["tahun", "no", "kode", "indikator", "satuan", "target", "realisasi", "capaian_persen",
                           "pagu_rupiah", "sumber", "realisasi_anggaran_rupiah"]  # then the provenance columns
    by = {t["kode"]: t for t in csv.DictReader(io.StringIO(text))}
    assert by[code]["realisasi_anggaran_rupiah"] == "98765432" and by["penyediaan_sandang"]["realisasi_anggaran_rupiah"] == ""
    ws = openpyxl.load_workbook(io.BytesIO(fetch(admin, BUDGET_YEAR, "xlsx").content)).worksheets[0]
    assert [c.value for c in ws[5]][8:10] == ["Kode", "Realisasi anggaran (Rp)"]  # then "Asal angka"
    body = {row[8]: row for row in ws.iter_rows(min_row=6, max_row=24, values_only=True)}
    assert body[code][9] == 98_765_432 and isinstance(body[code][9], int)
    assert ws.auto_filter.ref == "A5:K24"
    pdf = squash(pdf_text(fetch(admin, BUDGET_YEAR, "pdf").content))
    assert "Realisasi anggaran (Rp)" in pdf and "98.765.432" in pdf


# ---- manual values ------------------------------------------------------------------------------------------

def test_manual_values_are_shown_as_manual(scenario: dict[str, str], admin: Api) -> None:
    """A manual indicator shows the admin's value with source manual; the others stay 'none'."""
    got = rows(report(admin, Y1))
    assert got["monev_keserasian_sosial"]["realisation"] == 1
    assert got["monev_keserasian_sosial"]["source"] == "manual"
    assert got["monev_keserasian_sosial"]["achievement_percent"] == 100.0
    assert got["pelopor_perdamaian"]["source"] == "manual" and got["pelopor_perdamaian"]["realisation"] == 4
    for code in MANUAL_CODES:
        if code not in ("monev_keserasian_sosial", "pelopor_perdamaian"):
            assert got[code]["source"] == "none" and got[code]["realisation"] is None, code
    assert rows(report(admin, Y2))["monev_keserasian_sosial"]["source"] == "none"  # per year


def test_manual_value_upsert_and_clear(admin: Api) -> None:
    """PUT manual twice keeps the last value; value null removes it (source back to none)."""
    year, code = 2011, "monev_keserasian_sosial"
    for value in (2, 3.5):
        assert ok(admin.put("/reports/renstra/manual", json={"year": year, "indicator_code": code, "value": value}),
                  200)["value"] == value
    got = rows(report(admin, year))[code]
    assert (got["realisation"], got["source"]) == (3.5, "manual")
    ok(admin.put("/reports/renstra/manual", json={"year": year, "indicator_code": code, "value": None}), 200)
    got = rows(report(admin, year))[code]
    assert (got["realisation"], got["source"]) == (None, "none")


def test_manual_value_for_a_computed_indicator_is_refused(scenario: dict[str, str], admin: Api) -> None:
    """Computed realisations come from the records: a manual override → 409 and the figure is unchanged."""
    for code in ("penyediaan_makanan", "taruna_siaga_bencana", "ikk5_kebutuhan_dasar_terpenuhi"):
        r = admin.put("/reports/renstra/manual", json={"year": Y1, "indicator_code": code, "value": 999})
        assert r.status_code == 409, r.text
        assert isinstance(r.json()["detail"], str)
    got = rows(report(admin, Y1))["penyediaan_makanan"]
    assert (got["realisation"], got["source"]) == (3, "computed")


def test_manual_value_for_an_unknown_indicator_is_422(admin: Api) -> None:
    r = admin.put("/reports/renstra/manual", json={"year": Y1, "indicator_code": "tidak_ada", "value": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "indicator_code"]


# ---- formats ------------------------------------------------------------------------------------------------

def test_csv_carries_the_same_rows(scenario: dict[str, str], pengamat: Api) -> None:
    """CSV: a header row, then one row per indicator with plain numbers; read with the csv module."""
    r = fetch(pengamat, Y1, "csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert f'filename="renstra-penanganan-bencana-{Y1}.csv"' in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    expected = report(pengamat, Y1)["indicators"]
    assert [t["kode"] for t in table] == [e["code"] for e in expected]
    assert [int(t["no"]) for t in table] == list(range(1, len(expected) + 1))
    by = {t["kode"]: t for t in table}
    assert float(by["pemulihan_sosial"]["realisasi"]) == 42.86
    assert int(by["penyediaan_makanan"]["realisasi"]) == 3
    assert float(by["penyediaan_makanan"]["capaian_persen"]) == 42.86
    assert int(by["penyediaan_makanan"]["pagu_rupiah"]) == 484_613_267
    assert by["monev_keserasian_sosial"]["sumber"] == "manual" and by["kesiapsiagaan_masyarakat"]["sumber"] == "none"
    assert by["penyediaan_sandang"]["target"] == "" and by["penyediaan_sandang"]["tahun"] == str(Y1)


def test_xlsx_has_one_sheet_laid_out_like_the_plan_with_real_numbers(scenario: dict[str, str], admin: Api) -> None:
    """XLSX: header No | Indikator | Satuan | Target | Realisasi | Capaian (%) | Pagu (Rp) | Sumber, number cells."""
    r = fetch(admin, Y2, "xlsx")
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert len(wb.worksheets) == 1
    ws = wb.worksheets[0]
    assert "Tahun 2020" in ws["A1"].value
    header = [c.value for c in ws[5]]
    assert header[:8] == ["No", "Indikator", "Satuan", "Target", "Realisasi", "Capaian (%)", "Pagu (Rp)", "Sumber"]
    body = {row[8]: row for row in ws.iter_rows(min_row=6, max_row=6 + 18, values_only=True)}
    assert len(body) == 19
    ikk5 = body["ikk5_kebutuhan_dasar_terpenuhi"]
    assert ikk5[0] == 1 and isinstance(ikk5[4], float) and ikk5[4] == 66.67
    assert ikk5[3] is None  # no 2020 target in the plan
    shelters = body["tempat_penampungan"]
    assert isinstance(shelters[4], int) and shelters[4] == 4
    assert body["bantuan_uang_tunai"][4] == 4 and body["taruna_siaga_bencana"][4] == 2
    assert body["monev_keserasian_sosial"][7] == "Belum ada data"
    assert body["penyediaan_makanan"][7] == "Dihitung sistem"


def test_xlsx_pagu_and_achievement_are_numbers(scenario: dict[str, str], admin: Api) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(fetch(admin, Y1, "xlsx").content)).worksheets[0]
    body = {row[8]: row for row in ws.iter_rows(min_row=6, max_row=24, values_only=True)}
    assert body["penyediaan_makanan"][6] == 484_613_267 and isinstance(body["penyediaan_makanan"][6], int)
    assert body["penyediaan_makanan"][5] == 42.86
    assert body["monev_keserasian_sosial"][4] == 1 and body["monev_keserasian_sosial"][7] == "Diisi manual"


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(page.extract_text() for page in reader.pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pdf_has_the_indonesian_heading_indicator_names_and_figures(scenario: dict[str, str], admin: Api) -> None:
    """PDF: landscape, the heading, every indicator name (wrapped), figures in Indonesian notation."""
    r = fetch(admin, Y1, "pdf")
    assert r.headers["content-type"] == "application/pdf"
    assert f'filename="renstra-penanganan-bencana-{Y1}.pdf"' in r.headers["content-disposition"]
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = squash(pdf_text(r.content))
    assert f"Laporan Capaian Indikator Renstra Dinas Sosial Kota Binjai Tahun {Y1}" in text
    for heading in ("Indikator", "Satuan", "Target", "Realisasi", "Capaian (%)", "Pagu (Rp)", "Sumber"):
        assert heading in text
    for ind in report(admin, Y1)["indicators"]:
        assert squash(ind["name"]) in text, ind["name"]
    assert "484.613.267" in text  # Rupiah with thousands dots
    assert "42,86" in text  # pemulihan sosial and the meals achievement, decimal comma
    assert "60,00" in text  # ikk5 achievement
    assert "Banjir Tanah Seribu" in text and "Kebakaran Malam Tahun Baru" in text
    assert "Banjir Dini Hari" not in text  # a 2020 event


def test_pdf_of_a_seeded_year(admin: Api) -> None:
    text = squash(pdf_text(fetch(admin, SEED_YEAR, "pdf").content))
    assert f"Tahun {SEED_YEAR}" in text and "550.000.000" in text and "Belum ada data" in text


# ---- roles ---------------------------------------------------------------------------------------------------

def test_office_roles_read_the_report_and_a_relawan_does_not(scenario: dict[str, str], admin: Api, posko: Api,
                                                            pengamat: Api, make_api: Any, anon: Api) -> None:
    """admin, posko, pengamat: 200. A relawan — even one that is a member of an event of that year —
    gets 403 (the report spans events it may not see). No token: 401."""
    for api in (admin, posko, pengamat):
        assert api.get("/reports/renstra", params={"year": Y1}).status_code == 200
    member = make_api("relawan")
    add_member(admin, scenario["E1"], member.user_id)
    for fmt in ("json", "pdf"):
        r = member.get("/reports/renstra", params={"year": Y1, "format": fmt})
        assert r.status_code == 403, r.text
    assert anon.get("/reports/renstra", params={"year": Y1}).status_code == 401


def test_only_admin_edits_targets_and_manual_values(admin: Api, posko: Api, pengamat: Api, make_api: Any) -> None:
    """PUT targets/manual: admin 200; posko, relawan, pengamat 403 and nothing changes."""
    year = 2013
    target = {"year": year, "indicator_code": "pelopor_perdamaian", "target": 30, "pagu": 40_000_000}
    manual = {"year": year, "indicator_code": "pelopor_perdamaian", "value": 25}
    for api in (posko, make_api("relawan"), pengamat):
        assert api.put("/reports/renstra/targets", json=target).status_code == 403
        assert api.put("/reports/renstra/manual", json=manual).status_code == 403
    got = rows(report(admin, year))["pelopor_perdamaian"]
    assert (got["target"], got["realisation"], got["source"]) == (None, None, "none")
    ok(admin.put("/reports/renstra/targets", json=target), 200)
    ok(admin.put("/reports/renstra/manual", json=manual), 200)
    got = rows(report(admin, year))["pelopor_perdamaian"]
    assert (got["target"], got["realisation"], got["source"], got["achievement_percent"]) == (30, 25, "manual", 83.33)


def test_pengamat_report_has_no_names_or_nik(scenario: dict[str, str], pengamat: Api, admin: Api) -> None:
    """Aggregate only: no person name, NIK or person id in any format."""
    persons = [ok(admin.get(f"/persons/{scenario[k]}"), 200) for k in "ABCDEFGHIJKLMNO"]
    niks = [p["nik"] for p in persons if p.get("nik")]
    assert len(niks) == 15
    for year in (Y1, Y2):
        texts = {fmt: fetch(pengamat, year, fmt).content for fmt in ("json", "csv")}
        texts["pdf"] = pdf_text(fetch(pengamat, year, "pdf").content).encode()
        wb = openpyxl.load_workbook(io.BytesIO(fetch(pengamat, year, "xlsx").content))
        texts["xlsx"] = " ".join(str(c) for row in wb.worksheets[0].iter_rows(values_only=True) for c in row).encode()
        for fmt, blob in texts.items():
            text = blob.decode("utf-8")
            for name in PERSON_NAMES:
                assert name not in text, (fmt, name)
            for nik in niks:
                assert nik not in text, fmt
            for p in persons:
                assert p["id"] not in text, fmt


def test_bad_query_parameters_are_422(admin: Api) -> None:
    for params in ({"year": Y1, "format": "docx"}, {"year": 1800}, {"year": "dua ribu"}):
        assert admin.get("/reports/renstra", params=params).status_code == 422


def test_default_year_is_the_current_local_year(admin: Api) -> None:
    assert report_default(admin)["year"] == datetime.now(WIB).year


def report_default(api: Api) -> dict[str, Any]:
    return ok(api.get("/reports/renstra"), 200)


# ---- the migration ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine_name", ["sqlite", "postgres"])
def test_migration_creates_and_drops_the_renstra_tables(engine_name: str, tmp_path: Any) -> None:
    """20261129_0003 upgrades from 0002 and downgrades back, on SQLite and PostgreSQL; so does 20261207_0010
    (renstra_targets.budget_realisation)."""
    import uuid

    import psycopg
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from shared.migrate import alembic_config
    from tests.conftest import _swap_db, make_settings, postgres_admin_url

    admin_url = None
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'migration.db'}"
    else:
        admin_url = postgres_admin_url()
        if admin_url is None:
            pytest.skip("no PostgreSQL server")
        name = f"posko_mig_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _swap_db(admin_url, name)
    try:
        cfg = alembic_config(make_settings(url))
        engine_url = cfg.get_main_option("sqlalchemy.url")
        assert engine_url is not None

        def tables() -> set[str]:
            engine = create_engine(engine_url)
            try:
                return set(inspect(engine).get_table_names())
            finally:
                engine.dispose()

        command.upgrade(cfg, "20261129_0003")
        assert {"renstra_targets", "renstra_manual_values"} <= tables()
        command.downgrade(cfg, "20261129_0002")
        assert not {"renstra_targets", "renstra_manual_values"} & tables()
        command.upgrade(cfg, "20261129_0003")
        assert {"renstra_targets", "renstra_manual_values"} <= tables()

        def target_columns() -> set[str]:
            engine = create_engine(engine_url)
            try:
                return {c["name"] for c in inspect(engine).get_columns("renstra_targets")}
            finally:
                engine.dispose()

        command.upgrade(cfg, "20261207_0010")
        assert "budget_realisation" in target_columns()
        command.downgrade(cfg, "20261207_0009")
        assert "budget_realisation" not in target_columns() and "pagu" in target_columns()
        command.upgrade(cfg, "20261207_0010")
        assert "budget_realisation" in target_columns()
    finally:
        if admin_url is not None:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
