"""The basic-needs rules, once: plain functions over plain data, no I/O (docs/rules.md, "Needs and the
basic-needs indicator").

The snapshot engine (shared/needs/engine.py) and the one-pass daily series (shared/needs/daily.py)
both decide with these: who is eligible, which services a person needs, when a shelter-day's meals
are covered, how many sandang places a household's deliveries give and in which order its members
take them, what an item requires. They differ only in how they count (one instant against every day
end), never in what they count.

Choices where the rules are silent:

- A profile without a permakanan (or sandang) item has nothing to deliver for that service: the
  service is met for everyone it is required for (they still count as eligible for it). Likewise a
  sandang rate of 0 or less is met by everyone.
- An item with an unknown basis has `required` 0 (tracked like a catalogue item, not computed).
- Household order for sandang: `registered_at` (a person without one comes after those with one),
  then id; a negative household total gives no places.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import inf
from typing import Any

from shared.domain.vocabulary import Displacement
from shared.needs.model import VULNERABILITIES, ItemRule, PersonIn, seconds
from shared.needs.numbers import exact

GONE = frozenset({"hilang", "meninggal"})  # conditions that end eligibility (and displacement counts)
VULNERABLE = frozenset(VULNERABILITIES)  # any of these makes penanganan_khusus required
_ZERO = Decimal(0)


# ---- who counts ----------------------------------------------------------------------------------------

def meal_unit(household_id: str | None, person_id: str) -> tuple[str, str]:
    """docs/rules.md, "Mandiri stays": the unit whose meals are counted for persons staying outside the
    shelters is their household (wherever its members stay); a person without a household is their own
    unit. The two kinds of key never collide."""
    return ("h", household_id) if household_id is not None else ("p", person_id)


def needs_shelter_place(has_shelter_stay: bool | int) -> bool:
    """docs/rules.md, "Mandiri stays": tempat_penampungan is required only for persons with at least
    one shelter stay; a person who only ever stayed mandiri is not eligible for it."""
    return bool(has_shelter_stay)


def is_eligible(condition: str, has_stay: bool | int) -> bool:
    """docs/rules.md, "Who is eligible": at least one stay started by `as_of`, and neither missing
    (hilang) nor dead (meninggal)."""
    return bool(has_stay) and condition not in GONE


def displacement(has_stay: bool | int, stay_open: bool | int) -> Displacement:
    """docs/rules.md, "People counts": displaced now (a stay open at `as_of`), returned (stays, all
    closed) or affected (no stay). Missing and dead persons are counted apart, not here. The flags may be
    the bytes of the engine's per-person arrays (0 or 1)."""
    if not has_stay:
        return "affected"
    return "displaced_now" if stay_open else "returned"


# ---- which services a person needs -------------------------------------------------------------------

def needs_special_handling(vulnerabilities: Collection[str]) -> bool:
    """docs/rules.md, "Penanganan khusus and psikososial": penanganan_khusus is required for a person with any vulnerability
    (permakanan, sandang and tempat_penampungan are required for every eligible person, psikososial for
    those flagged `needs_psychosocial`)."""
    return bool(vulnerabilities) and not VULNERABLE.isdisjoint(vulnerabilities)


# ---- permakanan ----------------------------------------------------------------------------------------

def meals_due(rate: Decimal, presence: int, n_meals: int) -> Fraction:
    """docs/rules.md, "Required, delivered and gap per item": `due(S, d) = rate / number_of_meal_times × Σ present(S, t)` over the
    meal times t of day d (`presence` is that sum); nothing is due without meal times. The same for a
    household-day of mandiri members, `due(H, d)` ("Mandiri stays")."""
    return Fraction(rate) * presence / n_meals if n_meals else Fraction(0)


def uncovered_days(presence_per_day: Sequence[int], delivered_per_day: Mapping[int, Decimal], rate: Decimal,
                   n_meals: int) -> set[int]:
    """docs/rules.md, "Permakanan: covered shelter-days": the days d of one shelter on which someone was present at a meal time
    and the permakanan delivered there that day is below `due(S, d)` (compared without division:
    delivered × meal times < rate × presence). Nothing carries over between days. A household's
    mandiri members are checked the same way against `due(H, d)` and the meals delivered to the
    household or its members ("Mandiri stays")."""
    return {di for di, count in enumerate(presence_per_day)
            if count and delivered_per_day.get(di, _ZERO) * n_meals < rate * count}


# ---- sandang -------------------------------------------------------------------------------------------

def sandang_met_by_everyone(item: ItemRule | None) -> bool:
    """A profile without a sandang item, or with a rate of 0 or less, has nothing to deliver: sandang
    is met for everyone (see the module docstring)."""
    return item is None or exact(item.rate) <= 0


def own_sandang_met(total: Decimal, rate: Decimal) -> bool:
    """docs/rules.md, "Sandang places of a household": person-level deliveries of the sandang item totalling at least `rate`."""
    return total >= rate


def household_places(total: Decimal, rate: Decimal) -> int:
    """docs/rules.md, "Sandang places of a household": ⌊Q / rate⌋ places from a household-level quantity Q (exact; a total of
    0 or less gives none). `rate` is positive."""
    return int(total // rate) if total > 0 else 0


def household_order(persons: Sequence[PersonIn], first_index: Mapping[str, int],
                    households: Collection[str] | None = None) -> dict[str, list[int]]:
    """docs/rules.md, "Sandang places of a household": the members of each household (of `households`, or all) as indices into
    `persons`, in the order they take places: registration time (none last), then id. Every member
    takes a place whatever their condition; a repeated id counts at its first index (`first_index`)."""
    ranked: dict[str, list[tuple[float, str, int]]] = {}
    for pi, p in enumerate(persons):
        household = p.household_id
        if household is None or (households is not None and household not in households):
            continue
        if first_index[p.id] != pi:
            continue
        reg = p.registered_at
        ranked.setdefault(household, []).append((inf if reg is None else seconds(reg), p.id, pi))
    return {household: [pi for _, _, pi in sorted(members)] for household, members in ranked.items()}


# ---- needs per item ------------------------------------------------------------------------------------

def required(item: ItemRule, n_meals: int, presence_total: int, n_displaced: int,
             displaced_sets: Mapping[Any, int], n_households: int) -> Fraction:
    """docs/rules.md, "Required, delivered and gap per item": what an item requires to `as_of`, exactly, by its basis.

    `presence_total` is Σ present(S, t) over all shelters and meal times plus Σ present_mandiri(H, t)
    over all households (so Σ due(S, d) + Σ due(H, d) is rate × presence_total / meal times), `n_displaced` the persons with a stay, `displaced_sets` how many
    of them carry each distinct vulnerability set, `n_households` the households with a displaced member.
    An unknown basis requires 0."""
    rate = Fraction(exact(item.rate))
    if item.basis == "per_person_day":
        return rate * presence_total / n_meals if n_meals else Fraction(0)
    if item.basis == "per_person_once":
        return rate * n_displaced
    if item.basis == "per_household_once":
        return rate * n_households
    if item.basis == "per_vulnerable_once":
        wanted = frozenset(item.applies_to)
        return rate * sum(n for vulns, n in displaced_sets.items() if not wanted.isdisjoint(vulns))
    return Fraction(0)


# ---- shelter adequacy ----------------------------------------------------------------------------------

def covered_area_ok(covered_area_m2: float | None, occupants: int, area_per_person: Decimal) -> bool | None:
    """docs/rules.md, "Shelter adequacy": covered area ≥ occupants × the profile's m² per person; None
    when the shelter's area is not known."""
    return None if covered_area_m2 is None else exact(covered_area_m2) >= occupants * area_per_person


def toilets_ok(toilets: int | None, occupants: int, persons_per_toilet: Decimal) -> bool | None:
    """docs/rules.md, "Shelter adequacy": toilets × persons per toilet ≥ occupants; None when unknown."""
    return None if toilets is None else exact(toilets) * persons_per_toilet >= occupants
