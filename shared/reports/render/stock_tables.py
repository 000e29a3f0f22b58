"""Stock reports (laporan penerimaan dan penyaluran, kartu stok, berita acara serah terima) in JSON,
CSV, XLSX and PDF from one shape: `{title, subtitle, facts: [(label, value)], tables: [{key, heading,
columns: [(field, label)], rows: [dict]}], signatures?: [title, title]}`.

CSV is the post-disaster report's block format (a `section:<key>` row, the field names, the rows, an
empty row); XLSX has one sheet per table; the PDF carries the kop surat (letterhead) and, for a
handover record, a signature block for the one who hands over and the one who receives. Every cell
goes through the formula-injection rule (shared/reports/cells.py).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from shared.reports.cells import safe_row, xlsx_row
from shared.reports.letter import Letter
from shared.reports.render.pdf import BLANK_NAME, _make_pdf, letterhead, number_and_date

MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def render(report: dict[str, Any], fmt: str, letter: Letter | None = None) -> bytes:
    """The report in `fmt` (json, csv, xlsx or pdf)."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, default=str).encode("utf-8")
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        for t in report["tables"]:
            w.writerow([f"section:{t['key']}"])
            w.writerow([f for f, _ in t["columns"]])
            for row in t["rows"]:
                w.writerow(safe_row([_cell(row.get(f)) for f, _ in t["columns"]]))
            w.writerow([])
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        for t in report["tables"]:
            ws = wb.create_sheet(t["heading"][:31])
            ws.append(xlsx_row(ws, [report["title"]]))
            ws.append([label for _, label in t["columns"]])
            for row in t["rows"]:
                ws.append(xlsx_row(ws, [row.get(f) for f, _ in t["columns"]]))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    if fmt == "pdf":
        return _pdf(report, letter)
    raise ValueError(f"unknown format {fmt!r}")


def _pdf(report: dict[str, Any], letter: Letter | None) -> bytes:
    pdf = _make_pdf(report["title"], report.get("footer", "Posko"), orientation="L" if report.get("wide") else "P")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    if letter is not None:
        letterhead(pdf, letter, width)
        number_and_date(pdf, letter, width)
    pdf.set_font(pdf.base_font, "B", 12)
    pdf.multi_cell(width, 6, pdf.t(report["title"].upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    if report.get("subtitle"):
        pdf.set_font(pdf.base_font, "", 9)
        pdf.multi_cell(width, 5, pdf.t(report["subtitle"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf.base_font, "", 9)
    for label, value in report.get("facts", []):
        pdf.multi_cell(width, 5, pdf.t(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    for t in report["tables"]:
        pdf.ln(2)
        pdf.set_font(pdf.base_font, "B", 10)
        pdf.multi_cell(width, 6, pdf.t(t["heading"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.base_font, "", 8)
        if not t["rows"]:
            pdf.multi_cell(width, 5, pdf.t("(tidak ada data)"), new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(text_align="LEFT", line_height=4.5) as table:
            head = table.row()
            for _, label in t["columns"]:
                head.cell(pdf.t(label))
            for row in t["rows"]:
                r = table.row()
                for f, _ in t["columns"]:
                    v = row.get(f)
                    r.cell(pdf.t("" if v is None else (f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else v)))
    if report.get("signatures"):
        if pdf.get_y() + 50 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.ln(8)
        col = width / len(report["signatures"])
        y = pdf.get_y()
        pdf.set_font(pdf.base_font, "", 9.5)
        for i, title in enumerate(report["signatures"]):
            pdf.set_xy(pdf.l_margin + i * col, y)
            pdf.multi_cell(col, 5, pdf.t(title), align="C", new_x="LEFT", new_y="NEXT")
            pdf.ln(22)
            pdf.set_x(pdf.l_margin + i * col)
            pdf.multi_cell(col, 5, pdf.t(BLANK_NAME), align="C", new_x="LEFT", new_y="NEXT")
    return bytes(pdf.output())
