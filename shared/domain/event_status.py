"""Event status transitions (siaga → tanggap → transisi → selesai; tanggap → selesai)."""

from __future__ import annotations

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "siaga_darurat": frozenset({"tanggap_darurat"}),
    "tanggap_darurat": frozenset({"transisi_darurat", "selesai"}),
    "transisi_darurat": frozenset({"selesai"}),
    "selesai": frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    """True when an event may move from `current` to `target` (staying put is always allowed)."""
    return current == target or target in ALLOWED_TRANSITIONS.get(current, frozenset())
