"""The layout of the signed PDFs: a realistic event (long Indonesian names, long shelter names, many
persons not fulfilled) rendered to PDF, every table line measured against its cell with fpdf2's own
metrics, the pages rendered to images (pypdfium2) and checked for count and size.

Screenshots of the event report's first page, of its names annex (Lampiran) and of the Renstra
report's first page are kept under /tmp/f2-shots/ for people to look at (not part of the assertions).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pypdfium2
import pytest
from pypdf import PdfReader

from shared.reports.letter import Letter, event_letter, renstra_letter, usable_logo
from shared.reports.render.pdf import PDF_UNMET_LIMIT, _Writer, event_pdf, renstra_pdf
from tests.conftest import KELURAHAN, KELURAHAN_2, Api, household_body, new_id, now_wib, shelter_body

SHOTS = Path("/tmp/f2-shots")
A4 = (595.28, 841.89)  # points
FIRST = ("Muhammad Rizky Ananda Pratama", "Nurhayati Rahmawati Khairunnisa", "Teuku Cut Nyak Meutia",
         "Ahmad Fauzan Syahputra", "Dewi Kartika Sari Ningrum", "Bonifasius Parlindungan")
LAST = ("Siregar bin Abdul Rahman Nasution", "br. Sembiring Meliala", "Harahap gelar Sutan Kumala Bulan",
        "Tarigan Sibero", "Lubis binti Haji Muhammad Yusuf Batubara", "Simanjuntak")
SHELTERS = ("Masjid Raya Al-Muttaqin Kelurahan Tanah Seribu Kecamatan Binjai Selatan (lantai dua dan aula)",
            "SD Negeri 024 Pahlawan — ruang kelas IV, V dan VI serta halaman belakang sekolah",
            "Gedung Serbaguna Kantor Camat Binjai Timur",
            "GBKP Runggun Binjai Kota")


class RecordingWriter(_Writer):
    """The table writer, recording every line it writes with the width fpdf2 measures for it and the room
    its cell leaves, and every cell's text against the lines it was broken into."""

    def __init__(self, pdf: Any) -> None:
        super().__init__(pdf)
        self.drawn: list[dict[str, Any]] = []
        self.broken: list[tuple[str, list[str]]] = []

    def line(self, x: float, y: float, w: float, h: float, text: str, align: str) -> None:
        pdf = self.pdf
        self.drawn.append({"text": text, "width": pdf.get_string_width(text), "room": w - 2 * pdf.c_margin,
                           "x": x, "y": y, "w": w, "h": h, "page": pdf.page_no(), "page_w": pdf.w,
                           "right": pdf.w - pdf.r_margin, "bottom": pdf.h - pdf.b_margin})
        super().line(x, y, w, h, text, align)

    def _lines(self, text: str, width: float) -> list[str]:
        lines = super()._lines(text, width)
        self.broken.append((text, lines))
        return lines


def assert_no_cell_overflows(writer: RecordingWriter) -> None:
    assert writer.drawn, "no table line was written"
    over = [d for d in writer.drawn if d["width"] > d["room"] + 1e-6]
    assert not over, f"{len(over)} lines wider than their cells, e.g. {over[:3]}"
    outside = [d for d in writer.drawn if d["x"] + d["w"] > d["right"] + 0.01 or d["y"] + d["h"] > d["bottom"] + 0.01]
    assert not outside, f"cells outside the printable area, e.g. {outside[:3]}"
    squash = re.compile(r"\s+")
    lost = [(text, lines) for text, lines in writer.broken if squash.sub("", "".join(lines)) != squash.sub("", text)]
    assert not lost, f"text lost or cut when wrapping, e.g. {lost[:3]}"


def pages(pdf_bytes: bytes) -> list[Any]:
    doc = pypdfium2.PdfDocument(pdf_bytes)
    return [doc[i] for i in range(len(doc))]


def shot(page: Any, name: str) -> Path:
    image = page.render(scale=1.5).to_pil()
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    image.save(path)
    return path


def assert_text_inside_the_page(page: Any, margin: float = 14) -> None:
    """Every character's box (pdfium's text layer) lies within the page, `margin` points (5 mm) from each
    edge: no heading, running header or footer runs off the paper."""
    width, height = page.get_size()
    text = page.get_textpage()
    for i in range(text.count_chars()):
        left, bottom, right, top = text.get_charbox(i)
        if right <= left:  # spaces and line ends have no box
            continue
        assert margin <= left and right <= width - margin and margin <= bottom and top <= height - margin, (
            text.get_text_range(max(0, i - 20), 40), (left, bottom, right, top))


def ink(page: Any) -> float:
    """Share of the page's pixels that are not white: a blank page has none."""
    image = page.render(scale=0.5).to_pil().convert("L")
    hist = image.histogram()
    return 1 - sum(hist[245:]) / sum(hist)


def text_of(pdf_bytes: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf_bytes)).pages]


def make_logo(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 140), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 110, 130), outline="darkgreen", width=6)
    draw.ellipse((35, 40, 85, 95), fill="goldenrod")
    image.save(path)
    return path


def letter(**over: Any) -> Letter:
    base = dict(government="PEMERINTAH KOTA BINJAI", office="DINAS SOSIAL",
                address="Jl. Contoh Alamat Kantor No. 1, Binjai — Telp. (061) 000000", logo=None, city="Binjai",
                number="460/3/DINSOS/XII/2026", date_text="Binjai, 7 Desember 2026", signatory_name="",
                signatory_nip="", signatory_title="Kepala Dinas Sosial Kota Binjai")
    base.update(over)
    return Letter(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- a realistic event through the API

def ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture(scope="module")
def realistic(admin: Api) -> dict[str, Any]:
    """An event of four shelters and 640 persons in 160 households, with long names; meals for only part of
    the people and sandang for some households: most persons are not fulfilled (more than the PDF lists)."""
    start = (now_wib() - timedelta_days(3)).replace(hour=7, minute=0, second=0, microsecond=0)
    ev = ok(admin.post("/events", json={"id": new_id(), "kind": "banjir", "started_at": start.isoformat(),
                                        "kelurahan_codes": [KELURAHAN, KELURAHAN_2],
                                        "name": "Banjir Bandang Sungai Bingei dan Sungai Mencirim Akibat Hujan "
                                                "Deras Berkepanjangan di Kota Binjai"}))
    eid = ev["id"]
    shelter_ids = [ok(admin.post(f"/events/{eid}/shelters", json=shelter_body(
        name=name, kelurahan_code=KELURAHAN if i % 2 else KELURAHAN_2, capacity_persons=300,
        opened_at=start.isoformat())))["id"] for i, name in enumerate(SHELTERS)]
    records: list[dict[str, Any]] = []
    persons = 0
    for h in range(160):
        hid = new_id()
        head = f"{FIRST[h % 6]} {LAST[(h // 6) % 6]}"
        records.append({"type": "household", "event_id": eid, "data": household_body(
            id=hid, head_name=head, kk_number=None, kelurahan_code=KELURAHAN if h % 3 else KELURAHAN_2)})
        for m in range(4):
            records.append({"type": "person", "event_id": eid, "data": {
                "id": new_id(), "full_name": f"{FIRST[(h + m) % 6]} {LAST[(h * 7 + m) % 6]} {h:03d}{m}",
                "sex": "LP"[m % 2], "birth_date": f"{1950 + (h * 4 + m) % 70}-0{1 + m}-15", "household_id": hid,
                "shelter_id": shelter_ids[h % 4], "registered_at": start.isoformat(),
                **({"vulnerabilities": ["disabilitas"]} if h % 17 == 0 and m == 0 else {})}})
            persons += 1
    for i in range(0, len(records), 500):
        result = ok(admin.post("/sync", json={"records": records[i:i + 500]}))
        assert all(x["status"] == "created" for x in result["results"]), result
    day1 = start.replace(hour=12)
    ok(admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "makanan_siap_saji",
                                                        "quantity": 2000, "shelter_id": shelter_ids[0],
                                                        "delivered_at": day1.isoformat()}))
    rep = ok(admin.get(f"/events/{eid}/report", params={"format": "json"}))
    assert rep["unmet_total"] > PDF_UNMET_LIMIT and rep["people"]["registered"] == persons
    return rep


def timedelta_days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def test_event_pdf_tables_never_overflow_and_pages_are_a4(realistic: dict[str, Any], tmp_path: Path) -> None:
    writers: list[RecordingWriter] = []

    def recording(pdf: Any) -> RecordingWriter:
        writers.append(RecordingWriter(pdf))
        return writers[-1]

    body = event_pdf(realistic, letter=letter(logo=make_logo(tmp_path / "logo.png")),
                     writer=recording)  # type: ignore[arg-type]
    assert_no_cell_overflows(writers[0])
    wrapped = [lines for _, lines in writers[0].broken if len(lines) > 1]
    assert wrapped, "the long names and shelter names should have wrapped somewhere"

    rendered = pages(body)
    assert 6 <= len(rendered) <= 40
    for page in rendered:
        assert page.get_size() == pytest.approx(A4, abs=0.5)
        assert ink(page) > 0.003  # nothing blank
        assert_text_inside_the_page(page)
    texts = text_of(body)
    first = texts[0]
    assert "PEMERINTAH KOTA BINJAI" in first and "DINAS SOSIAL" in first
    assert "Nomor: 460/3/DINSOS/XII/2026" in first and "Binjai, 7 Desember 2026" in first
    assert "Ringkasan" in first and "Penyebab utama" in first
    annex = next(i for i, t in enumerate(texts) if "LAMPIRAN" in t)
    signature = next(i for i, t in enumerate(texts) if "NIP." in t)
    assert signature <= annex < len(texts)
    assert all("NIP." not in t for t in texts[signature + 1:])
    everything = " ".join(texts)
    for u in realistic["unmet"]:
        assert u["person_id"] not in everything  # no internal ids
    assert "Kepala keluarga" in texts[annex] and SHELTERS[0][:30] in " ".join(texts[annex:])
    shot(rendered[0], "event-page1.png")
    shot(rendered[annex], "event-lampiran.png")


def test_renstra_pdf_tables_never_overflow(admin: Api) -> None:
    writers: list[RecordingWriter] = []

    def recording(pdf: Any) -> RecordingWriter:
        writers.append(RecordingWriter(pdf))
        return writers[-1]

    ok(admin.put("/reports/renstra/targets", json={"year": 2030, "indicator_code": "penyediaan_makanan",
                                                   "budget_realisation": 1_234_567_890_123}))
    rep = ok(admin.get("/reports/renstra", params={"year": 2030, "format": "json"}))
    body = renstra_pdf(rep, letter=letter(signatory_name="Dr. Nama Kepala Dinas Yang Cukup Panjang, S.Sos., M.Si.",
                                          signatory_nip="19700101 199003 1 001"), writer=recording)  # type: ignore[arg-type]
    assert_no_cell_overflows(writers[0])
    rendered = pages(body)
    assert 1 <= len(rendered) <= 6
    for page in rendered:
        assert page.get_size() == pytest.approx(A4[::-1], abs=0.5)  # landscape
        assert_text_inside_the_page(page)
    texts = text_of(body)
    assert "Nomor: 460/3/DINSOS/XII/2026" in texts[0] and "1.234.567.890.123" in " ".join(texts)
    assert "NIP. 19700101 199003 1 001" in texts[-1]
    shot(rendered[0], "renstra-page1.png")


# ---------------------------------------------------------------- the letter from the settings

def settings(**over: Any) -> SimpleNamespace:
    base = dict(report_government="PEMERINTAH KOTA BINJAI", report_office="DINAS SOSIAL", report_address="",
                report_logo_file=None, report_city="Binjai", report_signatory_name="", report_signatory_nip="",
                report_signatory_title="Kepala Dinas Sosial Kota Binjai",
                report_number_pattern="460/{seq}/DINSOS/{roman_month}/{year}")
    base.update(over)
    return SimpleNamespace(**base)


def test_event_letter_is_numbered_by_the_events_ordinal_and_dated_locally() -> None:
    """Made at 17:30 UTC on 6 December = 00:30 WIB on 7 December: the letter is dated the 7th."""
    report = {"generated_at": "2026-12-06T17:30:00+00:00", "timezone": "Asia/Jakarta",
              "event": {"number_in_year": 3, "year": 2026}}
    got = event_letter(report, settings())
    assert got.number == "460/3/DINSOS/XII/2026" and got.date_text == "Binjai, 7 Desember 2026"
    got = event_letter(report, settings(report_number_pattern="{event_year}.{month}/{seq}", report_city=""))
    assert got.number == "2026.12/3" and got.date_text == "7 Desember 2026"


def test_renstra_letter_leaves_the_sequence_to_be_written_in() -> None:
    report = {"generated_at": "2027-03-02T02:00:00+00:00", "timezone": "Asia/Jakarta", "year": 2026}
    assert renstra_letter(report, settings()).number == "460/..../DINSOS/III/2027"


def test_a_missing_or_foreign_logo_file_prints_no_logo(tmp_path: Path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_text("not an image")
    assert usable_logo(None) is None and usable_logo(tmp_path / "absent.png") is None and usable_logo(fake) is None
    assert usable_logo(make_logo(tmp_path / "real.png")) == tmp_path / "real.png"
    report = {"generated_at": "2026-12-06T17:30:00+00:00", "timezone": "Asia/Jakarta",
              "event": {"number_in_year": 1, "year": 2026}}
    assert event_letter(report, settings(report_logo_file=fake)).logo is None


def test_an_unknown_placeholder_in_the_number_pattern_stops_the_settings() -> None:
    from pydantic import ValidationError

    from shared.config import Settings

    with pytest.raises(ValidationError, match=r"\{nomor\} tidak dikenal"):
        Settings(report_number_pattern="460/{nomor}/DINSOS")
    with pytest.raises(ValidationError, match="POSKO_REPORT_NUMBER_PATTERN"):
        Settings(report_number_pattern="460/{seq/DINSOS")
    assert Settings(report_number_pattern="DINSOS/{seq}/{month}/{year}").report_number_pattern.endswith("{year}")
