"""The report's day-by-day series in one pass: displaced, eligible and fulfilled persons at the end of
every local day, from inputs loaded once. Pure: the inputs come from shared/repositories
(`load_needs_inputs`, then `daily_series.with_daily_sandang`).

Running the needs engine once per day gives the same numbers but costs a full engine run per day
(about 0.2–0.5 s at 50,000 persons: 30 days would take far longer than the 5 s a report may take).
This module gets all days at once from the observation that, under the rules both share
(shared/needs/rules.py; docs/rules.md, "Needs and the basic-needs indicator"), every part of
"fulfilled" changes at most once as the cut-off instant moves forward:

- eligible from the local day of the person's first check-in (`rules.is_eligible`: never when missing
  or dead);
- permakanan fails from the first day on which the person was present at a meal time of an
  uncovered shelter-day or (in a mandiri stay) household-day (`rules.uncovered_days`), and stays
  failed (nothing carries over; a covered shelter- or household-day is final once the day is over,
  because presence at a past meal time and that day's deliveries do not change when the cut-off moves
  later);
- sandang is met from the day a person's own deliveries reach the rate (`rules.own_sandang_met`), or
  the day the household's cumulative quantity gives the person's place (`rules.household_places` in
  `rules.household_order`);
- penanganan khusus (`rules.needs_special_handling`) / psikososial are met from the day of the first
  service.

So each person is fulfilled over one interval of days [start, fail). Displaced at a day's end is
"a stay open at that instant" (`rules.displacement`: displaced_now). `daily_counts` returns None when
an assumption does not hold (a non-positive sandang quantity could take a place back) and the caller
falls back to the engine. tests/shared/needs/test_daily.py checks the result against the engine run
at each day's end.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, localcontext
from math import inf
from zoneinfo import ZoneInfo

from shared.needs import rules
from shared.needs.engine import delivered_per_item
from shared.needs.model import NeedsInputs, seconds
from shared.needs.numbers import exact
from shared.needs.presence import meal_slots, merge_slot_ranges, presence_by_day

_ZERO = Decimal(0)


def daily_counts(inputs: NeedsInputs, first_day: date, as_of: datetime,
                 tz: ZoneInfo) -> list[tuple[int, int, int]] | None:
    """(displaced_now, eligible, fulfilled) at the end of each local day from `first_day` to the day of
    `as_of` (that last day at `as_of` itself), as the engine would compute them at those instants;
    None when the one-pass method does not apply. `inputs` must hold nothing after `as_of`, and its
    deliveries must be summed per local day at most (see `daily_series.with_daily_sandang`)."""
    with localcontext() as ctx:
        ctx.prec = 80
        return _daily_counts(inputs, first_day, as_of, tz)


def _daily_counts(inputs: NeedsInputs, first_day: date, as_of: datetime,
                  tz: ZoneInfo) -> list[tuple[int, int, int]] | None:
    last_day = as_of.astimezone(tz).date()
    n_days = (last_day - first_day).days + 1
    if n_days <= 0:
        return []
    as_of_ts = as_of.timestamp()
    report_starts = [datetime.combine(first_day + timedelta(days=i), time(0), tzinfo=tz).timestamp()
                     for i in range(n_days)]

    def day_of(ts: float) -> int:
        """Report-day index of an instant (before the first day → 0)."""
        return max(0, bisect_right(report_starts, ts) - 1)

    pidx: dict[str, int] = {}
    for i, p in enumerate(inputs.persons):
        pidx.setdefault(p.id, i)
    stays = _stay_days(inputs, pidx, n_days, as_of_ts, day_of)
    fail = _permakanan_fail_day(inputs, pidx, stays, first_day, last_day, tz, as_of_ts)
    sandang = _sandang_day(inputs, pidx, as_of_ts, day_of)
    if sandang is None:
        return None
    special, psychosocial = _service_days(inputs, pidx, as_of_ts, day_of)
    return _per_day(inputs, pidx, stays, fail, sandang, special, psychosocial, n_days)


class _Stays:
    """Per person: the report day of the first check-in (inf: none) and the [a, b) day spans in which a
    stay is open at the day's end; the kept stays as (person, shelter or None for a mandiri stay,
    check-in, check-out or None)."""

    __slots__ = ("entry", "open_days", "kept", "first_ts")

    def __init__(self, n: int) -> None:
        self.entry: list[float] = [inf] * n
        self.open_days: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.kept: list[tuple[int, str | None, float, float | None]] = []
        self.first_ts = inf


def _stay_days(inputs: NeedsInputs, pidx: dict[str, int], n_days: int, as_of_ts: float,
               day_of: Callable[[float], int]) -> _Stays:
    """The stays started by `as_of` of known persons, as entry days and open-at-day-end spans."""
    out = _Stays(len(inputs.persons))
    entry, open_days, kept = out.entry, out.open_days, out.kept
    first_ts = inf
    for st in inputs.stays:
        ci = seconds(st.check_in)
        if ci > as_of_ts:
            continue
        pi = pidx.get(st.person_id)
        if pi is None:
            continue
        co = None if st.check_out is None else seconds(st.check_out)
        if co is not None and co > as_of_ts:
            co = None
        a = day_of(ci)
        if a < entry[pi]:
            entry[pi] = a
        b = n_days if co is None else day_of(co)
        if b > a:
            open_days[pi].append((a, b))
        if ci < first_ts:
            first_ts = ci
        kept.append((pi, st.shelter_id, ci, co))
    out.first_ts = first_ts
    return out


def _permakanan_fail_day(inputs: NeedsInputs, pidx: dict[str, int], stays: _Stays, first_day: date,
                         last_day: date, tz: ZoneInfo, as_of_ts: float) -> list[float]:
    """Per person, the first report day on which they were present at a meal time of an uncovered
    shelter-day, or in a mandiri stay at a meal time of an uncovered household-day
    (`rules.uncovered_days`, `rules.meal_unit`); inf when never."""
    fail = [inf] * len(inputs.persons)
    profile = inputs.profile
    perm_item = profile.item_for("permakanan")
    n_meals = len(profile.meal_times)
    if perm_item is None or not n_meals or not stays.kept:
        return fail
    slot_first = min(last_day, datetime.fromtimestamp(stays.first_ts, tz).date())
    slot_ts, slot_day, slot_starts = meal_slots(slot_first, last_day, profile.meal_times, tz, as_of_ts)
    n_slots = len(slot_ts)
    offset = (slot_first - first_day).days  # slot-day index + offset = report-day index
    # a shelter by its id, a mandiri stay's meal unit by its ("h" | "p", id) key: the two never collide
    ranges: dict[tuple[int, str | tuple[str, str]], list[tuple[int, int]]] = {}
    persons = inputs.persons
    for pi, sid, ci, co in stays.kept:
        lo = bisect_left(slot_ts, ci)
        hi = n_slots if co is None else bisect_left(slot_ts, co)
        if lo < hi:
            key = sid if sid is not None else rules.meal_unit(persons[pi].household_id, persons[pi].id)
            ranges.setdefault((pi, key), []).append((lo, hi))
    merged, diff = merge_slot_ranges(ranges, n_slots)
    meals = [dv for dv in inputs.deliveries if dv.item_code == perm_item.code]
    delivered = delivered_per_item(meals, profile, slot_starts, as_of_ts, persons, pidx)
    per_key_day: dict[str | tuple[str, str], dict[int, Decimal]] = dict(delivered.permakanan.items())
    per_key_day.update(delivered.permakanan_unit.items())
    rate = exact(perm_item.rate)
    bad_slots: dict[str | tuple[str, str], list[int]] = {}
    n_slot_days = len(slot_starts)
    for place, d in diff.items():
        bad = rules.uncovered_days(presence_by_day(d, slot_day, n_slot_days), per_key_day.get(place, {}),
                                   rate, n_meals)
        if bad:
            bad_slots[place] = [i for i in range(n_slots) if slot_day[i] in bad]
    for pi, place, lo, hi in merged:
        slots = bad_slots.get(place)
        if not slots:
            continue
        k = bisect_left(slots, lo)
        if k < len(slots) and slots[k] < hi:
            day = max(0, slot_day[slots[k]] + offset)
            if day < fail[pi]:
                fail[pi] = day
    return fail


def _sandang_day(inputs: NeedsInputs, pidx: dict[str, int], as_of_ts: float,
                 day_of: Callable[[float], int]) -> list[float] | None:
    """Per person, the report day from which sandang is met: their own total reaches the rate
    (`rules.own_sandang_met`), or the household's cumulative quantity gives them a place
    (`rules.household_places`, members in `rules.household_order`); 0 for everyone when sandang is met
    by everyone; None when a quantity of 0 or less could take a place back (not monotonic)."""
    n = len(inputs.persons)
    item = inputs.profile.item_for("sandang")
    if item is None or rules.sandang_met_by_everyone(item):
        return [0] * n
    sandang: list[float] = [inf] * n
    rate = exact(item.rate)
    events = sorted(((seconds(dv.delivered_at), dv) for dv in inputs.deliveries
                     if dv.item_code == item.code and (dv.person_id is not None or dv.household_id is not None)),
                    key=lambda e: e[0])
    own: dict[str, Decimal] = {}
    household_total: dict[str, Decimal] = {}
    household_places: dict[str, int] = {}
    members: dict[str, list[int]] | None = None
    for ts, dv in events:
        if ts > as_of_ts:
            continue
        q = exact(dv.quantity)
        if q <= 0:
            return None  # a place could be taken back: not monotonic
        day = day_of(ts)
        if dv.person_id is not None:
            total = own[dv.person_id] = own.get(dv.person_id, _ZERO) + q
            pi = pidx.get(dv.person_id)
            if pi is not None and rules.own_sandang_met(total, rate) and day < sandang[pi]:
                sandang[pi] = day
            continue
        hid = dv.household_id
        assert hid is not None
        total = household_total[hid] = household_total.get(hid, _ZERO) + q
        places = rules.household_places(total, rate)
        before = household_places.get(hid, 0)
        if places > before:
            household_places[hid] = places
            if members is None:
                members = rules.household_order(inputs.persons, pidx)
            for pi in members.get(hid, [])[before:places]:
                if day < sandang[pi]:
                    sandang[pi] = day
    return sandang


def _service_days(inputs: NeedsInputs, pidx: dict[str, int], as_of_ts: float,
                  day_of: Callable[[float], int]) -> tuple[list[float], list[float]]:
    """Per person, the report day of the first penanganan khusus and of the first psikososial service."""
    n = len(inputs.persons)
    special: list[float] = [inf] * n
    psychosocial: list[float] = [inf] * n
    for sv in inputs.services:
        ts = seconds(sv.delivered_at)
        if ts > as_of_ts:
            continue
        pi = pidx.get(sv.person_id)
        if pi is None:
            continue
        day = day_of(ts)
        if sv.kind == "penanganan_khusus" and day < special[pi]:
            special[pi] = day
        elif sv.kind == "psikososial" and day < psychosocial[pi]:
            psychosocial[pi] = day
    return special, psychosocial


def _per_day(inputs: NeedsInputs, pidx: dict[str, int], stays: _Stays, fail: list[float], sandang: list[float],
             special: list[float], psychosocial: list[float], n_days: int) -> list[tuple[int, int, int]]:
    """Running sums over the days of: displaced (an open stay at the day's end), eligible (from the entry
    day) and fulfilled (from the day the last required service is met until permakanan fails)."""
    displaced = [0] * (n_days + 1)
    eligible = [0] * (n_days + 1)
    fulfilled = [0] * (n_days + 1)
    entry, open_days = stays.entry, stays.open_days
    is_eligible, needs_special_handling = rules.is_eligible, rules.needs_special_handling
    for pi, p in enumerate(inputs.persons):
        start = entry[pi]
        if pidx[p.id] != pi or not is_eligible(p.condition, start != inf):
            continue
        eligible[int(start)] += 1
        spans = sorted(open_days[pi])
        if spans:
            cur_a, cur_b = spans[0]
            for a, b in spans[1:]:
                if a <= cur_b:
                    cur_b = max(cur_b, b)
                else:
                    displaced[cur_a] += 1
                    displaced[cur_b] -= 1
                    cur_a, cur_b = a, b
            displaced[cur_a] += 1
            displaced[cur_b] -= 1
        need = [start, sandang[pi]]  # permakanan and tempat_penampungan (if required) from the entry day, sandang
        if needs_special_handling(p.vulnerabilities):
            need.append(special[pi])
        if p.needs_psychosocial:
            need.append(psychosocial[pi])
        begin = max(need)
        end = min(fail[pi], n_days)
        if begin < end:
            fulfilled[int(begin)] += 1
            fulfilled[int(end)] -= 1
    out = []
    run_d = run_e = run_f = 0
    for i in range(n_days):
        run_d += displaced[i]
        run_e += eligible[i]
        run_f += fulfilled[i]
        out.append((run_d, run_e, run_f))
    return out
