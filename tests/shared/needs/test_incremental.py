"""The incremental needs state (shared/needs/incremental.py) must give exactly the engine's snapshot.

Random events (shelters, households, persons of every condition and vulnerability, shelter and mandiri
stays, deliveries of every kind and recipient, services) take random sequences of changes — a
registration, an edit (condition, vulnerabilities, household), a check-in, transfer, check-out or a
removed stay, a delivery added, corrected or removed, a service, time passing (across meal times and
midnight too: the state advances by the presences the new meal times add) — and after each step the
state, brought up to date from the rows that changed, is
compared field by field with `compute_snapshot` on the same inputs. The engine is the definition; the
state is tested against it, never the other way round.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import to_json

from shared.needs.engine import compute_snapshot
from shared.needs.incremental import Changes, NeedsState, Unsupported
from shared.needs.model import DeliveryIn, EventIn, PersonIn, ServiceIn, ShelterIn, StayIn
from tests.shared.needs.builders import TZ, at, profile

PROFILE = profile()
ITEMS = [i.code for i in PROFILE.items] + ["terpal"]  # one item outside the profile
VULNS = ["balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas", "terpisah"]
MEAL = "makanan_siap_saji"
SHELTERS = [ShelterIn("S1", "Masjid", 40, 30.0, 1, "1275011001"), ShelterIn("S2", "Sekolah", 80, None, None, None),
            ShelterIn("S3", "Balai", 20, 200.0, 10, "1275011001")]


class World:
    """The live inputs' mappings, changed the way the catch-up changes them, with the values before."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.as_of = at(6, 13, 30)
        self.persons: dict[str, PersonIn] = {}
        self.stays: dict[str, StayIn] = {}
        self.deliveries: dict[Any, DeliveryIn] = {}
        self.services: dict[str, dict[str, tuple[float, int]]] = {}
        self.changes = Changes()
        self.n = 0
        for _ in range(rng.randint(3, 12)):
            self.register()
        for _ in range(rng.randint(2, 16)):
            self.check_in()
        for _ in range(rng.randint(0, 14)):
            self.deliver()
        for _ in range(rng.randint(0, 4)):
            self.serve()
        self.changes = Changes()

    def next_id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:03d}"

    def instant(self, earliest_day: int = 2) -> float:
        """A past instant between `earliest_day` and as_of (sometimes right at a meal time)."""
        lo = at(earliest_day, 0).timestamp()
        ts = self.rng.uniform(lo, self.as_of.timestamp())
        if self.rng.random() < 0.2:  # exactly at a meal time
            d = datetime.fromtimestamp(ts, TZ)
            ts = d.replace(hour=self.rng.choice([7, 12, 18]), minute=0, second=0, microsecond=0).timestamp()
            ts = min(ts, self.as_of.timestamp())
        return ts

    # ---- the rows, changed -----------------------------------------------------------------------------

    @staticmethod
    def _set(rows: dict[Any, Any], before: dict[Any, Any], key: Any, row: Any) -> None:
        """Replace (None: remove) one row, keeping its first value before in `before` (the catch-up's way)."""
        before.setdefault(key, rows.get(key))
        if row is None:
            rows.pop(key, None)
        else:
            rows[key] = row

    def set_person(self, pid: str, row: PersonIn | None) -> None:
        self._set(self.persons, self.changes.persons, pid, row)

    def set_stay(self, sid: str, row: StayIn | None) -> None:
        self._set(self.stays, self.changes.stays, sid, row)

    def set_delivery(self, key: Any, row: DeliveryIn | None) -> None:
        self._set(self.deliveries, self.changes.deliveries, key, row)

    def person_row(self, pid: str, household: str | None = None) -> PersonIn:
        r = self.rng
        vulns = frozenset(r.sample(VULNS, r.choice([0, 0, 0, 1, 2])))
        cond = r.choice(["selamat"] * 6 + ["luka", "hilang", "meninggal"])
        reg = None if r.random() < 0.2 else float(r.randint(0, 50))
        return PersonIn(pid, household, r.choice(["L", "P", "X"]), cond, vulns, r.random() < 0.3, reg)

    # ---- what a volunteer does -------------------------------------------------------------------------

    def register(self) -> None:
        household = self.rng.choice([None, "H1", "H2", "H3", "H4"])
        self.set_person(self.next_id("P"), self.person_row("", household)._replace(id=f"P{self.n:03d}"))

    def edit(self) -> None:
        if not self.persons:
            return self.register()
        pid = self.rng.choice(sorted(self.persons))
        row = self.person_row(pid, self.persons[pid].household_id)
        if self.rng.random() < 0.3:
            row = row._replace(household_id=self.rng.choice([None, "H1", "H2", "H5"]))
        self.set_person(pid, row._replace(registered_at=self.persons[pid].registered_at))

    def check_in(self) -> None:
        pids = sorted(self.persons) + ["P-unknown"]
        pid = self.rng.choice(pids)
        ci = self.instant()
        co = None
        if self.rng.random() < 0.3:
            co = self.rng.uniform(ci, self.as_of.timestamp() + 3600)
        if self.rng.random() < 0.05:  # checked in later than as_of (recorded ahead)
            ci = self.as_of.timestamp() + 600
        if self.rng.random() < 0.3:
            row = StayIn(pid, None, ci, co, self.rng.choice([None, "1275011001", "1275011002"]))
        else:
            row = StayIn(pid, self.rng.choice(SHELTERS).id, ci, co)
        self.set_stay(self.next_id("T"), row)

    def check_out(self) -> None:
        open_stays = sorted(k for k, v in self.stays.items() if v.check_out is None)
        if not open_stays:
            return self.check_in()
        sid = self.rng.choice(open_stays)
        row = self.stays[sid]
        co = self.rng.uniform(row.check_in, self.as_of.timestamp())
        self.set_stay(sid, row._replace(check_out=co))
        if self.rng.random() < 0.5:  # a transfer: in somewhere else from the check-out
            other = self.rng.choice([None] + [s.id for s in SHELTERS])
            self.set_stay(self.next_id("T"), StayIn(row.person_id, other, co, None, "1275011002" if other is None else None))

    def drop_stay(self) -> None:
        if self.stays:
            self.set_stay(self.rng.choice(sorted(self.stays)), None)

    def deliver(self) -> None:
        r = self.rng
        item = r.choice(ITEMS + [MEAL] * 4 + ["paket_sandang"] * 2)
        qty = r.choice([1.0, 2.0, 2.5, 10.0, 25.0, 0.4, 60.0])
        ts = self.instant(earliest_day=1)
        people = sorted(self.persons) + ["P-unknown"]
        to = r.choice(["shelter", "shelter", "person", "household", "none"])
        row = DeliveryIn(item, qty, ts,
                         shelter_id=r.choice(SHELTERS).id if to == "shelter" else None,
                         person_id=r.choice(people) if to == "person" else None,
                         household_id=r.choice(["H1", "H2", "H3", "H9"]) if to == "household" else None)
        self.set_delivery(self.next_id("D"), row)

    def correct_delivery(self) -> None:
        if not self.deliveries:
            return self.deliver()
        key = self.rng.choice(sorted(self.deliveries))
        if self.rng.random() < 0.4:
            self.set_delivery(key, None)
        else:
            self.set_delivery(key, self.deliveries[key]._replace(quantity=self.rng.choice([0.5, 3.0, 75.0])))

    def serve(self) -> None:
        pid = self.rng.choice(sorted(self.persons) + ["P-unknown"])
        self.changes.services.setdefault(pid, self.services.get(pid))
        kinds = dict(self.services.get(pid, {}))
        kind = self.rng.choice(["penanganan_khusus", "psikososial"])
        ts = self.instant() if self.rng.random() < 0.9 else self.as_of.timestamp() + 900
        first, n = kinds.get(kind, (ts, 0))
        kinds[kind] = (min(first, ts), n + 1)
        self.services[pid] = kinds

    def time_passes(self) -> None:
        self.as_of += timedelta(minutes=self.rng.choice([1, 5, 30, 200, 700]))

    # ---- the engine's view ----------------------------------------------------------------------------

    def today_meals(self) -> list[tuple[str, float, float]]:
        start = datetime.combine(self.as_of.astimezone(TZ).date(), datetime.min.time(), tzinfo=TZ).timestamp()
        return [(d.shelter_id, float(d.delivered_at), d.quantity) for d in self.deliveries.values()
                if d.item_code == MEAL and d.shelter_id is not None
                and start <= float(d.delivered_at) <= self.as_of.timestamp()]

    def event(self, seq: int) -> EventIn:
        return EventIn("ev-1", at(1, 0), PROFILE.code, seq, 100.0)

    def engine(self, seq: int) -> dict[str, Any]:
        as_of_ts = self.as_of.timestamp()
        services = [ServiceIn(pid, kind, first) for pid, kinds in self.services.items()
                    for kind, (first, _) in kinds.items() if first <= as_of_ts]
        return compute_snapshot(self.event(seq), PROFILE, list(self.persons.values()), SHELTERS,
                                list(self.stays.values()), list(self.deliveries.values()), services, self.as_of, TZ,
                                self.today_meals())

    def build(self, seq: int) -> NeedsState:
        return NeedsState(self.event(seq), PROFILE, SHELTERS, self.persons, self.stays, self.deliveries, self.services,
                          self.today_meals(), self.as_of, TZ)


def unmet_text(state: NeedsState) -> str:
    """The unmet list as its stored rows hold it (each entry's JSON), joined: byte for byte the engine's."""
    return "[" + ",".join(text for _, text in state.unmet_changes().everything()) + "]"


STEPS = ["register", "edit", "check_in", "check_out", "drop_stay", "deliver", "correct_delivery", "serve",
         "time_passes"]


def assert_equal(state: dict[str, Any], engine: dict[str, Any], step: str) -> None:
    for key in engine:
        if state.get(key) != engine[key]:
            if isinstance(engine[key], list):
                for i, (a, b) in enumerate(zip(state[key], engine[key], strict=False)):
                    assert a == b, f"after {step}: {key}[{i}] differs:\n state  {a}\n engine {b}"
            assert state.get(key) == engine[key], f"after {step}: {key} differs"
    assert state.keys() == engine.keys()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=25))
def test_the_state_equals_the_engine_after_every_change(seed: int, steps: list[str]) -> None:
    world = World(random.Random(seed))
    state = world.build(1)
    assert_equal(state.snapshot(), world.engine(1), "build")
    for seq, step in enumerate(steps, start=2):
        getattr(world, step)()
        try:
            if not state.current(SHELTERS, world.as_of):
                raise Unsupported("moved past a boundary")
            state.update(world.event(seq), world.changes, world.today_meals(), world.as_of)
        except Unsupported:
            state = world.build(seq)
        world.changes = Changes()
        engine = world.engine(seq)
        assert_equal(state.snapshot(), engine, step)
        assert unmet_text(state) == to_json(engine["unmet"]).decode()  # what is stored, byte for byte


def test_changes_within_a_meal_period_are_applied_not_rebuilt() -> None:
    """The everyday writes — registrations, check-ins, deliveries, services — move the state without a
    rebuild (a rebuild would hide a wrong update from the property test above)."""
    world = World(random.Random(7))
    state = world.build(1)
    for seq, step in enumerate(["register", "check_in", "deliver", "serve", "check_out", "deliver", "edit"] * 4, 2):
        if step == "edit":  # condition and vulnerabilities, same household
            pid = sorted(world.persons)[seq % len(world.persons)]
            before = world.persons[pid]
            world.set_person(pid, world.person_row(pid, before.household_id)._replace(registered_at=before.registered_at))
        else:
            getattr(world, step)()
        assert state.current(SHELTERS, world.as_of)
        try:
            state.update(world.event(seq), world.changes, world.today_meals(), world.as_of)
        except Unsupported as exc:  # only the documented reasons
            assert "meal unit" in str(exc) or "first local day" in str(exc)
            state = world.build(seq)
        world.changes = Changes()
        assert_equal(state.snapshot(), world.engine(seq), step)


@pytest.mark.parametrize("minutes", [5, 60 * 7, 60 * 24, 60 * 24 * 3])
def test_meal_times_and_midnight_passing_advance_the_state(minutes: int) -> None:
    """A meal time passing adds presences (everyone with an open stay is present at it) and may make the day
    uncovered; midnight starts a new day; check-ins, check-outs and services recorded ahead come due: the
    state advances by what they change, no rebuild."""
    advanced = 0
    for seed in range(80):
        world = World(random.Random(seed))
        state = world.build(1)
        world.as_of = at(6, 17, 58) + timedelta(minutes=minutes)  # past the 18:00 meal time (and more)
        assert state.current(SHELTERS, world.as_of)
        advanced += 1
        state.update(world.event(2), world.changes, world.today_meals(), world.as_of)
        engine = world.engine(2)
        assert_equal(state.snapshot(), engine, f"{minutes} minutes (seed {seed})")
        assert unmet_text(state) == to_json(engine["unmet"]).decode()
    assert advanced == 80  # instants recorded ahead come due on the way: their persons are judged again
