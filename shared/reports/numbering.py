"""The document number and the letter date of a signed report (docs/operations.md, "Report letterhead
and numbering").

The number comes from the `POSKO_REPORT_NUMBER_PATTERN` setting, e.g. `460/{seq}/DINSOS/{roman_month}/{year}`.
Placeholders:

- `{seq}`: the event's ordinal among the events that started in the same (local) year, ordered by start
  and id — derived from the events table, so the same event always prints the same number however
  often its report is rendered, and no counter can drift from the data. A Renstra report (one per
  year, not one per event) prints `....` there: the agenda number is written in by hand from the
  office's buku agenda.
- `{year}`, `{month}` (01–12), `{roman_month}` (I–XII): of the letter date, the local date the report
  was made.
- `{event_year}`: the year the event started (Renstra: the report's year).

Any other `{…}` is refused when the settings load, so a typo stops the process instead of printing.
"""

from __future__ import annotations

import string
from datetime import date

from shared.reports.render.indonesian import MONTHS

PLACEHOLDERS = ("seq", "year", "month", "roman_month", "event_year")
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
BLANK_SEQ = "...."


def check_pattern(pattern: str) -> None:
    """Raise ValueError naming an unknown or malformed placeholder."""
    try:
        fields = [name for _, name, spec, conv in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        raise ValueError(f"POSKO_REPORT_NUMBER_PATTERN: {exc}") from exc
    for name in fields:
        if name not in PLACEHOLDERS:
            raise ValueError(f"POSKO_REPORT_NUMBER_PATTERN: {{{name}}} tidak dikenal (unknown placeholder); "
                             f"yang dikenal: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")


def document_number(pattern: str, letter_date: date, seq: int | None, event_year: int) -> str:
    """The number for a letter dated `letter_date`; `seq` None prints `....` (filled in by hand)."""
    return pattern.format(seq=BLANK_SEQ if seq is None else str(seq), year=letter_date.year,
                          month=f"{letter_date.month:02d}", roman_month=ROMAN_MONTHS[letter_date.month - 1],
                          event_year=event_year)


def letter_date_text(city: str, day: date) -> str:
    """`Binjai, 7 Desember 2026` (no city: the date alone)."""
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{city}, {text}" if city.strip() else text


__all__ = ["PLACEHOLDERS", "check_pattern", "document_number", "letter_date_text"]
