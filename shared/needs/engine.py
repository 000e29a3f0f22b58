"""The needs engine: an event's status snapshot from plain data (docs/rules.md, "Needs and the
basic-needs indicator" and "The basic-needs indicator"). Pure functions: no I/O, no ORM.

`compute_snapshot` runs the steps below in order; each is a function a reader can hold against the
rules, and the decisions themselves (who is eligible, which services a person needs, when a
shelter-day is covered, who takes a household's sandang places, what an item requires) are the
functions of shared/needs/rules.py, which the daily series (shared/needs/daily.py) uses as well:

1. `index_people`: persons and shelters by index (a repeated person id counts once, at its first row).
2. `kept_stays`: the stays started by `as_of` of known persons; who has a stay (a shelter stay), whose
   stay (shelter or mandiri stay) is open.
3. `presence`: meal-time slots, merged slot ranges per (person, shelter) and per (person, household)
   for mandiri stays, `present(S, t)` per shelter-day, `present_mandiri(H, t)` per household-day and
   occupants (shared/needs/presence.py).
4. `delivered_per_item`: deliveries up to `as_of`: totals per item, permakanan per shelter-day and
   (to a household or person, no shelter) per household-day, sandang per person and per household.
5. `permakanan_failed`: who was present at a meal time of an uncovered shelter-day or household-day.
6. `sandang_met`: who is clothed by their own deliveries or by a household place.
7. `services_received`: who received penanganan khusus / psikososial.
8. `count_people`: registered, displaced now (in shelters, mandiri) / returned / affected, injured,
   missing, dead, by sex, vulnerable; and the displaced persons, households and vulnerability sets
   `required` counts. `staying_by_kelurahan`: shelter residents and mandiri persons per kelurahan.
9. `indicator`: eligible and fulfilled persons, per service, and the unmet list.
10. `required_per_item`: required, delivered, gap and coverage per item.
11. `shelter_rows`: occupants, today's meals, covered area and toilets per shelter.
12. shared/needs/shortfalls.py: why each unmet person is unmet (failed meal days and where, the missing
    sandang item, their latest place), today's permakanan beside the event-wide one, and per shelter
    today's meals per meal time and the once-only items its residents lack.

How it stays fast (50,000 persons, 60,000 stays, 30 days in well under half a second): work is done
per step over arrays indexed by person (bytearrays, not objects), the per-person loops are the only
loops over 50,000 rows and call a rule function only where the rule needs one; a shelter-day is covered
when the permakanan delivered there that day reaches `due(S, d)`, and a per-shelter prefix sum over
"slot of an uncovered day" answers "was p present at a meal time of an uncovered shelter-day" for each
merged stay range in O(1).

Arithmetic is exact (shared/needs/numbers.py): quantities and rates are taken as the decimals they were
written as, `rate / number_of_meal_times` stays a `Fraction`, and every figure is converted to float
once, at the end (1.2 kg a day × 7,000 meal presences / 3 meal times is exactly 2800.0).

Choices where the rules are silent (besides those of shared/needs/rules.py):

- The permakanan rule uses `due(S, d)` with the permakanan item's rate whatever its basis; a profile
  without meal times has nothing due per day.
- Stays of a person not in `persons` are ignored everywhere; stays in a shelter not in `shelters`
  count for presence, `required` and permakanan (the shelter just has no row in the snapshot).
- Household-level sandang is a delivery with `household_id` and no `person_id`.
- A stay without a shelter is a mandiri stay ("Mandiri stays"); permakanan delivered without a shelter
  to a person the event does not hold counts for no household-day (it still counts as delivered).
- Naive datetimes in the input are taken as UTC; instants may also come as POSIX seconds (model.py).
- `meals_due_today` / `meals_delivered_today` are 0.0 when the profile has no permakanan item.
- `as_of` is rendered as `isoformat()` in UTC (`...+00:00`), like the API's other instants.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from fractions import Fraction
from math import inf
from typing import Any
from zoneinfo import ZoneInfo

from shared.needs import rules, shortfalls
from shared.needs.model import (
    SERVICES,
    VULNERABILITIES,
    DeliveryIn,
    EventIn,
    PersonIn,
    Profile,
    ServiceIn,
    ShelterIn,
    StayIn,
    seconds,
)
from shared.needs.numbers import exact, percent
from shared.needs.presence import meal_slots, merge_slot_ranges, presence_by_day

_ZERO = Decimal(0)


def compute_snapshot(event: EventIn, profile: Profile, persons: Sequence[PersonIn], shelters: Sequence[ShelterIn],
                     stays: Sequence[StayIn], deliveries: Sequence[DeliveryIn], services: Sequence[ServiceIn],
                     as_of: datetime, tz: ZoneInfo,
                     today_meals: Sequence[tuple[str, float, float]] | None = None, *,
                     details: bool = True) -> dict[str, Any]:
    """The status snapshot of docs/rules.md (without `seq`) plus `unmet`: the eligible persons not
    fulfilled, sorted by id, each with the services they miss in SERVICES order and why
    (shared/needs/shortfalls.py). `today_meals`: today's permakanan deliveries to shelters as (shelter
    id, instant, quantity), for the per-meal-time split; None reads them from `deliveries`. `details`
    False leaves out step 12 (the reasons and shortfalls): for callers that only count, such as the
    report's day-by-day series."""
    # The computation allocates many small containers but creates no reference cycles: the cyclic
    # collector would only re-walk the (young) input objects over and over, doubling the run time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with localcontext() as ctx:
            ctx.prec = 80  # sums of written decimals stay exact
            return _compute(event, profile, persons, shelters, stays, deliveries, services, as_of, tz, today_meals,
                            details)
    finally:
        if collecting:
            gc.enable()


def _compute(event: EventIn, profile: Profile, persons: Sequence[PersonIn], shelters: Sequence[ShelterIn],
             stays: Sequence[StayIn], deliveries: Sequence[DeliveryIn], services: Sequence[ServiceIn],
             as_of: datetime, tz: ZoneInfo,
             today_meals: Sequence[tuple[str, float, float]] | None = None, details: bool = True) -> dict[str, Any]:
    """The steps of the module docstring, in order."""
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    as_of_ts = as_of.timestamp()
    today = as_of.astimezone(tz).date()

    index = index_people(persons, shelters)
    kept = kept_stays(stays, index, as_of_ts)
    here = presence(kept, index, persons, profile, today, tz, as_of_ts)
    delivered = delivered_per_item(deliveries, profile, here.day_starts, as_of_ts, persons, index.person)
    uncovered = shortfalls.uncovered_places(here, delivered, profile, index)
    perm_fail = permakanan_failed(here, delivered, profile, index, uncovered)
    sandang = sandang_met(persons, index, delivered, profile)
    special, psychosocial = services_received(services, as_of_ts)
    people = count_people(persons, index, kept)
    people.body["staying_by_kelurahan"] = staying_by_kelurahan(shelters, index, kept, here, people.gone)
    indicator_body, unmet = indicator(persons, index, kept, perm_fail, sandang, special, psychosocial,
                                      event.target_percent)
    shelters_body = shelter_rows(shelters, index, here, delivered, profile)
    if details:
        _shortfalls(unmet, indicator_body, shelters_body, profile, persons, shelters, index, kept, here,
                    delivered, sandang, people, deliveries, today, as_of_ts, tz, today_meals, uncovered)
    return {
        "event_id": event.id,
        "data_seq": event.data_seq,
        "as_of": as_of.astimezone(UTC).isoformat(),
        "standard_code": event.standard_code,
        "people": people.body,
        "indicator": indicator_body,
        "needs": required_per_item(profile, here, delivered, people),
        "shelters": shelters_body,
        "unmet": unmet,
    }


def _shortfalls(unmet: list[dict[str, Any]], indicator_body: dict[str, Any], shelters_body: list[dict[str, Any]],
                profile: Profile, persons: Sequence[PersonIn], shelters: Sequence[ShelterIn],
                index: Index, kept: KeptStays, here: Presence, delivered: Delivered, sandang: bytearray | None,
                people: People, deliveries: Sequence[DeliveryIn], today: date, as_of_ts: float, tz: ZoneInfo,
                today_meals: Sequence[tuple[str, float, float]] | None,
                uncovered: shortfalls.Uncovered | None = None) -> None:
    """12. What is missing, concretely (shared/needs/shortfalls.py), added to the unmet entries, the
    indicator and the shelter rows."""
    shortfalls.explain_unmet(unmet, persons, index, kept, here, delivered, profile, tz, uncovered)
    indicator_body["today"] = {"date": today.isoformat(), "permakanan": shortfalls.permakanan_today(
        persons, index, kept, here, delivered, profile, people.gone, uncovered)}
    if today_meals is None:
        today_meals = shortfalls.today_meal_deliveries(deliveries, profile, here.day_starts[-1], as_of_ts)
    by_time = shortfalls.meals_by_time(shelters, index, here, profile, today_meals, as_of_ts, tz)
    lacks = shortfalls.shelter_lacks(persons, index, here, deliveries, profile, sandang, people.gone, as_of_ts)
    unmet_at: dict[str, int] = {}
    for u in unmet:
        place = u["place"]
        if place is not None and place["shelter_id"] is not None:
            unmet_at[place["shelter_id"]] = unmet_at.get(place["shelter_id"], 0) + 1
    for row in shelters_body:
        row["meals_today"] = by_time.get(row["id"], [])
        row["lacking_items"] = lacks.get(index.shelter[row["id"]], [])
        row["unmet_persons"] = unmet_at.get(row["id"], 0)


# ---- 1. persons and shelters by index --------------------------------------------------------------------

@dataclass(slots=True)
class Index:
    """Person id → first row index; shelter id → index (shelters of the snapshot first, then shelters
    only stays name), and whether every person id is distinct."""

    person: dict[str, int]
    shelter: dict[str, int]
    n_persons: int
    unique_ids: bool


def index_people(persons: Sequence[PersonIn], shelters: Sequence[ShelterIn]) -> Index:
    """Index persons by id (a repeated id counts once, at its first row) and shelters by id."""
    pidx: dict[str, int] = {}
    for i, p in enumerate(persons):
        pidx.setdefault(p.id, i)
    sidx: dict[str, int] = {}
    for sh in shelters:
        sidx.setdefault(sh.id, len(sidx))
    return Index(pidx, sidx, len(persons), len(pidx) == len(persons))


# ---- 2. stays --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class KeptStays:
    """The shelter stays started by `as_of` of known persons as (person, shelter, check-in, check-out or
    None when open at `as_of`), their mandiri stays as (person, check-in, check-out or None); per
    person whether they have a stay, a shelter stay, one open (of either kind, in a shelter, mandiri);
    and the earliest check-in."""

    stays: list[tuple[int, int, float, float | None]]
    has_stay: bytearray
    open_now: bytearray
    first_ts: float
    mandiri: list[tuple[int, float, float | None, str | None]]
    has_shelter: bytearray
    open_shelter: bytearray
    open_mandiri: bytearray


def kept_stays(stays: Sequence[StayIn], index: Index, as_of_ts: float) -> KeptStays:
    """docs/rules.md, "Needs and the basic-needs indicator": stays that start after `as_of` are ignored
    everywhere; a check-out after `as_of` leaves the stay open. Registers shelters only stays name. A
    stay without a shelter is a mandiri stay ("Mandiri stays")."""
    pidx, sidx = index.person, index.shelter
    kept: list[tuple[int, int, float, float | None]] = []
    mandiri: list[tuple[int, float, float | None, str | None]] = []
    has_stay = bytearray(index.n_persons)
    open_now = bytearray(index.n_persons)
    has_shelter = bytearray(index.n_persons)
    open_shelter = bytearray(index.n_persons)
    open_mandiri = bytearray(index.n_persons)
    first_ts = inf
    for person_id, shelter_id, ci, co, kelurahan in stays:  # the inputs are named tuples: unpacking is the fast read
        ci_ts = ci if ci.__class__ is float else seconds(ci)
        if ci_ts > as_of_ts:
            continue
        pi = pidx.get(person_id)
        if pi is None:
            continue
        if shelter_id is None:
            m_out: float | None = None
            if co is not None:
                m_out = co if co.__class__ is float else seconds(co)
                if m_out > as_of_ts:
                    m_out = None
            has_stay[pi] = 1
            if m_out is None:
                open_now[pi] = open_mandiri[pi] = 1
            if ci_ts < first_ts:
                first_ts = ci_ts
            mandiri.append((pi, ci_ts, m_out, kelurahan))
            continue
        si = sidx.get(shelter_id)
        if si is None:
            si = sidx[shelter_id] = len(sidx)
        co_ts: float | None = None
        if co is not None:
            co_ts = co if co.__class__ is float else seconds(co)
            if co_ts > as_of_ts:
                co_ts = None
        has_stay[pi] = has_shelter[pi] = 1
        if co_ts is None:
            open_now[pi] = open_shelter[pi] = 1
        if ci_ts < first_ts:
            first_ts = ci_ts
        kept.append((pi, si, ci_ts, co_ts))
    return KeptStays(kept, has_stay, open_now, first_ts, mandiri, has_shelter, open_shelter, open_mandiri)


# ---- 3. presence -----------------------------------------------------------------------------------------

@dataclass(slots=True)
class Presence:
    """Meal-time slots up to `as_of` (instants, local-day index of each, start of each local day), the
    merged (person, shelter, lo, hi) slot ranges, Σ_t∈d present(S, t) per shelter and day, the total
    of present(S, t) and present_mandiri(H, t) over all shelters, households and meal times, and the
    occupants (open stays) per shelter. For mandiri stays: the merged (person, unit, lo, hi) ranges,
    Σ_t∈d present_mandiri(H, t) per unit and day, and the units (`rules.meal_unit`) by index."""

    slot_ts: list[float]
    slot_day: list[int]
    day_starts: list[float]
    merged: list[tuple[int, int, int, int]]
    day_presence: list[list[int]]
    presence_total: int
    occupants: list[set[int]]
    unit_merged: list[tuple[int, int, int, int]]
    unit_presence: list[list[int]]
    units: list[tuple[str, str]]


def presence(kept: KeptStays, index: Index, persons: Sequence[PersonIn], profile: Profile, today: date,
             tz: ZoneInfo, as_of_ts: float) -> Presence:
    """docs/rules.md, "Needs and the basic-needs indicator": `present(S, t)` counts the distinct persons
    one of whose stays in S contains meal time t; occupants are the open stays at `as_of`. "Mandiri
    stays": `present_mandiri(H, t)` counts H's members one of whose mandiri stays contains t."""
    first_day = today
    if kept.stays or kept.mandiri:
        first_day = min(today, datetime.fromtimestamp(kept.first_ts, UTC).astimezone(tz).date())
    slot_ts, slot_day, day_starts = meal_slots(first_day, today, profile.meal_times, tz, as_of_ts)
    n_slots = len(slot_ts)
    n_shelters = len(index.shelter)
    ranges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    occupants: list[set[int]] = [set() for _ in range(n_shelters)]
    for pi, si, ci_ts, co_ts in kept.stays:
        if co_ts is None:
            occupants[si].add(pi)
            hi = n_slots
        else:
            hi = bisect_left(slot_ts, co_ts)
        lo = bisect_left(slot_ts, ci_ts)
        if lo < hi:
            key = (pi, si)
            found = ranges.get(key)
            if found is None:
                ranges[key] = [(lo, hi)]
            else:
                found.append((lo, hi))
    merged, diff = merge_slot_ranges(ranges, n_slots)
    no_one = [0] * (n_slots + 1)
    n_days = len(day_starts)
    day_presence = [presence_by_day(diff.get(si, no_one), slot_day, n_days) for si in range(n_shelters)]
    presence_total = sum(hi - lo for _, _, lo, hi in merged)
    unit_merged, unit_presence, units = _mandiri_presence(kept, persons, slot_ts, slot_day, n_days)
    presence_total += sum(hi - lo for _, _, lo, hi in unit_merged)
    return Presence(slot_ts, slot_day, day_starts, merged, day_presence, presence_total, occupants,
                    unit_merged, unit_presence, units)


def _mandiri_presence(kept: KeptStays, persons: Sequence[PersonIn], slot_ts: list[float], slot_day: list[int],
                      n_days: int) -> tuple[list[tuple[int, int, int, int]], list[list[int]], list[tuple[str, str]]]:
    """docs/rules.md, "Mandiri stays": the mandiri stays' slot ranges merged per (person, unit), and
    Σ_t∈d present_mandiri(H, t) per unit (`rules.meal_unit`: the household, or the person without one)."""
    if not kept.mandiri:
        return [], [], []
    n_slots = len(slot_ts)
    unit_index: dict[tuple[str, str], int] = {}
    ranges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    meal_unit = rules.meal_unit
    for pi, ci_ts, co_ts, _ in kept.mandiri:
        hi = n_slots if co_ts is None else bisect_left(slot_ts, co_ts)
        lo = bisect_left(slot_ts, ci_ts)
        if lo >= hi:
            continue
        p = persons[pi]
        unit = meal_unit(p.household_id, p.id)
        ui = unit_index.get(unit)
        if ui is None:
            ui = unit_index[unit] = len(unit_index)
        ranges.setdefault((pi, ui), []).append((lo, hi))
    merged, diff = merge_slot_ranges(ranges, n_slots)
    unit_presence = [presence_by_day(diff[ui], slot_day, n_days) for ui in range(len(unit_index))]
    return merged, unit_presence, list(unit_index)


# ---- 4. deliveries ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Delivered:
    """Deliveries up to `as_of`: total per item code of the profile, the permakanan item per shelter id
    and local-day index and (no shelter) per meal unit and local-day index, the sandang item per person
    and per household (household-level only)."""

    total: dict[str, Decimal]
    permakanan: dict[str, dict[int, Decimal]]
    sandang_person: dict[str, Decimal]
    sandang_household: dict[str, Decimal]
    permakanan_unit: dict[tuple[str, str], dict[int, Decimal]]


def delivered_per_item(deliveries: Sequence[DeliveryIn], profile: Profile, day_starts: Sequence[float],
                       as_of_ts: float, persons: Sequence[PersonIn] = (),
                       person_index: dict[str, int] | None = None) -> Delivered:
    """docs/rules.md, "Required, delivered and gap per item": Σ quantity of the profile's items with `delivered_at ≤ as_of`; the
    permakanan item also per shelter and local day (deliveries with a shelter count for that shelter's
    meals) and, without a shelter, per meal unit and local day ("Mandiri stays": a household-level
    delivery to its household, a person-level one to the household recorded on the person, or to the
    person's own unit; a person not in `persons` is skipped); the sandang item per recipient.
    Deliveries of items outside the profile are ignored."""
    codes = {item.code for item in profile.items}
    perm_item = profile.item_for("permakanan")
    sandang_item = profile.item_for("sandang")
    perm_code = perm_item.code if perm_item else None
    sandang_code = sandang_item.code if sandang_item else None
    total: dict[str, Decimal] = dict.fromkeys(codes, _ZERO)
    perm_day: dict[str, dict[int, Decimal]] = {}
    sandang_person: dict[str, Decimal] = {}
    sandang_household: dict[str, Decimal] = {}
    perm_unit: dict[tuple[str, str], dict[int, Decimal]] = {}
    cache: dict[float, Decimal] = {}
    for code, qty, at, to_shelter, to_person, to_household in deliveries:
        if code not in codes:
            continue
        ts = at if at.__class__ is float else seconds(at)
        if ts > as_of_ts:
            continue
        q = cache.get(qty)
        if q is None:
            q = cache[qty] = exact(qty)
        total[code] += q
        if code == perm_code and to_shelter is not None:
            di = bisect_right(day_starts, ts) - 1
            if di >= 0:
                days = perm_day.get(to_shelter)
                if days is None:
                    days = perm_day[to_shelter] = {}
                days[di] = days.get(di, _ZERO) + q
        elif code == perm_code and (to_person is not None or to_household is not None):
            unit = _delivery_unit(to_person, to_household, persons, person_index)
            di = bisect_right(day_starts, ts) - 1
            if unit is not None and di >= 0:
                unit_days = perm_unit.setdefault(unit, {})
                unit_days[di] = unit_days.get(di, _ZERO) + q
        if code == sandang_code:
            if to_person is not None:
                sandang_person[to_person] = sandang_person.get(to_person, _ZERO) + q
            elif to_household is not None:
                sandang_household[to_household] = sandang_household.get(to_household, _ZERO) + q
    return Delivered(total, perm_day, sandang_person, sandang_household, perm_unit)


def _delivery_unit(to_person: str | None, to_household: str | None, persons: Sequence[PersonIn],
                   person_index: dict[str, int] | None) -> tuple[str, str] | None:
    """The meal unit a delivery without a shelter goes to (`rules.meal_unit`): the household it names,
    or the household recorded on the person it names; None for an unknown person."""
    if to_person is None:
        assert to_household is not None
        return ("h", to_household)
    pi = person_index.get(to_person) if person_index is not None else None
    if pi is None:
        return None
    return rules.meal_unit(persons[pi].household_id, to_person)


# ---- 5. permakanan ---------------------------------------------------------------------------------------

def permakanan_failed(here: Presence, delivered: Delivered, profile: Profile, index: Index,
                      uncovered: shortfalls.Uncovered | None = None) -> bytearray:
    """docs/rules.md, "Permakanan: covered shelter-days": per person, 1 when they were present at a meal time of a shelter-day
    that is not covered (`rules.uncovered_days`), or ("Mandiri stays") present in a mandiri stay at a
    meal time of a household-day that is not covered. A profile without a permakanan item or meal
    times has nothing due: nobody fails. `uncovered`: the uncovered days per place when the caller has
    them already (`shortfalls.uncovered_places`; the reasons of step 12 read them too)."""
    perm_fail = bytearray(index.n_persons)
    perm_item = profile.item_for("permakanan")
    n_meals = len(profile.meal_times)
    n_slots = len(here.slot_ts)
    if perm_item is None or not n_meals or not n_slots:
        return perm_fail
    if uncovered is None:
        uncovered = shortfalls.uncovered_places(here, delivered, profile, index)
    slot_day = here.slot_day
    uncovered_prefix: list[list[int] | None] = [None] * len(index.shelter)  # uncovered meal slots before each slot
    for si, bad in uncovered.shelters.items():
        bad_days = set(bad)
        prefix = [0] * (n_slots + 1)
        acc = 0
        for i in range(n_slots):
            if slot_day[i] in bad_days:
                acc += 1
            prefix[i + 1] = acc
        uncovered_prefix[si] = prefix
    for pi, si, lo, hi in here.merged:
        prefix_of = uncovered_prefix[si]
        if prefix_of is not None and prefix_of[hi] != prefix_of[lo]:
            perm_fail[pi] = 1
    if here.unit_merged and uncovered.units:
        bad_unit_slots: dict[int, list[int]] = {}
        for ui, bad in uncovered.units.items():
            bad_days = set(bad)
            bad_unit_slots[ui] = [i for i in range(n_slots) if slot_day[i] in bad_days]
        for pi, ui, lo, hi in here.unit_merged:
            slots = bad_unit_slots.get(ui)
            if slots:
                k = bisect_left(slots, lo)
                if k < len(slots) and slots[k] < hi:
                    perm_fail[pi] = 1
    return perm_fail


# ---- 6. sandang ------------------------------------------------------------------------------------------

def sandang_met(persons: Sequence[PersonIn], index: Index, delivered: Delivered, profile: Profile) -> bytearray | None:
    """docs/rules.md, "Sandang places of a household": per person, 1 when their own deliveries reach the rate or they hold one
    of their household's ⌊Q / rate⌋ places; None when sandang is met by everyone
    (`rules.sandang_met_by_everyone`)."""
    item = profile.item_for("sandang")
    if item is None or rules.sandang_met_by_everyone(item):
        return None
    rate = exact(item.rate)
    met = bytearray(index.n_persons)
    pidx = index.person
    for pid, total in delivered.sandang_person.items():
        if rules.own_sandang_met(total, rate):
            own = pidx.get(pid)
            if own is not None:
                met[own] = 1
    places = {}
    for household, total in delivered.sandang_household.items():
        n_places = rules.household_places(total, rate)
        if n_places > 0:
            places[household] = n_places
    if places:  # the households with places are few: their members are picked in one quick pass
        for household, members in rules.household_order(persons, pidx, places).items():
            for member in members[:places[household]]:
                met[member] = 1
    return met


# ---- 7. services -----------------------------------------------------------------------------------------

def services_received(services: Sequence[ServiceIn], as_of_ts: float) -> tuple[set[str], set[str]]:
    """docs/rules.md, "Penanganan khusus and psikososial": the persons with at least one penanganan khusus, and with at least one
    psikososial service, up to `as_of` (a service recorded before the stay still counts)."""
    special: set[str] = set()
    psychosocial: set[str] = set()
    for sv in services:
        at = sv.delivered_at
        ts = at if at.__class__ is float else seconds(at)
        if ts > as_of_ts:
            continue
        if sv.kind == "penanganan_khusus":
            special.add(sv.person_id)
        elif sv.kind == "psikososial":
            psychosocial.add(sv.person_id)
    return special, psychosocial


# ---- 8. people counts ------------------------------------------------------------------------------------

@dataclass(slots=True)
class People:
    """The snapshot's `people` section, and for `required`: displaced persons (a stay, whatever their
    condition), their households, and how many of them carry each distinct vulnerability set."""

    body: dict[str, Any]
    n_displaced: int
    households: set[str]
    displaced_sets: dict[Any, int]
    gone: set[int]  # missing and dead persons (by index)


def count_people(persons: Sequence[PersonIn], index: Index, kept: KeptStays) -> People:
    """docs/rules.md, "People counts": registered, displaced now / returned / affected
    (`rules.displacement`, without missing and dead persons), of those displaced now the ones in a
    shelter and the ones staying mandiri (both, with two open stays of each kind), injured, missing, dead, by sex and per
    vulnerability; with the displaced persons `required_per_item` counts."""
    # One pass over 50,000 persons: plain local counters, vulnerability sets counted per distinct set
    # (the loader shares one set among all persons with the same flags).
    pidx, unique_ids = index.person, index.unique_ids
    has_stay, open_now = kept.has_stay, kept.open_now
    open_shelter, open_mandiri = kept.open_shelter, kept.open_mandiri
    in_shelters_now = mandiri_now = 0
    n_male = n_female = registered = injured = missing = dead = 0
    where = dict.fromkeys(("displaced_now", "returned", "affected"), 0)
    per_vulnerability_set: dict[Any, int] = {}
    n_displaced = 0
    gone: set[int] = set()
    households: set[str] = set()
    displaced_sets: dict[Any, int] = {}
    displacement = rules.displacement
    for pi, (pid, household, sex, cond, vulns, _, _) in enumerate(persons):
        if not unique_ids and pidx[pid] != pi:
            continue  # a repeated id counts once
        registered += 1
        if sex == "L":
            n_male += 1
        elif sex == "P":
            n_female += 1
        stayed = has_stay[pi]
        if vulns:
            per_vulnerability_set[vulns] = per_vulnerability_set.get(vulns, 0) + 1
            if stayed:
                displaced_sets[vulns] = displaced_sets.get(vulns, 0) + 1
        if stayed:
            n_displaced += 1
            if household is not None:
                households.add(household)
        if cond == "luka":
            injured += 1
        elif cond == "hilang":
            missing += 1
            gone.add(pi)
            continue
        elif cond == "meninggal":
            dead += 1
            gone.add(pi)
            continue
        where[displacement(stayed, open_now[pi])] += 1
        if open_now[pi]:
            in_shelters_now += open_shelter[pi]
            mandiri_now += open_mandiri[pi]
    vulnerable = dict.fromkeys(VULNERABILITIES, 0)
    for vulns, count in per_vulnerability_set.items():
        for v in vulns:
            if v in vulnerable:
                vulnerable[v] += count
    body = {
        "registered": registered,
        "displaced_now": where["displaced_now"],
        "in_shelters_now": in_shelters_now,
        "mandiri_now": mandiri_now,
        "returned": where["returned"],
        "affected": where["affected"],
        "injured": injured,
        "missing": missing,
        "dead": dead,
        "by_sex": {"L": n_male, "P": n_female},
        "vulnerable": vulnerable,
    }
    return People(body, n_displaced, households, displaced_sets, gone)


def staying_by_kelurahan(shelters: Sequence[ShelterIn], index: Index, kept: KeptStays, here: Presence,
                         gone: set[int]) -> list[dict[str, Any]]:
    """docs/rules.md, "Mandiri stays": per kelurahan where the displaced stay at `as_of`, the persons with
    an open shelter stay there (by the shelter's kelurahan; "" when not known) and with an open mandiri
    stay there, side by side, without missing and dead persons like `displaced_now`; by code, only
    kelurahan with someone."""
    residents: dict[str, set[int]] = {}
    for sh in shelters:
        occupants = here.occupants[index.shelter[sh.id]]
        if occupants:
            residents.setdefault(sh.kelurahan_code or "", set()).update(occupants)
    listed = {sh.id for sh in shelters}
    for shelter_id, si in index.shelter.items():  # shelters only stays name: kelurahan unknown
        if shelter_id not in listed and here.occupants[si]:
            residents.setdefault("", set()).update(here.occupants[si])
    mandiri: dict[str, set[int]] = {}
    for pi, _, co_ts, kelurahan in kept.mandiri:
        if co_ts is None:
            mandiri.setdefault(kelurahan or "", set()).add(pi)
    rows = []
    for code in sorted(residents.keys() | mandiri.keys()):
        n_res = len(residents.get(code, set()) - gone)
        n_man = len(mandiri.get(code, set()) - gone)
        if n_res or n_man:
            rows.append({"kelurahan_code": code, "in_shelters_now": n_res, "mandiri_now": n_man})
    return rows


# ---- 9. the indicator ------------------------------------------------------------------------------------

def indicator(persons: Sequence[PersonIn], index: Index, kept: KeptStays, perm_fail: bytearray,
              sandang: bytearray | None, special: set[str], psychosocial: set[str],
              target_percent: float | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """docs/rules.md, "Who is eligible" and "The basic-needs indicator": per eligible person (`rules.is_eligible`), each
    service required for them (`rules.needs_special_handling` for penanganan khusus, the psychosocial
    flag) met or not; fulfilled when all are. Returns the `indicator` section and the unmet persons
    sorted by id, each with the services they miss in SERVICES order."""
    pidx, unique_ids = index.person, index.unique_ids
    has_stay, has_shelter = kept.has_stay, kept.has_shelter
    is_eligible, needs_special_handling = rules.is_eligible, rules.needs_special_handling
    shelter_eligible = 0
    eligible = fulfilled = perm_met = sandang_met_count = special_eligible = special_met = psy_eligible = psy_met = 0
    unmet: list[dict[str, Any]] = []  # a `lacking` list only for persons who lack something
    for pi, (pid, _, _, cond, vulns, needs_psy, _) in enumerate(persons):
        if not is_eligible(cond, has_stay[pi]) or (not unique_ids and pidx[pid] != pi):
            continue
        eligible += 1
        lacking: list[str] | None = None
        if perm_fail[pi]:
            lacking = ["permakanan"]
        else:
            perm_met += 1
        if sandang is None or sandang[pi]:
            sandang_met_count += 1
        elif lacking is None:
            lacking = ["sandang"]
        else:
            lacking.append("sandang")
        # tempat_penampungan: required only with a shelter stay (rules.needs_shelter_place), met by it
        if has_shelter[pi]:
            shelter_eligible += 1
        if vulns and needs_special_handling(vulns):
            special_eligible += 1
            if pid in special:
                special_met += 1
            elif lacking is None:
                lacking = ["penanganan_khusus"]
            else:
                lacking.append("penanganan_khusus")
        if needs_psy:
            psy_eligible += 1
            if pid in psychosocial:
                psy_met += 1
            elif lacking is None:
                lacking = ["psikososial"]
            else:
                lacking.append("psikososial")
        if lacking is None:
            fulfilled += 1
        else:
            unmet.append({"person_id": pid, "missing": lacking})
    unmet.sort(key=lambda u: u["person_id"])
    per_service = {"permakanan": (eligible, perm_met), "sandang": (eligible, sandang_met_count),
                   "tempat_penampungan": (shelter_eligible, shelter_eligible), "penanganan_khusus": (special_eligible, special_met),
                   "psikososial": (psy_eligible, psy_met)}
    body = {
        "eligible": eligible,
        "fulfilled": fulfilled,
        "percent": percent(fulfilled, eligible),
        "target_percent": target_percent,
        "services": {code: {"eligible": per_service[code][0], "fulfilled": per_service[code][1]}
                     for code in SERVICES},
    }
    return body, unmet


# ---- 10. needs per item ----------------------------------------------------------------------------------

def required_per_item(profile: Profile, here: Presence, delivered: Delivered, people: People) -> list[dict[str, Any]]:
    """docs/rules.md, "Required, delivered and gap per item": per item of the profile, `rules.required`, the delivered
    total, the gap (never negative) and the coverage (null when nothing is required)."""
    n_meals = len(profile.meal_times)
    needs = []
    for item in profile.items:
        required = rules.required(item, n_meals, here.presence_total, people.n_displaced, people.displaced_sets,
                                  len(people.households))
        got = Fraction(delivered.total[item.code])
        needs.append({
            "item_code": item.code,
            "unit": item.unit,
            "required": float(required),
            "delivered": float(got),
            "gap": float(max(Fraction(0), required - got)),
            "coverage_percent": percent(got, required),
        })
    return needs


# ---- 11. shelters ----------------------------------------------------------------------------------------

def shelter_rows(shelters: Sequence[ShelterIn], index: Index, here: Presence, delivered: Delivered,
                 profile: Profile) -> list[dict[str, Any]]:
    """docs/rules.md, "Shelter adequacy": per shelter, occupants (open stays at `as_of`), today's meals due
    (`rules.meals_due`) and delivered, and whether covered area and toilets suffice."""
    perm_item = profile.item_for("permakanan")
    perm_rate = exact(perm_item.rate) if perm_item else _ZERO
    n_meals = len(profile.meal_times)
    today_di = len(here.day_starts) - 1
    area_per_person = exact(profile.covered_area_m2_per_person)
    per_toilet = exact(profile.persons_per_toilet)
    rows = []
    for sh in shelters:
        si = index.shelter[sh.id]
        due_today = Fraction(0)
        got_today = _ZERO
        if perm_item is not None:
            due_today = rules.meals_due(perm_rate, here.day_presence[si][today_di], n_meals)
            got_today = delivered.permakanan.get(sh.id, {}).get(today_di, _ZERO)
        rows.append(shelter_row(sh, len(here.occupants[si]), due_today, got_today, area_per_person, per_toilet))
    return rows


def shelter_row(sh: ShelterIn, n_occ: int, due_today: Fraction, got_today: Decimal, area_per_person: Decimal,
                per_toilet: Decimal) -> dict[str, Any]:
    """One shelter's row (`shelter_rows`; the incremental needs state builds its rows with it too)."""
    return {
        "id": sh.id,
        "name": sh.name,
        "occupants": n_occ,
        "capacity_persons": sh.capacity_persons,
        "meals_due_today": float(due_today),
        "meals_delivered_today": float(got_today),
        "covered_area_ok": rules.covered_area_ok(sh.covered_area_m2, n_occ, area_per_person),
        "toilets_ok": rules.toilets_ok(sh.toilets, n_occ, per_toilet),
    }
