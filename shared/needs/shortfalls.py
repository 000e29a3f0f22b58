"""What is missing, concretely: the reasons behind each unmet person, what each shelter lacks now, and
today's permakanan beside the event-wide one (docs/rules.md, "What is missing now"). Pure functions
over the engine's intermediate results (shared/needs/engine.py calls them last); no I/O.

The command post acts on these: the unmet list says *which* day's meals at *which* shelter failed a
person, a shelter's row says how many portions each meal time of today still lacks and which
once-only items its residents lack, and `indicator.today` explains why the event-wide permakanan figure
does not rise with today's delivery (a missed day stays missed: SPM counts every day a person was there).

Choices where the rules are silent:

- A person's place is their latest stay (greatest check-in; at the same instant a shelter stay before a
  mandiri one, then the later shelter in the snapshot's order or the greater kelurahan code, then an open
  stay: `place_rank`), open or closed: those who went home are listed where they stayed last.
- A delivery of the permakanan item to a shelter today counts for the first meal time at or after it
  (food comes before the meal), and after the last meal time for the last one. The per-meal split is
  shown, not judged: the shelter-day is covered by the day's total, as the rule says.
- Once-only items a shelter lacks are counted over its residents now (open stays, not missing or
  dead). A resident is provided with an item by their own deliveries reaching its rate, or by a place
  among their household's ⌊Q / rate⌋ (members to whom the item applies, in household order) — the
  sandang rule, used for every once-only item; for the sandang item the engine's own verdict is used.
  A household item (per_household_once) is provided when the household's and its members' deliveries
  reach the rate; a household with residents in several shelters counts in the first of them (shelter
  order). Deliveries to the shelter itself (no person or household) are stock on site: they provide
  ⌊Q / rate⌋ more recipients there. Deliveries without a shelter whose recipient the loader summed away
  (items other than sandang and permakanan, shelter_id empty) count for no shelter.
- An unmet person's `meal_days` keeps the `MEAL_DAYS_SHOWN` most recent failed days (newest first);
  `meal_days_total` counts them all.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from shared.needs import rules
from shared.needs.model import DeliveryIn, PersonIn, Profile, ShelterIn, seconds
from shared.needs.numbers import exact, percent

if TYPE_CHECKING:
    from shared.needs.engine import Delivered, Index, KeptStays, Presence

MEAL_DAYS_SHOWN = 3
ONCE_BASES = ("per_person_once", "per_vulnerable_once", "per_household_once")
_ZERO = Decimal(0)


def bad_days_by_shelter(here: Presence, delivered: Delivered, profile: Profile, index: Index) -> dict[int, list[int]]:
    """Per shelter index, the sorted uncovered days (`rules.uncovered_days`); only shelters with one."""
    item = profile.item_for("permakanan")
    n_meals = len(profile.meal_times)
    if item is None or not n_meals or not here.slot_ts:
        return {}
    rate = exact(item.rate)
    out = {}
    for shelter_id, si in index.shelter.items():
        bad = rules.uncovered_days(here.day_presence[si], delivered.permakanan.get(shelter_id, {}), rate, n_meals)
        if bad:
            out[si] = sorted(bad)
    return out


def bad_days_by_unit(here: Presence, delivered: Delivered, profile: Profile) -> dict[int, list[int]]:
    """Per meal unit index (mandiri stays), the sorted uncovered household-days."""
    item = profile.item_for("permakanan")
    n_meals = len(profile.meal_times)
    if item is None or not n_meals or not here.slot_ts:
        return {}
    rate = exact(item.rate)
    out = {}
    for ui, unit in enumerate(here.units):
        bad = rules.uncovered_days(here.unit_presence[ui], delivered.permakanan_unit.get(unit, {}), rate, n_meals)
        if bad:
            out[ui] = sorted(bad)
    return out


@dataclass(slots=True)
class Uncovered:
    """The sorted uncovered days per shelter index and per meal unit index (only places with one): what
    `engine.permakanan_failed`, `explain_unmet` and `permakanan_today` read, worked out once a snapshot
    (12,000 places of a city-scale event cost a third of a second each time)."""

    shelters: dict[int, list[int]]
    units: dict[int, list[int]]


def uncovered_places(here: Presence, delivered: Delivered, profile: Profile, index: Index) -> Uncovered:
    """`bad_days_by_shelter` and `bad_days_by_unit` together."""
    return Uncovered(bad_days_by_shelter(here, delivered, profile, index), bad_days_by_unit(here, delivered, profile))


def _days_in(bad: list[int], first_day: int, last_day: int) -> list[int]:
    return bad[bisect_left(bad, first_day):bisect_right(bad, last_day)]


def place_rank(check_in: float, is_shelter: int, where: Any, is_open: bool) -> tuple[float, int, Any, bool]:
    """How stays rank for "latest place": later check-in; at the same instant a shelter stay before a mandiri
    one, then the later shelter in the snapshot's order (or kelurahan code), then an open one. A total order,
    so the place never depends on the order the stays were read in."""
    return (check_in, is_shelter, where if is_shelter else (where or ""), is_open)


def latest_places(kept: KeptStays, wanted: set[int] | None = None) -> dict[int, tuple[float, int, Any, bool]]:
    """Per person index (of `wanted`, or all), the latest stay (`place_rank`) as (check-in, 1 shelter /
    0 mandiri, shelter index or kelurahan code, open at as_of)."""
    best: dict[int, tuple[float, int, Any, bool]] = {}
    for pi, si, ci, co in kept.stays:
        if wanted is not None and pi not in wanted:
            continue
        cand: tuple[float, int, Any, bool] = (ci, 1, si, co is None)
        cur = best.get(pi)
        if cur is None or place_rank(*cand) > place_rank(*cur):
            best[pi] = cand
    for pi, ci, co, kelurahan in kept.mandiri:
        if wanted is not None and pi not in wanted:
            continue
        m_cand: tuple[float, int, Any, bool] = (ci, 0, kelurahan, co is None)
        cur = best.get(pi)
        if cur is None or place_rank(*m_cand) > place_rank(*cur):
            best[pi] = m_cand
    return best


def _place(found: tuple[float, int, Any, bool] | None, shelter_ids: list[str]) -> dict[str, Any] | None:
    if found is None:
        return None
    _, is_shelter, where, is_open = found
    return place_entry(is_shelter, shelter_ids[where] if is_shelter else where, is_open)


def place_entry(is_shelter: int | bool, where: str | None, is_open: bool) -> dict[str, Any]:
    """An unmet entry's `place`: the shelter (by id) or the kelurahan of a mandiri stay, and whether it is open."""
    if is_shelter:
        return {"kind": "shelter", "shelter_id": where, "kelurahan_code": None, "open": is_open}
    return {"kind": "mandiri", "shelter_id": None, "kelurahan_code": where, "open": is_open}


def explain_unmet(unmet: list[dict[str, Any]], persons: Sequence[PersonIn], index: Index, kept: KeptStays,
                  here: Presence, delivered: Delivered, profile: Profile, tz: ZoneInfo,
                  uncovered: Uncovered | None = None) -> None:
    """Add to each unmet entry what a commander acts on: `vulnerabilities`, `place` (latest stay),
    `meal_days` ([{date, shelter_id}] — shelter_id null for a household-day of a mandiri stay — newest
    first, at most MEAL_DAYS_SHOWN), `meal_days_total` and `items_missing` (the sandang item's code when
    sandang is missing). Names, ages and households are read by the API for the page it answers."""
    if not unmet:
        return
    pidx = index.person
    wanted = {pidx[u["person_id"]] for u in unmet}
    hungry = {pidx[u["person_id"]] for u in unmet if "permakanan" in u["missing"]}
    # per person: the (kind, shelter or unit index, first day, last day) of each merged range with a bad
    # day in reach; most persons share a few such keys, whose failed days are worked out once each
    ranges: dict[int, list[tuple[int, int, int, int]]] = {}
    bad_of: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
    if hungry:
        slot_day = here.slot_day
        if uncovered is None:
            uncovered = uncovered_places(here, delivered, profile, index)
        bad_of = (uncovered.shelters, uncovered.units)
        for kind, merged in ((0, here.merged), (1, here.unit_merged)):
            bad_here = bad_of[kind]
            for pi, where, lo, hi in merged:
                if pi in hungry and where in bad_here:
                    ranges.setdefault(pi, []).append((kind, where, slot_day[lo], slot_day[hi - 1]))
    shelter_ids = list(index.shelter)
    day_names = [datetime.fromtimestamp(ts, UTC).astimezone(tz).date().isoformat() for ts in here.day_starts]
    places = latest_places(kept, wanted)
    sandang_item = profile.item_for("sandang")
    sandang_missing = [sandang_item.code] if sandang_item is not None else []
    vulnerability_lists: dict[frozenset[str], list[str]] = {}
    # 50,000 unmet persons share a few hundred places and failed days: one object each, shared (JSON rows)
    place_of: dict[Any, dict[str, Any] | None] = {}
    day_of: dict[tuple[int, int], dict[str, Any]] = {}
    days_of: dict[tuple[int, int, int, int], tuple[list[dict[str, Any]], int]] = {}

    def shown_day(d: int, s: int) -> dict[str, Any]:
        found = day_of.get((d, s))
        if found is None:
            found = day_of[(d, s)] = {"date": day_names[d], "shelter_id": shelter_ids[s] if s >= 0 else None}
        return found

    def failed_days(key: tuple[int, int, int, int]) -> list[tuple[int, int]]:
        kind, where, first, last = key
        s = where if kind == 0 else -1
        return [(d, s) for d in _days_in(bad_of[kind][where], first, last)]

    no_days: tuple[list[dict[str, Any]], int] = ([], 0)
    for u in unmet:
        pi = pidx[u["person_id"]]
        vulns = persons[pi].vulnerabilities
        shown = vulnerability_lists.get(vulns)
        if shown is None:
            shown = vulnerability_lists[vulns] = sorted(vulns)
        keys = ranges.get(pi)
        if keys is None:
            meal_days, n_failed = no_days
        elif len(keys) == 1:  # most persons: one stay; the days of a range key are worked out once
            cached = days_of.get(keys[0])
            if cached is None:
                failed = failed_days(keys[0])
                cached = days_of[keys[0]] = ([shown_day(d, s) for d, s in failed[:-MEAL_DAYS_SHOWN - 1:-1]], len(failed))
            meal_days, n_failed = cached
        else:
            failed = sorted({x for key in keys for x in failed_days(key)}, key=lambda x: (-x[0], x[1]))
            meal_days, n_failed = [shown_day(d, s) for d, s in failed[:MEAL_DAYS_SHOWN]], len(failed)
        found_place = places.get(pi)
        place_key = found_place[1:] if found_place is not None else None
        place = place_of.get(place_key, False)
        if place is False:
            place = place_of[place_key] = _place(found_place, shelter_ids)
        u["vulnerabilities"] = shown
        u["place"] = place
        u["meal_days"] = meal_days
        u["meal_days_total"] = n_failed
        u["items_missing"] = sandang_missing if "sandang" in u["missing"] else []


def permakanan_today(persons: Sequence[PersonIn], index: Index, kept: KeptStays, here: Presence,
                     delivered: Delivered, profile: Profile, gone: set[int],
                     uncovered: Uncovered | None = None) -> dict[str, Any]:
    """Today's permakanan: of the eligible persons present at a meal time today (so far), how many had
    every shelter-day and household-day of today covered. The event-wide figure counts every day a
    person was there, so a missed day keeps them unmet however well today goes."""
    n_slots = len(here.slot_ts)
    today = len(here.day_starts) - 1
    first_today = bisect_left(here.slot_day, today)
    present: set[int] = set()
    failed: set[int] = set()
    # the bad days are sorted and today is the last day: a place failed today when its last bad day is today
    if uncovered is None:
        uncovered = uncovered_places(here, delivered, profile, index)
    bad_shelters = {si for si, bad in uncovered.shelters.items() if bad[-1] == today}
    bad_units = {ui for ui, bad in uncovered.units.items() if bad[-1] == today}
    if first_today < n_slots:
        for pi, si, _lo, hi in here.merged:
            if hi > first_today:
                present.add(pi)
                if si in bad_shelters:
                    failed.add(pi)
        for pi, ui, _lo, hi in here.unit_merged:
            if hi > first_today:
                present.add(pi)
                if ui in bad_units:
                    failed.add(pi)
    pidx = index.person
    eligible = {pi for pi in present if persons[pi].condition not in rules.GONE and pidx[persons[pi].id] == pi}
    eligible -= gone
    fulfilled = len(eligible - failed)
    return {"eligible": len(eligible), "fulfilled": fulfilled, "percent": percent(fulfilled, len(eligible))}


def meals_by_time(shelters: Sequence[ShelterIn], index: Index, here: Presence, profile: Profile,
                  today_meals: Sequence[tuple[str, float, float]], as_of_ts: float,
                  tz: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    """Per shelter id, today's meal times: `due` (rate / meal times × present(S, t), 0 for a meal time
    not yet come), `delivered` (today's deliveries to the shelter, each at the first meal time at or
    after it, else the last) and whether the meal time has `passed`. `today_meals` are (shelter id,
    instant, quantity) of today's permakanan deliveries to shelters up to `as_of`."""
    item = profile.item_for("permakanan")
    n_meals = len(profile.meal_times)
    if item is None or not n_meals:
        return {}
    today = len(here.day_starts) - 1
    day_start = here.day_starts[today]
    first_today = bisect_left(here.slot_day, today)
    today_slots = here.slot_ts[first_today:]
    n_passed = len(today_slots)
    per_slot: dict[int, list[int]] = {}
    for _, si, lo, hi in here.merged:
        if hi > first_today:
            counts = per_slot.setdefault(si, [0] * n_passed)
            for k in range(max(lo, first_today) - first_today, hi - first_today):
                counts[k] += 1
    # the meal times of today in local order, as instants (some not yet come)
    local_today = datetime.fromtimestamp(day_start, UTC).astimezone(tz).date()
    times = sorted(profile.meal_times)
    instants = [datetime.combine(local_today, mt.replace(tzinfo=None), tzinfo=tz).timestamp() for mt in times]
    got: dict[str, list[Decimal]] = {}
    for shelter_id, ts, qty in today_meals:
        if ts > as_of_ts or ts < day_start:
            continue
        got.setdefault(shelter_id, [_ZERO] * n_meals)[meal_time_of(instants, ts)] += exact(qty)
    rate = exact(item.rate)
    labels = [mt.strftime("%H:%M") for mt in times]
    out = {}
    for sh in shelters:
        si = index.shelter[sh.id]
        out[sh.id] = meal_time_rows(labels, instants, per_slot.get(si, []), got.get(sh.id, [_ZERO] * n_meals), rate,
                                    as_of_ts)
    return out


def meal_time_of(instants: Sequence[float], ts: float) -> int:
    """Which of today's meal times (their instants, in order) a delivery at `ts` counts for: the first at or
    after it, else the last."""
    return min(bisect_left(instants, ts), len(instants) - 1)


def meal_time_rows(labels: Sequence[str], instants: Sequence[float], counts: Sequence[int],
                   delivered: Sequence[Decimal], rate: Decimal, as_of_ts: float) -> list[dict[str, Any]]:
    """One shelter's `meals_today` (`meals_by_time`): per meal time its label, whether it has passed, what is
    due for `counts[k]` persons present then (0 for one not yet come) and what was delivered for it."""
    n_meals = len(labels)
    rows = []
    for k, label in enumerate(labels):
        passed = instants[k] <= as_of_ts
        n_present = counts[k] if passed and k < len(counts) else 0
        rows.append({"time": label, "passed": passed, "due": float(rules.meals_due(rate, n_present, n_meals)),
                     "delivered": float(delivered[k])})
    return rows


def today_meal_deliveries(deliveries: Sequence[DeliveryIn], profile: Profile, day_start: float,
                          as_of_ts: float) -> list[tuple[str, float, float]]:
    """(shelter id, instant, quantity) of the permakanan item delivered to shelters today, read from the
    engine's inputs (exact when they are single distributions; the loader hands the exact rows)."""
    item = profile.item_for("permakanan")
    if item is None:
        return []
    out = []
    for code, qty, at, shelter_id, _, _ in deliveries:
        if code != item.code or shelter_id is None:
            continue
        ts = at if at.__class__ is float else seconds(at)
        if day_start <= ts <= as_of_ts:
            out.append((shelter_id, ts, float(qty)))
    return out


def shelter_lacks(persons: Sequence[PersonIn], index: Index, here: Presence, deliveries: Sequence[DeliveryIn],
                  profile: Profile, sandang: bytearray | None, gone: set[int],
                  as_of_ts: float) -> dict[int, list[dict[str, Any]]]:
    """Per shelter index, the once-only items its residents lack now: [{item_code, unit, quantity}]
    (quantity in the item's unit, rate × recipients not provided), only items with something lacking.
    See the module docstring for who is provided."""
    items = [i for i in profile.items if i.basis in ONCE_BASES]
    if not items:
        return {}
    sidx = index.shelter
    pidx = index.person
    residents = [o - gone if gone else o for o in here.occupants]
    own: dict[str, dict[str, Decimal]] = {}
    household: dict[str, dict[str, Decimal]] = {}
    pool: dict[str, dict[int, Decimal]] = {}
    codes = {i.code for i in items}
    exact_of: dict[float, Decimal] = {}  # a few distinct quantities among many deliveries
    for code, qty, at, to_shelter, to_person, to_household in deliveries:
        if code not in codes:
            continue
        ts = at if at.__class__ is float else seconds(at)
        if ts > as_of_ts:
            continue
        q = exact_of.get(qty)
        if q is None:
            q = exact_of[qty] = exact(qty)
        if to_person is not None:
            own.setdefault(code, {})
            own[code][to_person] = own[code].get(to_person, _ZERO) + q
        elif to_household is not None:
            household.setdefault(code, {})
            household[code][to_household] = household[code].get(to_household, _ZERO) + q
        elif to_shelter is not None and to_shelter in sidx:
            pool.setdefault(code, {})
            si = sidx[to_shelter]
            pool[code][si] = pool[code].get(si, _ZERO) + q
    sandang_item = profile.item_for("sandang")
    vulnerable_residents = [[pi for pi in members if persons[pi].vulnerabilities] for members in residents]
    home_shelter: dict[str, int] = {}  # household → the first shelter (order) with a resident of it
    for si, members in enumerate(residents):
        for pi in members:
            h = persons[pi].household_id
            if h is not None and h not in home_shelter:
                home_shelter[h] = si
    # the household order of every household with a household-level delivery of one of the items, from one
    # pass over the persons (rules.household_order walks them all; once per item cost a tenth of a second
    # at 50,000 persons)
    sandang_code = sandang_item.code if sandang_item is not None else None
    with_places = {h for item in items if item.code != sandang_code and item.basis != "per_household_once"
                   and exact(item.rate) > 0
                   for h, q in household.get(item.code, {}).items() if rules.household_places(q, exact(item.rate)) > 0}
    order = rules.household_order(persons, pidx, with_places) if with_places else {}
    out: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        rate = exact(item.rate)
        if rate <= 0:
            continue
        wanted = frozenset(item.applies_to)
        unprovided = [0] * len(residents)
        if item.basis == "per_household_once":
            got_own = own.get(item.code, {})
            got_hh = household.get(item.code, {})
            total = {h: got_hh.get(h, _ZERO) for h in home_shelter}
            for pid, q in got_own.items():
                found = pidx.get(pid)
                h = persons[found].household_id if found is not None else None
                if h in total:
                    total[h] += q
            for h, si in home_shelter.items():
                if total[h] < rate:
                    unprovided[si] += 1
        else:
            per_person = item.basis == "per_person_once"

            def applies(pi: int, per_person: bool = per_person, wanted: frozenset[str] = wanted) -> bool:
                return per_person or not wanted.isdisjoint(persons[pi].vulnerabilities)
            if sandang_item is not None and item.code == sandang_item.code:
                met: set[int] = set(range(len(persons))) if sandang is None else _met_indices(sandang)
            else:
                met = _provided_by_rule(pidx, own.get(item.code, {}), household.get(item.code, {}), rate, applies,
                                        order)
            for si, members in enumerate(residents):
                if per_person:
                    unprovided[si] = len(members) - len(members & met)
                else:
                    unprovided[si] = sum(1 for pi in vulnerable_residents[si] if pi not in met and applies(pi))
        for si, n in enumerate(unprovided):
            places = rules.household_places(pool.get(item.code, {}).get(si, _ZERO), rate)
            lacking = max(0, n - places)
            if lacking:
                out.setdefault(si, []).append({"item_code": item.code, "unit": item.unit,
                                               "quantity": float(Fraction(rate) * lacking)})
    return out


def _provided_by_rule(pidx: dict[str, int], own: dict[str, Decimal], household: dict[str, Decimal], rate: Decimal,
                      applies: Any, order: dict[str, list[int]]) -> set[int]:
    """The persons (indices) provided with one item: own deliveries reach the rate, or a household place (members the item
    applies to, in household order, take the ⌊Q / rate⌋ places)."""
    met: set[int] = set()
    for pid, total in own.items():
        pi = pidx.get(pid)
        if pi is not None and rules.own_sandang_met(total, rate):
            met.add(pi)
    places = {h: rules.household_places(q, rate) for h, q in household.items()}
    places = {h: n for h, n in places.items() if n > 0}
    for h, n_places in places.items():  # `order` holds every household with a delivery (members in order)
        for pi in [m for m in order.get(h, ()) if applies(m)][:n_places]:
            met.add(pi)
    return met


def _met_indices(flags: bytearray) -> set[int]:
    return {i for i, v in enumerate(flags) if v}
