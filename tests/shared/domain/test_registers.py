"""Which Renstra rows come from which register, and how a year is counted (shared/domain/registers.py);
`test_the_rows_of_2026` is the worked example of docs/rules.md, "Renstra registers"."""

from __future__ import annotations

from datetime import date

from shared.domain.registers import (
    ActivityFact,
    TrainingFact,
    register_figures,
    taruna_ids,
)
from shared.reports.renstra import indicators


def training(vid: str, ended: str, level: str = "muda") -> TrainingFact:
    return TrainingFact(vid, date.fromisoformat(ended), level)


def activity(kind: str, held: str, kel: str, male: int = 0, female: int = 0) -> ActivityFact:
    return ActivityFact(kind, date.fromisoformat(held), kel, male, female)


TRAININGS = [
    training("A", "2026-03-10", "muda"),
    training("A", "2026-09-01", "muda"),      # A twice in 2026: one volunteer
    training("B", "2026-12-31", "madya"),     # completed on the last day of the year
    training("C", "2027-01-01", "muda"),      # the next year
    training("D", "2025-12-20", "muda"),
]
ACTIVITIES = [
    activity("ksb_pembentukan", "2026-02-01", "12.75.04.1004", 20, 25),
    activity("ksb_pendampingan", "2026-07-01", "12.75.04.1004", 10, 12),  # the same KSB, supported later
    activity("ksb_pendampingan", "2026-08-01", "12.75.01.1001", 8, 9),
    activity("lumbung_sosial", "2026-05-05", "12.75.02.1002", 5, 5),
    activity("sosialisasi_kie", "2026-04-04", "12.75.04.1004", 12, 18),
    activity("sosialisasi_kie", "2026-10-10", "12.75.01.1001", 7, 3),
    activity("edukasi_sekolah", "2026-11-11", "12.75.02.1002", 30, 32),
    activity("sosialisasi_kie", "2025-12-31", "12.75.04.1004", 100, 100),  # last year
]


def test_the_rows_of_2026() -> None:
    got = register_figures(2026, TRAININGS, ACTIVITIES)
    assert {code: f.value for code, f in got.items()} == {
        "kapasitas_relawan_tagana_muda": 1,  # A (B was madya, C and D other years)
        "kompetensi_tagana": 2,              # A and B
        "kampung_siaga_bencana": 2,          # two kelurahan with a KSB
        "ksb_lumbung_sosial": 3,             # those two and the lumbung sosial's kelurahan
        "penyuluhan_kie": 40,                # 12 + 18 + 7 + 3
        "edukasi_anak_sekolah": 62,
    }
    assert got["kompetensi_tagana"].records == 3  # trainings read
    assert got["penyuluhan_kie"].detail == {"activities": 2, "male": 19, "female": 21}
    assert got["kampung_siaga_bencana"].detail["kelurahan_codes"] == ["12.75.01.1001", "12.75.04.1004"]


def test_each_year_counts_only_its_own_dates() -> None:
    y25 = register_figures(2025, TRAININGS, ACTIVITIES)
    y27 = register_figures(2027, TRAININGS, ACTIVITIES)
    assert (y25["kapasitas_relawan_tagana_muda"].value, y25["penyuluhan_kie"].value) == (1, 200)
    assert (y27["kapasitas_relawan_tagana_muda"].value, y27["kompetensi_tagana"].value) == (1, 1)
    assert y27["kampung_siaga_bencana"].value == 0 and y27["penyuluhan_kie"].records == 0


def test_level_is_the_level_at_the_training() -> None:
    """A volunteer trained as muda and promoted later stays in the muda row of the training's year."""
    rows = [training("E", "2026-04-01", "muda"), training("E", "2027-04-01", "madya")]
    assert register_figures(2026, rows, [])["kapasitas_relawan_tagana_muda"].value == 1
    assert register_figures(2027, rows, [])["kapasitas_relawan_tagana_muda"].value == 0
    assert register_figures(2027, rows, [])["kompetensi_tagana"].value == 1


def test_taruna_counts_field_authors_on_the_roster_or_relawan_and_assigned_roster_volunteers() -> None:
    authors = {1, 2, 3}          # recorded field data in the year
    relawan = {1, 4}             # active relawan accounts
    roster = {2, 5, 6}           # accounts of active roster volunteers (2: a posko coordinator)
    assigned = {5, 7}            # members of an event of the year (7 is not on the roster)
    assert taruna_ids(authors, relawan, roster, assigned) == {1, 2, 5}


def test_every_register_row_of_the_plan_is_computed_and_names_its_register() -> None:
    by_code = {i["code"]: i for i in indicators()}
    expected = {
        "taruna_siaga_bencana": "tagana", "kapasitas_relawan_tagana_muda": "tagana", "kompetensi_tagana": "tagana",
        "kampung_siaga_bencana": "preparedness_activities", "ksb_lumbung_sosial": "preparedness_activities",
        "penyuluhan_kie": "preparedness_activities", "edukasi_anak_sekolah": "preparedness_activities",
    }
    assert {c: i["register"] for c, i in by_code.items() if i.get("register")} == expected
    assert all(by_code[c]["computed"] != "manual" for c in expected)
    assert set(register_figures(2026, [], [])) == set(expected) - {"taruna_siaga_bencana"}
    still_typed = {c for c, i in by_code.items() if i["computed"] == "manual"}
    assert still_typed == {"kesiapsiagaan_masyarakat", "pelopor_perdamaian", "monev_keserasian_sosial",
                           "pemetaan_rawan_konflik"}
