"""The reports as flat tables: what the CSV and XLSX files hold row by row, and what the PDF lays out.

- `event_tables(report)`: the post-disaster report's sections, in order, one `Table` each (the CSV
  section key, the XLSX sheet title, the columns with their Indonesian headings, the rows).
- The Renstra table's layout (title, headings, the plan's groups), shared by its XLSX and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.needs.model import VULNERABILITIES
from shared.reports.facts import AGE_GROUPS
from shared.reports.render.indonesian import (
    AGE_GROUP_LABELS,
    CONDITION_LABELS,
    PEOPLE_LABELS,
    SERVICE_LABELS,
    VULNERABILITY_LABELS,
    as_label,
)

# ---------------------------------------------------------------- the post-disaster report


@dataclass
class Table:
    key: str  # CSV section key
    title: str  # XLSX sheet title (≤ 31 characters)
    columns: list[tuple[str, str]]  # (field, Indonesian heading)
    rows: list[list[Any]]


def _kv(key: str, title: str, rows: list[tuple[str, str, Any]]) -> Table:
    return Table(key, title, [("field", "Kolom"), ("label", "Uraian"), ("value", "Nilai")],
                 [[f, label, v] for f, label, v in rows])


def event_tables(report: dict[str, Any]) -> list[Table]:
    """The report's sections as flat tables, in order."""
    ev = report["event"]
    tables = [_kv("event", "Kejadian", [
        ("id", "ID kejadian", ev["id"]), ("name", "Nama kejadian", ev["name"]),
        ("kind", "Jenis bencana", ev["kind"]), ("category", "Kategori", ev["category"]),
        ("status", "Status", ev["status"]), ("standard_code", "Standar kebutuhan", ev["standard_code"]),
        ("standard_version", "Versi standar", ev["standard_version"]),
        ("started_at", "Mulai (UTC)", ev["started_at"]), ("ended_at", "Selesai (UTC)", ev["ended_at"]),
        ("start_date", "Tanggal mulai (setempat)", ev["start_date"]),
        ("end_date", "Tanggal selesai (setempat)", ev["end_date"]), ("year", "Tahun kejadian", ev["year"]),
        ("days", "Jumlah hari dilaporkan", ev["days"]), ("as_of", "Keadaan per (UTC)", report["as_of"]),
        ("as_of_local", "Keadaan per (setempat)", report["as_of_local"]), ("timezone", "Zona waktu", report["timezone"]),
        ("data_seq", "Nomor perubahan data", report["data_seq"]), ("generated_at", "Dibuat (UTC)", report["generated_at"]),
    ])]
    tables.append(Table("kelurahan", "Wilayah", [("code", "Kode kelurahan"), ("name", "Kelurahan"),
                                                 ("kecamatan_code", "Kode kecamatan"), ("kecamatan_name", "Kecamatan")],
                        [[k["code"], k["name"], k["kecamatan_code"], k["kecamatan_name"]] for k in ev["kelurahan"]]))
    tables.append(Table("status_history", "Riwayat", [("at", "Waktu (UTC)"), ("action", "Tindakan"),
                                                      ("label", "Keterangan")],
                        [[h["at"], h["action"], h["label"]] for h in ev["status_history"]]))
    pp = report["people"]
    people_rows: list[list[Any]] = [["summary", k, PEOPLE_LABELS[k], pp[k]] for k in PEOPLE_LABELS]
    people_rows += [["condition", k, CONDITION_LABELS[k], v] for k, v in pp["by_condition"].items()]
    people_rows += [["sex", k, {"L": "Laki-laki", "P": "Perempuan"}[k], v] for k, v in pp["by_sex"].items()]
    people_rows += [["age_group", k, AGE_GROUP_LABELS[k], v] for k, v in pp["by_age_group"].items()]
    for sex, groups in pp["by_sex_age_group"].items():
        people_rows += [[f"age_group_{sex}", k, f"{AGE_GROUP_LABELS[k]}, {sex}", v] for k, v in groups.items()]
    people_rows += [["vulnerability", k, VULNERABILITY_LABELS[k], pp["vulnerable"].get(k, 0)] for k in VULNERABILITIES]
    people_rows.append(["vulnerability", "needs_psychosocial", "Perlu dukungan psikososial", pp["needs_psychosocial"]])
    tables.append(Table("people", "Korban", [("group", "Kelompok"), ("category", "Kategori"), ("label", "Uraian"),
                                             ("value", "Jumlah")], people_rows))
    kel_cols = [("kelurahan_code", "Kode kelurahan"), ("kelurahan_name", "Kelurahan"), ("kecamatan_name", "Kecamatan"),
                ("registered", "Terdaftar"), ("displaced_now", "Mengungsi"),
                ("in_shelters_now", "Di tempat penampungan"), ("mandiri_now", "Mengungsi mandiri"),
                ("returned", "Sudah kembali"),
                ("affected", "Terdampak"), ("injured", "Luka"), ("missing", "Hilang"), ("dead", "Meninggal"),
                ("L", "Laki-laki"), ("P", "Perempuan")] + [(g, AGE_GROUP_LABELS[g]) for g in AGE_GROUPS]
    tables.append(Table("people_by_kelurahan", "Korban per kelurahan", kel_cols,
                        [[r[k] for k, _ in kel_cols] for r in pp["by_kelurahan"]]))
    stay_cols = [("kelurahan_code", "Kode kelurahan"), ("kelurahan_name", "Kelurahan"), ("kecamatan_name", "Kecamatan"),
                 ("in_shelters_now", "Di tempat penampungan"), ("mandiri_now", "Mengungsi mandiri")]
    tables.append(Table("people_displaced_by_kelurahan", "Tempat mengungsi", stay_cols,
                        [[r[k] for k, _ in stay_cols] for r in pp["displaced_by_kelurahan"]]))
    sh_cols = [("id", "ID"), ("name", "Nama tempat penampungan"), ("kind", "Jenis"), ("kelurahan_code", "Kode kelurahan"),
               ("kelurahan_name", "Kelurahan"), ("opened_date", "Dibuka"), ("closed_date", "Ditutup"),
               ("days_open", "Lama buka (hari)"), ("capacity_persons", "Kapasitas"), ("occupants", "Penghuni"),
               ("peak_occupancy", "Penghuni terbanyak"), ("peak_date", "Tanggal penghuni terbanyak"),
               ("persons_served", "Pernah ditampung"), ("covered_area_m2", "Luas tertutup (m2)"), ("toilets", "Jamban"),
               ("covered_area_ok", "Luas memadai"), ("toilets_ok", "Jamban memadai"),
               ("meals_due_today", "Makan wajib hari itu"), ("meals_delivered_today", "Makan tersalur hari itu"),
               ("opened_at", "Dibuka (UTC)"), ("closed_at", "Ditutup (UTC)"), ("peak_at", "Penghuni terbanyak (UTC)")]
    tables.append(Table("shelters", "Tempat penampungan", sh_cols,
                        [[s[k] for k, _ in sh_cols] for s in report["shelters"]]))
    need_cols = [("item_code", "Kode barang"), ("item_name", "Barang"), ("unit", "Satuan"), ("basis", "Dasar"),
                 ("rate", "Takaran"), ("service", "Layanan SPM"), ("required", "Kebutuhan"), ("delivered", "Tersalur"),
                 ("gap", "Kekurangan"), ("coverage_percent", "Capaian (%)")]
    tables.append(Table("needs", "Kebutuhan", need_cols, [[n[k] for k, _ in need_cols] for n in report["needs"]]))
    dist_cols = [("item_code", "Kode barang"), ("item_name", "Barang"), ("unit", "Satuan"), ("records", "Catatan"),
                 ("quantity", "Jumlah")]
    tables.append(Table("distributions", "Penyaluran", dist_cols,
                        [[d[k] for k, _ in dist_cols] for d in report["distributions"]]))
    ind = report["indicator"]
    ind_rows: list[list[Any]] = [["total", "Seluruh layanan dasar (indikator)", ind["eligible"], ind["fulfilled"],
                                  ind["percent"], ind["target_percent"]]]
    ind_rows += [[code, SERVICE_LABELS[code], s["eligible"], s["fulfilled"], s["percent"], None]
                 for code, s in ind["services"].items()]
    tables.append(Table("indicator", "Indikator", [("service", "Layanan"), ("label", "Uraian"),
                                                   ("eligible", "Wajib"), ("fulfilled", "Terpenuhi"),
                                                   ("percent", "Persen"), ("target_percent", "Target (%)")], ind_rows))
    tables.append(Table("services", "Layanan", [("kind", "Jenis layanan"), ("label", "Uraian"), ("records", "Catatan"),
                                                ("persons", "Orang")],
                        [[s["kind"], SERVICE_LABELS.get(s["kind"], as_label(s["kind"])), s["records"], s["persons"]]
                         for s in report["services"]]))
    if "tracing" in report:
        labels = {"sought": "Dilaporkan dicari", "found": "Ditemukan", "reunited": "Dipertemukan",
                  "still_missing": "Masih dicari", "closed": "Ditutup", "children_separated": "Anak terpisah",
                  "children_reunited": "Anak dipertemukan"}
        tables.append(Table("tracing", "Orang dicari", [("count", "Hitungan"), ("label", "Uraian"), ("value", "Jumlah")],
                            [[k, labels[k], v] for k, v in report["tracing"].items()]))
    day_cols = [("date", "Tanggal"), ("displaced", "Mengungsi"), ("eligible", "Wajib"), ("fulfilled", "Terpenuhi"),
                ("fulfilled_percent", "Terpenuhi (%)"), ("source", "Sumber"), ("as_of", "Keadaan per (UTC)")]
    tables.append(Table("daily", "Harian", day_cols, [[d[k] for k, _ in day_cols] for d in report["daily"]]))
    if "unmet" in report:
        tables.append(Table("unmet", "Belum terpenuhi", [("person_id", "ID orang"), ("name", "Nama"),
                                                         ("missing", "Layanan belum terpenuhi")],
                            [[u["person_id"], u["name"], ";".join(u["missing"])] for u in report["unmet"]]))
    return tables


# ---------------------------------------------------------------- the Renstra report

OFFICE = "Dinas Sosial Kota Binjai"
RENSTRA_HEADINGS = ("No", "Indikator", "Satuan", "Target", "Realisasi", "Capaian (%)", "Pagu (Rp)", "Sumber")
RENSTRA_CSV_COLUMNS = ("tahun", "no", "kode", "indikator", "satuan", "target", "realisasi", "capaian_persen",
                       "pagu_rupiah", "sumber", "realisasi_anggaran_rupiah",
                       # where the number came from (the row's `provenance`)
                       "asal_data", "register", "keterangan_asal", "diisi_oleh", "diisi_pada")


def renstra_title(year: int) -> str:
    return f"Laporan Capaian Indikator Renstra {OFFICE} Tahun {year}"


def renstra_groups(rows: list[dict[str, Any]]) -> dict[int, str]:
    """Group headings like the plan's table: before the first outcome row and the first sub-kegiatan row."""
    out: dict[int, str] = {}
    seen: set[str] = set()
    for no, row in enumerate(rows, start=1):
        level = (row.get("level") or "").lower()
        kind = "sub" if "sub-kegiatan" in level else "outcome"
        if kind not in seen:
            seen.add(kind)
            out[no] = ("Sub kegiatan (keluaran)" if kind == "sub"
                       else "Indikator kinerja program (hasil / outcome)")
    return out
