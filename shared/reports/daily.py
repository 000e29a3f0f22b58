"""The report's day-by-day series in one pass: displaced, eligible and fulfilled persons at the end of
every local day, from inputs loaded once.

Running the needs engine once per day gives the same numbers but costs a full engine run per day
(about 0.2–0.5 s at 50,000 persons: 30 days would take far longer than the 5 s a report may take).
This module gets all days at once from the observation that, under the engine's rules (docs/rules.md,
"Needs and the basic-needs indicator"), every part of "fulfilled" changes at most once as the cut-off
instant moves forward:

- eligible from the local day of the person's first check-in (condition hilang/meninggal: never);
- permakanan fails from the first day on which the person was present at a meal time of an
  uncovered shelter-day, and stays failed (nothing carries over; a covered shelter-day is final once
  the day is over, because presence at a past meal time and that day's deliveries do not change
  when the cut-off moves later);
- sandang is met from the day a person's own deliveries reach the rate, or the day the household's
  cumulative quantity gives the person's place (registration order);
- penanganan khusus / psikososial are met from the day of the first service.

So each person is fulfilled over one interval of days [start, fail). Displaced at a day's end is
"a stay open at that instant". `daily_counts` returns None when an assumption does not hold (a
non-positive sandang quantity could take a place back) and the caller falls back to the engine.
`tests/reports/test_event_report.py` checks the result against the engine run at each day's end.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, localcontext
from math import inf
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from shared.models import Distribution
from shared.needs.engine import exact, meal_slots, merge_slot_ranges, presence_by_day
from shared.needs.model import DeliveryIn, seconds
from shared.repositories.needs_inputs import NeedsInputs

GONE = frozenset({"hilang", "meninggal"})
VULNERABLE = frozenset({"balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas"})
_ZERO = Decimal(0)


def with_daily_sandang(session: Session, event_id: str, inputs: NeedsInputs, as_of: datetime,
                       tz: ZoneInfo) -> NeedsInputs:
    """`inputs` whose sandang deliveries to a person or household (without a shelter) are summed per
    local day, not over the whole event: the loader sums those per recipient, which is all one as_of
    needs, but a series of days needs to know when each arrived. Deliveries to a shelter are per day
    already; other items do not enter the indicator."""
    sandang = inputs.profile.item_for("sandang")
    if sandang is None:
        return inputs
    code = sandang.code

    def per_recipient(dv: DeliveryIn) -> bool:
        return dv.item_code == code and dv.shelter_id is None and (dv.person_id is not None or dv.household_id is not None)

    sums: dict[tuple[str | None, str | None, date], list[float | datetime]] = {}
    d = Distribution
    for pid, hid, qty, at in session.execute(
            select(col(d.person_id), col(d.household_id), col(d.quantity), col(d.delivered_at))
            .where(col(d.event_id) == event_id, col(d.item_code) == code, col(d.shelter_id).is_(None),
                   col(d.delivered_at) <= as_of)):
        if pid is None and hid is None:
            continue
        key = (pid, hid, at.astimezone(tz).date())
        found = sums.get(key)
        if found is None:
            sums[key] = [float(qty), at]
        else:
            found[0] = float(exact(found[0]) + exact(qty))  # type: ignore[arg-type]
            found[1] = max(found[1], at)  # type: ignore[type-var]
    days = [DeliveryIn(item_code=code, quantity=float(q), delivered_at=at, person_id=pid, household_id=hid)  # type: ignore[arg-type]
            for (pid, hid, _), (q, at) in sums.items()]
    return replace(inputs, deliveries=[dv for dv in inputs.deliveries if not per_recipient(dv)] + days)


def daily_counts(inputs: NeedsInputs, first_day: date, as_of: datetime,
                 tz: ZoneInfo) -> list[tuple[int, int, int]] | None:
    """(displaced_now, eligible, fulfilled) at the end of each local day from `first_day` to the day of
    `as_of` (that last day at `as_of` itself), as the engine would compute them at those instants;
    None when the one-pass method does not apply. `inputs` must hold nothing after `as_of`, and its
    deliveries must be summed per local day at most (see `with_daily_sandang`)."""
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

    persons = inputs.persons
    pidx: dict[str, int] = {}
    for i, p in enumerate(persons):
        pidx.setdefault(p.id, i)
    n = len(persons)
    profile = inputs.profile
    n_meals = len(profile.meal_times)
    perm_item = profile.item_for("permakanan")
    sandang_item = profile.item_for("sandang")

    # ---- stays: entry day, displaced-day intervals, slot ranges per (person, shelter)
    entry = [inf] * n
    open_days: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    kept: list[tuple[int, str, float, float | None]] = []
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

    # ---- permakanan: the first day each person was present at a meal time of an uncovered shelter-day
    fail = [inf] * n
    if perm_item is not None and n_meals and kept:
        slot_first = min(last_day, datetime.fromtimestamp(first_ts, tz).date())
        slot_ts, slot_day, slot_starts = meal_slots(slot_first, last_day, profile.meal_times, tz, as_of_ts)
        n_slots = len(slot_ts)
        offset = (slot_first - first_day).days  # slot-day index + offset = report-day index
        ranges: dict[tuple[int, str], list[tuple[int, int]]] = {}
        for pi, sid, ci, co in kept:
            lo = bisect_left(slot_ts, ci)
            hi = n_slots if co is None else bisect_left(slot_ts, co)
            if lo < hi:
                ranges.setdefault((pi, sid), []).append((lo, hi))
        merged, diff = merge_slot_ranges(ranges, n_slots)
        perm_day: dict[tuple[str, int], Decimal] = {}
        cache: dict[float, Decimal] = {}
        for dv in inputs.deliveries:
            if dv.item_code != perm_item.code or dv.shelter_id is None:
                continue
            ts = seconds(dv.delivered_at)
            if ts > as_of_ts:
                continue
            di = bisect_right(slot_starts, ts) - 1
            if di >= 0:
                q = cache.get(dv.quantity)
                if q is None:
                    q = cache[dv.quantity] = exact(dv.quantity)
                perm_day[(dv.shelter_id, di)] = perm_day.get((dv.shelter_id, di), _ZERO) + q
        rate = exact(perm_item.rate)
        bad_slots: dict[str, list[int]] = {}
        n_slot_days = len(slot_starts)
        for sid, d in diff.items():
            presence = presence_by_day(d, slot_day, n_slot_days)
            bad = {di for di in range(n_slot_days)
                   if presence[di] and perm_day.get((sid, di), _ZERO) * n_meals < rate * presence[di]}
            if bad:
                bad_slots[sid] = [i for i in range(n_slots) if slot_day[i] in bad]
        for pi, sid, lo, hi in merged:
            slots = bad_slots.get(sid)
            if not slots:
                continue
            k = bisect_left(slots, lo)
            if k < len(slots) and slots[k] < hi:
                day = max(0, slot_day[slots[k]] + offset)
                if day < fail[pi]:
                    fail[pi] = day

    # ---- sandang: the day a person's own total, or the household's places, reach them
    sandang = [inf] * n
    sandang_rate = exact(sandang_item.rate) if sandang_item else _ZERO
    if sandang_item is None or sandang_rate <= 0:
        sandang = [0] * n
    else:
        events = sorted(((seconds(dv.delivered_at), dv) for dv in inputs.deliveries
                         if dv.item_code == sandang_item.code and (dv.person_id is not None or dv.household_id is not None)),
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
                if pi is not None and total >= sandang_rate and day < sandang[pi]:
                    sandang[pi] = day
                continue
            hid = dv.household_id
            assert hid is not None
            total = household_total[hid] = household_total.get(hid, _ZERO) + q
            places = int(total // sandang_rate)
            before = household_places.get(hid, 0)
            if places > before:
                household_places[hid] = places
                if members is None:
                    members = _household_members(inputs)
                for pi in members.get(hid, [])[before:places]:
                    if day < sandang[pi]:
                        sandang[pi] = day

    # ---- services: the day of the first one of each kind
    special = [inf] * n
    psychosocial = [inf] * n
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

    # ---- per day
    displaced = [0] * (n_days + 1)
    eligible = [0] * (n_days + 1)
    fulfilled = [0] * (n_days + 1)
    for pi, p in enumerate(persons):
        if pidx[p.id] != pi or p.condition in GONE or entry[pi] == inf:
            continue
        start = entry[pi]
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
        need = [start, sandang[pi]]
        if p.vulnerabilities and not VULNERABLE.isdisjoint(p.vulnerabilities):
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


def _household_members(inputs: NeedsInputs) -> dict[str, list[int]]:
    """Members of each household in the engine's sandang order: registration time (none last), then id."""
    seen: set[str] = set()
    ranked: dict[str, list[tuple[float, str, int]]] = {}
    for pi, p in enumerate(inputs.persons):
        if p.id in seen:
            continue
        seen.add(p.id)
        if p.household_id is not None:
            reg = inf if p.registered_at is None else seconds(p.registered_at)
            ranked.setdefault(p.household_id, []).append((reg, p.id, pi))
    return {hid: [pi for _, _, pi in sorted(lst)] for hid, lst in ranked.items()}
