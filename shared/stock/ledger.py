"""Stock on hand from the ledger (docs/rules.md, "Stock"): pure functions over summed ledger rows.

The ledger is append-only; what a location holds of an item at `as_of` is

    on_hand = Σ ledger quantities (at ≤ as_of) − Σ distributions drawn from it (delivered_at ≤ as_of)

Lots (by expiry date) follow first-expired-first-out: inflows add to their expiry's lot, an outflow
naming an expiry (a dispatch line the FEFO split made, an adjustment of one lot) takes from that lot,
and outflows naming none (distributions, adjustments without a date) take from the earliest expiry
first, the lot without a date last. What no lot covers is a negative lot without a date, so the
lots always add up to `on_hand`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

Key = tuple[str, str]  # (location_id, item_code)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LedgerSum:
    """Σ of ledger quantities of one location, item and expiry, split by sign."""

    location_id: str
    item_code: str
    expiry_date: date | None
    inflow: Decimal
    outflow: Decimal  # ≥ 0: the magnitude of the negative lines


@dataclass(slots=True)
class Position:
    """What one location holds of one item: the total and the lots by expiry (None: no date)."""

    on_hand: Decimal = _ZERO
    lots: dict[date | None, Decimal] = field(default_factory=dict)

    def lot_rows(self) -> list[dict[str, object]]:
        """The lots with something in them (or below zero), earliest expiry first, undated last."""
        ordered = sorted(self.lots.items(), key=lambda kv: (kv[0] is None, kv[0] or date.min))
        return [{"expiry_date": d.isoformat() if d else None, "quantity": float(q)} for d, q in ordered if q != 0]

    def fefo_next(self) -> date | None:
        """The expiry of the lot to use first: the earliest dated lot that holds something."""
        dated = [d for d, q in self.lots.items() if d is not None and q > 0]
        return min(dated) if dated else None


def positions(sums: list[LedgerSum], drawn: dict[Key, Decimal]) -> dict[Key, Position]:
    """Every location's position per item from ledger sums and the distributions drawn (`drawn`)."""
    out: dict[Key, Position] = {}
    undated_out: dict[Key, Decimal] = {}
    for s in sums:
        key = (s.location_id, s.item_code)
        pos = out.get(key)
        if pos is None:
            pos = out[key] = Position()
        pos.on_hand += s.inflow - s.outflow
        if s.expiry_date is None:
            pos.lots[None] = pos.lots.get(None, _ZERO) + s.inflow
            undated_out[key] = undated_out.get(key, _ZERO) + s.outflow
        else:
            kept = s.inflow - s.outflow
            pos.lots[s.expiry_date] = pos.lots.get(s.expiry_date, _ZERO) + kept
    for key, qty in drawn.items():
        pos = out.get(key)
        if pos is None:
            pos = out[key] = Position()
        pos.on_hand -= qty
        undated_out[key] = undated_out.get(key, _ZERO) + qty
    for key, pos in out.items():
        _settle_lots(pos, undated_out.get(key, _ZERO))
    return out


def _settle_lots(pos: Position, undated_outflow: Decimal) -> None:
    """Take outflows naming no lot FEFO; a dated lot driven below zero passes its deficit on too."""
    debt = undated_outflow
    for d in list(pos.lots):
        if d is not None and pos.lots[d] < 0:
            debt += -pos.lots[d]
            pos.lots[d] = _ZERO
    for d in sorted(d for d in pos.lots if d is not None):
        if debt <= 0:
            break
        take = min(pos.lots[d], debt)
        pos.lots[d] -= take
        debt -= take
    pos.lots[None] = pos.lots.get(None, _ZERO) - debt
    for d in [d for d, q in pos.lots.items() if q == 0]:
        del pos.lots[d]


def fefo_split(lots: dict[date | None, Decimal], quantity: Decimal) -> list[tuple[date | None, Decimal]]:
    """How to take `quantity` out of a location's lots, earliest expiry first (the undated lot last;
    what the lots do not hold is taken undated, so a shipment beyond stock is still recorded)."""
    parts: list[tuple[date | None, Decimal]] = []
    left = quantity
    for d in sorted(lots, key=lambda d: (d is None, d or date.min)):
        have = lots[d]
        if have <= 0 or left <= 0:
            continue
        take = min(have, left)
        parts.append((d, take))
        left -= take
    if left > 0:
        undated = next((i for i, (d, _) in enumerate(parts) if d is None), None)
        if undated is None:
            parts.append((None, left))
        else:
            parts[undated] = (None, parts[undated][1] + left)
    return parts
