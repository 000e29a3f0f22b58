#!/usr/bin/env python3
"""Time and memory of one full recompute of a large event, against the floor of counting its rows.

The event (default: bench/README.md, "Targets", Recompute row): 50,000 persons in households
of about four (realistic ages, so balita and lansia, plus ibu hamil/menyusui, disabilitas and
psychosocial flags, a few injured, missing and dead), 200 shelters, 30 days of stays (most families
arrive in the first two days; transfers, families going home and some coming back: ~60,000 stays;
about one displaced family in ten stays with relatives — mandiri stays, docs/rules.md "Mandiri stays"
— and some shelter families move to relatives later), 300,000 distributions (meals per shelter at each
meal time in several batches, meals brought daily to most families staying mandiri, drinking and
clean water per shelter and day, blankets, clothing, family kits, baby and mother kits, cash) and
services for vulnerable persons. It is written with set-based inserts
(`shared.repositories.bulk.insert_many` inside `shared.db.write_unit`), all in the past, times
built in Asia/Jakarta.

Per backend (SQLite, then PostgreSQL in a fresh database that is dropped at the end), a fresh
process measures:

a. the floor: `SELECT count(*)` of the event's persons, stays, distributions and services;
b. `services.worker.jobs.recompute(event_id)` (load + engine + store + publish) 3 times, min and
   median; then the same steps one by one (load, engine, store, publish) 3 times; then the verifier's
   reference (`compute_with_inputs(..., from_scratch=True)`: distributions summed from their rows) 3 times;
c. memory: the process's peak RSS (VmHWM; not ru_maxrss, which on Linux carries the parent's peak
   across fork and exec) before the first recompute and after the timed ones, the sampled peak of
   RssAnon, and the tracemalloc peak of one more recompute (traced apart: tracing slows Python).

    .venv/bin/python bench/recompute_bench.py [--persons 50000] [--distributions 300000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts the repository root on sys.path)

ROOT = common.ROOT
TIMEZONE = "Asia/Jakarta"
MEAL_HOURS = (7, 12, 18)
CHUNK = 20_000  # rows per insert transaction

# Goals from bench/README.md, "Targets".
GOAL_SECONDS = 1.0
GOAL_MB = 500.0

SHELTER_NAMES = ("SD Negeri", "SMP Negeri", "Masjid", "Musholla", "GBKP", "HKBP", "Aula Kantor Lurah",
                 "Tenda BPBD", "Gedung Serbaguna", "Balai Desa", "Madrasah", "Posyandu")
SHELTER_KINDS = {"SD Negeri": "sekolah", "SMP Negeri": "sekolah", "Masjid": "rumah_ibadah",
                 "Musholla": "rumah_ibadah", "GBKP": "rumah_ibadah", "HKBP": "rumah_ibadah",
                 "Aula Kantor Lurah": "fasilitas_umum", "Tenda BPBD": "tenda", "Gedung Serbaguna": "fasilitas_umum",
                 "Balai Desa": "fasilitas_umum", "Madrasah": "sekolah", "Posyandu": "fasilitas_sosial"}
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7)
HOUSEHOLD_WEIGHTS = (5, 12, 20, 25, 20, 11, 7)  # mean ≈ 4.0
MANDIRI = -1  # the "shelter" of a mandiri stay (with relatives, no shelter)
MANDIRI_SHARE = 0.11  # displaced families who stay with relatives from the start


# ---------------------------------------------------------------- data generation

@dataclass
class GenStats:
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    data_seq: int = 0
    event_id: str = ""
    start: str = ""
    meal_slots: int = 0


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _kelurahan_codes() -> list[str]:
    data = json.loads((ROOT / "shared" / "data" / "wilayah_binjai.json").read_text())
    return [k["code"] for kec in data["kecamatan"] for k in kec["kelurahan"]]


def _nik(rng: random.Random, birth: date, female: bool, serial: int) -> str:
    return f"1275{rng.randint(1, 5):02d}{birth.day + (40 if female else 0):02d}{birth.month:02d}{birth.year % 100:02d}" \
           f"{serial % 10000:04d}"


class Inserter:
    """Rows of one table, inserted in CHUNK-row transactions as they come."""

    def __init__(self, db: Any, model: Any, stats: GenStats, name: str, after: Inserter | None = None) -> None:
        self.db, self.model, self.stats, self.name = db, model, stats, name
        self.after = after  # rows of this one must be stored first (foreign keys)
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        from shared.db import write_unit
        from shared.repositories.bulk import insert_many

        if self.after is not None:
            self.after.flush()
        if self.rows:
            with write_unit(self.db) as uow:
                insert_many(uow.session, self.model, self.rows)
            self.stats.counts[self.name] += len(self.rows)
            self.rows = []


def generate(settings: Any, *, persons: int, shelters: int, days: int, distributions: int, seed: int) -> GenStats:
    """Write the benchmark event into the (migrated) database of `settings`."""
    from sqlalchemy import text

    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.models import Distribution, Household, Person, Service, Shelter, Stay
    from shared.schemas.events import EventCreate
    from shared.services.events import create_event

    t_start = time.perf_counter()
    rng = random.Random(f"posko-recompute-bench/{seed}")
    tz = settings.tz
    stats = GenStats()
    now = datetime.now(tz).replace(second=0, microsecond=0) - timedelta(minutes=2)
    start = now - timedelta(days=days)
    last = now - timedelta(minutes=1)  # nothing later than this
    hour = timedelta(hours=1)
    kelurahan = _kelurahan_codes()
    db = make_database(settings)
    try:
        event_id = _uid(rng)
        with write_unit(db) as uow:
            create_event(uow, SYSTEM, EventCreate(
                id=event_id, name=f"Banjir besar Binjai (bench: {persons:,} orang, {days} hari)", kind="banjir",
                started_at=start, kelurahan_codes=kelurahan[:12]))
        stats.event_id, stats.start = event_id, start.isoformat()

        # ---- shelters: most open with the flood, the last tenth (tents, halls) a day and a half later
        per_shelter = max(10.0, persons * 0.95 / shelters)
        shelter_rows: list[dict[str, Any]] = []
        opened: list[datetime] = []
        capacity: list[int] = []
        ins = Inserter(db, Shelter, stats, "shelters")
        for i in range(shelters):
            base = SHELTER_NAMES[i % len(SHELTER_NAMES)]
            cap = max(20, int(per_shelter * rng.uniform(0.7, 1.3)))
            opened_at = start + (timedelta(hours=36) if i >= shelters * 0.9 else timedelta(minutes=rng.randint(0, 90)))
            row = {"id": _uid(rng), "event_id": event_id, "name": f"{base} {i + 1:03d} Binjai",
                   "kelurahan_code": rng.choice(kelurahan), "kind": SHELTER_KINDS[base], "capacity_persons": cap,
                   "covered_area_m2": round(cap * rng.uniform(2.8, 4.2), 1) if rng.random() < 0.95 else None,
                   "toilets": max(1, int(cap / rng.uniform(15, 28))) if rng.random() < 0.95 else None,
                   "lat": round(3.6 + rng.uniform(-0.05, 0.05), 6), "lon": round(98.49 + rng.uniform(-0.04, 0.04), 6),
                   "opened_at": opened_at, "closed_at": None, "version": 1, "created_by": None,
                   "created_at": opened_at}
            shelter_rows.append(row)
            opened.append(opened_at)
            capacity.append(cap)
            ins.add(row)
        ins.flush()
        shelter_ids = [r["id"] for r in shelter_rows]
        open_late = [i for i in range(shelters) if opened[i] > start + timedelta(hours=2)]
        open_early = [i for i in range(shelters) if opened[i] <= start + timedelta(hours=2)]
        cum = {id(pool): list(itertools.accumulate(capacity[j] for j in pool)) for pool in (open_early, open_late)}

        def pick_shelter(at: datetime, avoid: int = -1) -> int:
            """A shelter open at `at`, bigger ones more likely (the later ones take half the late arrivals)."""
            pool = open_early if (at < start + timedelta(hours=36) or not open_late) else (
                open_late if rng.random() < 0.5 else open_early)
            s = avoid
            for _ in range(4):
                s = rng.choices(pool, cum_weights=cum[id(pool)])[0]
                if s != avoid:
                    return s
            return s

        # ---- households and persons
        start_date = start.date()
        hh_ins = Inserter(db, Household, stats, "households")
        p_ins = Inserter(db, Person, stats, "persons", after=hh_ins)
        members_of: list[list[int]] = []   # household index → person indices
        hh_ids: list[str] = []
        p_ids: list[str] = []
        p_vuln: list[frozenset[str]] = []
        p_psy: list[bool] = []
        p_gone: list[bool] = []
        p_household: list[int] = []
        families = list(common.FAMILY)
        serial = 0

        def person(hh: int, role: str, family: str, registered: datetime) -> int:
            nonlocal serial
            female = rng.random() < 0.5 if role in ("child", "elder") else role == "spouse"
            if role == "head" and rng.random() < 0.2:
                female = True
            if role in ("head", "spouse"):
                age = min(85, max(18, int(rng.gauss(40, 13))))
            elif role == "child":
                age = rng.choices((rng.randint(0, 4), rng.randint(5, 17)), weights=(3, 7))[0]
            elif role == "elder":
                age = rng.randint(58, 88)
            else:  # alone
                age = rng.randint(18, 80)
            birth = start_date - timedelta(days=age * 365 + rng.randint(0, 364))
            birth_date: date | None = birth
            age_years: int | None = None
            r = rng.random()
            if r < 0.05:
                birth_date, age_years = None, age
            elif r < 0.06:
                birth_date = None
            flags: list[str] = []
            if female and 18 <= age <= 42:
                if rng.random() < 0.07:
                    flags.append("ibu_hamil")
                elif rng.random() < 0.09:
                    flags.append("ibu_menyusui")
            if rng.random() < 0.02:
                flags.append("disabilitas")
            vuln = set(flags)
            if birth_date is not None or age_years is not None:  # balita and lansia are derived from the age
                if age < 5:
                    vuln.add("balita")
                if age >= 60:
                    vuln.add("lansia")
            psy = rng.random() < 0.06
            c = rng.random()
            condition = "meninggal" if c < 0.002 else "hilang" if c < 0.005 else "luka" if c < 0.035 else "selamat"
            first = rng.choice(common.FEMALE if female else common.MALE)
            serial += 1
            nik = _nik(rng, birth, female, serial) if age >= 17 and rng.random() < 0.7 else None
            idx = len(p_ids)
            pid = _uid(rng)
            p_ids.append(pid)
            p_vuln.append(frozenset(vuln))
            p_psy.append(psy)
            p_gone.append(condition in ("hilang", "meninggal"))
            p_household.append(hh)
            p_ins.add({"id": pid, "event_id": event_id, "household_id": hh_ids[hh] if hh >= 0 else None,
                       "full_name": f"{first} {family}", "sex": "P" if female else "L", "birth_date": birth_date,
                       "age_years": age_years, "nik": nik, "vulnerabilities": flags, "needs_psychosocial": psy,
                       "condition": condition, "registered_at": registered, "version": 1, "created_by": None,
                       "created_at": registered})
            return idx

        def arrival_time() -> datetime:
            r = rng.random()
            if r < 0.7:
                offset = rng.uniform(0.3, 48)
            elif r < 0.9:
                offset = rng.uniform(48, 7 * 24)
            else:
                offset = rng.uniform(7 * 24, max(7 * 24 + 1, (days - 1) * 24))
            return min(start + timedelta(hours=offset), last - 2 * hour)

        # household index → (arrival, displaced)
        households: list[tuple[datetime, bool]] = []
        solo = int(persons * 0.03)
        while len(p_ids) < persons - solo:
            size = min(rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0], persons - solo - len(p_ids))
            family = rng.choice(families)
            arrival = arrival_time()
            displaced = rng.random() < 0.95
            hh = len(hh_ids)
            hid = _uid(rng)
            hh_ids.append(hid)
            households.append((arrival, displaced))
            head_first = rng.choice(common.MALE)
            hh_ins.add({"id": hid, "event_id": event_id, "head_name": f"{head_first} {family}",
                        "kk_number": f"1275{rng.randint(10**11, 10**12 - 1)}" if rng.random() < 0.8 else None,
                        "kelurahan_code": rng.choice(kelurahan),
                        "address": f"{rng.choice(('Jl. Sei Bingai', 'Jl. Sei Mencirim', 'Jl. Samanhudi'))} "
                                   f"No. {rng.randint(1, 200)}", "created_by": None, "created_at": arrival})
            roles = ["head"] + (["spouse"] if size >= 2 else [])
            if size >= 4 and rng.random() < 0.18:
                roles.append("elder")
            roles += ["child"] * (size - len(roles))
            members_of.append([person(hh, role, family, arrival) for role in roles])
        hh_ins.flush()
        while len(p_ids) < persons:  # persons registered without a household
            person(-1, "alone", rng.choice(families), arrival_time())
        p_ins.flush()

        # ---- stays: arrivals, transfers, families going home (some come back), the missing and dead leave
        st_ins = Inserter(db, Stay, stats, "stays")
        # (person, shelter or MANDIRI, check_in, check_out)
        stays: list[tuple[int, int, datetime, datetime | None]] = []
        first_in: dict[int, datetime] = {}
        open_stay: dict[int, int] = {}  # person → index of their open stay
        mandiri_kelurahan: dict[int, str] = {}  # stay index → where a mandiri stay is

        def open_stays(group: list[int], shelter: int, at: datetime) -> None:
            place = rng.choice(kelurahan) if shelter == MANDIRI else ""
            for p in group:
                open_stay[p] = len(stays)
                if shelter == MANDIRI:
                    mandiri_kelurahan[len(stays)] = place
                stays.append((p, shelter, at, None))
                first_in.setdefault(p, at)

        def close_stays(group: list[int], at: datetime) -> list[int]:
            """Check out those of `group` with a stay open since before `at`; returns who was checked out."""
            closed = []
            for p in group:
                k = open_stay.get(p)
                if k is not None and stays[k][2] < at:
                    p_, s, cin, _ = stays[k]
                    stays[k] = (p_, s, cin, at)
                    del open_stay[p]
                    closed.append(p)
            return closed

        def uniform_time(a: datetime, b: datetime) -> datetime | None:
            if b <= a:
                return None
            return a + timedelta(seconds=rng.uniform(0, (b - a).total_seconds()))

        units: list[tuple[list[int], datetime, bool]] = [(m, households[h][0], households[h][1])
                                                         for h, m in enumerate(members_of)]
        units += [([p], arrival_time(), rng.random() < 0.9) for p in range(len(p_ids)) if p_household[p] < 0]
        for group, arrival, displaced in units:
            if not displaced:
                continue
            if rng.random() < MANDIRI_SHARE:  # the family stays with relatives (mengungsi mandiri)
                open_stays(group, MANDIRI, arrival)
                if rng.random() < 0.15:  # the relatives' house is full: on to a shelter
                    t = uniform_time(arrival + 24 * hour, last - hour)
                    if t is not None:
                        to = pick_shelter(t)
                        t = max(t, opened[to])
                        if t < last - hour:
                            open_stays(close_stays(group, t), to, t)
                for p in group:  # missing or dead: their stay is closed
                    if p_gone[p] and p in first_in:
                        t = uniform_time(first_in[p], last - hour)
                        if t is not None:
                            close_stays([p], t)
                continue
            shelter = pick_shelter(arrival)
            late_head = len(group) > 1 and rng.random() < 0.1  # the head guards the house a day longer
            open_stays(group[1:] if late_head else group, shelter, max(arrival, opened[shelter]))
            if late_head:
                t = arrival + timedelta(hours=rng.uniform(18, 30))
                if t < last - hour:
                    open_stays(group[:1], shelter, t)
            here, since = shelter, max(arrival, opened[shelter])
            if rng.random() < 0.04:  # moved in with relatives
                t = uniform_time(since + 12 * hour, last - hour)
                if t is not None:
                    open_stays(close_stays(group, t), MANDIRI, t)
                    here, since = MANDIRI, t
            elif rng.random() < 0.24:  # transferred (crowded shelter, tents opened)
                t = uniform_time(since + 6 * hour, last - hour)
                if t is not None:
                    to = pick_shelter(t, avoid=here)
                    t = max(t, opened[to])
                    if t < last - hour:
                        open_stays(close_stays(group, t), to, t)
                        here, since = to, t
            if rng.random() < 0.12:  # went home
                t = uniform_time(max(since + 12 * hour, start + timedelta(days=days * 2 / 3)), last - hour)
                if t is not None:
                    home = close_stays(group, t)
                    if rng.random() < 0.2:  # the water rose again
                        back = t + timedelta(hours=rng.uniform(12, 72))
                        if back < last - hour:
                            open_stays(home, pick_shelter(back), back)
            for p in group:  # missing or dead: their stay is closed
                if p_gone[p] and p in first_in:
                    t = uniform_time(first_in[p], last - hour)
                    if t is not None:
                        close_stays([p], t)
        for k, (p, s, cin, cout) in enumerate(stays):
            home = s == MANDIRI
            st_ins.add({"id": _uid(rng), "event_id": event_id, "person_id": p_ids[p],
                        "shelter_id": None if home else shelter_ids[s], "kind": "mandiri" if home else "shelter",
                        "kelurahan_code": mandiri_kelurahan[k] if home else shelter_rows[s]["kelurahan_code"],
                        "check_in": cin, "check_out": cout, "created_by": None, "created_at": cin})
        st_ins.flush()

        # ---- presence at meal times (what the meals are cooked for)
        slots: list[datetime] = []
        d = start.date()
        while d <= now.date():
            for h in MEAL_HOURS:
                t = datetime.combine(d, dtime(h), tz)
                if start < t <= last:
                    slots.append(t)
            d += timedelta(days=1)
        stats.meal_slots = len(slots)
        present = [[0] * (len(slots) + 1) for _ in range(shelters)]
        # mandiri stays: per meal unit (the household, or -1 - person for a person without one)
        home_present: dict[int, list[int]] = {}
        # a person's stays never overlap here, so summing stays counts distinct persons
        for p_, s, cin, cout in stays:
            a = bisect.bisect_left(slots, cin)
            b = bisect.bisect_left(slots, cout) if cout is not None else len(slots)
            if a < b:
                if s == MANDIRI:
                    unit = p_household[p_] if p_household[p_] >= 0 else -1 - p_
                    row = home_present.setdefault(unit, [0] * (len(slots) + 1))
                else:
                    row = present[s]
                row[a] += 1
                row[b] -= 1
        for row in [*present, *home_present.values()]:
            run = 0
            for k in range(len(slots) + 1):
                run += row[k]
                row[k] = run

        # ---- person- and household-level items (intentions first: the budget decides how many are kept)
        displaced_persons = sorted(first_in)
        hh_first: dict[int, datetime] = {}
        for p in displaced_persons:
            h = p_household[p]
            if h >= 0 and (h not in hh_first or first_in[p] < hh_first[h]):
                hh_first[h] = first_in[p]

        def soon_after(at: datetime, max_hours: float) -> datetime:
            return min(at + timedelta(hours=rng.uniform(0.5, max_hours)), last)

        sandang_household = {h for h in hh_first if rng.random() < 0.12}
        items: list[tuple[str, float, datetime, int, int]] = []  # (item, qty, at, person or -1, household or -1)
        for p in displaced_persons:
            at = first_in[p]
            if rng.random() < 0.92:
                items.append(("selimut", 1.0, soon_after(at, 48), p, -1))
            if p_household[p] not in sandang_household and rng.random() < 0.78:
                items.append(("paket_sandang", 1.0, soon_after(at, 72), p, -1))
            if "balita" in p_vuln[p] and rng.random() < 0.85:
                items.append(("paket_bayi", 1.0, soon_after(at, 72), p, -1))
            if p_vuln[p] & {"ibu_hamil", "ibu_menyusui"} and rng.random() < 0.8:
                items.append(("paket_gizi_ibu", 1.0, soon_after(at, 96), p, -1))
        for h, at in hh_first.items():
            if h in sandang_household:
                n = len(members_of[h])
                items.append(("paket_sandang", float(max(1, n - (1 if rng.random() < 0.3 else 0))),
                              soon_after(at, 72), -1, h))
            if rng.random() < 0.9:
                items.append(("family_kit", 1.0, soon_after(at, 48), -1, h))
            if rng.random() < 0.3:
                items.append(("uang_tunai", float(rng.choice((300_000, 500_000, 600_000))), soon_after(at, 240), -1, h))
        if len(items) > distributions // 2:  # a small budget: keep a sample of them
            items = rng.sample(items, distributions // 2)
        remaining = distributions - len(items)

        # ---- shelter-level rows: meals at each meal time (in batches from the public kitchens), then water
        meal_slots = [(s, k, present[s][k]) for s in range(shelters) for k in range(len(slots)) if present[s][k] > 0]
        batches = max(1, round(0.55 * remaining / max(1, len(meal_slots))))
        dist_ins = Inserter(db, Distribution, stats, "distributions")

        def dist(item: str, qty: float, at: datetime, shelter: int = -1, person_: int = -1, household: int = -1,
                 notes: str | None = None) -> None:
            dist_ins.add({"id": _uid(rng), "event_id": event_id, "item_code": item, "quantity": qty, "delivered_at": at,
                          "shelter_id": shelter_ids[shelter] if shelter >= 0 else None,
                          "person_id": p_ids[person_] if person_ >= 0 else None,
                          "household_id": hh_ids[household] if household >= 0 else None, "notes": notes,
                          "created_by": None, "created_at": min(at + timedelta(minutes=rng.randint(1, 30)), last)})

        # Most kitchens keep up; one shelter in six runs short now and then, and in one in five the
        # first day went short (the kitchens were not set up yet). A short meal can be made up by
        # spare portions at another meal of the same day.
        troubled = [rng.random() < 0.16 for _ in range(shelters)]
        slow_start = [rng.random() < 0.2 for _ in range(shelters)]
        first_day = slots[0].date() if slots else start.date()
        meal_rows = 0
        for s, k, n in meal_slots:
            t = slots[k]
            short = (troubled[s] and rng.random() < 0.04) or (slow_start[s] and t.date() == first_day)
            total = int(n * rng.uniform(0.6, 0.95)) if short else n + rng.randint(0, max(1, n // 20))
            parts = max(1, min(batches, total))
            base, extra = divmod(total, parts)
            for j in range(parts):
                qty = base + (1 if j < extra else 0)
                if qty <= 0:
                    continue
                at = max(t - timedelta(minutes=rng.randint(10, 100)), start + timedelta(minutes=1))
                if at.date() != t.date():
                    at = t - timedelta(minutes=1)
                dist("makanan_siap_saji", float(qty), at, shelter=s, notes="dapur umum" if j == 0 else None)
                meal_rows += 1

        # meals brought from the public kitchen to most families staying mandiri: one delivery a day to
        # the household (to the person when alone), counted per household-day (docs/rules.md "Mandiri stays")
        slot_days: dict[date, list[int]] = {}
        for k, t in enumerate(slots):
            slot_days.setdefault(t.date(), []).append(k)
        home_meal_rows = 0
        for unit, row in home_present.items():
            for day, ks in slot_days.items():
                due = sum(row[k] for k in ks)
                if due <= 0 or rng.random() < 0.12:  # nothing due, or no delivery that day
                    continue
                qty = int(due * rng.uniform(0.6, 0.95)) if rng.random() < 0.05 else due
                if qty <= 0:
                    continue
                at = max(slots[ks[0]] - timedelta(minutes=rng.randint(20, 90)), start + timedelta(minutes=1))
                if at.date() != day:
                    at = slots[ks[0]] - timedelta(minutes=1)
                if unit >= 0:
                    dist("makanan_siap_saji", float(qty), at, household=unit, notes="antar ke rumah kerabat")
                else:
                    dist("makanan_siap_saji", float(qty), at, person_=-1 - unit, notes="antar ke rumah kerabat")
                home_meal_rows += 1
        meal_rows += home_meal_rows

        # water: the rest of the budget, spread over the shelter-days with occupants
        shelter_days: list[tuple[int, date, int]] = []
        by_day: dict[date, list[int]] = {}
        for k, t in enumerate(slots):
            by_day.setdefault(t.date(), []).append(k)
        for s in range(shelters):
            for day, ks in by_day.items():
                peak = max(present[s][k] for k in ks)
                if peak > 0:
                    shelter_days.append((s, day, peak))
        water_rows = max(0, distributions - len(items) - meal_rows)
        if shelter_days:
            each, extra = divmod(water_rows, len(shelter_days))
            for i, (s, day, peak) in enumerate(shelter_days):
                n_rows = each + (1 if i < extra else 0)
                lo = max(datetime.combine(day, dtime(6), tz), start + timedelta(minutes=1))
                hi = min(datetime.combine(day, dtime(20), tz), last)
                if hi <= lo:
                    hi = min(datetime.combine(day, dtime(23, 59), tz), last)
                for j in range(n_rows):
                    item = "air_minum" if j % 2 == 0 else "air_bersih"
                    need = peak * (2.5 if item == "air_minum" else 15.0) * rng.uniform(0.7, 1.1)
                    share = max(1, (n_rows + (1 if item == "air_minum" else 0)) // 2)
                    at = lo + timedelta(seconds=rng.uniform(0, max(0.0, (hi - lo).total_seconds())))
                    dist(item, round(need / share, 1), at, shelter=s)
        for item, qty, at, p, h in items:
            dist(item, qty, at, person_=p, household=h)
        dist_ins.flush()

        # ---- services for vulnerable persons and those needing psychosocial support
        sv_ins = Inserter(db, Service, stats, "services")
        for p in displaced_persons:
            if p_vuln[p] and rng.random() < 0.85:
                for _ in range(rng.choice((1, 1, 2, 3))):
                    sv_ins.add({"id": _uid(rng), "event_id": event_id, "person_id": p_ids[p], "kind": "penanganan_khusus",
                                "delivered_at": soon_after(first_in[p], 96), "notes": None, "created_by": None,
                                "created_at": last})
            if p_psy[p] and rng.random() < 0.8:
                for _ in range(rng.choice((1, 2))):
                    sv_ins.add({"id": _uid(rng), "event_id": event_id, "person_id": p_ids[p], "kind": "psikososial",
                                "delivered_at": soon_after(first_in[p], 120), "notes": None, "created_by": None,
                                "created_at": last})
        sv_ins.flush()

        # every record counts as one write in the event's change counter
        stats.data_seq = sum(stats.counts.values()) + 1
        with write_unit(db) as uow:
            uow.session.execute(text("UPDATE events SET data_seq = :n WHERE id = :id"),
                                {"n": stats.data_seq, "id": event_id})
        stats.counts["displaced"] = len(displaced_persons)
        stats.counts["meal_rows"] = meal_rows
        stats.counts["home_meal_rows"] = home_meal_rows
        stats.counts["mandiri_stays"] = len(mandiri_kelurahan)
        stats.counts["mandiri_units"] = len(home_present)
        stats.counts["person_item_rows"] = len(items)
        stats.counts["water_rows"] = water_rows
    finally:
        db.dispose()
    stats.seconds = time.perf_counter() - t_start
    return stats


# ---------------------------------------------------------------- measurement (in a fresh process)

def maxrss_mb() -> float:
    """The process's peak RSS, MB: VmHWM, the high-water mark of this process image.

    Not `ru_maxrss`: on Linux that keeps the peak of the image before execve, i.e. of the parent at
    fork time (here the generator, a few hundred MB), so it would not measure the recompute."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def rss_now() -> dict[str, float]:
    """RssAnon (the process's own memory) and RssFile (mapped files: SQLite's mmap, libraries), MB."""
    out = {"anon": 0.0, "file": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                out["anon"] = int(line.split()[1]) / 1024.0
            elif line.startswith("RssFile:"):
                out["file"] = int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return out


class RssSampler:
    """Samples RssAnon and RssFile every few milliseconds in a thread; keeps the peaks."""

    def __init__(self, interval: float = 0.002) -> None:
        import threading

        self.interval = interval
        self.peak = {"anon": 0.0, "file": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = rss_now()
            for k in self.peak:
                self.peak[k] = max(self.peak[k], now[k])
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def check_snapshot(db: Any, event_id: str, snapshot: dict[str, Any], tz: Any) -> dict[str, Any]:
    """Compare the snapshot with plain SQL sums over the raw rows: per item delivered (to `as_of`),
    and today's meals per shelter (`meals_delivered_today`, which needs the per-day grouping right)."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from shared.db import read_unit
    from shared.models import Distribution, Event
    from shared.needs.model import Profile
    from shared.repositories.reference import profile_body

    as_of = datetime.fromisoformat(snapshot["as_of"])
    today = datetime.combine(as_of.astimezone(tz).date(), dtime(0), tz)
    with read_unit(db) as session:
        event = session.get(Event, event_id)
        assert event is not None
        profile = Profile.from_body(event.standard_code, event.standard_version,
                                    profile_body(session, event.standard_code, event.standard_version))
        meal = profile.item_for("permakanan")
        mine = (col(Distribution.event_id) == event_id, col(Distribution.delivered_at) <= as_of)
        per_item = {k: float(v) for k, v in session.execute(
            select(col(Distribution.item_code), func.sum(Distribution.quantity)).where(*mine)
            .group_by(col(Distribution.item_code))).all()}
        meals_today = {k: float(v) for k, v in session.execute(
            select(col(Distribution.shelter_id), func.sum(Distribution.quantity))
            .where(*mine, col(Distribution.item_code) == (meal.code if meal else ""),
                   col(Distribution.delivered_at) >= today)
            .group_by(col(Distribution.shelter_id))).all()}

    def differ(exact: float, summed: float) -> bool:
        # SQL's SUM adds binary floats (the snapshot's figure is exact decimal arithmetic): over 1,800,000 rows
        # its rounding reaches ~1e-6 of 90 million, so the tolerance is relative
        return abs(exact - summed) > 1e-9 * max(1.0, abs(summed))

    item_errors = [f"{n['item_code']}: snapshot {n['delivered']} vs rows {per_item.get(n['item_code'], 0.0)}"
                   for n in snapshot.get("needs", []) if differ(float(n["delivered"]), per_item.get(n["item_code"], 0.0))]
    meal_errors = [f"{sh['name']}: snapshot {sh['meals_delivered_today']} vs rows {meals_today.get(sh['id'], 0.0)}"
                   for sh in snapshot.get("shelters", [])
                   if differ(float(sh["meals_delivered_today"]), meals_today.get(sh["id"], 0.0))]
    return {"items_checked": len(snapshot.get("needs", [])), "item_errors": item_errors,
            "shelters_checked": len(snapshot.get("shelters", [])), "meal_errors": meal_errors}


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Floor, timed recomputes, stage split and memory; runs in its own process (its own peak RSS)."""
    import tracemalloc

    from sqlalchemy import text

    from services.worker import jobs
    from shared.config import Settings
    from shared.db import read_unit, utcnow, write_unit
    from shared.memory import no_cyclic_gc
    from shared.needs.engine import compute_snapshot
    from shared.repositories import events as event_repo
    from shared.repositories.needs_inputs import load_needs_inputs
    from shared.services import status as status_service

    # live_inputs off: this measures the full recompute (the reference the verifier runs). With them on,
    # the timed runs, with nothing written in between, would reread nothing (live_inputs_bench.py measures them)
    settings = Settings(env="production", database_url=spec["database_url"], redis_url=spec["redis_url"],
                        secret_key="bench-" + uuid.uuid4().hex, redis_key_prefix=spec["prefix"],
                        queue_name=spec["queue"], timezone=TIMEZONE, live_inputs=False)
    eid, runs = spec["event_id"], spec["runs"]
    out: dict[str, Any] = {"rss_start_mb": maxrss_mb()}
    ctx = jobs.configure(settings)
    tz = settings.tz
    cpu0 = common.CpuSample.take(None)

    # (a) the floor: counting the rows the recompute reads (index-only on every table)
    tables = ("persons", "stays", "distributions", "services")
    floor_runs: list[dict[str, float]] = []
    counts: dict[str, int] = {}
    for i in range(runs + 1):  # the first one warms the caches and is not counted
        timing: dict[str, float] = {}
        with ctx.db.read_engine.connect() as conn:
            t_all = time.perf_counter()
            for table in tables:
                t0 = time.perf_counter()
                counts[table] = int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE event_id = :e"),
                                                 {"e": eid}).scalar_one())
                timing[table] = time.perf_counter() - t0
            timing["total"] = time.perf_counter() - t_all
        if i:
            floor_runs.append(timing)
    out["counts"] = counts
    out["floor"] = {k: [r[k] for r in floor_runs] for k in (*tables, "total")}

    # (b) full recomputes, the way the worker runs them
    out["rss_before_mb"] = maxrss_mb()
    out["rss_before"] = rss_now()
    full: list[float] = []
    full_cpu: list[float] = []
    results: list[dict[str, int]] = []
    with RssSampler() as sampler:
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.thread_time()
            results.append(jobs.recompute(eid))
            full.append(time.perf_counter() - t0)
            full_cpu.append(time.thread_time() - c0)
    out["rss_peak"] = sampler.peak
    out["full"] = full
    out["full_cpu"] = full_cpu
    out["full_results"] = results

    # the same steps one by one: load, engine, store, publish
    stages: dict[str, list[float]] = {"event": [], "load": [], "engine": [], "store": [], "publish": []}
    sizes: dict[str, int] = {}
    snapshot: dict[str, Any] = {}
    for _ in range(runs):
        t0 = time.perf_counter()
        ctx.redis.delete(ctx.keys.pending_job(eid))
        with read_unit(ctx.db) as session:
            event = event_repo.get_event(session, eid)
            assert event is not None
            as_of = status_service.status_as_of(event, utcnow())
            t1 = time.perf_counter()
            inputs = load_needs_inputs(session, event, as_of, tz)
            t2 = time.perf_counter()
        snapshot = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                    inputs.deliveries, inputs.services, as_of, tz)
        t3 = time.perf_counter()
        with write_unit(ctx.db) as uow:
            seq = status_service.store(uow, eid, snapshot, as_of, tz)
        t4 = time.perf_counter()
        if seq is not None:
            jobs.publish(ctx, eid, seq, status_service.public(snapshot, seq))
        t5 = time.perf_counter()
        for name, a, b in (("event", t0, t1), ("load", t1, t2), ("engine", t2, t3), ("store", t3, t4),
                           ("publish", t4, t5)):
            stages[name].append(b - a)
        sizes = {"persons": len(inputs.persons), "shelters": len(inputs.shelters), "stays": len(inputs.stays),
                 "deliveries": len(inputs.deliveries), "services": len(inputs.services)}
        del inputs
    out["stages"] = stages
    out["loaded"] = sizes

    # the verifier's reference (shared/services/verify.py): the same snapshot from the rows alone, the
    # distributions summed from their rows instead of the running totals (compute_with_inputs(from_scratch=True))
    reference: list[float] = []
    reference_cpu: list[float] = []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        with no_cyclic_gc(), read_unit(ctx.db, consistent=True) as session:
            event = event_repo.get_event(session, eid)
            assert event is not None
            status_service.compute_with_inputs(session, event, status_service.status_as_of(event, utcnow()), tz,
                                               from_scratch=True)
        reference.append(time.perf_counter() - t0)
        reference_cpu.append(time.thread_time() - c0)
    out["reference"] = reference
    out["reference_cpu"] = reference_cpu
    out["rss_after_mb"] = maxrss_mb()
    cpu1 = common.CpuSample.take(None)
    use = common.CpuUse.between(cpu0, cpu1, generator_in_process=True)
    out["cores"] = {"bench": use.generator, "other": use.other, "wall_s": cpu1.wall - cpu0.wall}
    out["checks"] = check_snapshot(ctx.db, eid, snapshot, tz)
    public = status_service.public(snapshot, 0)
    out["snapshot_bytes"] = len(json.dumps(public, separators=(",", ":")))
    out["unmet"] = len(snapshot.get("unmet", []))
    out["indicator"] = snapshot.get("indicator", {})
    out["people"] = snapshot.get("people", {})
    out["data_seq"] = snapshot.get("data_seq")

    # (c) tracemalloc peak of one more recompute (traced apart: tracing slows allocation-heavy code)
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    jobs.recompute(eid)
    out["traced_s"] = time.perf_counter() - t0
    out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    # and the peak of each stage, to see which one holds the memory
    with read_unit(ctx.db) as session:
        event = event_repo.get_event(session, eid)
        assert event is not None
        as_of = status_service.status_as_of(event, utcnow())
        tracemalloc.reset_peak()
        inputs = load_needs_inputs(session, event, as_of, tz)
        out["tracemalloc_load_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                     inputs.deliveries, inputs.services, as_of, tz)
    out["tracemalloc_engine_extra_mb"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.stop()
    out["rss_end_mb"] = maxrss_mb()
    del inputs

    if spec.get("profile"):  # where one recompute's time goes (cProfile slows Python code down)
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        jobs.recompute(eid)
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(r"shared/|services/", 18)
        out["profile"] = buf.getvalue()
    ctx.db.dispose()
    return out


# ---------------------------------------------------------------- PostgreSQL database of the run

# ---------------------------------------------------------------- one backend

@dataclass
class BackendResult:
    name: str
    gen: GenStats
    m: dict[str, Any]
    analyze_s: float = 0.0


def bench_settings(url: str, redis_url: str) -> Any:
    """Settings for one backend's run: production mode, a Redis key prefix and queue of its own."""
    from shared.config import Settings

    suffix = uuid.uuid4().hex[:8]
    prefix = queue = f"posko-bench-{suffix}"
    return Settings(env="production", database_url=url, redis_url=redis_url, secret_key="bench-" + uuid.uuid4().hex,
                    redis_key_prefix=prefix, queue_name=queue, timezone=TIMEZONE,
                    live_inputs=False)  # the full recompute, as the targets say (live_inputs_bench.py: the live path)


def run_backend(name: str, url: str, args: argparse.Namespace, redis_url: str, workdir: Path,
                python: str) -> BackendResult:
    from shared.migrate import upgrade

    settings = bench_settings(url, redis_url)
    prefix, queue = settings.redis_key_prefix, settings.queue_name
    suffix = prefix.rsplit("-", 1)[-1]
    try:
        print(f"[{name}] migrations ...", flush=True)
        upgrade(settings)
        print(f"[{name}] writing the event ({args.persons:,} persons, {args.shelters} shelters, {args.days} days, "
              f"{args.distributions:,} distributions) ...", flush=True)
        gen = generate(settings, persons=args.persons, shelters=args.shelters, days=args.days,
                       distributions=args.distributions, seed=args.seed)
        rows = sum(gen.counts[t] for t in ("shelters", "households", "persons", "stays", "distributions", "services"))
        print(f"[{name}] written in {gen.seconds:.1f} s ({rows / gen.seconds:,.0f} rows/s): "
              + ", ".join(f"{gen.counts[t]:,} {t}" for t in ("households", "persons", "stays", "distributions",
                                                               "services")), flush=True)
        analyze_s = 0.0
        if url.startswith("postgresql"):
            t0 = time.perf_counter()
            common.pg_admin(url, "ANALYZE")  # what autovacuum does shortly after a bulk load
            analyze_s = time.perf_counter() - t0
        spec = {"database_url": url, "redis_url": redis_url, "prefix": prefix, "queue": queue,
                "event_id": gen.event_id, "runs": args.runs, "profile": args.profile}
        spec_path, out_path = workdir / f"measure-{suffix}.json", workdir / f"measure-{suffix}.out.json"
        spec_path.write_text(json.dumps(spec))
        print(f"[{name}] measuring in a fresh process ...", flush=True)
        subprocess.run([python, str(Path(__file__).resolve()), "--_measure", str(spec_path), str(out_path)],
                       check=True, cwd=ROOT, timeout=3600)
        return BackendResult(name, gen, json.loads(out_path.read_text()), analyze_s)
    finally:
        common.cleanup_redis(redis_url, prefix, queue)


# ---------------------------------------------------------------- report

def ms(x: float) -> str:
    return f"{x * 1000:,.0f}" if x >= 0.1 else f"{x * 1000:,.1f}"


def report(results: list[BackendResult], args: argparse.Namespace, load_before: tuple[float, float, float]) -> None:
    g = results[0].gen
    width = 118
    print("\n" + "=" * width)
    print(f"Posko recompute benchmark — one event: {g.counts['persons']:,} persons in {g.counts['households']:,} "
          f"households, {g.counts['shelters']} shelters, {args.days} days ({g.meal_slots} meal times), "
          f"{g.counts['stays']:,} stays ({g.counts['mandiri_stays']:,} mandiri, {g.counts['mandiri_units']:,} "
          f"households or persons staying mandiri),\n  {g.counts['distributions']:,} distributions "
          f"({g.counts['meal_rows']:,} meal batches of which {g.counts['home_meal_rows']:,} to mandiri households, "
          f"{g.counts['water_rows']:,} water deliveries, "
          f"{g.counts['person_item_rows']:,} person/household items), {g.counts['services']:,} services; "
          f"{g.counts['displaced']:,} persons ever displaced")
    print("=" * width)
    head = (f"{'backend':11} {'floor count(*)':>15} {'recompute min':>14} {'median':>8} {'runs (ms)':>20} "
            f"{'load':>7} {'engine':>7} {'store':>7} {'publish':>8}")
    print(head + "   (ms; stages are medians)")
    for r in results:
        m = r.m
        floor = statistics.median(m["floor"]["total"])
        full = m["full"]
        st = {k: statistics.median(v) for k, v in m["stages"].items()}
        print(f"{r.name:11} {ms(floor):>15} {ms(min(full)):>14} {ms(statistics.median(full)):>8} "
              f"{' / '.join(ms(x) for x in full):>20} {ms(st['event'] + st['load']):>7} {ms(st['engine']):>7} "
              f"{ms(st['store']):>7} {ms(st['publish']):>8}")
        print(f"{'':11} {'CPU (thread)':>15} {ms(min(m['full_cpu'])):>14} {ms(statistics.median(m['full_cpu'])):>8} "
              f"{' / '.join(ms(x) for x in m['full_cpu']):>20}   (the recompute's own CPU time: steadier than the "
              "wall time on a busy machine)")
        if m.get("reference"):
            print(f"{'':11} {'reference':>15} {ms(min(m['reference'])):>14} {ms(statistics.median(m['reference'])):>8} "
                  f"{' / '.join(ms(x) for x in m['reference']):>20}   (the verifier's from-scratch computation, "
                  f"no store; CPU min {ms(min(m['reference_cpu']))})")
    print(f"{'':11} {'memory:':>15} {'peak RSS before':>14} {'after':>8} {'anon peak (file)':>20} "
          f"{'traced':>7} {'load':>7} {'engine+':>7}   (MB)")
    for r in results:
        m = r.m
        anon = f"{m['rss_peak']['anon']:.0f} ({m['rss_peak']['file']:.0f})"
        print(f"{r.name:11} {'':>15} {m['rss_before_mb']:14.0f} {m['rss_after_mb']:8.0f} {anon:>20} "
              f"{m['tracemalloc_peak_mb']:7.0f} {m['tracemalloc_load_peak_mb']:7.0f} "
              f"{m['tracemalloc_engine_extra_mb']:7.0f}")
    print("  floor = SELECT count(*) of the event's persons, stays, distributions and services (median of "
          f"{args.runs}, after one warm-up); recompute = services.worker.jobs.recompute (load + engine + store + "
          "publish).\n  Stages: the same steps timed one by one; 'load' includes reading the event row. "
          "peak RSS = VmHWM of the measuring process (interpreter, imports and\n  SQLite's memory-mapped file "
          "pages included); anon peak = peak RssAnon sampled during the timed recomputes (RssFile, mapped files, in "
          "brackets);\n  traced = tracemalloc peak of Python allocations during one traced recompute, of the load "
          "alone, and what the engine allocated on top of its inputs.")
    print("-" * width)
    for r in results:
        m = r.m
        lo = m["loaded"]
        floor_parts = ", ".join(f"{t} {ms(statistics.median(m['floor'][t]))}" for t in
                                ("persons", "stays", "distributions", "services"))
        print(f"{r.name}: loaded {lo['persons']:,} persons, {lo['stays']:,} stays, {lo['deliveries']:,} grouped "
              f"deliveries (from {m['counts']['distributions']:,} rows), {lo['services']:,} person-service pairs; "
              f"floor per table (ms): {floor_parts}")
        ind = m["indicator"]
        print(f"  snapshot: data_seq {m['data_seq']} (written {r.gen.data_seq:,}), {m['snapshot_bytes']:,} bytes "
              f"public, indicator {ind.get('fulfilled')}/{ind.get('eligible')} = {ind.get('percent')}%, "
              f"{m['unmet']:,} unmet ("
              + ", ".join(f"{k} {v.get('fulfilled')}/{v.get('eligible')}" for k, v in
                          (ind.get("services") or {}).items())
              + f"); people {m['people'].get('displaced_now')} displaced now ({m['people'].get('in_shelters_now')} in "
              f"shelters, {m['people'].get('mandiri_now')} mandiri), {m['people'].get('returned')} "
              f"returned, vulnerable {m['people'].get('vulnerable')}; first recompute {ms(m['full'][0])} ms"
              + (f"; ANALYZE after the load took {r.analyze_s:.1f} s" if r.analyze_s else ""))
        ck = m["checks"]
        ok = not ck["item_errors"] and not ck["meal_errors"]
        print(f"  {'OK  ' if ok else 'FAIL'} snapshot vs plain SQL over the rows: delivered per item ({ck['items_checked']} items, "
              f"{len(ck['item_errors'])} differ), meals delivered today per shelter ({ck['shelters_checked']} "
              f"shelters, {len(ck['meal_errors'])} differ)"
              + (f"; e.g. {(ck['item_errors'] + ck['meal_errors'])[0]}" if not ok else ""))
        c = m["cores"]
        if m.get("profile"):
            print(f"  cProfile of one recompute on {r.name}:\n" + "\n".join(
                "    " + line for line in m["profile"].splitlines() if line.strip()))
        print(f"  CPU while measuring ({c['wall_s']:.1f} s): this process {c['bench']:.2f} cores, the rest of the "
              f"machine {c['other']:.2f} cores")
    print("-" * width)
    print("Goals (DESIGN.md, Performance targets):")
    for r in results:
        m = r.m
        med = statistics.median(m["full"])
        floor = statistics.median(m["floor"]["total"])
        ratio = f" = {med / floor:,.0f}× the floor" if floor > 0 else ""
        if r.name == "SQLite":
            print(f"  {common.mark(med <= GOAL_SECONDS)} SQLite recompute median {med:.3f} s (min {min(m['full']):.3f} s)"
                  f"   goal ≤ 1.0 s   (floor {floor * 1000:.1f} ms{ratio})")
            print(f"  {common.mark(m['rss_after_mb'] <= GOAL_MB)} SQLite peak memory {m['rss_after_mb']:.0f} MB peak RSS "
                  f"(tracemalloc peak {m['tracemalloc_peak_mb']:.0f} MB)   goal ≤ 500 MB")
        else:
            print(f"  info PostgreSQL recompute median {med:.3f} s (min {min(m['full']):.3f} s), peak memory "
                  f"{m['rss_after_mb']:.0f} MB peak RSS, tracemalloc {m['tracemalloc_peak_mb']:.0f} MB   (reported; "
                  f"floor {floor * 1000:.1f} ms{ratio})")
    print(f"  machine: {os.cpu_count()} cores; load average before the run {load_before[0]:.2f} / "
          f"{load_before[1]:.2f} / {load_before[2]:.2f}, after {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--persons", type=int, default=50_000, help="persons in the event (50000)")
    p.add_argument("--shelters", type=int, default=200, help="shelters (200)")
    p.add_argument("--days", type=int, default=30, help="days since the event started (30)")
    p.add_argument("--distributions", type=int, default=300_000, help="distribution rows (300000)")
    p.add_argument("--runs", type=int, default=3, help="timed recomputes per backend (3)")
    p.add_argument("--seed", type=int, default=2026, help="generator seed (2026)")
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="PostgreSQL server to use; a fresh database is created there and dropped at the end")
    p.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    p.add_argument("--skip-sqlite", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--profile", action="store_true",
                   help="also run one recompute under cProfile and print where its time goes")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL database")
    p.add_argument("--_measure", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.persons < 1 or args.shelters < 1 or args.days < 1 or args.distributions < 0 or args.runs < 1:
        p.error("--persons, --shelters, --days and --runs must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._measure:
        spec = json.loads(Path(args._measure[0]).read_text())
        Path(args._measure[1]).write_text(json.dumps(measure(spec)))
        return 0

    print("command:", shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/recompute_bench.py", *argv])]))
    load_before = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}, load average "
          f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}")
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
    workdir = Path(tempfile.mkdtemp(prefix="posko-recompute-bench-"))
    redis_url = os.environ.get("POSKO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_proc: subprocess.Popen[bytes] | None = None
    pg_name: str | None = None
    pg_created = False
    results: list[BackendResult] = []
    try:
        if not common.redis_answers(redis_url):
            redis_proc, redis_url = common.private_redis(workdir)
            print(f"no Redis answering: started a private redis-server at {redis_url}")
        if not args.skip_sqlite:
            results.append(run_backend("SQLite", f"sqlite:///{workdir / 'recompute.db'}", args, redis_url, workdir,
                                       python))
        if not args.skip_postgres:
            pg_name = f"posko_bench_{uuid.uuid4().hex[:10]}"
            common.pg_admin(args.postgres, f'CREATE DATABASE "{pg_name}"')
            pg_created = True
            results.append(run_backend("PostgreSQL", common.pg_database(args.postgres, pg_name), args, redis_url, workdir,
                                       python))
        if results:
            report(results, args, load_before)
        if args.json:
            args.json.write_text(json.dumps([{"backend": r.name, "generated": dict(r.gen.counts),
                                              "generate_s": r.gen.seconds, **r.m} for r in results], indent=2))
        failed = [r.name for r in results if r.m["checks"]["item_errors"] or r.m["checks"]["meal_errors"]]
        if failed:
            print(f"FAIL: the snapshot disagrees with the rows on {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0
    except Exception as exc:
        print(f"\nbenchmark failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        clean_up(args, pg_name if pg_created else None, redis_proc, workdir)


def clean_up(args: argparse.Namespace, pg_name: str | None, redis_proc: Any, workdir: Path) -> None:
    """Drop the run's PostgreSQL database, stop a private redis-server, remove the work directory
    (or say where they are kept, with --keep)."""
    if pg_name:
        if args.keep:
            print(f"kept PostgreSQL database: {common.pg_database(args.postgres, pg_name)}")
        else:
            try:
                common.pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            except Exception as exc:
                print(f"(could not drop database {pg_name}: {exc})", file=sys.stderr)
    common.release_run(redis_proc, workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
