"""The post-disaster report (a dict from `event_report.build_event_report`) as JSON, CSV, XLSX or PDF.

- JSON: the dict itself (UTF-8).
- CSV: one file of section blocks. A block is a row whose only cell is `section:<key>`, then a header
  row of field names, then the data rows, then an empty row. Numbers are plain (a dot for decimals,
  no thousands separator); instants are ISO 8601 in UTC; a list of services in one cell is
  separated by `;`. The keys, in order: event, kelurahan, status_history, people, people_by_kelurahan,
  shelters, needs, distributions, indicator, services, daily, and unmet (only when the report has
  names).
- XLSX: one sheet per section, same rows, Indonesian column headings, numbers as number cells.
- PDF: A4, Indonesian headings, the tables above in readable form, a chart of displaced persons and
  the percent fulfilled per day, and at most 500 persons not fulfilled (it says how many more are
  in the XLSX/CSV).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shared.needs.model import VULNERABILITIES
from shared.reports.cells import safe_text, xlsx_row
from shared.reports.event_data import AGE_GROUP_LABELS, AGE_GROUPS

PDF_UNMET_LIMIT = 500
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

SERVICE_LABELS = {"permakanan": "Permakanan", "sandang": "Sandang", "tempat_penampungan": "Tempat penampungan",
                  "penanganan_khusus": "Penanganan khusus kelompok rentan", "psikososial": "Dukungan psikososial"}
STATUS_LABELS = {"siaga_darurat": "Siaga darurat", "tanggap_darurat": "Tanggap darurat",
                 "transisi_darurat": "Transisi darurat ke pemulihan", "selesai": "Selesai"}
CATEGORY_LABELS = {"alam": "Bencana alam", "non_alam": "Bencana non-alam", "sosial": "Bencana sosial"}
CONDITION_LABELS = {"selamat": "Selamat", "luka": "Luka-luka", "hilang": "Hilang", "meninggal": "Meninggal dunia"}
VULNERABILITY_LABELS = {"balita": "Balita", "lansia": "Lanjut usia", "ibu_hamil": "Ibu hamil",
                        "ibu_menyusui": "Ibu menyusui", "disabilitas": "Penyandang disabilitas"}
PEOPLE_LABELS = {"registered": "Terdaftar", "displaced_now": "Mengungsi", "returned": "Sudah kembali",
                 "affected": "Terdampak, tidak mengungsi", "injured": "Luka-luka", "missing": "Hilang",
                 "dead": "Meninggal dunia"}
BASIS_LABELS = {"per_person_day": "per orang per hari", "per_person_once": "per orang",
                "per_household_once": "per keluarga", "per_vulnerable_once": "per orang rentan"}
SOURCE_LABELS = {"stored": "tersimpan", "computed": "dihitung"}
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")


def _label(value: str | None) -> str:
    """`tanah_longsor` → `Tanah longsor`."""
    if not value:
        return ""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- tables (CSV, XLSX, and the PDF's data)

@dataclass
class Table:
    key: str  # CSV section key
    title: str  # XLSX sheet title (≤ 31 characters)
    columns: list[tuple[str, str]]  # (field, Indonesian heading)
    rows: list[list[Any]]


def _kv(key: str, title: str, rows: list[tuple[str, str, Any]]) -> Table:
    return Table(key, title, [("field", "Kolom"), ("label", "Uraian"), ("value", "Nilai")],
                 [[f, label, v] for f, label, v in rows])


def report_tables(report: dict[str, Any]) -> list[Table]:
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
                ("registered", "Terdaftar"), ("displaced_now", "Mengungsi"), ("returned", "Sudah kembali"),
                ("affected", "Terdampak"), ("injured", "Luka"), ("missing", "Hilang"), ("dead", "Meninggal"),
                ("L", "Laki-laki"), ("P", "Perempuan")] + [(g, AGE_GROUP_LABELS[g]) for g in AGE_GROUPS]
    tables.append(Table("people_by_kelurahan", "Korban per kelurahan", kel_cols,
                        [[r[k] for k, _ in kel_cols] for r in pp["by_kelurahan"]]))
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
                        [[s["kind"], SERVICE_LABELS.get(s["kind"], _label(s["kind"])), s["records"], s["persons"]]
                         for s in report["services"]]))
    day_cols = [("date", "Tanggal"), ("displaced", "Mengungsi"), ("eligible", "Wajib"), ("fulfilled", "Terpenuhi"),
                ("fulfilled_percent", "Terpenuhi (%)"), ("source", "Sumber"), ("as_of", "Keadaan per (UTC)")]
    tables.append(Table("daily", "Harian", day_cols, [[d[k] for k, _ in day_cols] for d in report["daily"]]))
    if "unmet" in report:
        tables.append(Table("unmet", "Belum terpenuhi", [("person_id", "ID orang"), ("name", "Nama"),
                                                         ("missing", "Layanan belum terpenuhi")],
                            [[u["person_id"], u["name"], ";".join(u["missing"])] for u in report["unmet"]]))
    return tables


# ---------------------------------------------------------------- file names

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "kejadian"


def filename(report: dict[str, Any], ext: str) -> str:
    day = report["as_of_local"][:10].replace("-", "")
    return f"laporan-pasca-bencana-{_slug(report['event']['name'])}-{day}.{ext}"


# ---------------------------------------------------------------- JSON, CSV, XLSX

def render_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_text(value)


def render_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for t in report_tables(report):
        w.writerow([f"section:{t.key}"])
        w.writerow([k for k, _ in t.columns])
        w.writerows([_csv_value(v) for v in row] for row in t.rows)
        w.writerow([])
    return out.getvalue().encode("utf-8")


def render_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for t in report_tables(report):
        ws = wb.create_sheet(t.title[:31])
        ws.freeze_panes = "A2"
        widths = [max(10, min(48, len(label) + 2)) for _, label in t.columns]
        for i, (field, _) in enumerate(t.columns):
            if field in ("name", "item_name", "label", "kelurahan_name", "value"):
                widths[i] = 36
            elif field in ("id", "person_id") or field.endswith("_at") or field == "as_of":
                widths[i] = 30
        for i, width in enumerate(widths):
            ws.column_dimensions[_column_letter(i + 1)].width = width
        header = []
        for _, label in t.columns:
            cell = WriteOnlyCell(ws, value=label)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in t.rows:
            ws.append(xlsx_row(ws, row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


# ---------------------------------------------------------------- number and date formats (Indonesian)

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


def fmt_instant(iso: str | None, tz: ZoneInfo) -> str:
    """An instant in local time: 3 Januari 2026 12.00 WIB."""
    if not iso:
        return "–"
    local = datetime.fromisoformat(iso).astimezone(tz)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M} {local.tzname()}"


# ---------------------------------------------------------------- PDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_LATIN1 = str.maketrans({"–": "-", "—": "-", "…": "...", "≥": ">=", "≤": "<=", "·": "-", "’": "'", "‘": "'",
                         "“": '"', "”": '"', "•": "-"})


def _make_pdf(title: str, footer_note: str) -> Any:
    from fpdf import FPDF

    class ReportPDF(FPDF):
        unicode_font = False
        base_font = "Helvetica"

        def header(self) -> None:  # noqa: D401 - fpdf hook
            if self.page_no() == 1:
                return
            self.set_font(self.base_font, "", 7)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, self.t(title), new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(1)

        def footer(self) -> None:  # noqa: D401 - fpdf hook
            self.set_y(-12)
            self.set_font(self.base_font, "", 7)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, self.t(f"{footer_note} · Halaman {self.page_no()} dari {{nb}}"), align="C")
            self.set_text_color(0, 0, 0)

        def t(self, text: Any) -> str:
            text = "" if text is None else str(text)
            if self.unicode_font:
                return text
            return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    pdf = ReportPDF(orientation="P", unit="mm", format="A4")
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        pdf.base_font, pdf.unicode_font = "DejaVu", True
    # else fpdf2's core font, Helvetica: latin-1 only
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages()
    pdf.set_title(title)
    pdf.set_creator("Posko")
    return pdf


class _Writer:
    """Headings, paragraphs, key-value lists and tables on an fpdf2 document."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(self, text: str, size: float = 12) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.page_break_trigger - 45:  # no heading alone at the foot of a page
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(pdf.base_font, "B", size)
        pdf.set_text_color(20, 60, 110)
        pdf.cell(0, 7, pdf.t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(20, 60, 110)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
        pdf.ln(2)

    def paragraph(self, text: str, size: float = 9, style: str = "") -> None:
        pdf = self.pdf
        pdf.set_font(pdf.base_font, style, size)
        pdf.multi_cell(0, size * 0.5, pdf.t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def pairs(self, rows: Sequence[tuple[str, str]], label_width: float = 55) -> None:
        pdf = self.pdf
        for label, value in rows:
            pdf.set_font(pdf.base_font, "B", 8.5)
            y = pdf.get_y()
            pdf.multi_cell(label_width, 5, pdf.t(label), new_x="RIGHT", new_y="TOP")
            pdf.set_font(pdf.base_font, "", 8.5)
            pdf.multi_cell(self.width - label_width, 5, pdf.t(value), new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(max(pdf.get_y(), y + 5))

    def _fit(self, text: str, width: float) -> str:
        pdf = self.pdf
        if pdf.get_string_width(text) <= width - 1.5:
            return text
        ell = "…" if pdf.unicode_font else "..."
        while text and pdf.get_string_width(text + ell) > width - 1.5:
            text = text[:-1]
        return text + ell

    def table(self, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[Any]], size: float = 7.5,
              row_height: float = 5, bold_first_row: bool = False) -> None:
        """columns: (heading, width in mm, align L/R/C); widths are scaled to the page width."""
        pdf = self.pdf
        scale = self.width / sum(w for _, w, _ in columns)
        widths = [w * scale for _, w, _ in columns]

        def head() -> None:
            pdf.set_font(pdf.base_font, "B", size)
            pdf.set_fill_color(220, 230, 242)
            for (label, _, _), w in zip(columns, widths, strict=True):
                pdf.cell(w, row_height + 1, self._fit(pdf.t(label), w), border=1, align="C", fill=True)
            pdf.ln(row_height + 1)

        height = (row_height + 1) + row_height * len(rows)
        room = pdf.page_break_trigger - pdf.get_y()
        if len(rows) <= 15 and height > room and height < pdf.page_break_trigger - pdf.t_margin - 10:
            pdf.add_page()  # a short table is kept on one page
        head()
        for i, row in enumerate(rows):
            if pdf.get_y() + row_height > pdf.page_break_trigger:
                pdf.add_page()
                head()
            pdf.set_font(pdf.base_font, "B" if bold_first_row and i == 0 else "", size)
            fill = i % 2 == 1
            pdf.set_fill_color(245, 247, 250)
            for (_, _, align), w, value in zip(columns, widths, row, strict=True):
                pdf.cell(w, row_height, self._fit(pdf.t(value), w), border=1, align=align, fill=fill)
            pdf.ln(row_height)
        pdf.ln(2)


def _chart(pdf: Any, daily: list[dict[str, Any]], width: float, height: float = 62) -> None:
    """Bars: displaced persons per day (left axis). Line: percent fulfilled (right axis, 0–100)."""
    x0 = pdf.l_margin + 12
    w = width - 24
    top = pdf.get_y() + 8
    y0 = top + height  # the baseline
    pdf.set_font(pdf.base_font, "", 7)
    # legend
    pdf.set_fill_color(120, 165, 215)
    pdf.rect(pdf.l_margin + 12, top - 7, 4, 3, style="F")
    pdf.set_xy(pdf.l_margin + 17, top - 8)
    pdf.cell(45, 5, pdf.t("Pengungsi (orang, sumbu kiri)"))
    pdf.set_draw_color(200, 40, 40)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin + 80, top - 5.5, pdf.l_margin + 86, top - 5.5)
    pdf.set_xy(pdf.l_margin + 87, top - 8)
    pdf.cell(60, 5, pdf.t("Korban terpenuhi kebutuhan dasar (%, sumbu kanan)"))
    pdf.set_line_width(0.2)
    if not daily:
        pdf.set_xy(x0, top + height / 2)
        pdf.cell(w, 5, pdf.t("Belum ada hari yang dilaporkan."), align="C")
        pdf.set_y(y0 + 10)
        return
    peak = max(d["displaced"] for d in daily)
    step = _nice_step(peak)
    axis_max = max(step * 4, step)
    # grid and axes
    pdf.set_draw_color(215, 215, 215)
    for k in range(5):
        y = y0 - height * k / 4
        pdf.line(x0, y, x0 + w, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.cell(11, 4, fmt_int(axis_max * k / 4), align="R")
        pdf.set_xy(x0 + w + 1, y - 2)
        pdf.cell(11, 4, f"{25 * k}%", align="L")
    pdf.set_draw_color(80, 80, 80)
    pdf.line(x0, y0, x0 + w, y0)
    pdf.line(x0, top, x0, y0)
    pdf.line(x0 + w, top, x0 + w, y0)
    n = len(daily)
    slot = w / n
    bar = slot * 0.7
    pdf.set_fill_color(120, 165, 215)
    for i, d in enumerate(daily):
        h = height * d["displaced"] / axis_max if axis_max else 0
        if h > 0:
            pdf.rect(x0 + i * slot + (slot - bar) / 2, y0 - h, bar, h, style="F")
    # the percent line, broken where a day has nobody eligible
    pdf.set_draw_color(200, 40, 40)
    pdf.set_line_width(0.6)
    pdf.set_fill_color(200, 40, 40)
    points: list[tuple[float, float]] = []
    for i, d in enumerate(daily):
        pct = d["fulfilled_percent"]
        if pct is None:
            if len(points) > 1:
                pdf.polyline(points)
            points = []
            continue
        pt = (x0 + (i + 0.5) * slot, y0 - height * min(pct, 100) / 100)
        points.append(pt)
        if n <= 62:
            pdf.rect(pt[0] - 0.6, pt[1] - 0.6, 1.2, 1.2, style="F")
    if len(points) > 1:
        pdf.polyline(points)
    pdf.set_line_width(0.2)
    # day labels
    every = max(1, -(-n // 14))
    pdf.set_font(pdf.base_font, "", 6.5)
    last_year = None
    for i, d in enumerate(daily):
        if i % every and i != n - 1:
            continue
        y, m, day = d["date"].split("-")
        label = f"{int(day)}/{int(m)}"
        if y != last_year:
            label += f"/{y}"
            last_year = y
        pdf.set_xy(x0 + (i + 0.5) * slot - 9, y0 + 1)
        pdf.cell(18, 4, label, align="C")
    pdf.set_y(y0 + 7)


def _nice_step(peak: float) -> float:
    """A round step so that 4 steps cover `peak` (1, 2, 2.5, 5 × 10^k; at least 1)."""
    if peak <= 4:
        return 1
    raw = peak / 4
    mag = 10 ** (len(str(int(raw))) - 1)
    for m in ((1, 2, 2.5, 5, 10) if mag >= 10 else (1, 2, 5, 10)):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def render_pdf(report: dict[str, Any]) -> bytes:
    tz = ZoneInfo(report["timezone"])
    ev = report["event"]
    pp = report["people"]
    ind = report["indicator"]
    as_of_text = fmt_instant(report["as_of"], tz)
    pdf = _make_pdf(f"Laporan Pasca Bencana — {ev['name']} — keadaan per {as_of_text}",
                    f"Posko · dibuat {fmt_instant(report['generated_at'], tz)}")
    out = _Writer(pdf)
    pdf.add_page()
    pdf.set_font(pdf.base_font, "B", 17)
    pdf.set_text_color(20, 60, 110)
    pdf.cell(0, 9, pdf.t("LAPORAN PASCA BENCANA"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(pdf.base_font, "B", 12)
    pdf.multi_cell(0, 6, pdf.t(ev["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.base_font, "", 9)
    pdf.cell(0, 5, pdf.t(f"Keadaan per {as_of_text}"), new_x="LMARGIN", new_y="NEXT")

    out.heading("1. Data Kejadian")
    area = "; ".join(f"{k['name'] or '?'} ({k['code']}), Kec. {k['kecamatan_name'] or '?'}" for k in ev["kelurahan"])
    history = "; ".join(f"{h['label']} {fmt_instant(h['at'], tz)}" for h in ev["status_history"]) or "–"
    out.pairs([
        ("Jenis bencana", f"{_label(ev['kind'])} ({CATEGORY_LABELS.get(ev['category'], ev['category'])})"),
        ("Status saat ini", STATUS_LABELS.get(ev["status"], ev["status"])),
        ("Mulai", fmt_instant(ev["started_at"], tz)),
        ("Selesai", fmt_instant(ev["ended_at"], tz) if ev["ended_at"] else "belum selesai"),
        ("Tahun kejadian", str(ev["year"])),
        ("Lama dilaporkan", f"{fmt_int(ev['days'])} hari"),
        ("Wilayah terdampak", area or "–"),
        ("Standar kebutuhan", f"{ev['standard_code']} (versi {ev['standard_version']})"),
        ("Riwayat perubahan", history),
    ])

    out.heading("2. Capaian Kebutuhan Dasar (SPM)")
    if ind["eligible"]:
        out.paragraph(f"Korban terpenuhi kebutuhan dasarnya: {fmt_int(ind['fulfilled'])} dari {fmt_int(ind['eligible'])} "
                      f"orang ({fmt_pct(ind['percent'])}); target {fmt_num(ind['target_percent'])}%.", 10.5, "B")
    else:
        out.paragraph("Belum ada korban yang mengungsi: indikator belum dapat dihitung.", 10.5, "B")
    out.table([("Layanan dasar", 70, "L"), ("Wajib", 25, "R"), ("Terpenuhi", 25, "R"), ("Belum", 25, "R"),
               ("Capaian", 25, "R")],
              [[SERVICE_LABELS[c], fmt_int(s["eligible"]), fmt_int(s["fulfilled"]),
                fmt_int(s["eligible"] - s["fulfilled"]), fmt_pct(s["percent"])] for c, s in ind["services"].items()])

    out.heading("3. Grafik Harian: Pengungsi dan Korban Terpenuhi")
    if pdf.get_y() > pdf.h - 100:
        pdf.add_page()
    _chart(pdf, report["daily"], out.width)

    out.heading("4. Data Korban")
    out.table([("Keadaan korban", 90, "L"), ("Jumlah (orang)", 40, "R")],
              [[PEOPLE_LABELS[k], fmt_int(pp[k])] for k in PEOPLE_LABELS])
    by_sa = pp["by_sex_age_group"]
    out.table([("Kelompok umur", 70, "L"), ("Laki-laki", 30, "R"), ("Perempuan", 30, "R"), ("Jumlah", 30, "R")],
              [[AGE_GROUP_LABELS[g], fmt_int(by_sa["L"][g]), fmt_int(by_sa["P"][g]), fmt_int(pp["by_age_group"][g])]
               for g in AGE_GROUPS]
              + [["Jumlah", fmt_int(pp["by_sex"]["L"]), fmt_int(pp["by_sex"]["P"]), fmt_int(pp["registered"])]])
    out.table([("Kondisi", 45, "L"), ("Orang", 20, "R"), ("Kelompok rentan", 60, "L"), ("Orang", 20, "R")],
              _side_by_side([(CONDITION_LABELS[k], fmt_int(v)) for k, v in pp["by_condition"].items()],
                            [(VULNERABILITY_LABELS[k], fmt_int(pp["vulnerable"].get(k, 0))) for k in VULNERABILITIES]
                            + [("Perlu dukungan psikososial", fmt_int(pp["needs_psychosocial"]))]))
    pdf.set_font(pdf.base_font, "B", 9)
    pdf.cell(0, 6, pdf.t("Korban per kelurahan (menurut keluarga)"), new_x="LMARGIN", new_y="NEXT")
    out.table([("Kelurahan", 47, "L"), ("Terdaftar", 16, "R"), ("Mengungsi", 16, "R"), ("Kembali", 14, "R"),
               ("Terdampak", 19, "R"), ("Luka", 10, "R"), ("Hilang", 11, "R"), ("Meninggal", 15, "R"),
               ("L", 10, "R"), ("P", 10, "R")],
              [[(f"{r['kelurahan_name']} ({r['kelurahan_code']})" if r["kelurahan_code"] else "Tidak diketahui"),
                fmt_int(r["registered"]), fmt_int(r["displaced_now"]), fmt_int(r["returned"]), fmt_int(r["affected"]),
                fmt_int(r["injured"]), fmt_int(r["missing"]), fmt_int(r["dead"]), fmt_int(r["L"]), fmt_int(r["P"])]
               for r in pp["by_kelurahan"]], size=7)

    out.heading("5. Tempat Penampungan")
    shelters = report["shelters"]
    out.paragraph(f"{fmt_int(len(shelters))} tempat penampungan dibuka; "
                  f"{fmt_int(sum(1 for s in shelters if s['closed_at'] is None))} masih buka; "
                  f"{fmt_int(sum(s['occupants'] for s in shelters))} penghuni saat ini, kapasitas "
                  f"{fmt_int(sum(s['capacity_persons'] for s in shelters))} orang.")
    ok = {True: "ya", False: "tidak", None: "–"}
    out.paragraph("Puncak: penghuni terbanyak pada satu saat hingga tanggal laporan. Luas dan jamban: memadai "
                  "menurut standar untuk penghuni saat ini.", 7.5)
    out.table([("Nama", 38, "L"), ("Kelurahan", 24, "L"), ("Dibuka", 16, "C"), ("Ditutup", 16, "C"),
               ("Kapasitas", 15, "R"), ("Penghuni", 15, "R"), ("Puncak", 12, "R"), ("Tgl puncak", 18, "C"),
               ("Luas", 10, "C"), ("Jamban", 12, "C")],
              [[s["name"], s["kelurahan_name"] or s["kelurahan_code"], _short_date(s["opened_date"]),
                _short_date(s["closed_date"]), fmt_int(s["capacity_persons"]), fmt_int(s["occupants"]),
                fmt_int(s["peak_occupancy"]), _short_date(s["peak_date"]), ok[s["covered_area_ok"]], ok[s["toilets_ok"]]]
               for s in shelters], size=6.8, row_height=4.6)

    out.heading("6. Kebutuhan dan Penyaluran")
    out.table([("Barang", 50, "L"), ("Satuan", 16, "L"), ("Dasar", 28, "L"), ("Kebutuhan", 22, "R"),
               ("Tersalur", 22, "R"), ("Kekurangan", 22, "R"), ("Capaian", 18, "R")],
              [[n["item_name"] or n["item_code"], n["unit"], BASIS_LABELS.get(n["basis"] or "", n["basis"] or ""),
                fmt_num(n["required"]), fmt_num(n["delivered"]), fmt_num(n["gap"]), fmt_pct(n["coverage_percent"])]
               for n in report["needs"]], size=7)
    if report["distributions"]:
        pdf.set_font(pdf.base_font, "B", 9)
        pdf.cell(0, 6, pdf.t("Seluruh penyaluran menurut barang"), new_x="LMARGIN", new_y="NEXT")
        out.table([("Barang", 80, "L"), ("Satuan", 25, "L"), ("Catatan", 25, "R"), ("Jumlah", 35, "R")],
                  [[d["item_name"] or d["item_code"], d["unit"], fmt_int(d["records"]), fmt_num(d["quantity"])]
                   for d in report["distributions"]], size=7)

    out.heading("7. Layanan")
    out.table([("Layanan", 90, "L"), ("Catatan layanan", 35, "R"), ("Orang dilayani", 35, "R")],
              [[SERVICE_LABELS.get(s["kind"], _label(s["kind"])), fmt_int(s["records"]), fmt_int(s["persons"])]
               for s in report["services"]])

    out.heading("8. Rekap Harian")
    out.table([("Tanggal", 40, "L"), ("Mengungsi", 25, "R"), ("Wajib", 25, "R"), ("Terpenuhi", 25, "R"),
               ("Terpenuhi (%)", 25, "R"), ("Sumber", 25, "C")],
              [[fmt_date(d["date"]), fmt_int(d["displaced"]), fmt_int(d["eligible"]), fmt_int(d["fulfilled"]),
                fmt_pct(d["fulfilled_percent"]), SOURCE_LABELS.get(d["source"], d["source"])] for d in report["daily"]],
              size=7)

    out.heading("9. Korban Belum Terpenuhi Kebutuhan Dasarnya")
    total = report["unmet_total"]
    if "unmet" not in report:
        out.paragraph(f"Jumlah korban belum terpenuhi: {fmt_int(total)} orang. Daftar nama tidak disertakan untuk "
                      "peran ini (tanpa data pribadi).")
    elif total == 0 and not ind["eligible"]:
        out.paragraph("Belum ada korban yang wajib dilayani.")
    elif total == 0:
        out.paragraph("Semua korban yang wajib dilayani sudah terpenuhi kebutuhan dasarnya.")
    else:
        shown = report["unmet"][:PDF_UNMET_LIMIT]
        if total > len(shown):
            out.paragraph(f"Ditampilkan {fmt_int(len(shown))} dari {fmt_int(total)} orang; {fmt_int(total - len(shown))} "
                          "orang lainnya tercantum di berkas XLSX/CSV laporan ini.", 9, "B")
        else:
            out.paragraph(f"Seluruh {fmt_int(total)} orang tercantum di bawah ini.")
        out.table([("No", 10, "R"), ("Nama", 55, "L"), ("ID orang", 62, "L"), ("Layanan belum terpenuhi", 60, "L")],
                  [[fmt_int(i + 1), u["name"] or "", u["person_id"],
                    ", ".join(SERVICE_LABELS.get(m, m).lower() for m in u["missing"])] for i, u in enumerate(shown)],
                  size=6.8, row_height=4.4)
        if total > len(shown):
            out.paragraph(f"… dan {fmt_int(total - len(shown))} orang lainnya (lihat berkas XLSX/CSV).", 8.5)
    return bytes(pdf.output())


def _short_date(iso_date: str | None) -> str:
    if not iso_date:
        return "–"
    y, m, d = iso_date.split("-")
    return f"{d}/{m}/{y}"


def _side_by_side(left: list[tuple[str, str]], right: list[tuple[str, str]]) -> list[list[str]]:
    n = max(len(left), len(right))
    left = left + [("", "")] * (n - len(left))
    right = right + [("", "")] * (n - len(right))
    return [[a, b, c, d] for (a, b), (c, d) in zip(left, right, strict=True)]


RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "json": render_json, "csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}


def render(report: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the report in `fmt`."""
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}")
    return RENDERERS[fmt](report), MEDIA_TYPES[fmt], filename(report, fmt)
