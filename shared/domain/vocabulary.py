"""The official Indonesian terms of the field, as enumerations (docs/api.md, "Vocabulary")."""

from __future__ import annotations

from typing import Literal

EVENT_CATEGORY: dict[str, str] = {
    **{k: "alam" for k in (
        "banjir", "tanah_longsor", "cuaca_ekstrem", "gelombang_pasang_abrasi", "gempa_bumi",
        "erupsi_gunung_api", "kebakaran_hutan_lahan", "kekeringan", "tsunami")},
    **{k: "non_alam" for k in ("kebakaran_permukiman", "epidemi_wabah", "gagal_teknologi")},
    **{k: "sosial" for k in ("konflik_sosial", "aksi_teror")},
}

EventKind = Literal[
    "banjir", "tanah_longsor", "cuaca_ekstrem", "gelombang_pasang_abrasi", "gempa_bumi",
    "erupsi_gunung_api", "kebakaran_hutan_lahan", "kekeringan", "tsunami",
    "kebakaran_permukiman", "epidemi_wabah", "gagal_teknologi", "konflik_sosial", "aksi_teror",
]
EventStatus = Literal["siaga_darurat", "tanggap_darurat", "transisi_darurat", "selesai"]
Sex = Literal["L", "P"]
Condition = Literal["selamat", "luka", "hilang", "meninggal"]
ShelterKind = Literal["barak", "fasilitas_sosial", "fasilitas_umum", "sekolah", "rumah_ibadah", "tenda", "lainnya"]
ServiceKind = Literal["penanganan_khusus", "psikososial"]
Role = Literal["admin", "posko", "relawan", "pengamat"]
RegionLevel = Literal["provinsi", "kabupaten_kota", "kecamatan", "kelurahan"]
# The formats a report is rendered in (shared/reports/render).
ReportFormat = Literal["json", "csv", "xlsx", "pdf"]

DERIVED_VULNERABILITIES = ("balita", "lansia")
# terpisah (separated from usual caregivers) and tanpa_pendamping (unaccompanied): children under 18 only
# (docs/rules.md, "Separated and unaccompanied children"); each opens a tracing request for the family.
EXPLICIT_VULNERABILITIES = ("ibu_hamil", "ibu_menyusui", "disabilitas", "terpisah", "tanpa_pendamping")
VULNERABILITIES = DERIVED_VULNERABILITIES + EXPLICIT_VULNERABILITIES
Vulnerability = Literal["balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas", "terpisah", "tanpa_pendamping"]

# Where a person stands at an instant (docs/rules.md, "People counts"; decided by
# shared.needs.rules.displacement): an open stay, stays that are all closed, or none. These are the keys
# of the snapshot's `people` counts; a person answer's `displacement` field spells them in Indonesian.
Displacement = Literal["displaced_now", "returned", "affected"]
DISPLACEMENT_LABEL: dict[Displacement, str] = {"displaced_now": "mengungsi", "returned": "kembali",
                                              "affected": "terdampak"}
