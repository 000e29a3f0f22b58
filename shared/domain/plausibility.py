"""What a date or an instant may plausibly be, as pure functions (no I/O): each returns why a value is
not plausible (Indonesian first, an English gloss in brackets), or None when it is.

Why these bounds: a value outside them is a typing slip on a phone (a year 0202 for 2022, a birth
year 1099 for 1990) that would otherwise pass silently into the indicator — a person "aged 927" is
lansia, a meal "delivered" in 1970 counts towards no day. And instants at the edges of the calendar
(0001-01-01, 9999-12-31) cannot even be converted to UTC or stored, so they are refused here before
anything else touches them.

The rules are used by the request schemas (what needs no stored data) and by the write path (what
needs the event: its start and end), so a single request and a `/sync` record get the same answer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shared.domain.identity import nik_agrees_with_age, nik_agrees_with_birth_date, nik_sex

# Instants: a window wide enough for any record of this system, far from the calendar's edges
# (converting 0001-01-01T00:00+07:00 or 9999-12-31T23:59-12:00 to UTC overflows).
FIRST_INSTANT_YEAR = 1900
LAST_INSTANT_YEAR = 2199

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_AGE_YEARS = 120
# A delivery may be recorded up to a day before the event's recorded start: the start is often set
# afterwards, from memory, and pre-positioned aid goes out as the water rises.
DELIVERY_LEAD = timedelta(days=1)


def instant_problem(value: datetime) -> str | None:
    """An instant outside the years 1900–2199 (checked on the value as sent, before any conversion)."""
    if not FIRST_INSTANT_YEAR <= value.year <= LAST_INSTANT_YEAR:
        return (f"waktu tidak masuk akal: di luar tahun {FIRST_INSTANT_YEAR}–{LAST_INSTANT_YEAR} "
                f"(timestamp outside the years {FIRST_INSTANT_YEAR}-{LAST_INSTANT_YEAR})")
    return None


def birth_date_problem(birth_date: date, today: date) -> str | None:
    """What is wrong with a birth date on its own: before 1900, or in the future (a day's slack for time zones)."""
    if birth_date < EARLIEST_BIRTH_DATE:
        return "tanggal lahir tidak masuk akal: sebelum 1900-01-01 (birth date before 1900)"
    if birth_date > today + timedelta(days=1):
        return "tanggal lahir tidak boleh di masa depan (birth date is in the future)"
    return None


def birth_date_event_problem(birth_date: date, event_start: date, registered_on: date,
                             event_end: date | None = None) -> str | None:
    """What is wrong with a birth date against its event (all local calendar dates).

    Born more than 120 years before the event's start is implausible (the oldest documented people
    were under 123); exactly 120 years before is accepted, as `age_years` 120 is. A baby born after the event started is ordinary (born in the shelter), but not one
    born after the day they were registered, nor after the event ended.
    """
    if birth_date < _years_before(event_start, MAX_AGE_YEARS):
        return (f"tanggal lahir tidak masuk akal: lebih dari {MAX_AGE_YEARS} tahun sebelum kejadian dimulai "
                f"(birth date more than {MAX_AGE_YEARS} years before the event started)")
    if birth_date > registered_on:
        return "tanggal lahir tidak masuk akal: setelah tanggal pendaftaran (birth date after the registration date)"
    if event_end is not None and birth_date > event_end:
        return "tanggal lahir tidak masuk akal: setelah kejadian berakhir (birth date after the event ended)"
    return None


def age_years_problem(age_years: int) -> str | None:
    """An age in years: 0 to 120."""
    if age_years < 0:
        return "umur tidak boleh negatif (age must not be negative)"
    if age_years > MAX_AGE_YEARS:
        return f"umur tidak masuk akal: lebih dari {MAX_AGE_YEARS} tahun (age over {MAX_AGE_YEARS} years)"
    return None


# What the client sends to keep a record whose NIK disagrees with its birth date or sex (docs/api.md).
CONFIRM_FIELD = "nik_mismatch_confirmed"
_CONFIRM = f"periksa lagi, atau kirim {CONFIRM_FIELD}: true bila data ini memang benar"
_CONFIRM_EN = f"check it, or send {CONFIRM_FIELD}: true if it is right"


def nik_mismatch(nik: str | None, sex: str | None, birth_date: date | None, age_years: int | None,
                 event_start: date) -> tuple[str, str] | None:
    """(field, reason) when the birth date, age or sex disagrees with what the NIK encodes, else None.

    Why: the NIK carries DDMMYY of birth (women: day + 40). When the typed values disagree, one of
    them is a slip (a digit of the NIK, a day and month swapped, the wrong sex tapped) and a wrong birth
    date moves a person in or out of balita/lansia, a wrong NIK hides a duplicate. Only a person can
    tell which is right (a KTP issued with a wrong date exists), so the write asks for a confirmation
    instead of refusing for good. The messages never show the NIK or the date it encodes.
    """
    if not nik:
        return None
    if birth_date is not None and not nik_agrees_with_birth_date(nik, birth_date):
        return ("birth_date", f"tanggal lahir tidak cocok dengan tanggal lahir di NIK; {_CONFIRM} "
                              f"(birth date does not match the date of birth in the NIK; {_CONFIRM_EN})")
    if birth_date is None and age_years is not None and not nik_agrees_with_age(nik, age_years, event_start):
        return ("age_years", f"umur tidak cocok dengan tahun lahir di NIK; {_CONFIRM} "
                             f"(age does not match the year of birth in the NIK; {_CONFIRM_EN})")
    if sex is not None and nik_sex(nik) != sex:
        return ("sex", f"jenis kelamin tidak cocok dengan NIK (NIK perempuan: tanggal lahir + 40); {_CONFIRM} "
                       f"(sex does not match the NIK, where women have 40 added to the day of birth; {_CONFIRM_EN})")
    return None


MONTHS_SHOWN_UNDER = 24  # ages under 2 years are shown in months


def months_old(birth_date: date, on: date) -> int:
    """Completed months of age on `on` (0 for a baby born after `on`): ages under 2 are shown in months."""
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month - (1 if on.day < birth_date.day else 0)
    return max(0, months)


def delivered_at_problem(delivered_at: datetime, event_started_at: datetime,
                         event_ended_at: datetime | None) -> str | None:
    """A distribution or service dated more than a day before its event started, or after it ended."""
    if delivered_at < event_started_at - DELIVERY_LEAD:
        return ("tanggal penyaluran tidak masuk akal: lebih dari 1 hari sebelum kejadian dimulai "
                "(delivered more than a day before the event started)")
    if event_ended_at is not None and delivered_at > event_ended_at:
        return "tanggal penyaluran tidak masuk akal: setelah kejadian berakhir (delivered after the event ended)"
    return None


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February → a common year
        return date(on.year - years, 2, 28)
