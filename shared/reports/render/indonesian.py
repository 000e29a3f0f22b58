"""How the reports read in Indonesian: the one month-name table, the labels of the vocabulary, and
numbers, dates and instants written the Indonesian way (thousands dots, decimal comma).

Two number styles are kept because the two reports print differently and their files must not change:
the post-disaster report's `fmt_*` format the float as Python does (`fmt_pct(61.2)` → `61,20%`), the
Renstra report's `id_number` rounds the decimal half up (`id_number(83.335)` → `83,34`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")

# ---------------------------------------------------------------- the post-disaster report's vocabulary

AGE_GROUP_LABELS = {"balita": "Balita (0–4)", "anak": "Anak (5–17)", "dewasa": "Dewasa (18–59)",
                    "lansia": "Lansia (60+)", "tidak_diketahui": "Umur tidak diketahui"}
SERVICE_LABELS = {"permakanan": "Permakanan", "sandang": "Sandang", "tempat_penampungan": "Tempat penampungan",
                  "penanganan_khusus": "Penanganan khusus kelompok rentan", "psikososial": "Dukungan psikososial"}
STATUS_LABELS = {"siaga_darurat": "Siaga darurat", "tanggap_darurat": "Tanggap darurat",
                 "transisi_darurat": "Transisi darurat ke pemulihan", "selesai": "Selesai"}
CATEGORY_LABELS = {"alam": "Bencana alam", "non_alam": "Bencana non-alam", "sosial": "Bencana sosial"}
CONDITION_LABELS = {"selamat": "Selamat", "luka": "Luka-luka", "hilang": "Hilang", "meninggal": "Meninggal dunia"}
VULNERABILITY_LABELS = {"balita": "Balita", "lansia": "Lanjut usia", "ibu_hamil": "Ibu hamil",
                        "ibu_menyusui": "Ibu menyusui", "disabilitas": "Penyandang disabilitas",
                        "terpisah": "Anak terpisah", "tanpa_pendamping": "Anak tanpa pendamping"}
PEOPLE_LABELS = {"registered": "Terdaftar", "displaced_now": "Mengungsi",
                 "in_shelters_now": "Mengungsi di tempat penampungan", "mandiri_now": "Mengungsi mandiri",
                 "returned": "Sudah kembali",
                 "affected": "Terdampak, tidak mengungsi", "injured": "Luka-luka", "missing": "Hilang",
                 "dead": "Meninggal dunia"}
BASIS_LABELS = {"per_person_day": "per orang per hari", "per_person_once": "per orang",
                "per_household_once": "per keluarga", "per_vulnerable_once": "per orang rentan"}
DAILY_SOURCE_LABELS = {"stored": "tersimpan", "computed": "dihitung"}

# ---------------------------------------------------------------- the Renstra report's vocabulary

RENSTRA_SOURCE_LABELS = {"computed": "Dihitung sistem", "manual": "Diisi manual", "none": "Belum ada data"}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def as_label(value: str | None) -> str:
    """`tanah_longsor` → `Tanah longsor`."""
    if not value:
        return ""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- the post-disaster report's numbers and dates

def fmt_int(value: Any) -> str:
    """12345 → 12.345; None → –."""
    if value is None:
        return "–"
    return f"{int(value):,}".replace(",", ".")


def fmt_num(value: Any, places: int = 2) -> str:
    """An amount: whole numbers without decimals, others with up to `places` (41,67; 1.234,5)."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return fmt_int(value)
    text = f"{float(value):,.{places}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_pct(value: Any) -> str:
    """66.67 → 66,67%; 61.2 → 61,20%; None → –."""
    if value is None:
        return "–"
    return f"{float(value):,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".") + "%"


def fmt_date(iso_date: str | None) -> str:
    """2026-01-03 → 3 Januari 2026."""
    if not iso_date:
        return "–"
    y, m, d = (int(x) for x in iso_date[:10].split("-"))
    return f"{d} {MONTHS[m - 1]} {y}"


def fmt_short_date(iso_date: str | None) -> str:
    """2026-01-03 → 03/01/2026."""
    if not iso_date:
        return "–"
    y, m, d = iso_date.split("-")
    return f"{d}/{m}/{y}"


def fmt_instant(iso: str | None, tz: ZoneInfo) -> str:
    """An instant in local time: 3 Januari 2026 12.00 WIB."""
    if not iso:
        return "–"
    local = datetime.fromisoformat(iso).astimezone(tz)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M} {local.tzname()}"


# ---------------------------------------------------------------- the Renstra report's numbers and dates

def id_number(value: float | int | None, decimals: int | None = None, empty: str = "–") -> str:
    """1234567 → '1.234.567'; 83.333 → '83,33'; whole numbers without decimals unless `decimals` is given."""
    if value is None:
        return empty
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    places = decimals if decimals is not None else (0 if d == d.to_integral_value() else 2)
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    text = f"{abs(q):.{places}f}"
    whole, _, frac = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = sign + ".".join(groups)
    return f"{out},{frac}" if frac else out


def id_datetime(iso: str) -> str:
    """'2019-12-30T08:00:00+07:00' → '30 Desember 2019 08.00' (in the instant's own offset)."""
    dt = datetime.fromisoformat(iso)
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year} {dt.hour:02d}.{dt.minute:02d}"


def zone_name(report: dict[str, Any]) -> str:
    """WIB, WITA or WIT for the report's time zone (its name otherwise)."""
    tz = report.get("timezone") or ""
    return ZONE_NAMES.get(tz, tz)


def in_report_zone(iso: str, report: dict[str, Any]) -> str:
    """An instant shown in the report's time zone."""
    tz = report.get("timezone")
    dt = datetime.fromisoformat(iso)
    return (dt.astimezone(ZoneInfo(tz)) if tz else dt).isoformat()
