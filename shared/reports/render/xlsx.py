"""The reports as XLSX workbooks (openpyxl): numbers as number cells, and every text cell through the
formula-injection rule of shared/reports/cells.py (a text is never stored as a formula).

- Post-disaster report: one sheet per section of `event_tables` (same rows as the CSV) for people to
  read (`xlsx_tables`): Indonesian column headings in bold, the header row frozen and filtered, labels
  instead of codes (`per_person_day` → "per orang per hari"), instants as Excel datetimes in the
  report's local time (the heading names the zone, e.g. "(WIB)"), dates as Excel dates, yes/no as
  "ya"/"tidak", numbers as numbers; codes that only repeat a label are left out (the CSV keeps them).
  The persons not fulfilled carry age, household head and place (shelter, else kelurahan), no id. Written in openpyxl's write-only mode: the list of
  persons not fulfilled can run to tens of thousands of rows.
- Renstra report: one sheet laid out like the plan's tables: a title, then the header row
  `No | Indikator | Satuan | Target | Realisasi | Capaian (%) | Pagu (Rp) | Sumber | Kode | Realisasi
  anggaran (Rp)` (row 5; the realised budget is the last column so that the columns clients read by
  position stay where they were), one row per indicator with real number cells, an autofilter on the
  header, then the events counted.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.reports.cells import set_xlsx_value, xlsx_row
from shared.reports.render.indonesian import (
    BASIS_LABELS,
    CATEGORY_LABELS,
    DAILY_SOURCE_LABELS,
    SERVICE_LABELS,
    STATUS_LABELS,
    as_label,
    id_datetime,
    in_report_zone,
    zone_name,
)
from shared.reports.render.tables import RENSTRA_HEADINGS, event_tables, renstra_title
from shared.reports.renstra_provenance import source_label

WIDE_FIELDS = ("name", "item_name", "label", "kelurahan_name", "value", "household_head", "shelter_name", "missing")
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"

# Codes a reader should never see: the label that replaces them, per column field.
CODE_LABELS: dict[str, dict[str, str]] = {
    "basis": BASIS_LABELS, "service": SERVICE_LABELS, "source": DAILY_SOURCE_LABELS, "status": STATUS_LABELS,
    "category": CATEGORY_LABELS,
}
# Columns left out of the workbook: a code beside the label it duplicates (the CSV keeps them).
DROPPED = {"event": {"field"}, "status_history": {"action"}, "indicator": {"service"}, "services": {"kind"},
           "people": {"category"}}
PEOPLE_GROUP_LABELS = {"summary": "Ringkasan", "condition": "Kondisi", "sex": "Jenis kelamin",
                       "age_group": "Kelompok umur", "age_group_L": "Kelompok umur, laki-laki",
                       "age_group_P": "Kelompok umur, perempuan", "vulnerability": "Kelompok rentan"}
DATE_FIELDS = {"date", "opened_date", "closed_date", "peak_date", "start_date", "end_date"}
INSTANT_FIELDS = {"at", "as_of", "opened_at", "closed_at", "peak_at", "started_at", "ended_at", "generated_at",
                  "as_of_local"}


def _local(value: Any, tz: ZoneInfo) -> Any:
    """An ISO instant as a naive local datetime (Excel has no time zones; the heading names the zone)."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(tz).replace(tzinfo=None)


def _cell_value(field: str, value: Any, tz: ZoneInfo) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if field in INSTANT_FIELDS:
        return _local(value, tz)
    if field in DATE_FIELDS:
        return date.fromisoformat(value)
    if field == "kind":
        return as_label(value)
    if field in CODE_LABELS:
        return CODE_LABELS[field].get(value, as_label(value))
    return value


def _heading(text: str, zone: str) -> str:
    return text.replace("(UTC)", f"({zone})").replace("(setempat)", f"({zone})")


def xlsx_tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]], set[int]]]:
    """The CSV's tables for people: (sheet title, headings, rows, indices of the columns that may hold dates)
    with labels for codes, instants as local datetimes and dates as dates; the persons not fulfilled with
    age, household head and place."""
    tz = ZoneInfo(report["timezone"])
    zone = zone_name(report)
    out: list[tuple[str, list[str], list[list[Any]], set[int]]] = []
    for t in event_tables(report):
        if t.key == "unmet":
            out.append((*_unmet_sheet(report, t.title), set()))
            continue
        keep = [i for i, (field, _) in enumerate(t.columns) if field not in DROPPED.get(t.key, set())]
        headings = [_heading(t.columns[i][1], zone) for i in keep]
        dated = {k for k, i in enumerate(keep) if t.columns[i][0] in DATE_FIELDS | INSTANT_FIELDS}
        if t.key == "event":  # key-value rows: the value's kind is the row's field
            rows = [[_heading(row[1], zone), _cell_value(row[0], row[2], tz)] for row in t.rows
                    if row[0] != "as_of_local"]  # as_of, in local time, is the row before
            dated = {1}
        else:
            rows = [[_cell_value(t.columns[i][0], row[i], tz) for i in keep] for row in t.rows]
        if t.key == "people":  # the group column: a code per row
            rows = [[PEOPLE_GROUP_LABELS.get(row[0], as_label(row[0])), *row[1:]] for row in rows]
        out.append((t.title, headings, rows, dated))
    return out


UNMET_HEADINGS = ["Nama", "Umur (tahun)", "Kepala keluarga", "Tempat (penampungan, atau kelurahan keluarga)",
                  "Layanan belum terpenuhi"]


def _unmet_sheet(report: dict[str, Any], title: str) -> tuple[str, list[str], list[list[Any]]]:
    """Five columns, no internal id: the sheet can run to tens of thousands of rows, and each cell costs
    (the CSV keeps `person_id` for machines)."""
    rows = [[u.get("name"), u.get("age"), u.get("household_head"),
             u.get("shelter_name") or (f"Kel. {u['kelurahan_name']} (tidak di penampungan)"
                                       if u.get("kelurahan_name") else None),
             ", ".join(SERVICE_LABELS.get(m, m) for m in u["missing"])]
            for u in report["unmet"]]
    return title, UNMET_HEADINGS, rows


def event_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headings, rows, dated in xlsx_tables(report):
        ws = wb.create_sheet(title[:31])
        ws.freeze_panes = "A2"
        widths = [max(10, min(48, len(heading) + 2)) for heading in headings]
        for i, heading in enumerate(headings):
            if heading in ("Nama", "Uraian", "Nilai", "Kelurahan", "Barang", "Nama tempat penampungan",
                           "Kepala keluarga", UNMET_HEADINGS[3], "Layanan belum terpenuhi", "Keterangan"):
                widths[i] = 36
            elif heading.startswith("ID"):
                widths[i] = 30
        for i, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{len(rows) + 1}"
        header = []
        for heading in headings:
            cell = WriteOnlyCell(ws, value=heading)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append(_typed_row(ws, row, dated) if dated else xlsx_row(ws, row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed_row(ws: Any, row: list[Any], dated: set[int]) -> list[Any]:
    """The row through the formula-injection rule; dates and datetimes (in the columns `dated`) with a
    local display format."""
    from openpyxl.cell import WriteOnlyCell

    cells = xlsx_row(ws, row)
    for i in dated:
        value = row[i]
        if isinstance(value, datetime | date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
            cells[i] = cell
    return cells


RENSTRA_HEADER_ROW = 5


def renstra_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    ws = wb.active
    ws.title = f"Renstra {report['year']}"
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"] = renstra_title(report["year"])
    ws["A1"].font = Font(bold=True, size=14)
    set_xlsx_value(ws["A2"], f"{(report.get('program') or 'Program Penanganan Bencana').title()}")
    ws["A2"].font = Font(bold=True)
    ws["A3"] = f"Keadaan data: {id_datetime(in_report_zone(report['generated_at'], report))} {zone_name(report)}"
    headings = (*RENSTRA_HEADINGS, "Kode", "Realisasi anggaran (Rp)", "Asal angka")
    for c, text in enumerate(headings, start=1):
        cell = ws.cell(row=RENSTRA_HEADER_ROW, column=c, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    for i, row in enumerate(report["indicators"], start=1):
        r = RENSTRA_HEADER_ROW + i
        values = (i, row["name"], row["unit"], row["target"], row["realisation"], row["achievement_percent"],
                  row["pagu"], source_label(row), row["code"],
                  row.get("budget_realisation"), (row.get("provenance") or {}).get("label"))
        for c, value in enumerate(values, start=1):
            cell = set_xlsx_value(ws.cell(row=r, column=c), value)
            cell.border = box
            cell.alignment = Alignment(vertical="top", wrap_text=c in (2, 8, 11))
            if c in (4, 5) and isinstance(value, int | float):
                cell.number_format = "0.00" if row["unit"] == "persen" else (
                    "#,##0" if float(value).is_integer() else "#,##0.00")
            elif c == 6 and value is not None:
                cell.number_format = "0.00"
            elif c in (7, 10) and value is not None:
                cell.number_format = "#,##0"
    for letter, width in zip("ABCDEFGHIJK", (5, 70, 10, 12, 12, 13, 18, 16, 30, 22, 48), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=RENSTRA_HEADER_ROW + 1, column=1)
    ws.auto_filter.ref = f"A{RENSTRA_HEADER_ROW}:K{RENSTRA_HEADER_ROW + len(report['indicators'])}"
    r = RENSTRA_HEADER_ROW + len(report["indicators"]) + 2
    ws.cell(row=r, column=1, value="Kejadian yang dihitung (mulai pada tahun ini, waktu setempat):").font = Font(bold=True)
    if not report.get("events"):
        ws.cell(row=r + 1, column=2, value="Tidak ada kejadian.")
    for k, ev in enumerate(report.get("events", []), start=1):
        ws.cell(row=r + k, column=1, value=k)
        set_xlsx_value(ws.cell(row=r + k, column=2),
                       f"{ev['name']} ({ev['kind']}), mulai {id_datetime(in_report_zone(ev['started_at'], report))}, "
                       f"dihitung s.d. {id_datetime(in_report_zone(ev['as_of'], report))}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
