"""NIK and KK number rules (Dukcapil), pure functions.

A NIK is 16 digits: 6 digits of the area of first issue, DDMMYY birth date (women: day + 40),
4 digits of serial. The area prefix is kept for life, so a non-Binjai prefix is legal.
"""

from __future__ import annotations

import re
from datetime import date

_SIXTEEN_DIGITS = re.compile(r"^[0-9]{16}$")


def nik_problem(nik: str) -> str | None:
    """Why `nik` is not a plausible NIK, or None when it is."""
    if not _SIXTEEN_DIGITS.match(nik):
        return "NIK harus 16 digit angka (NIK must be exactly 16 digits)"
    day, month = int(nik[6:8]), int(nik[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return "bagian tanggal lahir NIK tidak valid: hari harus 01-31 atau 41-71 (NIK day part must be 01-31, or 41-71 for women)"
    if not 1 <= month <= 12:
        return "bagian bulan lahir NIK tidak valid: 01-12 (NIK month part must be 01-12)"
    if nik[12:] == "0000":
        return "nomor urut NIK tidak boleh 0000 (NIK serial must not be 0000)"
    return None


def nik_sex(nik: str) -> str:
    """The sex the NIK encodes: women have 40 added to the day of birth."""
    return "P" if int(nik[6:8]) > 40 else "L"


def nik_birth_parts(nik: str) -> tuple[int, int, int]:
    """(day, month, two-digit year) of birth the NIK encodes (the day without the +40 of women)."""
    day = int(nik[6:8])
    return (day - 40 if day > 40 else day), int(nik[8:10]), int(nik[10:12])


def nik_agrees_with_birth_date(nik: str, birth_date: date) -> bool:
    """The NIK's DDMMYY is the birth date's (the century is not in the NIK)."""
    return nik_birth_parts(nik) == (birth_date.day, birth_date.month, birth_date.year % 100)


def nik_agrees_with_age(nik: str, age_years: int, on: date) -> bool:
    """An age in completed years on `on` fits the NIK's year of birth: born in `on.year - age` or the
    year before (the day of birth decides which, and an age given without a birth date is often a
    round guess, so either year is accepted)."""
    yy = nik_birth_parts(nik)[2]
    return yy in {(on.year - age_years) % 100, (on.year - age_years - 1) % 100}


def kk_problem(kk: str) -> str | None:
    """Why `kk` is not a plausible KK (family card) number, or None."""
    if not _SIXTEEN_DIGITS.match(kk):
        return "nomor KK harus 16 digit angka (KK number must be exactly 16 digits)"
    return None


def mask_nik(nik: str | None) -> str | None:
    """`************1234`: what a relawan sees in lists."""
    if nik is None:
        return None
    return "*" * (len(nik) - 4) + nik[-4:]
