"""The needs engine: an event's status snapshot from plain data (docs/rules.md, "The basic-needs
indicator"; docs/api.md, "Status snapshot"). Pure functions: no I/O, no ORM.

How it stays fast (50,000 persons, 60,000 stays, 30 days in well under half a second):

- The meal times of every local day up to `as_of` are laid out once as a sorted list of instants
  ("slots"). A stay becomes a half-open range of slot indices found by bisection.
- Stays of one person in one shelter are merged, so `present(S, t)` counts distinct persons; the
  merged ranges feed a per-shelter difference array whose running sum is `present(S, t)`.
- A shelter-day is covered when the permakanan delivered there that day reaches `due(S, d)`; a
  per-shelter prefix sum over "slot of an uncovered day" answers "was p present at a meal time of
  an uncovered shelter-day" for each merged stay range in O(1).

Arithmetic is exact: quantities and rates are taken as the decimals they were written as
(`Decimal(repr(float))`), `rate / number_of_meal_times` stays a `Fraction`, and every figure is
converted to float once, at the end (0.4 kg × 7,000 meal presences / 3 is exactly 2800.0).

Choices where the rules are silent (docs/rules.md lists them too):

- A profile without a permakanan (or sandang) item has nothing to deliver for that service: the
  service is met for everyone it is required for (they still count as eligible for it). Likewise a
  sandang rate of 0 or less is met by everyone.
- The permakanan rule uses `due(S, d)` with the permakanan item's rate whatever its basis; a profile
  without meal times has nothing due per day.
- An item with an unknown basis has `required` 0 (tracked like a catalogue item, not computed).
- Stays of a person not in `persons` are ignored everywhere; stays in a shelter not in `shelters`
  count for presence, `required` and permakanan (the shelter just has no row in the snapshot).
- Household order for sandang: `registered_at` (a person without one comes after those with one),
  then id. Household-level sandang is a delivery with `household_id` and no `person_id`; a negative
  household total gives no places.
- Naive datetimes in the input are taken as UTC; instants may also come as POSIX seconds (model.py).
- `meals_due_today` / `meals_delivered_today` are 0.0 when the profile has no permakanan item.
- `as_of` is rendered as `isoformat()` in UTC (`...+00:00`), like the API's other instants.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from math import floor, inf
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from shared.needs.model import (
    SERVICES,
    VULNERABILITIES,
    DeliveryIn,
    EventIn,
    ItemRule,
    PersonIn,
    Profile,
    ServiceIn,
    ShelterIn,
    StayIn,
    seconds,
)

GONE = frozenset({"hilang", "meninggal"})
BASES = ("per_person_day", "per_person_once", "per_household_once", "per_vulnerable_once")
_VULNERABLE = frozenset(VULNERABILITIES)
_ZERO = Decimal(0)


K = TypeVar("K")  # a shelter's key: its index in the engine, its id in the daily series


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


def meal_slots(first_day: date, last_day: date, meal_times: Sequence[time], tz: ZoneInfo,
               as_of_ts: float) -> tuple[list[float], list[int], list[float]]:
    """The meal-time instants from `first_day` through `last_day` (local) that are at or before `as_of`,
    sorted, with the index of the local day of each; and the instant each local day starts."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    day_starts = [datetime.combine(d, time(0), tzinfo=tz).timestamp() for d in days]
    slots: list[tuple[float, int]] = []
    for di, d in enumerate(days):
        for mt in meal_times:
            ts = datetime.combine(d, mt.replace(tzinfo=None), tzinfo=tz).timestamp()
            if ts <= as_of_ts:
                slots.append((ts, di))
    slots.sort()
    return [s[0] for s in slots], [s[1] for s in slots], day_starts


def merge_slot_ranges(ranges: dict[tuple[int, K], list[tuple[int, int]]], n_slots: int
                      ) -> tuple[list[tuple[int, K, int, int]], dict[K, list[int]]]:
    """Merge each (person, shelter)'s meal-slot ranges [lo, hi) where they overlap or touch, and build
    per shelter a difference array over the slots (+1 where a merged range starts, -1 where it ends).

    Its running sum is `present(S, t)`; merging first counts a person once per meal time even when
    two of their stays in one shelter overlap there. Returns (person, shelter, lo, hi) per merged
    range and the arrays of the shelters that have any.
    """
    merged: list[tuple[int, K, int, int]] = []
    diff: dict[K, list[int]] = {}
    for (pi, key), lst in ranges.items():
        d = diff.get(key)
        if d is None:
            d = diff[key] = [0] * (n_slots + 1)
        if len(lst) == 1:  # most persons: one stay per shelter
            lo, hi = lst[0]
            d[lo] += 1
            d[hi] -= 1
            merged.append((pi, key, lo, hi))
            continue
        lst.sort()
        cur_lo, cur_hi = lst[0]
        for lo, hi in lst[1:]:
            if lo <= cur_hi:
                if hi > cur_hi:
                    cur_hi = hi
            else:
                d[cur_lo] += 1
                d[cur_hi] -= 1
                merged.append((pi, key, cur_lo, cur_hi))
                cur_lo, cur_hi = lo, hi
        d[cur_lo] += 1
        d[cur_hi] -= 1
        merged.append((pi, key, cur_lo, cur_hi))
    return merged, diff


def presence_by_day(diff: list[int], slot_day: Sequence[int], n_days: int) -> list[int]:
    """Per day, Σ over its meal times of `present(S, t)`, from a shelter's difference array."""
    per_day = [0] * n_days
    running = 0
    for i, day in enumerate(slot_day):
        running += diff[i]
        if running:
            per_day[day] += running
    return per_day


def compute_snapshot(event: EventIn, profile: Profile, persons: Sequence[PersonIn], shelters: Sequence[ShelterIn],
                     stays: Sequence[StayIn], deliveries: Sequence[DeliveryIn], services: Sequence[ServiceIn],
                     as_of: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """The status snapshot of docs/api.md (without `seq`) plus `unmet`: the eligible persons not fulfilled,
    sorted by id, each with the services they miss in SERVICES order."""
    # The computation allocates many small containers but creates no reference cycles: the cyclic
    # collector would only re-walk the (young) input objects over and over, doubling the run time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with localcontext() as ctx:
            ctx.prec = 80  # sums of written decimals stay exact
            return _compute(event, profile, persons, shelters, stays, deliveries, services, as_of, tz)
    finally:
        if collecting:
            gc.enable()


def _compute(event: EventIn, profile: Profile, persons: Sequence[PersonIn], shelters: Sequence[ShelterIn],
             stays: Sequence[StayIn], deliveries: Sequence[DeliveryIn], services: Sequence[ServiceIn],
             as_of: datetime, tz: ZoneInfo) -> dict[str, Any]:
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    as_of_ts = as_of.timestamp()
    today = as_of.astimezone(tz).date()
    n_meals = len(profile.meal_times)
    perm_item = profile.item_for("permakanan")
    sandang_item = profile.item_for("sandang")

    # ---- persons and shelters by index -------------------------------------------------------------
    pidx: dict[str, int] = {}
    for i, p in enumerate(persons):
        pidx.setdefault(p.id, i)
    n_persons = len(persons)
    sidx: dict[str, int] = {}
    for sh in shelters:
        sidx.setdefault(sh.id, len(sidx))

    # ---- stays: keep those started by as_of, of known persons ----------------------------------------
    kept: list[tuple[int, int, float, float | None]] = []  # person, shelter, check_in, check_out (None = open)
    has_stay = bytearray(n_persons)
    open_now = bytearray(n_persons)
    first_ts = inf
    for person_id, shelter_id, ci, co in stays:  # the inputs are named tuples: unpacking is the fast read
        ci_ts = ci if ci.__class__ is float else seconds(ci)
        if ci_ts > as_of_ts:
            continue
        pi = pidx.get(person_id)
        if pi is None:
            continue
        si = sidx.get(shelter_id)
        if si is None:
            si = sidx[shelter_id] = len(sidx)
        co_ts: float | None = None
        if co is not None:
            co_ts = co if co.__class__ is float else seconds(co)
            if co_ts > as_of_ts:
                co_ts = None
        has_stay[pi] = 1
        if co_ts is None:
            open_now[pi] = 1
        if ci_ts < first_ts:
            first_ts = ci_ts
        kept.append((pi, si, ci_ts, co_ts))
    n_shelters = len(sidx)

    first_day = today
    if kept:
        first_day = min(today, datetime.fromtimestamp(first_ts, UTC).astimezone(tz).date())
    slot_ts, slot_day, day_starts = meal_slots(first_day, today, profile.meal_times, tz, as_of_ts)
    n_slots = len(slot_ts)
    n_days = len(day_starts)
    today_di = n_days - 1

    # ---- stays → slot ranges, merged per (person, shelter); occupants -----------------------------
    ranges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    occupants: list[set[int]] = [set() for _ in range(n_shelters)]
    for pi, si, ci_ts, co_ts in kept:
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
    presence_total = sum(hi - lo for _, _, lo, hi in merged)  # Σ over shelters and meal times of present(S, t)

    # present(S, t) and, per shelter-day, Σ_t∈d present(S, t)
    no_one = [0] * (n_slots + 1)
    day_presence = [presence_by_day(diff.get(si, no_one), slot_day, n_days) for si in range(n_shelters)]

    # ---- deliveries up to as_of ------------------------------------------------------------------
    codes = {item.code for item in profile.items}
    perm_code = perm_item.code if perm_item else None
    sandang_code = sandang_item.code if sandang_item else None
    delivered: dict[str, Decimal] = dict.fromkeys(codes, _ZERO)
    perm_day: dict[tuple[str, int], Decimal] = {}
    sandang_person: dict[str, Decimal] = {}
    sandang_household: dict[str, Decimal] = {}
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
        delivered[code] += q
        if code == perm_code and to_shelter is not None:
            di = bisect_right(day_starts, ts) - 1
            if di >= 0:
                key2 = (to_shelter, di)
                perm_day[key2] = perm_day.get(key2, _ZERO) + q
        if code == sandang_code:
            if to_person is not None:
                sandang_person[to_person] = sandang_person.get(to_person, _ZERO) + q
            elif to_household is not None:
                sandang_household[to_household] = sandang_household.get(to_household, _ZERO) + q

    # ---- permakanan: covered shelter-days, then who was present on an uncovered one -------------------
    shelter_ids = list(sidx)  # index → id
    perm_rate = exact(perm_item.rate) if perm_item else _ZERO
    perm_fail = bytearray(n_persons)
    if perm_item is not None and n_meals and n_slots:
        uncovered_prefix: list[list[int] | None] = []
        for si in range(n_shelters):
            sid = shelter_ids[si]
            per_day = day_presence[si]
            bad_days = set()
            for di in range(n_days):
                count = per_day[di]
                # delivered ≥ rate / n × count, compared without division
                if count and perm_day.get((sid, di), _ZERO) * n_meals < perm_rate * count:
                    bad_days.add(di)
            if not bad_days:
                uncovered_prefix.append(None)
                continue
            prefix = [0] * (n_slots + 1)
            acc = 0
            for i in range(n_slots):
                if slot_day[i] in bad_days:
                    acc += 1
                prefix[i + 1] = acc
            uncovered_prefix.append(prefix)
        for pi, si, lo, hi in merged:
            uncovered = uncovered_prefix[si]
            if uncovered is not None and uncovered[hi] != uncovered[lo]:
                perm_fail[pi] = 1

    # ---- sandang: person-level totals, then household places in registration order ---------------------
    sandang_met = bytearray(n_persons)
    sandang_rate = exact(sandang_item.rate) if sandang_item else _ZERO
    sandang_all = sandang_item is None or sandang_rate <= 0
    if not sandang_all:
        for pid, total in sandang_person.items():
            if total >= sandang_rate:
                own = pidx.get(pid)
                if own is not None:
                    sandang_met[own] = 1
        places: dict[str, int] = {}
        for hid, total in sandang_household.items():
            n_places = int(total // sandang_rate) if total > 0 else 0  # exact; floor for positives
            if n_places > 0:
                places[hid] = n_places
        if places:
            members: dict[str, list[tuple[float, str, int]]] = {}
            # the households with places are few: pick their members in one quick pass (None is never a key)
            in_places = [pi for pi, p in enumerate(persons) if p.household_id in places]
            for pi in in_places:
                p = persons[pi]
                household = p.household_id
                if household is not None and pidx[p.id] == pi:
                    reg = p.registered_at
                    reg_ts = inf if reg is None else seconds(reg)
                    members.setdefault(household, []).append((reg_ts, p.id, pi))
            for household, ranked in members.items():
                ranked.sort()  # registration time (none last), then id
                for _, _, member in ranked[:places[household]]:
                    sandang_met[member] = 1

    # ---- services up to as_of ----------------------------------------------------------------------
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

    # ---- people counts and the indicator ------------------------------------------------------------
    # One pass over 50,000 persons: plain local counters, vulnerability sets counted per distinct set
    # (the loader shares one set among all persons with the same flags), a `lacking` list only for
    # persons who lack something.
    n_male = n_female = 0
    per_vulnerability_set: dict[Any, int] = {}
    injured = missing = dead = displaced_now = returned = affected = 0
    eligible = fulfilled = 0
    perm_met = sandang_met_count = special_eligible = special_met = psy_eligible = psy_met = 0
    unmet: list[dict[str, Any]] = []
    seen = bytearray(n_persons)
    unique_ids = len(pidx) == n_persons
    for pi, (pid, _, sex, cond, vulns, needs_psy, _) in enumerate(persons):
        if not unique_ids and pidx[pid] != pi:
            continue  # a repeated id counts once
        seen[pi] = 1
        if sex == "L":
            n_male += 1
        elif sex == "P":
            n_female += 1
        if vulns:
            per_vulnerability_set[vulns] = per_vulnerability_set.get(vulns, 0) + 1
        if cond == "luka":
            injured += 1
        elif cond == "hilang":
            missing += 1
            continue
        elif cond == "meninggal":
            dead += 1
            continue
        if not has_stay[pi]:
            affected += 1
            continue
        if open_now[pi]:
            displaced_now += 1
        else:
            returned += 1
        # eligible: a stay started by as_of, neither missing nor dead
        eligible += 1
        lacking: list[str] | None = None
        if perm_fail[pi]:
            lacking = ["permakanan"]
        else:
            perm_met += 1
        if sandang_all or sandang_met[pi]:
            sandang_met_count += 1
        elif lacking is None:
            lacking = ["sandang"]
        else:
            lacking.append("sandang")
        # tempat_penampungan: met by the stay itself
        if vulns and not _VULNERABLE.isdisjoint(vulns):
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
    by_sex = {"L": n_male, "P": n_female}
    vulnerable = dict.fromkeys(VULNERABILITIES, 0)
    for vulns, count in per_vulnerability_set.items():
        for v in vulns:
            if v in vulnerable:
                vulnerable[v] += count
    svc_eligible = {"permakanan": eligible, "sandang": eligible, "tempat_penampungan": eligible,
                    "penanganan_khusus": special_eligible, "psikososial": psy_eligible}
    svc_fulfilled = {"permakanan": perm_met, "sandang": sandang_met_count, "tempat_penampungan": eligible,
                     "penanganan_khusus": special_met, "psikososial": psy_met}
    unmet.sort(key=lambda u: u["person_id"])

    # ---- needs per item ------------------------------------------------------------------------------
    # displaced persons (a stay, whatever their condition), their households, and how many of them carry
    # each distinct vulnerability set (for per_vulnerable_once)
    n_displaced = 0
    households: set[str] = set()
    displaced_sets: dict[Any, int] = {}
    for pi, p in enumerate(persons):
        if has_stay[pi] and seen[pi]:
            n_displaced += 1
            if p.household_id is not None:
                households.add(p.household_id)
            vulns = p.vulnerabilities
            if vulns:
                displaced_sets[vulns] = displaced_sets.get(vulns, 0) + 1
    needs = []
    for item in profile.items:
        required = _required(item, n_meals, presence_total, n_displaced, displaced_sets, len(households))
        got = Fraction(delivered[item.code])
        needs.append({
            "item_code": item.code,
            "unit": item.unit,
            "required": float(required),
            "delivered": float(got),
            "gap": float(max(Fraction(0), required - got)),
            "coverage_percent": percent(got, required),
        })

    # ---- shelters -------------------------------------------------------------------------------------
    shelter_rows = []
    area_per_person = exact(profile.covered_area_m2_per_person)
    per_toilet = exact(profile.persons_per_toilet)
    for sh in shelters:
        si = sidx[sh.id]
        n_occ = len(occupants[si])
        due_today = Fraction(0)
        got_today = _ZERO
        if perm_item is not None:
            if n_meals:
                due_today = Fraction(perm_rate) * day_presence[si][today_di] / n_meals
            got_today = perm_day.get((sh.id, today_di), _ZERO)
        shelter_rows.append({
            "id": sh.id,
            "name": sh.name,
            "occupants": n_occ,
            "capacity_persons": sh.capacity_persons,
            "meals_due_today": float(due_today),
            "meals_delivered_today": float(got_today),
            "covered_area_ok": None if sh.covered_area_m2 is None
            else exact(sh.covered_area_m2) >= n_occ * area_per_person,
            "toilets_ok": None if sh.toilets is None else exact(sh.toilets) * per_toilet >= n_occ,
        })

    return {
        "event_id": event.id,
        "data_seq": event.data_seq,
        "as_of": as_of.astimezone(UTC).isoformat(),
        "standard_code": event.standard_code,
        "people": {
            "registered": int(sum(seen)),
            "displaced_now": displaced_now,
            "returned": returned,
            "affected": affected,
            "injured": injured,
            "missing": missing,
            "dead": dead,
            "by_sex": by_sex,
            "vulnerable": vulnerable,
        },
        "indicator": {
            "eligible": eligible,
            "fulfilled": fulfilled,
            "percent": percent(fulfilled, eligible),
            "target_percent": event.target_percent,
            "services": {code: {"eligible": svc_eligible[code], "fulfilled": svc_fulfilled[code]}
                         for code in SERVICES},
        },
        "needs": needs,
        "shelters": shelter_rows,
        "unmet": unmet,
    }


def _required(item: ItemRule, n_meals: int, presence_total: int, n_displaced: int,
              displaced_sets: dict[Any, int], n_households: int) -> Fraction:
    """What an item requires to as_of, exactly (see the module docstring for unknown bases);
    `displaced_sets` counts displaced persons per distinct vulnerability set."""
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
