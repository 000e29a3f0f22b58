"""NIK and KK number rules (Dukcapil), pure functions.

A NIK is 16 digits: 6 digits of the area of first issue, DDMMYY birth date (women: day + 40),
4 digits of serial. The area prefix is kept for life, so a non-Binjai prefix is legal.
"""

from __future__ import annotations

import re

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
