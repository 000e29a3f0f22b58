"""Days of cover and what to send next (docs/rules.md, "Stock"): pure functions over plain data.

- Daily need of a shelter, per `per_person_day` item of the event's standard: `rate × occupants`
  (the people the shelter serves now; for meals, the day's due when everyone is there at every meal).
- Daily need of a gudang: the sum over the shelters it supplies (those it has dispatched to; a gudang
  that has dispatched to none is taken to supply every open shelter of the event).
- Days of cover = on hand ÷ daily need (2 decimals, null without a need; 0 when nothing is on hand).
- Kirim berikutnya for a shelter, per item: need for the rest of today and all of tomorrow
  (`daily_need × (meal times still to come today / meal times + 1)`) minus on hand minus in transit to
  it, or the open requests' remainder if larger, rounded up to hundredths (nothing below one hundredth); from the gudang holding most of the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from shared.stock.ledger import Key, Position

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class NeedRule:
    item_code: str
    unit: str
    rate: Decimal


@dataclass(slots=True)
class Locations:
    """The stock locations of an event: gudang (id → name) and shelters (id → name, occupants, open)."""

    gudang: dict[str, str]
    shelters: dict[str, tuple[str, int, bool]]
    supplies: dict[str, set[str]] = field(default_factory=dict)  # gudang → shelters it dispatched to


def daily_needs(locs: Locations, rules: list[NeedRule]) -> dict[Key, Decimal]:
    """(location, item) → daily need, for shelters and gudang."""
    out: dict[Key, Decimal] = {}
    for sid, (_, occupants, _) in locs.shelters.items():
        for r in rules:
            out[(sid, r.item_code)] = r.rate * occupants
    open_shelters = {sid for sid, (_, _, is_open) in locs.shelters.items() if is_open}
    for gid in locs.gudang:
        served = locs.supplies.get(gid) or open_shelters
        for r in rules:
            out[(gid, r.item_code)] = sum((out.get((sid, r.item_code), _ZERO) for sid in served), _ZERO)
    return out


def days_of_cover(on_hand: Decimal, need: Decimal) -> float | None:
    """On hand ÷ daily need, 2 decimals (half up); None when nothing is needed; never below 0."""
    if need <= 0:
        return None
    return float((max(on_hand, _ZERO) / need).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def suggestions(locs: Locations, rules: list[NeedRule], needs: dict[Key, Decimal], stock: dict[Key, Position],
                in_transit: dict[Key, Decimal], requested: dict[Key, Decimal], meals_left_today: int,
                meals_per_day: int) -> list[dict[str, Any]]:
    """Per open shelter, the items it should be sent next, each with the gudang it can come from."""
    horizon = Decimal(meals_left_today) / Decimal(meals_per_day) + 1 if meals_per_day else Decimal(2)
    units = {r.item_code: r.unit for r in rules}
    items = [r.item_code for r in rules] + sorted({i for (_, i) in requested} - set(units))
    out = []
    for sid, (name, _, is_open) in locs.shelters.items():
        if not is_open:
            continue
        rows = []
        for item in items:
            need = needs.get((sid, item), _ZERO) * horizon
            held = stock.get((sid, item), Position()).on_hand
            coming = in_transit.get((sid, item), _ZERO)
            lack = max(_ZERO, need - max(held, _ZERO) - coming)
            asked = max(_ZERO, requested.get((sid, item), _ZERO) - coming)
            raw = max(lack, asked)
            if raw < _CENT:  # less than a hundredth short is no shortage
                continue
            want = raw.quantize(_CENT, rounding=ROUND_CEILING)
            source, available = _best_gudang(locs, stock, item)
            rows.append({"item_code": item, "unit": units.get(item), "need_today_tomorrow": float(need.quantize(_CENT, rounding=ROUND_HALF_UP)),
                         "on_hand": float(held), "in_transit": float(coming),
                         "requested": float(requested.get((sid, item), _ZERO)), "suggested": float(want),
                         "from_location_id": source, "available_at_source": float(available)})
        if rows:
            out.append({"shelter_id": sid, "shelter_name": name, "items": rows})
    return out


def _best_gudang(locs: Locations, stock: dict[Key, Position], item: str) -> tuple[str | None, Decimal]:
    best: tuple[str | None, Decimal] = (None, _ZERO)
    for gid in sorted(locs.gudang):
        held = stock.get((gid, item), Position()).on_hand
        if held > best[1]:
            best = (gid, held)
    return best
