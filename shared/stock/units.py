"""Quantities of catalogue items in any unit a donor or volunteer writes, converted to the item's
catalogue unit by a maintained unit library (pint), never by factors written here.

Physical units (kg, gram, liter, milliliter) convert as pint knows them. Counting units the catalogue
uses (porsi, paket, lembar, bungkus, kaleng) are units of their own dimension, so "3 porsi" never
converts to kg. An item's packaging units (`karung` of beras) are unit expressions ("25 kg") kept in
the catalogue (table item_units) and parsed by pint, so "24 * 600 milliliter" is exactly 14.4 liter.
Arithmetic is in Decimal: 3 karung of 25 kg are 75 kg exactly, not 74.99999.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import pint

# Counting units of the catalogue: each its own dimension (a paket is not a porsi).
_COUNTING_UNITS = ("porsi", "paket", "lembar", "bungkus", "kaleng", "buah", "botol", "rupiah")


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The unit registry, built once per process (pint's own definitions plus the counting units)."""
    ureg: pint.UnitRegistry = pint.UnitRegistry(non_int_type=Decimal, cache_folder=None)
    for unit in _COUNTING_UNITS:
        ureg.define(f"{unit} = [{unit}]")
    ureg.define("ton_metrik = 1000 kilogram")
    return ureg


class UnitProblem(ValueError):
    """A unit that is unknown or does not convert to the item's unit; the message is Indonesian + English."""


def to_catalogue_unit(quantity: Any, unit: str | None, item_unit: str, packagings: dict[str, str]) -> Decimal:
    """`quantity unit` of an item expressed in `item_unit` (its catalogue unit). `unit` None or equal to
    the item's unit: the quantity as written. `packagings`: the item's packaging units → size expression."""
    amount = Decimal(str(quantity))
    if unit is None or unit == item_unit:
        return amount
    ureg = registry()
    try:
        if unit in packagings:
            value = ureg.parse_expression(packagings[unit]) * amount
        else:
            value = ureg.Quantity(amount, unit)
        result = value.to(item_unit).magnitude
    except pint.errors.UndefinedUnitError as err:
        raise UnitProblem(f"satuan {unit!r} tidak dikenal untuk barang ini (unknown unit)") from err
    except pint.errors.DimensionalityError as err:
        raise UnitProblem(f"satuan {unit!r} tidak dapat diubah ke {item_unit} (unit does not convert to "
                          f"the item's unit)") from err
    except (pint.errors.PintError, AttributeError, TypeError) as err:
        raise UnitProblem(f"satuan {unit!r} tidak dapat dibaca (unreadable unit)") from err
    return Decimal(result).normalize() if not isinstance(result, Decimal) else result.normalize()
