"""The one-pass daily series (shared/needs/daily.py) against the needs engine run at each day's end.

Moved from tests/shared/reports/test_event_report.py with the module it tests (issue 10: tests mirror the tree).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.needs.daily import daily_counts
from shared.needs.engine import compute_snapshot
from shared.needs.model import (
    DeliveryIn,
    EventIn,
    NeedsInputs,
    PersonIn,
    Profile,
    ServiceIn,
    ShelterIn,
    StayIn,
)
from shared.seed import load_json

WIB = ZoneInfo("Asia/Jakarta")


def day_end(day: date) -> datetime:
    """The last instant of a local day: the instant the report's series (shared/reports/event.py,
    `_day_end`) and the worker's end-of-day snapshot take for a finished day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=WIB) - timedelta(microseconds=1)


def _random_inputs(seed: int) -> tuple[NeedsInputs, date, datetime]:
    """A small random event (persons, households, transfers between shelters and mandiri stays, short
    meals to shelters, households and persons, clothing, services, times on a half-hour grid so meal
    times and midnights are hit exactly), all at or before as_of."""
    rng = random.Random(seed)
    code = rng.choice(["spm_binjai", "bnpb_perka_7_2008", "sphere_2018"])
    body = next(p for p in load_json("needs_profiles.json")["profiles"] if p["code"] == code)
    profile = Profile.from_body(body["code"], 1, body)
    start = datetime(2025, 12, 30, rng.randint(0, 23), 0, tzinfo=WIB)
    as_of = start + timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 23), minutes=rng.choice([0, 30]))
    span = int((as_of - start).total_seconds() // 1800)

    def when(lo: int = -4) -> datetime:
        return start + timedelta(minutes=30 * rng.randint(lo, span))

    shelters = [ShelterIn(id=f"S{i}", name=f"S{i}", capacity_persons=30) for i in range(3)]
    persons, stays = [], []
    for i in range(rng.randint(1, 28)):
        pid = f"P{i:02d}"
        vulns = frozenset(v for v in ("balita", "lansia", "ibu_hamil") if rng.random() < 0.15)
        persons.append(PersonIn(id=pid, household_id=rng.choice([None, "H0", "H1", "H2", "H3"]), sex=rng.choice("LP"),
                                condition=rng.choices(["selamat", "luka", "hilang", "meninggal"], [8, 2, 1, 1])[0],
                                vulnerabilities=vulns, needs_psychosocial=rng.random() < 0.2,
                                registered_at=None if rng.random() < 0.1 else when()))
        t = when()
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            out = t + timedelta(minutes=30 * rng.randint(0, 60))
            closed = rng.random() < 0.5
            place = None if rng.random() < 0.3 else rng.choice(shelters).id  # None: mandiri, with relatives
            stays.append(StayIn(person_id=pid, shelter_id=place, check_in=t, check_out=out if closed else None,
                                kelurahan_code="K1" if place is None else None))
            if not closed or out > as_of:
                break
            t = out + timedelta(minutes=30 * rng.randint(0, 4))
            if t > as_of:
                break
    perm = profile.item_for("permakanan")
    sandang = profile.item_for("sandang")
    deliveries = []
    for _ in range(rng.randint(0, 40)):
        if perm is not None:
            to = rng.choice([{"shelter_id": rng.choice(shelters).id}, {"shelter_id": rng.choice(shelters).id},
                             {"household_id": rng.choice(["H0", "H1", "H2", "H3"])},
                             {"person_id": rng.choice(persons).id}])  # the last two: meals of mandiri stays
            deliveries.append(DeliveryIn(item_code=perm.code, quantity=rng.choice([1, 2, 3, 5, 0.4, 1.2]),
                                         delivered_at=when(), **to))
    for _ in range(rng.randint(0, 12)):
        if sandang is not None:
            to = rng.choice([{"person_id": rng.choice(persons).id}, {"household_id": rng.choice(["H0", "H1", "H2"])},
                             {"person_id": rng.choice(persons).id, "shelter_id": "S0"}])
            deliveries.append(DeliveryIn(item_code=sandang.code, quantity=rng.choice([1, 1, 2, 0.5, 3]),
                                         delivered_at=when(), **to))
    services = [ServiceIn(person_id=rng.choice(persons).id, kind=rng.choice(["penanganan_khusus", "psikososial"]),
                          delivered_at=when(-40)) for _ in range(rng.randint(0, 12))]
    inputs = NeedsInputs(event=EventIn(id="E", started_at=start, standard_code=profile.code, data_seq=1),
                         profile=profile, persons=persons, shelters=shelters, stays=stays, deliveries=deliveries,
                         services=services)
    return inputs, start.date(), as_of


@pytest.mark.parametrize("seed", range(150))
def test_one_pass_daily_series_equals_the_engine_at_each_day_end(seed: int) -> None:
    """shared/needs/daily.py gives, for every day, the displaced, eligible and fulfilled counts of the needs
    engine run at that day's last instant (at as_of for the last day)."""
    inputs, first, as_of = _random_inputs(seed)
    counts = daily_counts(inputs, first, as_of, WIB)
    assert counts is not None
    last = as_of.astimezone(WIB).date()
    assert len(counts) == (last - first).days + 1
    for i, got in enumerate(counts):
        day = first + timedelta(days=i)
        at = as_of if day == last else day_end(day)
        snap = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                inputs.deliveries, inputs.services, at, WIB)
        assert got == (snap["people"]["displaced_now"], snap["indicator"]["eligible"],
                       snap["indicator"]["fulfilled"]), (seed, day.isoformat())
