"""The needs snapshot kept up to date change by change (issue 14): a write costs work proportional to
what it touched, not to the event.

The engine (shared/needs/engine.py) stays the single definition of every figure: this module computes
the same snapshot from state it keeps per person and per place, with the same rule functions
(shared/needs/rules.py), and its tests (tests/shared/test_incremental_needs.py, and the live inputs'
property test) assert field-by-field equality with `compute_snapshot` after every step.

What is kept, per open event:

- per **person**: where they stayed (merged meal-slot ranges per shelter and per mandiri meal unit,
  whether open), and their *outcome*: the counters they add to the `people` and `indicator` sections
  and to `required`, their unmet entry with its reasons, whether they count in today's permakanan;
- per **place** (a shelter, or a meal unit of mandiri stays): presence per local day, the uncovered
  days (`rules.uncovered_days`), occupants and, for a shelter, its row (today's meals per meal time,
  the once-only items its residents lack);
- the delivered sums the rules read (per item, per shelter-day, per unit-day, sandang per person and
  household, once-only items per recipient), changed by subtracting a total's old value and adding
  its new one;
- the aggregates: sums of the outcomes.

How a change spreads (`NeedsState.update`): the persons a change names (a person row, one of their
stays, services or deliveries, a delivery to their household) and every member of their households
(old and new: sandang places and a household's once-only items are shared) are *located* again; the
places they were or are in are evaluated again; where a place's uncovered days changed, everyone who
was ever there is judged again; every changed person's outcome replaces its old one in the sums; the
shelters any of them touch get their lacking items again.

Time passing a meal time or midnight (`_advance_clock`): the meal slots are extended (the old ones are
their prefix, so nothing before changes), and only those whose figures the new meal times move are
located and judged again — everyone with an open stay (present at the new meal times) and, at midnight,
those present the day before (no longer "today"); every place's days are evaluated again (a passed meal
time may leave today uncovered).

An instant recorded after `as_of` (a check-in, check-out or service recorded ahead: a phone's clock
running fast) is kept with its person; when it comes due, that person is located and judged again.

What makes it rebuild from the inputs instead (`Unsupported`): a stay earlier than the first local day;
a change of the event's shelters; stays in a shelter the event does not list; a person's household
changing, appearing or going while permakanan was delivered to them by name (the meal unit their
deliveries count for moves). These are rare; the caller (shared/services/live_inputs.py) builds the
state again, which is the full computation.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from heapq import heappop, heappush
from math import inf
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from pydantic_core import to_json
from sortedcontainers import SortedList

from shared.needs import rules
from shared.needs.engine import shelter_row
from shared.needs.model import (
    SERVICES,
    VULNERABILITIES,
    DeliveryIn,
    EventIn,
    Instant,
    PersonIn,
    Profile,
    ShelterIn,
    StayIn,
    seconds,
)
from shared.needs.numbers import exact, percent
from shared.needs.presence import meal_slots, merge_ranges, presence_by_day
from shared.needs.shortfalls import (
    MEAL_DAYS_SHOWN,
    ONCE_BASES,
    meal_time_of,
    meal_time_rows,
    place_entry,
    place_rank,
)

_ZERO = Decimal(0)
FAMILIES = ("hh", "dset", "kres", "kman", "lack", "unmet_at")
# The counts a person adds 1 to or not, as bits of one int per person (a dict of them cost ~0.6 kB a person).
FLAGS = ("registered", "sex:L", "sex:P", *("vuln:" + v for v in VULNERABILITIES), "displaced", "injured", "missing",
         "dead", "where:displaced_now", "where:returned", "where:affected", "in_shelters_now", "mandiri_now",
         "eligible", "perm_met", "sandang_met", "shelter_eligible", "special_eligible", "special_met", "psy_eligible",
         "psy_met", "fulfilled", "today_eligible", "today_fulfilled")
FLAG_INDEX = {flag: i for i, flag in enumerate(FLAGS)}
BIT = {flag: 1 << i for i, flag in enumerate(FLAGS)}
_REGISTERED = BIT["registered"]
_NO_KELURAHAN: frozenset[str] = frozenset()
Place = tuple[str, Any]  # ("s", shelter id) or ("u", meal unit)
Services = Mapping[str, Mapping[str, tuple[float, int]]]  # person → kind → (first instant, how many)


def _ts(at: Instant) -> float:
    """POSIX seconds (the live inputs hold instants so already)."""
    return at if at.__class__ is float else seconds(at)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class UnmetChanges:
    """The unmet list as a writer by difference needs it (`NeedsState.unmet_changes`)."""

    base: str | None  # the token of the writing these changes follow (None: write everything)
    token: str  # this writing's token
    changed: dict[str, str | None]  # person id → their entry's JSON, None when no longer unmet
    everything: Callable[[], list[tuple[str, str]]]  # every (person id, entry JSON), in id order


class Unsupported(Exception):
    """A change the state cannot apply exactly: build it again from the inputs."""


@dataclass(slots=True)
class Changes:
    """What changed since the state was last brought up to date: per changed row, its value before
    (None: it did not exist). Filled by the live inputs as they catch up."""

    persons: dict[str, PersonIn | None] = field(default_factory=dict)
    stays: dict[str, StayIn | None] = field(default_factory=dict)
    deliveries: dict[Any, DeliveryIn | None] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Where:
    """One person's stays in one place: merged meal-slot ranges [lo, hi), and whether a stay is open."""

    ranges: list[tuple[int, int]]
    open: bool


@dataclass(slots=True)
class _Located:
    """Where a person stayed, as of `as_of` (the engine's kept stays, per person)."""

    where: dict[Place, _Where]
    has_stay: bool
    has_shelter: bool
    open_shelter: bool
    open_mandiri: bool
    latest: tuple[float, int, Any, bool] | None  # (check-in, 1 shelter / 0 mandiri, shelter id or kelurahan, open)
    mandiri_kelurahan: frozenset[str]


@dataclass(slots=True)
class _PlaceState:
    """One place's figures, moved member by member (`_move`)."""

    members: set[str] = field(default_factory=set)
    diff: list[int] = field(default_factory=list)  # +1 where a member's merged range starts, -1 where it ends
    day_presence: list[int] = field(default_factory=list)
    occupants: set[str] = field(default_factory=set)
    bad_days: tuple[int, ...] = ()


@dataclass(slots=True)
class _Outcome:
    """What one person adds to the sums: flags (bits of FLAGS) and keyed counts (a key of a FAMILIES kind
    each), their unmet entry; small, because there is one per person."""

    flags: int
    keys: tuple[Any, ...]
    unmet: dict[str, Any] | None
    lacks_sandang: bool  # the engine's sandang verdict is "not met" (shelter lacks)


def _ranges(stays: Iterable[tuple[float, float | None]], slot_ts: list[float]) -> list[tuple[int, int]]:
    """Merged meal-slot ranges of one person's stays in one place (shared/needs/presence.py's rule)."""
    n_slots = len(slot_ts)
    found = []
    for ci, co in stays:
        hi = n_slots if co is None else bisect_left(slot_ts, co)
        lo = bisect_left(slot_ts, ci)
        if lo < hi:
            found.append((lo, hi))
    return merge_ranges(found)


class NeedsState:
    """One event's needs state at one `as_of`; see the module docstring."""

    def __init__(self, event: EventIn, profile: Profile, shelters: Sequence[ShelterIn], persons: Mapping[str, PersonIn],
                 stays: Mapping[str, StayIn], deliveries: Mapping[Any, DeliveryIn], services: Services,
                 today_meals: Sequence[tuple[str, float, float]], as_of: datetime, tz: ZoneInfo) -> None:
        collecting = gc.isenabled()
        gc.disable()
        try:
            with localcontext() as ctx:
                ctx.prec = 80
                self._build(event, profile, shelters, persons, stays, deliveries, services, today_meals, as_of, tz)
        finally:
            if collecting:
                gc.enable()

    # ---- building -------------------------------------------------------------------------------------

    def _build(self, event: EventIn, profile: Profile, shelters: Sequence[ShelterIn], persons: Mapping[str, PersonIn],
               stays: Mapping[str, StayIn], deliveries: Mapping[Any, DeliveryIn], services: Services,
               today_meals: Sequence[tuple[str, float, float]], as_of: datetime, tz: ZoneInfo) -> None:
        self.event, self.profile, self.tz = event, profile, tz
        self.persons = persons  # the live inputs' own mappings, read (never written) here
        self.stays = stays
        self.services = services
        self.shelters = tuple(shelters)
        self.shelter_pos = {sh.id: i for i, sh in enumerate(self.shelters)}
        self.shelter_ids = [sh.id for sh in self.shelters]
        self.shelter_kel = {sh.id: sh.kelurahan_code or "" for sh in self.shelters}
        perm, sandang = profile.item_for("permakanan"), profile.item_for("sandang")
        self.perm_code = perm.code if perm else None
        self.perm_rate = exact(perm.rate) if perm else _ZERO
        self.sandang_code = sandang.code if sandang else None
        self.sandang_rate = exact(sandang.rate) if sandang else _ZERO
        self.sandang_everyone = rules.sandang_met_by_everyone(sandang)
        self.n_meals = len(profile.meal_times)
        self.area_per_person = exact(profile.covered_area_m2_per_person)
        self.per_toilet = exact(profile.persons_per_toilet)
        self.codes = {i.code for i in profile.items}
        self.once_items = [i for i in profile.items if i.basis in ONCE_BASES]
        self.once_codes = {i.code for i in self.once_items}
        # the once-only items a resident is provided with or not, person by person: (code, rate, per person,
        # the vulnerabilities it applies to); those of a household are judged per household
        self.person_items = [(i.code, exact(i.rate), i.basis == "per_person_once", frozenset(i.applies_to))
                             for i in self.once_items if i.basis != "per_household_once" and exact(i.rate) > 0]
        self.orders: dict[str, list[str]] = {}  # household → members in the order they take places (cached)
        self.exact_of: dict[float, tuple[Decimal, Decimal]] = {}  # quantity → (as written, as the stock rules sum it)
        as_of = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
        self.as_of = as_of
        self.as_of_ts = as_of.timestamp()
        self.today = as_of.astimezone(tz).date()
        # instants recorded after as_of (a check-in, check-out or service recorded ahead, a phone's clock
        # running fast) with their person: when one comes due, that person is located and judged again
        self.due: list[tuple[float, str]] = []
        # which stays each person has; the first local day (the meal slots start there)
        self.stays_of: dict[str, list[str]] = {}  # a list: most persons have one or two stays
        first_ts = inf
        for sid, st in stays.items():
            self.stays_of.setdefault(st.person_id, []).append(sid)
            ci = _ts(st.check_in)
            self._note_future(st.person_id, ci, None if st.check_out is None else _ts(st.check_out))
            if ci <= self.as_of_ts and st.person_id in persons and ci < first_ts:
                first_ts = ci
        self.first_day = self.today
        if first_ts < inf:
            self.first_day = min(self.today, datetime.fromtimestamp(first_ts, UTC).astimezone(tz).date())
        self._clock()
        for pid, kinds in services.items():
            for at, _ in kinds.values():
                self._note_future(pid, at)
        self.households: dict[str, set[str]] = {}
        for pid, p in persons.items():
            if p.household_id is not None:
                self.households.setdefault(p.household_id, set()).add(pid)
        # delivered sums
        self.total: dict[str, Decimal] = dict.fromkeys(self.codes, _ZERO)
        self.perm_shelter: dict[str, dict[int, Decimal]] = {}
        self.perm_unit: dict[tuple[str, str], dict[int, Decimal]] = {}
        self.sandang_person: dict[str, Decimal] = {}
        self.sandang_household: dict[str, Decimal] = {}
        self.own: dict[str, dict[str, Decimal]] = {}  # once-only items: code → person → Σ
        self.household_got: dict[str, dict[str, Decimal]] = {}  # code → household → Σ
        self.pool: dict[str, dict[str, Decimal]] = {}  # code → shelter → Σ (to the shelter itself)
        self.drawn: dict[tuple[str, str], Decimal] = {}  # stock: Σ per (shelter, item) as the stock rules sum
        self.perm_to_person: dict[str, int] = {}  # person → permakanan totals naming them without a shelter
        self.source_deliveries = deliveries  # the live inputs' totals, current; `Changes` holds the values before
        for key, d in deliveries.items():
            self._apply_delivery(key, d, +1)
        self.today_meals = self._meals_by_shelter(today_meals)
        # places, persons, outcomes
        self.places: dict[Place, _PlaceState] = {}
        self.located: dict[str, _Located] = {}
        self.outcomes: dict[str, _Outcome] = {}
        self.flag_counts = [0] * len(FLAGS)  # per flag, how many persons carry it
        # the keyed ones by kind ("hh": households with someone displaced, "dset", "kres", "kman", "lack",
        # "unmet_at"), each holding only non-zero keys: a kind is read without walking the others
        self.families: dict[str, dict[Any, int]] = {kind: {} for kind in FAMILIES}
        self.unmet: dict[str, dict[str, Any]] = {}  # person id → unmet entry
        self.unmet_ids = SortedList()  # their ids in order (the stored list's order; iterating it is fast)
        self.unmet_text: dict[str, str] = {}  # each entry as JSON, made when the person is judged
        # for storing the list by difference (`unmet_changes`): the persons whose entry changed since the
        # state's last stored writing, and that writing's token (None: nothing stored yet, write it all)
        self.unmet_changed: set[str] = set()
        self.unmet_token: str | None = None
        self.presence_total = 0
        self.household_counters: dict[str, tuple[Any, ...]] = {}  # per household: its once-only household items lacking
        self.rows: dict[str, dict[str, Any]] = {}
        self.dirty_rows: set[str] = set(self.shelter_pos)  # shelter rows to put together again
        for pid in persons:
            self._relocate(pid)
        for place in list(self.places):
            self._evaluate_place(place)
        for pid in persons:
            self._judge(pid)
        for h in self.households:
            self._judge_household(h)

    def _clock(self) -> None:
        """The meal slots up to as_of from the first day, and the instant they next change."""
        tz = self.tz
        self.slot_ts, self.slot_day, self.day_starts = meal_slots(self.first_day, self.today, self.profile.meal_times,
                                                                  tz, self.as_of_ts)
        self.n_slots = len(self.slot_ts)
        self.first_day_ts = self.day_starts[0]
        self.today_di = len(self.day_starts) - 1
        self.first_today = bisect_left(self.slot_day, self.today_di)
        times = sorted(self.profile.meal_times)
        self.meal_instants = [datetime.combine(self.today, mt.replace(tzinfo=None), tzinfo=tz).timestamp()
                              for mt in times]
        self.meal_labels = [mt.strftime("%H:%M") for mt in times]
        tomorrow = datetime.combine(self.today + timedelta(days=1), time(0), tzinfo=tz).timestamp()
        self.boundary = min([t for t in self.meal_instants if t > self.as_of_ts] + [tomorrow])
        self.day_names = [datetime.fromtimestamp(ts, UTC).astimezone(tz).date().isoformat() for ts in self.day_starts]

    def _advance_clock(self) -> set[str]:
        """Time passed a meal time or midnight: the meal slots up to the new `as_of` (the old ones are their
        prefix: nothing before changes), every place's difference array as long, every shelter row to
        put together again. Returns the persons with an open stay — their ranges reach the new meal times
        (relocating them moves each place's presence by exactly the presences the new slots add) — and, when
        a new day began, those present at a meal time of the day before (no longer "today")."""
        old_n, old_first_today, old_today = self.n_slots, self.first_today, self.today
        self.today = self.as_of.astimezone(self.tz).date()
        self._clock()
        grow = [0] * (self.n_slots - old_n)
        open_now: set[str] = set()
        for place, state in self.places.items():
            state.diff.extend(grow)
            open_now |= state.occupants
            if self.today != old_today:
                located = self.located
                open_now.update(pid for pid in state.members
                                if (r := located[pid].where[place].ranges) and r[-1][1] > old_first_today)
        self.dirty_rows.update(self.shelter_pos)
        return open_now

    def _note_future(self, pid: str, *instants: float | None) -> None:
        for at in instants:
            if at is not None and at > self.as_of_ts:
                heappush(self.due, (at, pid))

    def _meals_by_shelter(self, today_meals: Sequence[tuple[str, float, float]]) -> dict[str, list[tuple[float, float]]]:
        out: dict[str, list[tuple[float, float]]] = {}
        for sid, ts, qty in today_meals:
            out.setdefault(sid, []).append((ts, qty))
        for rows in out.values():
            rows.sort()
        return out

    # ---- deliveries -----------------------------------------------------------------------------------

    def _add(self, table: dict[Any, Any], key: Any, q: Decimal) -> None:
        value = table.get(key, _ZERO) + q
        if value == 0:
            table.pop(key, None)
        else:
            table[key] = value

    def _apply_delivery(self, key: Any, d: DeliveryIn, sign: int) -> tuple[set[str], set[str], set[Place]]:
        """Add (sign +1) or take back (-1) one delivery total; returns the persons, households and places
        whose figures it moves."""
        code, qty, at, to_shelter, to_person, to_household = d
        persons: set[str] = set()
        households: set[str] = set()
        places: set[Place] = set()
        pair = self.exact_of.get(qty)
        if pair is None:  # a few distinct quantities among tens of thousands of totals
            pair = self.exact_of[qty] = (exact(qty), Decimal(repr(float(qty))))
        if to_shelter:
            self._add(self.drawn, (to_shelter, code), pair[1] * sign)
        if code not in self.codes:
            return persons, households, places
        at = _ts(at)
        if at > self.as_of_ts:  # the live inputs hand such totals to the plain loader; never here
            raise Unsupported("a delivery total after as_of")
        q = pair[0] if sign > 0 else -pair[0]
        self.total[code] += q
        if code == self.perm_code and to_shelter is not None:
            di = bisect_right(self.day_starts, at) - 1
            if di >= 0:
                days = self.perm_shelter.setdefault(to_shelter, {})
                self._add(days, di, q)
                places.add(("s", to_shelter))
        elif code == self.perm_code and (to_person is not None or to_household is not None):
            unit: tuple[str, str] | None = None
            if to_person is not None:
                self.perm_to_person[to_person] = self.perm_to_person.get(to_person, 0) + sign
                p = self.persons.get(to_person)
                if p is not None:
                    unit = rules.meal_unit(p.household_id, to_person)
            elif to_household is not None:
                unit = ("h", to_household)
            di = bisect_right(self.day_starts, at) - 1
            if unit is not None and di >= 0:
                self._add(self.perm_unit.setdefault(unit, {}), di, q)
                places.add(("u", unit))
        if code == self.sandang_code:
            if to_person is not None:
                self._add(self.sandang_person, to_person, q)
                persons.add(to_person)
            elif to_household is not None:
                self._add(self.sandang_household, to_household, q)
                households.add(to_household)
        if code in self.once_codes:
            if to_person is not None:
                self._add(self.own.setdefault(code, {}), to_person, q)
                persons.add(to_person)
            elif to_household is not None:
                self._add(self.household_got.setdefault(code, {}), to_household, q)
                households.add(to_household)
            elif to_shelter is not None:
                self._add(self.pool.setdefault(code, {}), to_shelter, q)
                places.add(("s", to_shelter))
        return persons, households, places

    # ---- where a person stayed ------------------------------------------------------------------------

    def _relocate(self, pid: str) -> set[Place]:
        """Locate `pid` again from their stays; returns the places they were or are in."""
        old = self.located.pop(pid, None)
        touched: set[Place] = set(old.where) if old is not None else set()
        if old is not None:
            for old_place, w in old.where.items():
                self._move(self.places[old_place], pid, w, -1)
        p = self.persons.get(pid)
        if p is None:
            return touched
        as_of_ts = self.as_of_ts
        by_place: dict[Place, list[tuple[float, float | None]]] = {}
        is_open: dict[Place, bool] = {}
        has_shelter = open_shelter = open_mandiri = False
        latest: tuple[float, int, Any, bool] | None = None
        mandiri_kel: set[str] = set()
        unit = rules.meal_unit(p.household_id, pid)
        for sid in self.stays_of.get(pid, ()):
            _, shelter_id, ci_at, co_at, kelurahan = self.stays[sid]
            ci = _ts(ci_at)
            if ci > as_of_ts:
                continue
            co = None if co_at is None else _ts(co_at)
            if ci < self.first_day_ts:
                raise Unsupported("a stay before the first local day")
            if co is not None and co > as_of_ts:
                co = None
            place: Place
            if shelter_id is None:
                place = ("u", unit)
                if co is None:
                    open_mandiri = True
                    mandiri_kel.add(kelurahan or "")
                cand: tuple[float, int, Any, bool] = (ci, 0, kelurahan, co is None)
            else:
                if shelter_id not in self.shelter_pos:
                    raise Unsupported("a stay in a shelter the event does not list")
                place = ("s", shelter_id)
                has_shelter = True
                open_shelter = open_shelter or co is None
                cand = (ci, 1, shelter_id, co is None)
            by_place.setdefault(place, []).append((ci, co))
            is_open[place] = is_open.get(place, False) or co is None
            if latest is None or self._rank(cand) > self._rank(latest):
                latest = cand
        where = {place: _Where(_ranges(spans, self.slot_ts), is_open[place]) for place, spans in by_place.items()}
        self.located[pid] = _Located(where, bool(where), has_shelter, open_shelter, open_mandiri, latest,
                                     frozenset(mandiri_kel) if mandiri_kel else _NO_KELURAHAN)
        for place, w in where.items():
            state = self.places.get(place)
            if state is None:
                state = self.places[place] = self._new_place()
            self._move(state, pid, w, +1)
        touched.update(where)
        return touched

    def _new_place(self) -> _PlaceState:
        return _PlaceState(diff=[0] * (self.n_slots + 1))

    def _move(self, state: _PlaceState, pid: str, w: _Where, sign: int) -> None:
        """A person's stays in a place enter (+1) or leave (-1) its presence and occupants."""
        if sign > 0:
            state.members.add(pid)
            if w.open:
                state.occupants.add(pid)
        else:
            state.members.discard(pid)
            state.occupants.discard(pid)
        diff = state.diff
        for lo, hi in w.ranges:
            diff[lo] += sign
            diff[hi] -= sign
            self.presence_total += (hi - lo) * sign

    def _rank(self, place: tuple[float, int, Any, bool]) -> tuple[float, int, Any, bool]:
        ci, is_shelter, where, is_open = place
        return place_rank(ci, is_shelter, self.shelter_pos[where] if is_shelter else where, is_open)

    # ---- places ---------------------------------------------------------------------------------------

    def _evaluate_place(self, place: Place) -> set[int]:
        """Presence per day and uncovered days of one place again; returns the days whose verdict changed."""
        state = self.places[place]
        n_slots = self.n_slots
        per_day = state.day_presence = presence_by_day(state.diff, self.slot_day, len(self.day_starts))
        bad: tuple[int, ...] = ()
        if self.perm_code is not None and self.n_meals and n_slots:
            delivered = (self.perm_shelter if place[0] == "s" else self.perm_unit).get(place[1], {})
            bad = tuple(sorted(rules.uncovered_days(per_day, delivered, self.perm_rate, self.n_meals)))
        changed = set(bad).symmetric_difference(state.bad_days)
        state.bad_days = bad
        if not state.members and place[0] == "u":
            del self.places[place]
        return changed

    # ---- a person's outcome ---------------------------------------------------------------------------

    def _sandang_met(self, pid: str, p: PersonIn) -> bool:
        """docs/rules.md, "Sandang places of a household" (engine.sandang_met, for one person)."""
        if self.sandang_everyone:
            return True
        if rules.own_sandang_met(self.sandang_person.get(pid, _ZERO), self.sandang_rate):
            return True
        h = p.household_id
        if h is None:
            return False
        n_places = rules.household_places(self.sandang_household.get(h, _ZERO), self.sandang_rate)
        return n_places > 0 and pid in self._household_order(h)[:n_places]

    def _household_order(self, household: str) -> list[str]:
        """rules.household_order for one household (cached until a member changes: `_update` forgets it)."""
        order = self.orders.get(household)
        if order is None:
            def rank(pid: str) -> tuple[float, str]:
                reg = self.persons[pid].registered_at
                return (inf if reg is None else _ts(reg), pid)
            order = self.orders[household] = sorted(self.households.get(household, ()), key=rank)
        return order

    def _first_service(self, pid: str, kind: str) -> bool:
        found = self.services.get(pid, {}).get(kind)
        return found is not None and found[0] <= self.as_of_ts

    def _judge(self, pid: str) -> None:
        """The outcome of one person again, its counters swapped into the sums."""
        old = self.outcomes.pop(pid, None)
        if old is not None:
            self._count(old.flags, old.keys, -1)
            if old.unmet is not None:
                del self.unmet[pid]
                self.unmet_ids.remove(pid)
                old_text: str | None = self.unmet_text.pop(pid)
            else:
                old_text = None
        else:
            old_text = None
        if self._judge_person(pid) != old_text:
            self.unmet_changed.add(pid)

    def _judge_person(self, pid: str) -> str | None:
        """`_judge`'s work for one person whose old outcome is taken out; returns their unmet entry's JSON."""
        p = self.persons.get(pid)
        if p is None:
            return None
        loc = self.located[pid]
        _, household, sex, cond, vulns, needs_psy, _ = p
        m = _REGISTERED  # the flags this person counts for
        keys: list[Any] = []  # and the keyed counts
        if sex in ("L", "P"):
            m |= BIT["sex:" + sex]
        for v in vulns:
            if v in VULNERABILITIES:
                m |= BIT["vuln:" + v]
        stayed = loc.has_stay
        if stayed:
            m |= BIT["displaced"]
            if vulns:
                keys.append(("dset", vulns))
            if household is not None:
                keys.append(("hh", household))
        gone = cond in rules.GONE
        if cond == "luka":
            m |= BIT["injured"]
        elif cond == "hilang":
            m |= BIT["missing"]
        elif cond == "meninggal":
            m |= BIT["dead"]
        open_now = loc.open_shelter or loc.open_mandiri
        if not gone:
            m |= BIT["where:" + rules.displacement(stayed, open_now)]
            if open_now:
                if loc.open_shelter:
                    m |= BIT["in_shelters_now"]
                if loc.open_mandiri:
                    m |= BIT["mandiri_now"]
            keys.extend({("kres", self.shelter_kel[place[1]])  # once per kelurahan, however many shelters
                         for place, w in loc.where.items() if place[0] == "s" and w.open})
            for code in loc.mandiri_kelurahan:
                keys.append(("kman", code))
        # permakanan: present at a meal time of an uncovered day of one of their places
        failed: list[tuple[int, int]] = []
        perm_fail = False
        present_today = failed_today = False
        for place, w in loc.where.items():
            if not w.ranges:
                continue
            if w.ranges[-1][1] > self.first_today:
                present_today = True
            bad = self.places[place].bad_days
            if not bad:
                continue
            if bad[-1] == self.today_di and w.ranges[-1][1] > self.first_today:
                failed_today = True
            s = self.shelter_pos[place[1]] if place[0] == "s" else -1
            for lo, hi in w.ranges:
                first, last = self.slot_day[lo], self.slot_day[hi - 1]
                days = bad[bisect_left(bad, first):bisect_right(bad, last)]
                if days:
                    perm_fail = True
                    failed.extend((d, s) for d in days)
        lacks_sandang = not self._sandang_met(pid, p)
        self.outcomes[pid] = _Outcome(0, (), None, lacks_sandang)  # `_provided` reads the sandang verdict
        self._lack_counters(pid, p, loc, keys)
        unmet_entry = None
        if rules.is_eligible(cond, stayed):
            m |= BIT["eligible"]
            lacking: list[str] = []
            if perm_fail:
                lacking.append("permakanan")
            else:
                m |= BIT["perm_met"]
            if lacks_sandang:
                lacking.append("sandang")
            else:
                m |= BIT["sandang_met"]
            if loc.has_shelter:
                m |= BIT["shelter_eligible"]
            if vulns and rules.needs_special_handling(vulns):
                m |= BIT["special_eligible"]
                if self._first_service(pid, "penanganan_khusus"):
                    m |= BIT["special_met"]
                else:
                    lacking.append("penanganan_khusus")
            if needs_psy:
                m |= BIT["psy_eligible"]
                if self._first_service(pid, "psikososial"):
                    m |= BIT["psy_met"]
                else:
                    lacking.append("psikososial")
            if not lacking:
                m |= BIT["fulfilled"]
            else:
                unmet_entry = self._unmet_entry(pid, p, lacking, failed, loc)
                place = unmet_entry["place"]
                if place is not None and place["shelter_id"] is not None:
                    keys.append(("unmet_at", place["shelter_id"]))
        if present_today and not gone:
            m |= BIT["today_eligible"]
            if not failed_today:
                m |= BIT["today_fulfilled"]
        outcome = self.outcomes[pid] = _Outcome(m, tuple(keys), unmet_entry, lacks_sandang)
        self._count(outcome.flags, outcome.keys, +1)
        if unmet_entry is not None:
            self.unmet[pid] = unmet_entry
            self.unmet_ids.add(pid)
            text = self.unmet_text[pid] = to_json(unmet_entry).decode()
            return text
        return None

    def _unmet_entry(self, pid: str, p: PersonIn, lacking: list[str], failed: list[tuple[int, int]],
                     loc: _Located) -> dict[str, Any]:
        """shortfalls.explain_unmet, for one person."""
        if "permakanan" in lacking:
            days = sorted(set(failed), key=lambda x: (-x[0], x[1]))
        else:
            days = []
        shelter_ids = self.shelter_ids
        meal_days = [{"date": self.day_names[d], "shelter_id": shelter_ids[s] if s >= 0 else None}
                     for d, s in days[:MEAL_DAYS_SHOWN]]
        place = None
        if loc.latest is not None:
            _, is_shelter, where, is_open = loc.latest
            place = place_entry(is_shelter, where, is_open)
        sandang_missing = [self.sandang_code] if self.sandang_code is not None else []
        return {"person_id": pid, "missing": lacking, "vulnerabilities": sorted(p.vulnerabilities), "place": place,
                "meal_days": meal_days, "meal_days_total": len(days),
                "items_missing": sandang_missing if "sandang" in lacking else []}

    def _count(self, flags: int, keys: Iterable[Any], sign: int) -> None:
        counts, families = self.flag_counts, self.families
        while flags:
            low = flags & -flags
            counts[low.bit_length() - 1] += sign
            flags ^= low
        for key in keys:
            table = families[key[0]]
            if key[0] == "lack" or key[0] == "unmet_at":
                self.dirty_rows.add(key[1])
            after = table.get(key, 0) + sign
            if after:
                table[key] = after
            else:
                table.pop(key, None)

    def _lack_counters(self, pid: str, p: PersonIn, loc: _Located, keys: list[Any]) -> None:
        """shortfalls.shelter_lacks, one resident's part: per shelter they are a resident of (an open stay;
        not missing or dead), each once-only item (not per household) they count as not provided with."""
        shelters = [place[1] for place, w in loc.where.items() if place[0] == "s" and w.open]
        if not shelters or p.condition in rules.GONE:
            return
        for code, rate, per_person, wanted in self.person_items:
            if not per_person and not (p.vulnerabilities and self._applies(pid, wanted, False)):
                continue
            if not self._provided(pid, code, rate, wanted, per_person):
                for sid in shelters:
                    keys.append(("lack", sid, code))

    def _judge_household(self, household: str) -> None:
        """shortfalls.shelter_lacks, one household's part: each household item (per_household_once) it is
        not provided with, counted at its home shelter (the first, in the snapshot's order, with a resident)."""
        old = self.household_counters.pop(household, None)
        if old is not None:
            self._count(0, old, -1)
        items = [i for i in self.once_items if i.basis == "per_household_once" and exact(i.rate) > 0]
        members = self.households.get(household)
        if not items or not members:
            return
        home = self._home_shelter(household)
        if home is None:
            return
        keys: list[Any] = []
        for item in items:
            total = self.household_got.get(item.code, {}).get(household, _ZERO)
            own = self.own.get(item.code, {})
            for member in members:
                total += own.get(member, _ZERO)
            if total < exact(item.rate):
                keys.append(("lack", home, item.code))
        self.household_counters[household] = tuple(keys)
        self._count(0, keys, +1)

    # ---- a shelter's row ------------------------------------------------------------------------------

    def _shelter_row(self, shelter_id: str) -> None:
        """engine.shelter_rows and shortfalls.meals_by_time / shelter_lacks, for one shelter (without
        `unmet_persons`, counted from the outcomes when the snapshot is put together)."""
        sh = self.shelters[self.shelter_pos[shelter_id]]
        state = self.places.get(("s", shelter_id)) or _PlaceState()
        n_occ = len(state.occupants)
        due_today: Fraction = Fraction(0)
        got_today = _ZERO
        if self.perm_code is not None:
            presence_today = state.day_presence[self.today_di] if state.day_presence else 0
            due_today = rules.meals_due(self.perm_rate, presence_today, self.n_meals)
            got_today = self.perm_shelter.get(shelter_id, {}).get(self.today_di, _ZERO)
        row = shelter_row(sh, n_occ, due_today, got_today, self.area_per_person, self.per_toilet)
        row["meals_today"] = self._meals_today(shelter_id, state)
        row["lacking_items"] = self._lacks(shelter_id)
        self.rows[shelter_id] = row

    def _meals_today(self, shelter_id: str, state: _PlaceState) -> list[dict[str, Any]]:
        if self.perm_code is None or not self.n_meals:
            return []
        day_start = self.day_starts[self.today_di]
        delivered = [_ZERO] * self.n_meals
        for ts, qty in self.today_meals.get(shelter_id, ()):
            if ts > self.as_of_ts or ts < day_start:
                continue
            delivered[meal_time_of(self.meal_instants, ts)] += exact(qty)
        counts = []  # present(S, t) at today's meal times so far: the running sum of the difference array
        running = 0
        for i, d in enumerate(state.diff[:self.n_slots]):
            running += d
            if i >= self.first_today:
                counts.append(running)
        return meal_time_rows(self.meal_labels, self.meal_instants, counts, delivered, self.perm_rate, self.as_of_ts)

    def _home_shelter(self, household: str) -> str | None:
        """The first shelter (in the snapshot's order) with a resident of the household (shelter_lacks)."""
        best: tuple[int, str] | None = None
        for pid in self.households.get(household, ()):
            p = self.persons[pid]
            if p.condition in rules.GONE:
                continue
            for place, w in self.located[pid].where.items():
                if place[0] == "s" and w.open:
                    cand = (self.shelter_pos[place[1]], place[1])
                    if best is None or cand < best:
                        best = cand
        return best[1] if best is not None else None

    def _lacks(self, shelter_id: str) -> list[dict[str, Any]]:
        """shortfalls.shelter_lacks for one shelter: the once-only items its residents lack now."""
        out: list[dict[str, Any]] = []
        for item in self.once_items:
            rate = exact(item.rate)
            if rate <= 0:
                continue
            code = item.code
            unprovided = self.families["lack"].get(("lack", shelter_id, code), 0)  # residents' and households' parts
            places = rules.household_places(self.pool.get(code, {}).get(shelter_id, _ZERO), rate)
            lacking = max(0, unprovided - places)
            if lacking:
                out.append({"item_code": code, "unit": item.unit, "quantity": float(Fraction(rate) * lacking)})
        return out

    def _applies(self, pid: str, wanted: frozenset[str], per_person: bool) -> bool:
        return per_person or not wanted.isdisjoint(self.persons[pid].vulnerabilities)

    def _provided(self, pid: str, code: str, rate: Decimal, wanted: frozenset[str], per_person: bool) -> bool:
        """Whether a resident is provided with a once-only item (shortfalls._provided_by_rule; for the
        sandang item the engine's own verdict)."""
        if code == self.sandang_code:
            return not self.outcomes[pid].lacks_sandang
        if rules.own_sandang_met(self.own.get(code, {}).get(pid, _ZERO), rate):
            return True
        h = self.persons[pid].household_id
        if h is None:
            return False
        n_places = rules.household_places(self.household_got.get(code, {}).get(h, _ZERO), rate)
        if n_places <= 0:
            return False
        return pid in [m for m in self._household_order(h) if self._applies(m, wanted, per_person)][:n_places]

    # ---- keeping up -----------------------------------------------------------------------------------

    def current(self, shelters: Sequence[ShelterIn], as_of: datetime) -> bool:
        """Whether this state can be brought to `as_of` with these shelters by `update` (else: build anew)."""
        as_of_ts = (as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)).timestamp()
        return tuple(shelters) == self.shelters and self.as_of_ts <= as_of_ts

    def update(self, event: EventIn, changes: Changes, today_meals: Sequence[tuple[str, float, float]],
               as_of: datetime) -> None:
        """Apply what changed (rows already replaced in the live inputs' mappings) and move to `as_of`.
        Raises Unsupported when it cannot; the state is then unusable and must be built anew."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            with localcontext() as ctx:
                ctx.prec = 80
                self._update(event, changes, today_meals, as_of)
        finally:
            if collecting:
                gc.enable()

    def _update(self, event: EventIn, changes: Changes, today_meals: Sequence[tuple[str, float, float]],
                as_of: datetime) -> None:
        as_of = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
        self.event = event
        self.as_of, self.as_of_ts = as_of, as_of.timestamp()
        timed: set[str] = set()  # persons whose open stays reach the meal times that passed
        advanced = self.as_of_ts >= self.boundary
        if advanced:
            timed = self._advance_clock()
        dirty: set[str] = set()
        while self.due and self.due[0][0] <= self.as_of_ts:  # recorded ahead, come due now
            dirty.add(heappop(self.due)[1])
        households: set[str] = set()
        places: set[Place] = set()
        for pid, before in changes.persons.items():
            after = self.persons.get(pid)
            if (before is None) != (after is None) or (
                    before is not None and after is not None and before.household_id != after.household_id):
                if self.perm_to_person.get(pid):
                    raise Unsupported("the meal unit of deliveries by name moves")
            for row in (before, after):
                if row is not None and row.household_id is not None:
                    households.add(row.household_id)
            if before is not None and before.household_id is not None:
                self.households.get(before.household_id, set()).discard(pid)
            if after is not None and after.household_id is not None:
                self.households.setdefault(after.household_id, set()).add(pid)
            dirty.add(pid)
        for sid, stay_before in changes.stays.items():
            stay_after = self.stays.get(sid)
            if stay_before is not None:
                held = self.stays_of.get(stay_before.person_id)
                if held is not None and sid in held:
                    held.remove(sid)
                dirty.add(stay_before.person_id)
            if stay_after is not None:
                held = self.stays_of.setdefault(stay_after.person_id, [])
                if sid not in held:
                    held.append(sid)
                dirty.add(stay_after.person_id)
                out = stay_after.check_out
                self._note_future(stay_after.person_id, _ts(stay_after.check_in), None if out is None else _ts(out))
        for pid in changes.services:
            for at, _ in self.services.get(pid, {}).values():
                self._note_future(pid, at)
            dirty.add(pid)
        for key, delivery_before in changes.deliveries.items():
            if delivery_before is not None:
                moved = self._apply_delivery(key, delivery_before, -1)
                dirty |= moved[0]
                households |= moved[1]
                places |= moved[2]
            delivery_after = self.source_deliveries.get(key)
            if delivery_after is not None:
                moved = self._apply_delivery(key, delivery_after, +1)
                dirty |= moved[0]
                households |= moved[1]
                places |= moved[2]
        meals = self._meals_by_shelter(today_meals)
        for sid in meals.keys() | self.today_meals.keys():
            if meals.get(sid) != self.today_meals.get(sid):
                places.add(("s", sid))
        self.today_meals = meals
        for pid in list(dirty):
            for row in (changes.persons.get(pid), self.persons.get(pid)):
                if row is not None and row.household_id is not None:
                    households.add(row.household_id)
        for h in households:
            dirty |= self.households.get(h, set())
            self.orders.pop(h, None)
        # the persons' new places, the places' new figures, who must be judged again
        if advanced:
            places.update(self.places)  # every place's days are longer; a passed meal time may flip today
        judge = dirty | timed
        for pid in judge:
            places |= self._relocate(pid)
        for place in places:
            if place not in self.places:  # nobody ever stayed there: no presence, no one to judge
                continue
            flipped = self._evaluate_place(place)
            if flipped and place in self.places:
                judge |= self._present_on(place, flipped)
        for pid in judge:
            self._judge(pid)
        for h in households:
            self._judge_household(h)
        # a shelter's row moves with its presence, occupants, meals and pool (here) and with its lacking and
        # unmet counts (`_count`); nothing in it moves with as_of alone between two boundaries
        self.dirty_rows.update(place[1] for place in places if place[0] == "s")

    def _present_on(self, place: Place, days: set[int]) -> set[str]:
        """The members of a place present at a meal time of one of `days` (their verdicts may change)."""
        slot_day = self.slot_day
        lo_day, hi_day = min(days), max(days)
        found = set()
        for pid in self.places[place].members:
            for lo, hi in self.located[pid].where[place].ranges:
                first, last = slot_day[lo], slot_day[hi - 1]
                if first <= hi_day and last >= lo_day and any(first <= d <= last for d in days):
                    found.add(pid)
                    break
        return found

    # ---- the snapshot ---------------------------------------------------------------------------------

    def snapshot(self, *, with_unmet: bool = True) -> dict[str, Any]:
        """The snapshot `compute_snapshot` gives for the same inputs at this `as_of` (with `unmet`; an empty
        one when not `with_unmet`: the worker stores the list from `unmet_changes`, and 14,000 entries
        gathered into a list it does not read cost milliseconds)."""
        counts = self.flag_counts

        def get(flag: str, _: int = 0) -> int:
            return counts[FLAG_INDEX[flag]]
        vulnerable = {v: get("vuln:" + v, 0) for v in VULNERABILITIES}
        kelurahan = []
        kres, kman = self.families["kres"], self.families["kman"]
        for code in sorted({k[1] for k in kres} | {k[1] for k in kman}):
            n_res, n_man = kres.get(("kres", code), 0), kman.get(("kman", code), 0)
            if n_res or n_man:
                kelurahan.append({"kelurahan_code": code, "in_shelters_now": n_res, "mandiri_now": n_man})
        people = {
            "registered": get("registered", 0),
            "displaced_now": get("where:displaced_now", 0),
            "in_shelters_now": get("in_shelters_now", 0),
            "mandiri_now": get("mandiri_now", 0),
            "returned": get("where:returned", 0),
            "affected": get("where:affected", 0),
            "injured": get("injured", 0),
            "missing": get("missing", 0),
            "dead": get("dead", 0),
            "by_sex": {"L": get("sex:L", 0), "P": get("sex:P", 0)},
            "vulnerable": vulnerable,
            "staying_by_kelurahan": kelurahan,
        }
        eligible, fulfilled = get("eligible", 0), get("fulfilled", 0)
        shelter_eligible = get("shelter_eligible", 0)
        per_service = {"permakanan": (eligible, get("perm_met", 0)), "sandang": (eligible, get("sandang_met", 0)),
                       "tempat_penampungan": (shelter_eligible, shelter_eligible),
                       "penanganan_khusus": (get("special_eligible", 0), get("special_met", 0)),
                       "psikososial": (get("psy_eligible", 0), get("psy_met", 0))}
        t_eligible, t_fulfilled = get("today_eligible", 0), get("today_fulfilled", 0)
        indicator = {
            "eligible": eligible,
            "fulfilled": fulfilled,
            "percent": percent(fulfilled, eligible),
            "target_percent": self.event.target_percent,
            "services": {code: {"eligible": per_service[code][0], "fulfilled": per_service[code][1]}
                         for code in SERVICES},
            "today": {"date": self.today.isoformat(), "permakanan": {
                "eligible": t_eligible, "fulfilled": t_fulfilled, "percent": percent(t_fulfilled, t_eligible)}},
        }
        displaced_sets = {k[1]: n for k, n in self.families["dset"].items()}
        needs = []
        for item in self.profile.items:
            required = rules.required(item, self.n_meals, self.presence_total, get("displaced", 0), displaced_sets,
                                      len(self.families["hh"]))
            got = Fraction(self.total[item.code])
            needs.append({"item_code": item.code, "unit": item.unit, "required": float(required),
                          "delivered": float(got), "gap": float(max(Fraction(0), required - got)),
                          "coverage_percent": percent(got, required)})
        for shelter_id in self.dirty_rows:
            if shelter_id in self.shelter_pos:
                self._shelter_row(shelter_id)
        self.dirty_rows.clear()
        shelters = []
        for sh in self.shelters:
            row = dict(self.rows[sh.id])
            row["unmet_persons"] = self.families["unmet_at"].get(("unmet_at", sh.id), 0)
            shelters.append(row)
        return {
            "event_id": self.event.id,
            "data_seq": self.event.data_seq,
            "as_of": self.as_of.astimezone(UTC).isoformat(),
            "standard_code": self.event.standard_code,
            "people": people,
            "indicator": indicator,
            "needs": needs,
            "shelters": shelters,
            "unmet": list(map(self.unmet.__getitem__, self.unmet_ids)) if with_unmet else [],
        }

    def unmet_changes(self) -> UnmetChanges:
        """What storing the unmet list by difference needs (shared/repositories/status.py:save_unmet_rows):
        the entries changed since this state's last stored writing (None: no longer unmet), and all of
        them for a writer that must write them all. Acknowledge a committed writing with
        `unmet_stored`."""
        text = self.unmet_text
        return UnmetChanges(base=self.unmet_token, token=uuid4().hex,
                            changed={pid: text.get(pid) for pid in self.unmet_changed},
                            everything=lambda: [(pid, text[pid]) for pid in self.unmet_ids])

    def unmet_stored(self, changes: UnmetChanges) -> None:
        """`changes` were committed: the rows are now this state's list as of then."""
        self.unmet_token = changes.token
        self.unmet_changed.difference_update(changes.changed)
