"""The first-page summary of the post-disaster report: sentences written from the report dict alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.reports.summary import summary_paragraphs

SERVICES = ("permakanan", "sandang", "tempat_penampungan", "penanganan_khusus", "psikososial")


def make_report(*, registered: int = 0, displaced: int = 0, shelters: Sequence[tuple[str, int, bool]] = (),
                kelurahan: Sequence[tuple[str, str, int]] = (), vulnerable: dict[str, int] | None = None,
                eligible: int = 0, fulfilled: int = 0, services: dict[str, tuple[int, int]] | None = None,
                needs: Sequence[tuple[str, str, float, float]] = (), **people: int) -> dict[str, Any]:
    """shelters: (name, occupants, open); kelurahan: (code, name, displaced); needs: (name, unit, required,
    delivered); services: code → (eligible, fulfilled)."""
    services = services or {}
    return {
        "event": {"name": "Banjir Bandang Sungai Bingei"},
        "people": {"registered": registered, "displaced_now": displaced, "injured": people.get("injured", 0),
                   "missing": people.get("missing", 0), "dead": people.get("dead", 0),
                   "vulnerable": vulnerable or {},
                   "by_kelurahan": [{"kelurahan_code": c, "kelurahan_name": n, "displaced_now": d}
                                    for c, n, d in kelurahan]},
        "shelters": [{"name": n, "occupants": o, "closed_at": None if is_open else "2026-12-01T00:00:00+00:00"}
                     for n, o, is_open in shelters],
        "indicator": {"eligible": eligible, "fulfilled": fulfilled,
                      "percent": round(100 * fulfilled / eligible, 2) if eligible else None, "target_percent": 100,
                      "services": {c: {"eligible": services.get(c, (eligible, eligible))[0],
                                       "fulfilled": services.get(c, (eligible, eligible))[1]} for c in SERVICES}},
        "needs": [{"item_code": name.lower().replace(" ", "_"), "item_name": name, "unit": unit, "required": req,
                   "delivered": got, "gap": max(0.0, req - got),
                   "coverage_percent": round(100 * min(got, req) / req, 2) if req else None}
                  for name, unit, req, got in needs],
    }


def test_an_event_with_shortfalls_says_who_where_how_many_what_and_why() -> None:
    rep = make_report(
        registered=1250, displaced=980, injured=12, dead=1,
        shelters=[("Masjid Raya Al-Muttaqin", 420, True), ("SD Negeri 024 Tanah Seribu", 310, True),
                  ("Gedung Serbaguna Kelurahan Sumber Karya", 250, True), ("Balai Desa Lama", 0, False)],
        kelurahan=[("12.75.04.1004", "Mencirim", 600), ("12.75.02.1001", "Tanah Seribu", 380)],
        vulnerable={"balita": 85, "lansia": 60, "ibu_hamil": 9, "disabilitas": 0},
        eligible=980, fulfilled=502,
        services={"permakanan": (980, 520), "sandang": (980, 870), "penanganan_khusus": (154, 150)},
        needs=[("Makanan siap saji", "porsi", 12000, 9000), ("Paket sandang", "paket", 980, 870),
               ("Selimut", "lembar", 980, 0), ("Air minum", "liter", 5000, 5000)])
    who, fulfilled, lacking, reasons = summary_paragraphs(rep)
    assert who.startswith("Sampai keadaan laporan ini, 1.250 orang tercatat sebagai korban Banjir Bandang Sungai "
                          "Bingei; 980 orang masih mengungsi di 3 tempat penampungan yang masih buka.")
    assert ("Penghuni terbanyak: Masjid Raya Al-Muttaqin (420 orang), SD Negeri 024 Tanah Seribu (310 orang), dan "
            "Gedung Serbaguna Kelurahan Sumber Karya (250 orang).") in who
    assert "kelurahan Mencirim (600 orang) dan Tanah Seribu (380 orang)." in who
    assert "Kelompok rentan yang terdata: 85 balita, 60 lanjut usia, dan 9 ibu hamil." in who
    assert "disabilitas" not in who  # zero: not mentioned
    assert "Korban 12 luka-luka dan 1 meninggal dunia." in who
    assert fulfilled == ("Kebutuhan dasar sudah terpenuhi bagi 502 dari 980 orang yang wajib dilayani (51,22%), "
                         "dengan target 100%. 478 orang belum terpenuhi kebutuhan dasarnya.")
    assert lacking.startswith("Layanan dengan kekurangan terbesar: permakanan (460 orang belum terpenuhi), sandang "
                              "(110 orang belum terpenuhi), dan penanganan khusus kelompok rentan (4 orang belum "
                              "terpenuhi).")
    # lowest coverage first: selimut 0 %, then makanan 75 %, then sandang 88,78 %; air minum (no gap) left out
    assert ("Barang yang paling kurang: Selimut (kurang 980 lembar, tersalur 0,00% dari kebutuhan), Makanan siap saji "
            "(kurang 3.000 porsi, tersalur 75,00% dari kebutuhan), dan Paket sandang") in lacking
    assert "Air minum" not in lacking
    assert reasons.startswith("Penyebab utama: 460 orang pernah tidak mendapat makan lengkap pada satu hari atau "
                              "lebih")
    assert "hari yang terlewat tetap terhitung belum terpenuhi" in reasons
    assert "110 orang belum menerima paket sandang" in reasons
    assert "4 orang dari kelompok rentan belum mendapat penanganan khusus" in reasons
    assert reasons.index("460 orang") < reasons.index("110 orang") < reasons.index("4 orang")


def test_everyone_fulfilled_has_no_lacking_or_reasons_paragraph() -> None:
    rep = make_report(registered=40, displaced=40, shelters=[("Gereja HKBP Binjai Kota", 40, True)],
                      kelurahan=[("12.75.01.1001", "Tangsi", 40)], eligible=40, fulfilled=40,
                      needs=[("Makanan siap saji", "porsi", 120, 120)])
    paragraphs = summary_paragraphs(rep)
    assert len(paragraphs) == 2
    assert paragraphs[1] == ("Kebutuhan dasar sudah terpenuhi bagi 40 dari 40 orang yang wajib dilayani (100,00%), "
                             "dengan target 100%.")
    assert "Kelompok rentan" not in paragraphs[0] and "Korban " not in paragraphs[0][10:]


def test_an_event_without_displaced_persons_says_the_indicator_cannot_be_computed() -> None:
    rep = make_report(registered=3, displaced=0, shelters=[("Posko Utama", 0, True)], missing=2)
    who, fulfilled = summary_paragraphs(rep)
    assert "3 orang tercatat sebagai korban" in who and "0 orang masih mengungsi di 1 tempat penampungan" in who
    assert "Penghuni terbanyak" not in who and "Pengungsi terbanyak" not in who
    assert "Korban 2 hilang." in who
    assert fulfilled == "Belum ada korban yang wajib dilayani, sehingga capaian kebutuhan dasar belum dapat dihitung."


def test_the_summary_names_no_person() -> None:
    """Built from counts and shelter names only: the pengamat's report gets the same summary."""
    rep = make_report(registered=2, displaced=2, shelters=[("Aula Kantor Camat", 2, True)], eligible=2, fulfilled=1,
                      services={"psikososial": (1, 0)})
    rep["unmet"] = [{"person_id": "p-1", "name": "Nurhayati Br Sembiring", "missing": ["psikososial"]}]
    text = " ".join(summary_paragraphs(rep))
    assert "Nurhayati" not in text and "p-1" not in text
    assert "1 orang yang memerlukan dukungan psikososial belum mendapatkannya" in text
