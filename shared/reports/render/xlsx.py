"""The reports as XLSX workbooks (openpyxl): numbers as number cells, and every text cell through the
formula-injection rule of shared/reports/cells.py (a text is never stored as a formula).

- Post-disaster report: one sheet per section of `event_tables` (same rows as the CSV), Indonesian
  column headings in bold, the header row frozen. Written in openpyxl's write-only mode: the list of
  persons not fulfilled can run to tens of thousands of rows.
- Renstra report: one sheet laid out like the plan's tables: a title, then the header row
  `No | Indikator | Satuan | Target | Realisasi | Capaian (%) | Pagu (Rp) | Sumber | Kode` (row 5),
  one row per indicator with real number cells, then the events counted.
"""

from __future__ import annotations

import io
from typing import Any

from shared.reports.cells import set_xlsx_value, xlsx_row
from shared.reports.render.indonesian import RENSTRA_SOURCE_LABELS, id_datetime, in_report_zone, zone_name
from shared.reports.render.tables import RENSTRA_HEADINGS, event_tables, renstra_title

WIDE_FIELDS = ("name", "item_name", "label", "kelurahan_name", "value")


def event_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for t in event_tables(report):
        ws = wb.create_sheet(t.title[:31])
        ws.freeze_panes = "A2"
        widths = [max(10, min(48, len(heading) + 2)) for _, heading in t.columns]
        for i, (field, _) in enumerate(t.columns):
            if field in WIDE_FIELDS:
                widths[i] = 36
            elif field in ("id", "person_id") or field.endswith("_at") or field == "as_of":
                widths[i] = 30
        for i, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        header = []
        for _, heading in t.columns:
            cell = WriteOnlyCell(ws, value=heading)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in t.rows:
            ws.append(xlsx_row(ws, row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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
    headings = (*RENSTRA_HEADINGS, "Kode")
    for c, text in enumerate(headings, start=1):
        cell = ws.cell(row=RENSTRA_HEADER_ROW, column=c, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    for i, row in enumerate(report["indicators"], start=1):
        r = RENSTRA_HEADER_ROW + i
        values = (i, row["name"], row["unit"], row["target"], row["realisation"], row["achievement_percent"],
                  row["pagu"], RENSTRA_SOURCE_LABELS.get(row["source"], row["source"]), row["code"])
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
    ws.freeze_panes = ws.cell(row=RENSTRA_HEADER_ROW + 1, column=1)
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
