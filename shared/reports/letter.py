"""Who signs a report and under which letterhead: the kop surat, the document number, the letter date
and the signatory block of the event and Renstra PDFs, from the settings (shared/config.py,
`POSKO_REPORT_*`; docs/operations.md, "Report letterhead and numbering").

Nothing here is invented: an empty signatory name or NIP prints a blank line to sign over and write
on, an empty address prints no address line, and a logo file that is missing, unreadable or not a
PNG/JPEG prints no logo (never an error: a report must come out even when the logo was moved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shared.reports.numbering import document_number, letter_date_text

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass(frozen=True)
class Letter:
    government: str  # PEMERINTAH KOTA BINJAI
    office: str  # DINAS SOSIAL
    address: str
    logo: Path | None  # a readable PNG/JPEG, or None
    city: str
    number: str
    date_text: str  # Binjai, 7 Desember 2026
    signatory_name: str
    signatory_nip: str
    signatory_title: str


def usable_logo(path: Path | str | None) -> Path | None:
    """The logo file when it exists and starts like a PNG or JPEG; None otherwise."""
    if not path:
        return None
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(8)
    except OSError:
        return None
    return p if head.startswith(PNG_MAGIC) or head.startswith(JPEG_MAGIC) else None


def _letter(settings: Any, day: date, seq: int | None, event_year: int) -> Letter:
    return Letter(government=settings.report_government.strip(), office=settings.report_office.strip(),
                  address=settings.report_address.strip(), logo=usable_logo(settings.report_logo_file),
                  city=settings.report_city.strip(),
                  number=document_number(settings.report_number_pattern, day, seq, event_year),
                  date_text=letter_date_text(settings.report_city, day),
                  signatory_name=settings.report_signatory_name.strip(),
                  signatory_nip=settings.report_signatory_nip.strip(),
                  signatory_title=settings.report_signatory_title.strip())


def _local_day(iso: str, report: dict[str, Any]) -> date:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(report.get("timezone") or "UTC")).date()


def event_letter(report: dict[str, Any], settings: Any = None) -> Letter:
    """The letter of a post-disaster report: dated the local day it was made, numbered by the event's
    ordinal in its year."""
    if settings is None:
        from shared.config import get_settings

        settings = get_settings()
    ev = report["event"]
    return _letter(settings, _local_day(report["generated_at"], report), ev.get("number_in_year"), ev["year"])


def renstra_letter(report: dict[str, Any], settings: Any = None) -> Letter:
    """The letter of a Renstra report: dated the local day it was made; `{seq}` left to be filled in."""
    if settings is None:
        from shared.config import get_settings

        settings = get_settings()
    return _letter(settings, _local_day(report["generated_at"], report), None, report["year"])


def dated_letter(settings: Any, day: date, year: int) -> Letter:
    """The letter of any other document (the stock reports): dated `day`, `{seq}` left to be filled in."""
    return _letter(settings, day, None, year)


__all__ = ["Letter", "dated_letter", "event_letter", "renstra_letter", "usable_logo"]
