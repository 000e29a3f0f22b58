"""Scale guard for the needs engine: 50,000 persons, 200 shelters, 30 days (bench/README.md, "Targets").

It checks that the engine computes such an event correctly in one piece; its speed is measured by
bench/recompute_bench.py and bench/recompute_instructions.py, not here (a timed assertion in a test fails
on a busy machine and proves nothing on a quiet one)."""

from __future__ import annotations

import random
import time as clock
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.needs.engine import compute_snapshot
from shared.needs.model import DeliveryIn, EventIn, PersonIn, Profile, ServiceIn, ShelterIn, StayIn
from shared.seed import load_json

TZ = ZoneInfo("Asia/Jakarta")


def build_scale_input(n_persons: int = 50_000, n_shelters: int = 200, n_days: int = 30, seed: int = 7) -> dict:
    """Synthetic event: ~60,000 stays (a fifth of the persons transferred once, some gone home) and
    ~30,000 pre-aggregated deliveries (per item, shelter and local day; per person; per household)."""
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, 0, 0, tzinfo=TZ).astimezone(UTC)
    as_of = start + timedelta(days=n_days - 1, hours=13)
    body = next(p for p in load_json("needs_profiles.json")["profiles"] if p["code"] == "spm_binjai")
    profile = Profile.from_body("spm_binjai", 1, body)
    event = EventIn(id="ev-scale", started_at=start, standard_code="spm_binjai", data_seq=1)
    shelters = [ShelterIn(id=f"s{i:03d}", name=f"Shelter {i}", capacity_persons=300,
                          covered_area_m2=rnd.choice([None, 900.0, 1200.0]), toilets=rnd.choice([None, 10, 15]))
                for i in range(n_shelters)]
    vulns = ["balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas"]
    persons = []
    for i in range(n_persons):
        v = frozenset([rnd.choice(vulns)]) if rnd.random() < 0.2 else frozenset()
        persons.append(PersonIn(id=f"p{i:06d}", household_id=f"h{i // 5:05d}", sex=rnd.choice("LP"),
                                condition=rnd.choices(["selamat", "luka", "hilang", "meninggal"], [90, 8, 1, 1])[0],
                                vulnerabilities=v, needs_psychosocial=rnd.random() < 0.1,
                                registered_at=start + timedelta(seconds=i)))
    stays = []
    for p in persons:
        sid = rnd.choice(shelters).id
        check_in = start + timedelta(minutes=rnd.randrange(0, n_days * 24 * 60))
        r = rnd.random()
        if r < 0.2:
            move = check_in + timedelta(hours=rnd.randrange(1, 72))
            stays.append(StayIn(p.id, sid, check_in, move))
            stays.append(StayIn(p.id, rnd.choice(shelters).id, move, None))
        elif r < 0.3:
            stays.append(StayIn(p.id, sid, check_in, check_in + timedelta(hours=rnd.randrange(1, 200))))
        else:
            stays.append(StayIn(p.id, sid, check_in, None))
    deliveries = []
    for day in range(n_days):
        noon = datetime(2026, 1, 1, 12, tzinfo=TZ) + timedelta(days=day)
        for sh in shelters:
            deliveries.append(DeliveryIn("makanan_siap_saji", float(rnd.randrange(0, 900)), noon, shelter_id=sh.id))
            deliveries.append(DeliveryIn("air_minum", rnd.randrange(0, 3000) / 4, noon, shelter_id=sh.id))
    for i in range(0, n_persons, 5):
        deliveries.append(DeliveryIn("paket_sandang", 1.0, start + timedelta(days=2), person_id=f"p{i:06d}"))
    for h in range(0, n_persons // 5, 2):
        deliveries.append(DeliveryIn("paket_sandang", float(rnd.randrange(1, 6)), start + timedelta(days=3),
                                     household_id=f"h{h:05d}"))
    services = [ServiceIn(p.id, rnd.choice(["penanganan_khusus", "psikososial"]), start + timedelta(days=1))
                for p in persons if rnd.random() < 0.15]
    return {"event": event, "profile": profile, "persons": persons, "shelters": shelters, "stays": stays,
            "deliveries": deliveries, "services": services, "as_of": as_of, "tz": TZ}


@pytest.mark.slow
def test_fifty_thousand_persons_compute_in_one_piece() -> None:
    """50,000 persons / 200 shelters / 30 days / ~60,000 stays / ~30,000 deliveries: computed, with the
    same answer each time (the time is printed for a glance, not asserted)."""
    data = build_scale_input()
    assert 55_000 <= len(data["stays"]) <= 65_000
    assert 25_000 <= len(data["deliveries"]) <= 35_000
    times = []
    snaps = []
    for _ in range(2):
        began = clock.perf_counter()
        snaps.append(compute_snapshot(**data))
        times.append(clock.perf_counter() - began)
    snap = snaps[0]
    print(f"\nneeds engine, 50k persons: best of 2 {min(times) * 1000:.0f} ms")
    assert snaps[0] == snaps[1]
    assert snap["people"]["registered"] == 50_000
    assert len(snap["shelters"]) == 200
    assert 0 < snap["indicator"]["eligible"] <= 50_000
    assert len(snap["unmet"]) == snap["indicator"]["eligible"] - snap["indicator"]["fulfilled"]
