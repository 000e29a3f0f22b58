"""The reports as PDF (fpdf2), with one font setting: DejaVu Sans when it is installed (every
character of a name prints), else fpdf2's core Helvetica with text folded to latin-1.

Both are letters the Kepala Dinas signs: the letterhead (kop surat) with the document number and
date on page 1, the signatory block at the end (shared/reports/letter.py, from the settings).

- Post-disaster report (`event_pdf`): A4 portrait; a summary in plain sentences written from the
  figures (shared/reports/summary.py), Indonesian headings, the tables of the report in readable
  form, a chart of displaced persons and the percent fulfilled per day, the signatory block, then the
  names annex (Lampiran): at most 500 persons not fulfilled, grouped by where they stay, with age,
  household head and the services they miss, no internal ids (it says how many more are in the XLSX/CSV).
- Renstra report (`renstra_pdf`): A4 landscape, Indonesian headings, the indicator table with wrapped
  names, Indonesian number formatting (thousands dots, decimal comma), Rupiah pagu and realisasi
  anggaran, grouped like the plan (program outcome, then sub-kegiatan), notes on the sources and the
  events counted.

Every table goes through `_Writer.table`: a cell whose text does not fit its width wraps onto more
lines (a word longer than the cell breaks), every cell of a row takes the row's height, and each line
is written by `_Writer.line` — the one place a test measures text against its cell
(tests/shared/reports/test_pdf_layout.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shared.needs.model import VULNERABILITIES
from shared.reports.facts import AGE_GROUPS
from shared.reports.letter import Letter, event_letter, renstra_letter
from shared.reports.render.indonesian import (
    AGE_GROUP_LABELS,
    BASIS_LABELS,
    CATEGORY_LABELS,
    CONDITION_LABELS,
    DAILY_SOURCE_LABELS,
    PEOPLE_LABELS,
    SERVICE_LABELS,
    STATUS_LABELS,
    VULNERABILITY_LABELS,
    as_label,
    fmt_date,
    fmt_instant,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_short_date,
    id_datetime,
    id_number,
    in_report_zone,
    zone_name,
)
from shared.reports.render.tables import OFFICE, RENSTRA_HEADINGS, renstra_groups, renstra_title
from shared.reports.renstra_provenance import source_label
from shared.reports.summary import summary_paragraphs

log = logging.getLogger(__name__)
PDF_UNMET_LIMIT = 500
CELL_PAD = 0.6  # mm above and below the lines of a table cell

# ---------------------------------------------------------------- the font setting

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FAMILY = "DejaVu"
FALLBACK_FAMILY = "Helvetica"  # fpdf2's core font: latin-1 only
_LATIN1 = str.maketrans({"–": "-", "—": "-", "…": "...", "≥": ">=", "≤": "<=", "·": "-", "’": "'", "‘": "'",
                         "“": '"', "”": '"', "•": "-", "×": "x"})


def add_fonts(pdf: Any) -> bool:
    """Register DejaVu Sans (regular and bold) on `pdf` when installed; whether it was."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return False
    pdf.add_font(FONT_FAMILY, "", str(regular))
    pdf.add_font(FONT_FAMILY, "B", str(bold))
    return True


def latin1(text: str) -> str:
    """Text the core font can print: typographic marks folded to ASCII, anything else outside latin-1 → ?."""
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


# ---------------------------------------------------------------- the post-disaster report

def _make_pdf(title: str, footer_note: str, orientation: str = "P", margins: tuple[float, float, float] = (15, 14, 15),
              bottom: float = 16) -> Any:
    from fpdf import FPDF

    class ReportPDF(FPDF):
        unicode_font = False
        base_font = FALLBACK_FAMILY

        def header(self) -> None:  # noqa: D401 - fpdf hook
            if self.page_no() == 1:
                return
            self.set_font(self.base_font, "", 7)
            self.set_text_color(110, 110, 110)
            self.multi_cell(0, 3.5, self.t(title), new_x="LMARGIN", new_y="NEXT")  # a long event name wraps
            self.set_text_color(0, 0, 0)
            self.ln(1)

        def footer(self) -> None:  # noqa: D401 - fpdf hook
            self.set_y(-12)
            self.set_font(self.base_font, "", 7)
            self.set_text_color(110, 110, 110)
            self.multi_cell(0, 3.5, self.t(f"{footer_note} · Halaman {self.page_no()} dari {{nb}}"), align="C")
            self.set_text_color(0, 0, 0)

        def t(self, text: Any) -> str:
            text = "" if text is None else str(text)
            return text if self.unicode_font else latin1(text)

    pdf = ReportPDF(orientation=orientation, unit="mm", format="A4")
    if add_fonts(pdf):
        pdf.base_font, pdf.unicode_font = FONT_FAMILY, True
    pdf.set_margins(*margins)
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.alias_nb_pages()
    pdf.set_title(title)
    pdf.set_creator("Posko")
    return pdf


class _Writer:
    """Headings, paragraphs, key-value lists and tables on an fpdf2 document."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin
        self._head: Callable[[], None] | None = None

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

    # ------------------------------------------------------------ tables with wrapped cells

    def line(self, x: float, y: float, w: float, h: float, text: str, align: str) -> None:
        """Write one line of a table cell at (x, y) in a cell `w` wide (the text has `pdf.c_margin` on each
        side), vertically centred in `h` like fpdf2's `cell`. Every table line passes here: a test records
        them to measure each against its cell. (`text` rather than `cell`: ~6× cheaper, and the names annex
        writes thousands of lines.)"""
        pdf = self.pdf
        if not text:
            return
        if align == "R":
            left = x + w - pdf.c_margin - pdf.get_string_width(text)
        elif align == "C":
            left = x + (w - pdf.get_string_width(text)) / 2
        else:
            left = x + pdf.c_margin
        pdf.text(left, y + h / 2 + 0.3 * pdf.font_size, text)

    def _lines(self, text: str, width: float) -> list[str]:
        """`text` as the lines that fit `width`: greedy by words, a word wider than the cell broken by
        characters. (fpdf2's `multi_cell(dry_run=True)` does the same but costs ~50× more: the names annex
        has hundreds of wrapped cells.)"""
        pdf = self.pdf
        room = width - 2 * pdf.c_margin
        fits = lambda s: pdf.get_string_width(s) <= room  # noqa: E731
        if "\n" not in text and fits(text):
            return [text]
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current = ""
            for word in paragraph.split(" "):
                joined = f"{current} {word}" if current else word
                if fits(joined):
                    current = joined
                    continue
                if current:
                    lines.append(current)
                while len(word) > 1 and not fits(word):
                    cut = len(word) - 1
                    while cut > 1 and not fits(word[:cut]):
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                current = word
            lines.append(current)
        return lines

    def _row(self, widths: Sequence[float], aligns: Sequence[str], texts: Sequence[str], line_height: float,
             fill: tuple[int, int, int] | None, style: str, size: float) -> None:
        pdf = self.pdf
        pdf.set_font(pdf.base_font, style, size)
        cells = [self._lines(pdf.t(text), w) for text, w in zip(texts, widths, strict=True)]
        height = max(len(c) for c in cells) * line_height + 2 * CELL_PAD
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            if self._head is not None:
                self._head()
            pdf.set_font(pdf.base_font, style, size)
        if fill is not None:
            pdf.set_fill_color(*fill)
        y = pdf.get_y()
        x = pdf.l_margin
        for lines, w, align in zip(cells, widths, aligns, strict=True):
            pdf.rect(x, y, w, height, style="DF" if fill else "D")
            for k, text in enumerate(lines):
                self.line(x, y + CELL_PAD + k * line_height, w, line_height, text, align)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)

    def band(self, text: str, size: float = 7.5, fill_color: tuple[int, int, int] = (242, 242, 242)) -> None:
        """A full-width row (a group heading inside a table), bold, wrapped."""
        self._row([self.width], ["L"], [text], size * 0.55, fill_color, "B", size)

    def table(self, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[Any]], size: float = 7.5,
              row_height: float = 5, bold_first_row: bool = False,
              bands: dict[int, str] | None = None) -> None:
        """columns: (heading, width in mm, align L/R/C); widths are scaled to the page width. A cell wraps
        when its text is wider than the cell; `row_height` is the height of a one-line row. `bands`: full-width
        group rows to put before the row of that index."""
        pdf = self.pdf
        scale = self.width / sum(w for _, w, _ in columns)
        widths = [w * scale for _, w, _ in columns]
        aligns = [a for _, _, a in columns]
        line_height = max(row_height - 2 * CELL_PAD, size * 0.45)

        def head() -> None:
            self._row(widths, ["C"] * len(columns), [label for label, _, _ in columns], line_height + 0.5,
                      (220, 230, 242), "B", size)

        height = (row_height + 1) + row_height * len(rows)
        room = pdf.page_break_trigger - pdf.get_y()
        if len(rows) <= 15 and height > room and height < pdf.page_break_trigger - pdf.t_margin - 10:
            pdf.add_page()  # a short table is kept on one page
        self._head = None
        head()
        self._head = head
        for i, row in enumerate(rows):
            if bands and i in bands:
                self.band(bands[i], size)
            self._row(widths, aligns, ["" if v is None else str(v) for v in row], line_height,
                      (245, 247, 250) if i % 2 == 1 else None,
                      "B" if bold_first_row and i == 0 else "", size)
        self._head = None
        pdf.ln(2)


# ---------------------------------------------------------------- the letter: kop surat and signatory

LOGO_HEIGHT = 22  # mm


def letterhead(pdf: Any, letter: Letter, width: float) -> None:
    """The kop surat at the top of page 1: the logo (when usable) on the left, the government, office and
    address centred, a double rule under them."""
    top = pdf.get_y()
    x0 = pdf.l_margin
    text_x, text_w = x0, width
    if letter.logo is not None:
        try:
            pdf.image(str(letter.logo), x=x0, y=top, h=LOGO_HEIGHT)
            text_x, text_w = x0 + LOGO_HEIGHT + 2, width - 2 * (LOGO_HEIGHT + 2)  # centred on the page still
        except Exception:  # noqa: BLE001 - a damaged logo file prints no logo, the report still comes out
            log.warning("report logo %s could not be read; printing without it", letter.logo)
    pdf.set_xy(text_x, top)
    if letter.government:
        pdf.set_font(pdf.base_font, "B", 13)
        pdf.multi_cell(text_w, 6, pdf.t(letter.government.upper()), align="C", new_x="LEFT", new_y="NEXT")
    if letter.office:
        pdf.set_font(pdf.base_font, "B", 15)
        pdf.multi_cell(text_w, 7, pdf.t(letter.office.upper()), align="C", new_x="LEFT", new_y="NEXT")
    if letter.address:
        pdf.set_font(pdf.base_font, "", 8.5)
        pdf.multi_cell(text_w, 4.2, pdf.t(letter.address), align="C", new_x="LEFT", new_y="NEXT")
    bottom = max(pdf.get_y(), top + (LOGO_HEIGHT if letter.logo is not None else 0)) + 1.5
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.7)
    pdf.line(x0, bottom, x0 + width, bottom)
    pdf.set_line_width(0.2)
    pdf.line(x0, bottom + 1, x0 + width, bottom + 1)
    pdf.set_xy(x0, bottom + 3)


def number_and_date(pdf: Any, letter: Letter, width: float) -> None:
    """`Nomor: 460/3/DINSOS/XII/2026` on the left, `Binjai, 7 Desember 2026` on the right."""
    pdf.set_font(pdf.base_font, "", 9)
    y = pdf.get_y()
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(width * 0.6, 5, pdf.t(f"Nomor: {letter.number}"), new_x="RIGHT", new_y="TOP")
    pdf.set_xy(pdf.l_margin + width * 0.6, y)
    pdf.multi_cell(width * 0.4, 5, pdf.t(letter.date_text), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), y + 5) + 2)


SIGNATURE_WIDTH = 80  # mm
BLANK_NAME = "(" + "." * 45 + ")"
BLANK_NIP = "." * 36


def signatory_block(pdf: Any, letter: Letter, width: float) -> None:
    """The block the Kepala Dinas signs, on the right: place and date, title, room for the signature and
    stamp, the name (or a blank line to write it on) and the NIP."""
    needed = 52
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(6)
    x = pdf.l_margin + width - SIGNATURE_WIDTH
    pdf.set_font(pdf.base_font, "", 9.5)
    pdf.set_x(x)
    pdf.multi_cell(SIGNATURE_WIDTH, 5, pdf.t(letter.date_text), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_x(x)
    pdf.multi_cell(SIGNATURE_WIDTH, 5, pdf.t(letter.signatory_title or "Kepala Dinas"), align="C",
                   new_x="LEFT", new_y="NEXT")
    pdf.ln(22)  # the signature and the stamp
    pdf.set_x(x)
    pdf.set_font(pdf.base_font, "BU" if letter.signatory_name else "", 9.5)
    pdf.multi_cell(SIGNATURE_WIDTH, 5, pdf.t(letter.signatory_name or BLANK_NAME), align="C",
                   new_x="LEFT", new_y="NEXT")
    pdf.set_font(pdf.base_font, "", 9.5)
    pdf.set_x(x)
    pdf.multi_cell(SIGNATURE_WIDTH, 5, pdf.t(f"NIP. {letter.signatory_nip or BLANK_NIP}"), align="C",
                   new_x="LMARGIN", new_y="NEXT")


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


def event_pdf(report: dict[str, Any], *, letter: Letter | None = None, writer: type[_Writer] | None = None) -> bytes:
    """The post-disaster report as a PDF letter. `letter`: the letterhead and signatory (default: from the
    settings); `writer`: the table writer class (a test passes a recording subclass)."""
    tz = ZoneInfo(report["timezone"])
    ev = report["event"]
    pp = report["people"]
    ind = report["indicator"]
    letter = letter or event_letter(report)
    as_of_text = fmt_instant(report["as_of"], tz)
    pdf = _make_pdf(f"Laporan Pasca Bencana — {ev['name']} — keadaan per {as_of_text}",
                    f"{letter.number} · dibuat {fmt_instant(report['generated_at'], tz)}")
    out = (writer or _Writer)(pdf)
    pdf.add_page()
    letterhead(pdf, letter, out.width)
    number_and_date(pdf, letter, out.width)
    pdf.set_font(pdf.base_font, "B", 15)
    pdf.set_text_color(20, 60, 110)
    pdf.cell(0, 8, pdf.t("LAPORAN PASCA BENCANA"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(pdf.base_font, "B", 12)
    pdf.multi_cell(0, 6, pdf.t(ev["name"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.base_font, "", 9)
    pdf.cell(0, 5, pdf.t(f"Keadaan per {as_of_text}"), align="C", new_x="LMARGIN", new_y="NEXT")

    out.heading("Ringkasan")
    for paragraph in summary_paragraphs(report):
        out.paragraph(paragraph, 9.5)

    out.heading("1. Data Kejadian")
    area = "; ".join(f"{k['name'] or '?'} ({k['code']}), Kec. {k['kecamatan_name'] or '?'}" for k in ev["kelurahan"])
    history = "; ".join(f"{h['label']} {fmt_instant(h['at'], tz)}" for h in ev["status_history"]) or "–"
    out.pairs([
        ("Jenis bencana", f"{as_label(ev['kind'])} ({CATEGORY_LABELS.get(ev['category'], ev['category'])})"),
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
    out.table([("Kelurahan", 39, "L"), ("Terdaftar", 14, "R"), ("Mengungsi", 14, "R"), ("Penampungan", 17, "R"),
               ("Mandiri", 12, "R"), ("Kembali", 12, "R"), ("Terdampak", 15, "R"), ("Luka", 9, "R"),
               ("Hilang", 10, "R"), ("Meninggal", 14, "R"), ("L", 8, "R"), ("P", 8, "R")],
              [[(f"{r['kelurahan_name']} ({r['kelurahan_code']})" if r["kelurahan_code"] else "Tidak diketahui"),
                fmt_int(r["registered"]), fmt_int(r["displaced_now"]), fmt_int(r["in_shelters_now"]),
                fmt_int(r["mandiri_now"]), fmt_int(r["returned"]), fmt_int(r["affected"]),
                fmt_int(r["injured"]), fmt_int(r["missing"]), fmt_int(r["dead"]), fmt_int(r["L"]), fmt_int(r["P"])]
               for r in pp["by_kelurahan"]], size=7)
    pdf.set_font(pdf.base_font, "B", 9)
    pdf.cell(0, 6, pdf.t("Pengungsi per kelurahan tempat mengungsi: di tempat penampungan dan mandiri"),
             new_x="LMARGIN", new_y="NEXT")
    out.table([("Kelurahan", 80, "L"), ("Di tempat penampungan", 40, "R"), ("Mengungsi mandiri", 40, "R")],
              [[(f"{r['kelurahan_name']} ({r['kelurahan_code']})" if r["kelurahan_code"] else "Tidak diketahui"),
                fmt_int(r["in_shelters_now"]), fmt_int(r["mandiri_now"])] for r in pp["displaced_by_kelurahan"]],
              size=7)

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
              [[s["name"], s["kelurahan_name"] or s["kelurahan_code"], fmt_short_date(s["opened_date"]),
                fmt_short_date(s["closed_date"]), fmt_int(s["capacity_persons"]), fmt_int(s["occupants"]),
                fmt_int(s["peak_occupancy"]), fmt_short_date(s["peak_date"]), ok[s["covered_area_ok"]], ok[s["toilets_ok"]]]
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
              [[SERVICE_LABELS.get(s["kind"], as_label(s["kind"])), fmt_int(s["records"]), fmt_int(s["persons"])]
               for s in report["services"]])

    out.heading("8. Rekap Harian")
    out.table([("Tanggal", 40, "L"), ("Mengungsi", 25, "R"), ("Wajib", 25, "R"), ("Terpenuhi", 25, "R"),
               ("Terpenuhi (%)", 25, "R"), ("Sumber", 25, "C")],
              [[fmt_date(d["date"]), fmt_int(d["displaced"]), fmt_int(d["eligible"]), fmt_int(d["fulfilled"]),
                fmt_pct(d["fulfilled_percent"]), DAILY_SOURCE_LABELS.get(d["source"], d["source"])] for d in report["daily"]],
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
        out.paragraph(f"Jumlah korban belum terpenuhi: {fmt_int(total)} orang. Daftar namanya, menurut tempat "
                      "penampungan atau kelurahan, ada pada Lampiran.")
        places = _unmet_places(report["unmet"])
        out.table([("Tempat penampungan / kelurahan", 120, "L"), ("Belum terpenuhi (orang)", 45, "R")],
                  [[place, fmt_int(n)] for place, n in places[:15]]
                  + ([[f"… {fmt_int(len(places) - 15)} tempat lainnya",
                       fmt_int(sum(n for _, n in places[15:]))]] if len(places) > 15 else []), size=7.5)

    signatory_block(pdf, letter, out.width)

    if report.get("unmet"):
        _unmet_annex(pdf, out, report["unmet"], total)
    return bytes(pdf.output())


def _place(u: dict[str, Any]) -> str:
    """Where a person not fulfilled is found: their shelter at as_of, else their household's kelurahan."""
    if u.get("shelter_name"):
        return str(u["shelter_name"])
    if u.get("kelurahan_name"):
        return f"Kel. {u['kelurahan_name']} (tidak di penampungan)"
    return "Tempat tidak diketahui"


def _unmet_places(unmet: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Persons not fulfilled per place, most first."""
    counts: dict[str, int] = {}
    for u in unmet:
        place = _place(u)
        counts[place] = counts.get(place, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _unmet_annex(pdf: Any, out: _Writer, unmet: list[dict[str, Any]], total: int) -> None:
    """Lampiran: the persons not fulfilled, grouped by place (the places with most persons first), then by
    household head and name; at most PDF_UNMET_LIMIT rows."""
    order = {place: k for k, (place, _) in enumerate(_unmet_places(unmet))}
    ranked = sorted(unmet, key=lambda u: (order[_place(u)], (u.get("household_head") or "").lower(),
                                          (u.get("name") or "").lower()))
    shown = ranked[:PDF_UNMET_LIMIT]
    pdf.add_page()
    pdf.set_font(pdf.base_font, "B", 11)
    pdf.multi_cell(0, 6, pdf.t("LAMPIRAN: DAFTAR KORBAN BELUM TERPENUHI KEBUTUHAN DASARNYA"), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    if total > len(shown):
        out.paragraph(f"Ditampilkan {fmt_int(len(shown))} dari {fmt_int(total)} orang; {fmt_int(total - len(shown))} "
                      "orang lainnya tercantum di berkas XLSX/CSV laporan ini.", 9, "B")
    else:
        out.paragraph(f"Seluruh {fmt_int(total)} orang tercantum di bawah ini, menurut tempat penampungan atau "
                      "kelurahan.")
    bands: dict[int, str] = {}
    last = None
    for i, u in enumerate(shown):
        place = _place(u)
        if place != last:
            bands[i] = place
            last = place
    out.table([("No", 9, "R"), ("Nama", 46, "L"), ("Umur", 12, "R"), ("Kepala keluarga", 44, "L"),
               ("Layanan belum terpenuhi", 70, "L")],
              [[fmt_int(i + 1), u.get("name") or "", "–" if u.get("age") is None else f"{u['age']} th",
                u.get("household_head") or "–", ", ".join(SERVICE_LABELS.get(m, m).lower() for m in u["missing"])]
               for i, u in enumerate(shown)],
              size=7, row_height=4.6, bands=bands)
    if total > len(shown):
        out.paragraph(f"… dan {fmt_int(total - len(shown))} orang lainnya (lihat berkas XLSX/CSV).", 8.5)


def _side_by_side(left: list[tuple[str, str]], right: list[tuple[str, str]]) -> list[list[str]]:
    n = max(len(left), len(right))
    left = left + [("", "")] * (n - len(left))
    right = right + [("", "")] * (n - len(right))
    return [[a, b, c, d] for (a, b), (c, d) in zip(left, right, strict=True)]


# ---------------------------------------------------------------- the Renstra report

def renstra_pdf(report: dict[str, Any], *, letter: Letter | None = None, writer: type[_Writer] | None = None) -> bytes:
    """The Renstra report as a PDF letter (landscape). `letter` and `writer` as in `event_pdf`."""
    year = report["year"]
    title = renstra_title(year)
    generated = id_datetime(in_report_zone(report["generated_at"], report))
    zone = zone_name(report)
    letter = letter or renstra_letter(report)
    pdf = _make_pdf(title, f"{title} · keadaan data {generated} {zone}", orientation="L", margins=(10, 10, 10),
                    bottom=14)
    pdf.set_author(OFFICE)
    out = (writer or _Writer)(pdf)
    dash = "–" if pdf.unicode_font else "-"
    pdf.add_page()
    letterhead(pdf, letter, out.width)
    number_and_date(pdf, letter, out.width)

    pdf.set_font(pdf.base_font, "B", 14)
    pdf.multi_cell(0, 7, pdf.t(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.base_font, "", 10)
    program = (report.get("program") or "PROGRAM PENANGANAN BENCANA").upper()
    pdf.cell(0, 6, pdf.t(f"{program} {dash} Renstra {OFFICE} 2025{dash}2029"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, pdf.t(f"Keadaan data: {generated} {zone}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    widths = (9, 92, 17, 19, 21, 21, 33, 33, 32)  # 277 mm: the landscape page between the margins
    aligns = ("C", "L", "C", "R", "R", "R", "R", "R", "L")
    headings = (*RENSTRA_HEADINGS[:7], "Realisasi anggaran (Rp)", RENSTRA_HEADINGS[7])
    groups = renstra_groups(report["indicators"])
    rows = []
    for no, row in enumerate(report["indicators"], start=1):
        percent_unit = row["unit"] == "persen"
        rows.append((
            str(no),
            row["name"],
            row["unit"],
            id_number(row["target"], empty=dash),
            id_number(row["realisation"], 2 if percent_unit else None, empty=dash),
            id_number(row["achievement_percent"], 2, empty=dash),
            id_number(row["pagu"], 0, empty=dash),
            id_number(row.get("budget_realisation"), 0, empty=dash),
            source_label(row),
        ))
    out.table(list(zip(headings, widths, aligns, strict=True)), rows, size=8.5, row_height=5.8,
              bands={no - 1: label for no, label in groups.items()})

    pdf.ln(1)
    pdf.set_font(pdf.base_font, "B", 9)
    pdf.cell(0, 5, "Catatan", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.base_font, "", 8)
    events = report.get("events", [])
    notes = [
        f"Dihitung sistem: realisasi dari data kejadian yang mulai pada tahun {year} (waktu setempat), "
        f"masing-masing dihitung s.d. keadaan data atau s.d. berakhirnya kejadian; {len(events)} kejadian dihitung. "
        "Taruna Siaga Bencana: relawan TAGANA aktif yang mencatat data lapangan atau ditugaskan pada kejadian "
        "tahun tersebut.",
        "Register TAGANA / Register kegiatan: realisasi dihitung dari daftar relawan TAGANA beserta pelatihannya, "
        "atau dari register kegiatan kesiapsiagaan (KSB, lumbung sosial, KIE, edukasi sekolah) yang bertanggal pada "
        "tahun tersebut.",
        "Diisi manual: realisasi diisi oleh admin Dinas Sosial. Belum ada data: realisasi belum diisi.",
        f"Capaian (%) = realisasi / target × 100; {dash} bila target atau realisasi tidak ada. "
        "Pagu dalam Rupiah (indikatif, Renstra Tabel 4.2); realisasi anggaran dalam Rupiah, diisi oleh admin.",
    ]
    for note in notes:
        pdf.multi_cell(0, 4.2, pdf.t(note), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(pdf.base_font, "B", 9)
    pdf.cell(0, 5, "Asal angka tiap indikator", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.base_font, "", 8)
    for no, row in enumerate(report["indicators"], start=1):
        label = (row.get("provenance") or {}).get("label") or source_label(row)
        pdf.multi_cell(0, 4.2, pdf.t(f"{no}. {label}"), new_x="LMARGIN", new_y="NEXT")
    if events:
        pdf.ln(1)
        pdf.set_font(pdf.base_font, "B", 9)
        pdf.cell(0, 5, "Kejadian yang dihitung", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.base_font, "", 8)
        shown = events[:40]
        for k, ev in enumerate(shown, start=1):
            pct = id_number(ev.get("percent"), 2, empty=dash)
            pdf.multi_cell(0, 4.2, pdf.t(
                f"{k}. {ev['name']} ({as_label(ev['kind'])}) {dash} mulai {id_datetime(in_report_zone(ev['started_at'], report))}, "
                f"dihitung s.d. {id_datetime(in_report_zone(ev['as_of'], report))}; terpenuhi {ev['fulfilled']} dari "
                f"{ev['eligible']} orang ({pct}%)"), new_x="LMARGIN", new_y="NEXT")
        if len(events) > len(shown):
            pdf.multi_cell(0, 4.2, pdf.t(f"... dan {len(events) - len(shown)} kejadian lain (lihat JSON/XLSX)."),
                           new_x="LMARGIN", new_y="NEXT")
    signatory_block(pdf, letter, out.width)
    return bytes(pdf.output())
