"""Exact arithmetic of the needs rules (docs/rules.md, "Needs and the basic-needs indicator": required,
delivered and gap are not rounded; percentages are rounded half up to 2 decimals).

Quantities and rates are taken as the decimals they were written as (`exact`), quotients stay
`Fraction`s, and a figure becomes a float once, when it is reported.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor


def exact(value: float | int | Decimal) -> Decimal:
    """A number as the decimal it was written as: 0.4 is 4/10, not the nearest binary fraction."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_half_up(value: Fraction | Decimal | int, places: int = 2) -> float:
    """`value` rounded half away from zero to `places` decimals (2/3 → 0.67, 1/8 → 0.13 at 2 places)."""
    scale = 10 ** places
    scaled = Fraction(value) * scale
    whole = floor(scaled + Fraction(1, 2)) if scaled >= 0 else -floor(-scaled + Fraction(1, 2))
    return float(Fraction(whole, scale))


def percent(part: Fraction | Decimal | int, whole: Fraction | Decimal | int) -> float | None:
    """part / whole × 100 rounded half up to 2 decimals; None when whole is 0."""
    if whole == 0:
        return None
    return round_half_up(Fraction(part) * 100 / Fraction(whole))
