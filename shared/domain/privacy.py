"""Personal-data rules (UU 27/2022), pure functions: what anonymisation keeps, how a query is recorded."""

from __future__ import annotations

from datetime import date

from shared.domain.vulnerability import age_at

ANONYMOUS_NAME = "Anonim"


def anonymised_age(birth_date: date | None, age_years: int | None, event_start: date) -> int | None:
    """The age an anonymised person keeps: completed years at the event's start, the date every age-derived
    count (balita, lansia) is taken at, so reports count the same before and after; the birth date goes."""
    return age_at(birth_date, age_years, event_start)


def query_kind(q: str | None, number: str = "nik") -> str | None:
    """How a person (`number` "nik") or household ("kk") search is recorded in the audit log: its kind,
    never its value. A full NIK/KK is 16 digits; other digit strings are number searches; anything
    else a name search."""
    if not q:
        return None
    text = q.strip()
    if text.isdigit() and len(text) == 16:
        return f"search={number}"
    if text.isdigit():
        return "search=number"
    return "search=name"
