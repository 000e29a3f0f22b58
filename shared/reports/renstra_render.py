"""The Renstra report in JSON, CSV, XLSX and PDF: the same rows in every format.

- JSON: the report dict as built (`application/json`).
- CSV: one block, one header row then one row per indicator in the plan's order:
  `tahun, no, kode, indikator, satuan, target, realisasi, capaian_persen, pagu_rupiah, sumber`;
  numbers are plain (dot decimals, no thousands separators), empty when absent; `sumber` is the
  JSON `source` (computed | manual | none).
- XLSX: one sheet laid out like the plan's tables: a title, then the header row
  `No | Indikator | Satuan | Target | Realisasi | Capaian (%) | Pagu (Rp) | Sumber | Kode` (row 5),
  one row per indicator with real number cells, then the events counted.
- PDF: A4 landscape, Indonesian headings, the same table with wrapped indicator names, Indonesian
  number formatting (thousands dots, decimal comma), Rupiah pagu, grouped like the plan
  (program outcome, then sub-kegiatan), notes on the sources and the events counted.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from shared.reports.cells import safe_row, set_xlsx_value

MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(MEDIA)
OFFICE = "Dinas Sosial Kota Binjai"
SOURCE_LABEL = {"computed": "Dihitung sistem", "manual": "Diisi manual", "none": "Belum ada data"}
HEADINGS = ("No", "Indikator", "Satuan", "Target", "Realisasi", "Capaian (%)", "Pagu (Rp)", "Sumber")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def title(year: int) -> str:
    return f"Laporan Capaian Indikator Renstra {OFFICE} Tahun {year}"


def filename(year: int, fmt: str) -> str:
    return f"renstra-penanganan-bencana-{year}.{fmt}"


def render(report: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(bytes, media type, filename) of `report` in `fmt`."""
    makers = {"json": _json, "csv": _csv, "xlsx": _xlsx, "pdf": _pdf}
    if fmt not in makers:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return makers[fmt](report), MEDIA[fmt], filename(report["year"], fmt)


# ---- number and date formatting (Indonesian) --------------------------------------------------------

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


ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_name(report: dict[str, Any]) -> str:
    tz = report.get("timezone") or ""
    return ZONE_NAMES.get(tz, tz)


def _plain(value: Any) -> Any:
    return "" if value is None else value


# ---- JSON and CSV ------------------------------------------------------------------------------------

def _json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")


def _csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["tahun", "no", "kode", "indikator", "satuan", "target", "realisasi", "capaian_persen", "pagu_rupiah",
                "sumber"])
    for no, row in enumerate(report["indicators"], start=1):
        w.writerow(safe_row([report["year"], no, row["code"], row["name"], row["unit"], _plain(row["target"]),
                             _plain(row["realisation"]), _plain(row["achievement_percent"]), _plain(row["pagu"]),
                             row["source"]]))
    return out.getvalue().encode("utf-8")


# ---- XLSX ---------------------------------------------------------------------------------------------

XLSX_HEADER_ROW = 5


def _xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    ws = wb.active
    ws.title = f"Renstra {report['year']}"
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"] = title(report["year"])
    ws["A1"].font = Font(bold=True, size=14)
    set_xlsx_value(ws["A2"], f"{(report.get('program') or 'Program Penanganan Bencana').title()}")
    ws["A2"].font = Font(bold=True)
    ws["A3"] = f"Keadaan data: {id_datetime(_local(report['generated_at'], report))} {zone_name(report)}"
    headings = (*HEADINGS, "Kode")
    for c, text in enumerate(headings, start=1):
        cell = ws.cell(row=XLSX_HEADER_ROW, column=c, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    for i, row in enumerate(report["indicators"], start=1):
        r = XLSX_HEADER_ROW + i
        values = (i, row["name"], row["unit"], row["target"], row["realisation"], row["achievement_percent"],
                  row["pagu"], SOURCE_LABEL.get(row["source"], row["source"]), row["code"])
        for c, value in enumerate(values, start=1):
            cell = set_xlsx_value(ws.cell(row=r, column=c), value)
            cell.border = box
            cell.alignment = Alignment(vertical="top", wrap_text=c in (2, 8))
            if c in (4, 5) and isinstance(value, int | float):
                cell.number_format = "0.00" if row["unit"] == "persen" else (
                    "#,##0" if float(value).is_integer() else "#,##0.00")
            elif c == 6 and value is not None:
                cell.number_format = "0.00"
            elif c == 7 and value is not None:
                cell.number_format = "#,##0"
    for letter, width in zip("ABCDEFGHI", (5, 70, 10, 12, 12, 13, 18, 16, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=XLSX_HEADER_ROW + 1, column=1)
    r = XLSX_HEADER_ROW + len(report["indicators"]) + 2
    ws.cell(row=r, column=1, value="Kejadian yang dihitung (mulai pada tahun ini, waktu setempat):").font = Font(bold=True)
    if not report.get("events"):
        ws.cell(row=r + 1, column=2, value="Tidak ada kejadian.")
    for k, ev in enumerate(report.get("events", []), start=1):
        ws.cell(row=r + k, column=1, value=k)
        set_xlsx_value(ws.cell(row=r + k, column=2),
                       f"{ev['name']} ({ev['kind']}), mulai {id_datetime(_local(ev['started_at'], report))}, "
                       f"dihitung s.d. {id_datetime(_local(ev['as_of'], report))}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _local(iso: str, report: dict[str, Any]) -> str:
    """An instant shown in the report's time zone."""
    from zoneinfo import ZoneInfo

    tz = report.get("timezone")
    dt = datetime.fromisoformat(iso)
    return (dt.astimezone(ZoneInfo(tz)) if tz else dt).isoformat()


# ---- PDF ----------------------------------------------------------------------------------------------

def _pdf(report: dict[str, Any]) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    year = report["year"]
    unicode_font = (FONT_DIR / "DejaVuSans.ttf").exists() and (FONT_DIR / "DejaVuSans-Bold.ttf").exists()
    dash = "–" if unicode_font else "-"

    def safe(text: str) -> str:
        if unicode_font:
            return text
        return text.replace("–", "-").replace("≤", "<=").replace("×", "x").encode("latin-1", "replace").decode("latin-1")

    generated = id_datetime(_local(report["generated_at"], report))
    zone = zone_name(report)

    class Doc(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font(family, "", 7)
            self.cell(0, 5, safe(f"{title(year)} {dash} keadaan data {generated} {zone} {dash} halaman {self.page_no()} "
                                 f"dari {{nb}}"), align="C")

    pdf = Doc(orientation="L", unit="mm", format="A4")
    if unicode_font:
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"
    else:
        family = "Helvetica"
    pdf.set_title(title(year))
    pdf.set_author(OFFICE)
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=14)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(family, "B", 14)
    pdf.multi_cell(0, 7, safe(title(year)), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    program = (report.get("program") or "PROGRAM PENANGANAN BENCANA").upper()
    pdf.cell(0, 6, safe(f"{program} {dash} Renstra {OFFICE} 2025{dash}2029"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, safe(f"Keadaan data: {generated} {zone}"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    widths = (10, 110, 18, 20, 22, 24, 33, 40)  # 277 mm: the landscape page between the margins
    aligns = ("C", "L", "C", "R", "R", "R", "R", "L")
    pdf.set_font(family, "", 8.5)
    heading = FontFace(emphasis="BOLD", fill_color=(217, 225, 242))
    group = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))
    groups = _groups(report["indicators"])
    with pdf.table(col_widths=widths, text_align=aligns, headings_style=heading, line_height=4.6,
                   padding=1.2, v_align="TOP", repeat_headings=1) as table:
        head = table.row()
        for text in HEADINGS:
            head.cell(text, align="C")
        for no, row in enumerate(report["indicators"], start=1):
            label = groups.get(no)
            if label:
                table.row().cell(safe(label), colspan=len(HEADINGS), style=group, align="L")
            percent_unit = row["unit"] == "persen"
            cells = (
                str(no),
                safe(row["name"]),
                safe(row["unit"]),
                id_number(row["target"], empty=dash),
                id_number(row["realisation"], 2 if percent_unit else None, empty=dash),
                id_number(row["achievement_percent"], 2, empty=dash),
                id_number(row["pagu"], 0, empty=dash),
                SOURCE_LABEL.get(row["source"], row["source"]),
            )
            r = table.row()
            for text in cells:
                r.cell(text)

    pdf.ln(3)
    pdf.set_font(family, "B", 9)
    pdf.cell(0, 5, "Catatan", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 8)
    events = report.get("events", [])
    notes = [
        f"Dihitung sistem: realisasi dari data kejadian yang mulai pada tahun {year} (waktu setempat), "
        f"masing-masing dihitung s.d. keadaan data atau s.d. berakhirnya kejadian; {len(events)} kejadian dihitung. "
        "Taruna Siaga Bencana: akun relawan TAGANA aktif yang mencatat data pada tahun tersebut.",
        "Diisi manual: realisasi diisi oleh admin Dinas Sosial. Belum ada data: realisasi belum diisi.",
        f"Capaian (%) = realisasi / target × 100; {dash} bila target atau realisasi tidak ada. "
        "Pagu dalam Rupiah (indikatif, Renstra Tabel 4.2).",
    ]
    for note in notes:
        pdf.multi_cell(0, 4.2, safe(note), new_x="LMARGIN", new_y="NEXT")
    if events:
        pdf.ln(1)
        pdf.set_font(family, "B", 9)
        pdf.cell(0, 5, "Kejadian yang dihitung", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8)
        shown = events[:40]
        for k, ev in enumerate(shown, start=1):
            pct = id_number(ev.get("percent"), 2, empty=dash)
            pdf.multi_cell(0, 4.2, safe(
                f"{k}. {ev['name']} ({ev['kind']}) {dash} mulai {id_datetime(_local(ev['started_at'], report))}, "
                f"dihitung s.d. {id_datetime(_local(ev['as_of'], report))}; terpenuhi {ev['fulfilled']} dari "
                f"{ev['eligible']} orang ({pct}%)"), new_x="LMARGIN", new_y="NEXT")
        if len(events) > len(shown):
            pdf.multi_cell(0, 4.2, safe(f"... dan {len(events) - len(shown)} kejadian lain (lihat JSON/XLSX)."),
                           new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _groups(rows: list[dict[str, Any]]) -> dict[int, str]:
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
