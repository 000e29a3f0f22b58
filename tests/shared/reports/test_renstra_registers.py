"""The Renstra rows computed from the office registers, per year, and the provenance of every row in the
JSON answer, the CSV, the XLSX and the PDF (docs/rules.md, "Renstra registers"). Years 2008 and 2009 are
this module's: no other test records registers or events in them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import openpyxl
import pypdf
import pytest

from tests.conftest import KELURAHAN, KELURAHAN_2, Api, add_member, event_body, new_id

Y, Y_NEXT = 2008, 2009


def ok(r: Any, *codes: int) -> dict[str, Any]:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json() if r.content else {}


def rows(api: Api, year: int) -> dict[str, dict[str, Any]]:
    r = api.get("/reports/renstra", params={"year": year})
    assert r.status_code == 200, r.text
    return {row["code"]: row for row in r.json()["indicators"]}


def activity(api: Api, kind: str, held_on: str, kel: str, male: int, female: int) -> dict[str, Any]:
    return ok(api.post("/preparedness-activities", json={
        "id": new_id(), "kind": kind, "title": f"Kegiatan {kind}", "held_on": held_on, "kelurahan_code": kel,
        "participants_male": male, "participants_female": female, "evidence": f"BA/{kind}/{held_on}"}), 201)


@pytest.fixture(scope="module")
def registers(admin: Api, posko: Api, make_api: Callable[..., Api]) -> dict[str, Any]:
    relawan = make_api("relawan")
    v1 = ok(posko.post("/tagana", json={"id": new_id(), "full_name": "Tagana Satu", "level": "muda",
                                        "user_id": relawan.user_id}), 201)
    v2 = ok(posko.post("/tagana", json={"id": new_id(), "full_name": "Tagana Dua", "level": "madya"}), 201)
    for vid, ended in ((v1["id"], "2008-06-01"), (v2["id"], "2008-11-30"), (v2["id"], "2009-01-02")):
        ok(posko.post(f"/tagana/{vid}/trainings", json={"id": new_id(), "title": "Diklat", "started_on": ended,
                                                         "ended_on": ended}), 201)
    ev = ok(admin.post("/events", json=event_body(name="Banjir 2008", started_at="2008-03-01T08:00:00+07:00")), 201)
    add_member(admin, ev["id"], relawan.user_id)
    activity(posko, "ksb_pembentukan", "2008-02-02", KELURAHAN, 10, 15)
    activity(posko, "lumbung_sosial", "2008-04-04", KELURAHAN_2, 3, 4)
    kie = activity(posko, "sosialisasi_kie", "2008-05-05", KELURAHAN, 12, 18)
    activity(posko, "edukasi_sekolah", "2009-02-02", KELURAHAN, 20, 22)
    ok(admin.put("/reports/renstra/manual", json={"year": Y, "indicator_code": "pelopor_perdamaian", "value": 3}), 200)
    return {"kie": kie, "v1": v1, "v2": v2}


def test_register_rows_per_year(registers: dict[str, Any], pengamat: Api) -> None:
    got, nxt = rows(pengamat, Y), rows(pengamat, Y_NEXT)
    assert {c: got[c]["realisation"] for c in (
        "taruna_siaga_bencana", "kapasitas_relawan_tagana_muda", "kompetensi_tagana", "kampung_siaga_bencana",
        "ksb_lumbung_sosial", "penyuluhan_kie", "edukasi_anak_sekolah")} == {
        "taruna_siaga_bencana": 1,  # the roster volunteer assigned to the 2008 event
        "kapasitas_relawan_tagana_muda": 1, "kompetensi_tagana": 2, "kampung_siaga_bencana": 1,
        "ksb_lumbung_sosial": 2, "penyuluhan_kie": 30, "edukasi_anak_sekolah": 0}
    assert (nxt["kompetensi_tagana"]["realisation"], nxt["kapasitas_relawan_tagana_muda"]["realisation"],
            nxt["edukasi_anak_sekolah"]["realisation"], nxt["taruna_siaga_bencana"]["realisation"]) == (1, 0, 42, 0)
    assert got["penyuluhan_kie"]["source"] == "computed"


def test_every_row_says_where_its_number_came_from(registers: dict[str, Any], admin: Api) -> None:
    got = rows(admin, Y)
    kie = got["penyuluhan_kie"]["provenance"]
    assert (kie["kind"], kie["register"], kie["records"]) == ("register", "preparedness_activities", 1)
    assert kie["label"] == "Dihitung dari register kegiatan kesiapsiagaan (1 kegiatan)"
    tr = got["kompetensi_tagana"]["provenance"]
    assert (tr["kind"], tr["register"], tr["records"], tr["label"]) == (
        "register", "tagana", 2, "Dihitung dari register TAGANA (2 pelatihan)")
    meals = got["penyediaan_makanan"]["provenance"]
    assert (meals["kind"], meals["register"], meals["records"]) == ("events", None, 1)
    assert meals["label"] == "Dihitung dari data kejadian (1 kejadian)"
    typed = got["pelopor_perdamaian"]["provenance"]
    assert typed["kind"] == "manual" and typed["entered_by"]["username"] == admin.username
    assert typed["entered_at"] and typed["label"].startswith(f"Diisi manual oleh Uji Admin ({admin.username}), ")
    assert typed["label"].endswith("WIB")
    none = got["monev_keserasian_sosial"]["provenance"]
    assert (none["kind"], none["entered_by"]) == ("none", None)
    for row in got.values():
        assert row["provenance"]["kind"] in ("events", "register", "manual", "none") and row["provenance"]["label"]


def test_editing_an_activity_moves_it_between_years(registers: dict[str, Any], posko: Api) -> None:
    kie = registers["kie"]
    ok(posko.patch(f"/preparedness-activities/{kie['id']}", json={"held_on": "2009-05-05"}), 200)
    try:
        assert rows(posko, Y)["penyuluhan_kie"]["realisation"] == 0
        assert rows(posko, Y_NEXT)["penyuluhan_kie"]["realisation"] == 30
    finally:
        ok(posko.patch(f"/preparedness-activities/{kie['id']}", json={"held_on": "2008-05-05"}), 200)
    assert rows(posko, Y)["penyuluhan_kie"]["realisation"] == 30


def test_a_typed_value_for_a_register_row_is_refused(registers: dict[str, Any], admin: Api) -> None:
    r = admin.put("/reports/renstra/manual", json={"year": Y, "indicator_code": "kampung_siaga_bencana", "value": 9})
    assert r.status_code == 409 and "register kegiatan kesiapsiagaan" in r.json()["detail"]
    assert rows(admin, Y)["kampung_siaga_bencana"]["realisation"] == 1


def test_files_show_the_provenance(registers: dict[str, Any], admin: Api) -> None:
    r = admin.get("/reports/renstra", params={"year": Y, "format": "csv"})
    table = {t["kode"]: t for t in csv.DictReader(io.StringIO(r.content.decode("utf-8")))}
    assert (table["kompetensi_tagana"]["asal_data"], table["kompetensi_tagana"]["register"]) == ("register", "tagana")
    assert table["pelopor_perdamaian"]["diisi_oleh"] == admin.username
    assert table["penyediaan_makanan"]["keterangan_asal"] == "Dihitung dari data kejadian (1 kejadian)"

    ws = openpyxl.load_workbook(io.BytesIO(admin.get("/reports/renstra", params={"year": Y, "format": "xlsx"}).content)).worksheets[0]
    header = [c.value for c in ws[5]]
    assert header[7] == "Sumber" and header[10] == "Asal angka"
    body = {row[8]: row for row in ws.iter_rows(min_row=6, max_row=24, values_only=True)}
    assert body["ksb_lumbung_sosial"][7] == "Register kegiatan" and body["kompetensi_tagana"][7] == "Register TAGANA"
    assert body["ksb_lumbung_sosial"][10] == "Dihitung dari register kegiatan kesiapsiagaan (2 kegiatan)"
    assert body["pelopor_perdamaian"][10].startswith("Diisi manual oleh")

    pdf = admin.get("/reports/renstra", params={"year": Y, "format": "pdf"}).content
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert "Asal angka tiap indikator" in text and "Register TAGANA" in text
    assert "Dihitung dari register TAGANA (2 pelatihan)" in text
    assert f"Diisi manual oleh Uji Admin ({admin.username})" in text


@pytest.mark.parametrize("engine_name", ["sqlite", "postgres"])
def test_migration_creates_and_drops_the_register_tables(engine_name: str, tmp_path: Any) -> None:
    """20261208_0011 upgrades from 20261207_0011 and downgrades back, on SQLite and PostgreSQL; so does 20261207_0011
    (the person key backlog) from 20261207_0010."""
    import uuid

    import psycopg
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from shared.migrate import alembic_config
    from tests.conftest import _swap_db, make_settings, postgres_admin_url

    registers = {"tagana_volunteers", "tagana_trainings", "preparedness_activities"}
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

        command.upgrade(cfg, "20261208_0011")
        assert registers <= tables()
        command.downgrade(cfg, "20261207_0011")
        assert not registers & tables() and "renstra_targets" in tables()
        command.downgrade(cfg, "20261207_0010")
        assert "person_key_backlog" not in tables() and "person_match_keys" in tables()
        command.upgrade(cfg, "20261208_0011")
        assert registers <= tables() and "person_key_backlog" in tables()
    finally:
        if admin_url is not None:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
