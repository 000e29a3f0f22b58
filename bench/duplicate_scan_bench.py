"""Duplicate scan of a 50,000-person event: the worker job `scan_duplicates` from start to stored queue.

Target (issue 11, bench/README.md): a full scan of a 50,000-person event takes ≤ 10 s on this machine.

The event is generated straight into a fresh database (set-based inserts): families of one to seven
members with Batak, Malay, Javanese and Karo names as Binjai writes them, birth dates, a NIK on most
adults, households spread over the city's kelurahan. Into it go `--planted` duplicates, each a second
registration of an existing person the way the field produces one: an abbreviation or a spelling
variant of the name (Muhammad → M., Siti → St., oe → u, dj → j), a typo, a dropped NIK, another
family. The script then runs the job itself (`services.worker.jobs.scan_duplicates`) twice (the
second run is the idempotent rerun after more writes) and reports:

- the baseline measured in the same run: reading the event's persons as the scan reads them
  (`shared.repositories.duplicates.match_rows`), and the time of the matcher alone;
- the full scan time, against the 10 s goal, and the rerun;
- how many planted pairs the queue holds (recall on the plants) and how many pairs it holds in all.

    .venv/bin/python bench/duplicate_scan_bench.py                  # SQLite, 50,000 persons, 500 plants
    .venv/bin/python bench/duplicate_scan_bench.py --persons 5000   # quicker
    .venv/bin/python bench/duplicate_scan_bench.py --database-url postgresql://…/db   # an empty database
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import common  # noqa: E402  (also puts the repository root on sys.path)

GOAL_SECONDS = 10.0
TIMEZONE = "Asia/Jakarta"

MALE = ["Ahmad", "Budi", "Rizky", "Fajar", "Hendra", "Dedi", "Joko", "Agus", "Andi", "Irfan", "Yusuf", "Bambang",
        "Rahmat", "Surya", "Taufik", "Doni", "Muhammad", "Abdul", "Hasan", "Ismail", "Syahrul", "Zulkifli",
        "Darwin", "Edi", "Ferry", "Gunawan", "Hotman", "Jonter", "Kristian", "Lamhot", "Mangara", "Parlin",
        "Ramli", "Sahat", "Tigor", "Usman", "Wahyu", "Yohanes", "Zainal", "Sutrisno", "Slamet", "Suparman",
        "Djoko", "Soekarno", "Tjahjo", "Roni", "Iwan", "Anton"]
FEMALE = ["Siti", "Nur", "Dewi", "Sri", "Rina", "Putri", "Aisyah", "Fitri", "Wati", "Lestari", "Ratna", "Yuni",
          "Intan", "Maya", "Sartika", "Rohani", "Nurhayati", "Rahmawati", "Masniari", "Lasma", "Tiurma", "Rosmawati",
          "Herlina", "Juliana", "Krisna", "Lenny", "Mariani", "Nova", "Oktaviani", "Purnama", "Rosdiana", "Sumiati",
          "Tuti", "Umi", "Vera", "Wulan", "Yanti", "Zubaidah", "Ernawati", "Farida", "Gita", "Hartini"]
MIDDLE = ["", "", "", "Aminah", "Rahman", "Sari", "Putra", "Hidayat", "Nur", "Indah", "Prasetyo", "Lestari",
          "Maulana", "Rizal", "Ayu", "Kurnia", "Dwi", "Eka", "Tri", "Budi"]
FAMILY = ["Siregar", "Nasution", "Lubis", "Harahap", "Sembiring", "Ginting", "Tarigan", "Simanjuntak", "Hasibuan",
          "Saragih", "Pohan", "Daulay", "Sitepu", "Purba", "Damanik", "Rangkuti", "Batubara", "Sinaga", "Pane",
          "Situmorang", "Panjaitan", "Manurung", "Hutagalung", "Sihombing", "Pardede", "Silalahi", "Tambunan",
          "Karo-Karo", "Perangin-angin", "Bangun", "Barus", "Kaban", "Surbakti", "", "", "", "", ""]


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def kelurahan_codes() -> list[str]:
    import json

    data = json.loads((common.ROOT / "shared" / "data" / "wilayah_binjai.json").read_text())
    return [k["code"] for kec in data["kecamatan"] for k in kec["kelurahan"]]


def variant(name: str, rng: random.Random) -> str:
    """A second writing of the same name, as a volunteer would type it."""
    swaps = [("Muhammad", "M."), ("Muhammad", "Moh."), ("Siti", "St."), ("Nur", "Noer"), ("Djoko", "Joko"),
             ("Soekarno", "Sukarno"), ("Tjahjo", "Cahyo"), ("Yusuf", "Yusup")]
    for a, b in swaps:
        if a in name and rng.random() < 0.8:
            return name.replace(a, b, 1)
    r = rng.random()
    parts = name.split()
    if r < 0.3 and len(name) > 5:  # a typo: two neighbouring letters swapped
        i = rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if r < 0.5:
        return name.upper()
    if r < 0.7 and len(parts) > 2:  # a given name dropped
        return " ".join(parts[:1] + parts[2:])
    if r < 0.85 and len(parts) > 1 and parts[-1] in FAMILY:  # Batak "br" before a woman's clan
        return " ".join(parts[:-1] + ["br", parts[-1]])
    return name + "  "


def generate(settings: Any, persons: int, planted: int, seed: int) -> tuple[str, list[tuple[str, str]]]:
    """The event, its households and persons, and `planted` second registrations: (event id, plant pairs)."""
    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.models import Household, Person
    from shared.repositories.bulk import insert_many
    from shared.schemas.events import EventCreate
    from shared.services.events import create_event

    rng = random.Random(f"posko-duplicate-bench/{seed}")
    tz = settings.tz
    start = datetime.now(tz).replace(microsecond=0) - timedelta(days=5)
    codes = kelurahan_codes()
    db = make_database(settings)
    event_id = uid(rng)
    with write_unit(db) as uow:
        create_event(uow, SYSTEM, EventCreate(id=event_id, name=f"Banjir Binjai (bench: {persons:,} orang)", kind="banjir",
                                              started_at=start, kelurahan_codes=codes[:12]))
    households: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    serial = 0
    while len(rows) < persons - planted:
        family = rng.choice(FAMILY)
        hid = uid(rng)
        kel = rng.choice(codes)
        size = rng.choices((1, 2, 3, 4, 5, 6, 7), weights=(8, 12, 20, 25, 18, 10, 7))[0]
        registered = start + timedelta(minutes=rng.randint(0, 4 * 24 * 60))
        head = ""
        for m in range(size):
            female = (m == 1) or (m > 1 and rng.random() < 0.5)
            age = rng.randint(25, 70) if m < 2 else rng.randint(0, 24)
            birth = (start.date() - timedelta(days=age * 365 + rng.randint(0, 364))) if rng.random() > 0.05 else None
            given = rng.choice(FEMALE if female else MALE)
            middle = rng.choice(MIDDLE)
            name = " ".join(x for x in (given, middle, family) if x)
            head = head or name
            nik = None
            if birth is not None and age >= 17 and rng.random() < 0.7:
                serial += 1
                nik = (f"1275{rng.randint(1, 5):02d}{birth.day + (40 if female else 0):02d}{birth.month:02d}"
                       f"{birth.year % 100:02d}{serial % 10000:04d}")
            rows.append({"id": uid(rng), "event_id": event_id, "household_id": hid, "full_name": name,
                         "sex": "P" if female else "L", "birth_date": birth, "age_years": None if birth else age,
                         "nik": nik, "vulnerabilities": [], "needs_psychosocial": False, "condition": "selamat",
                         "registered_at": registered, "version": 1, "created_by": None, "created_at": registered,
                         "anonymised_at": None, "merged_into": None})
        households.append({"id": hid, "event_id": event_id, "head_name": head, "kk_number": None,
                           "kelurahan_code": kel, "address": None, "created_by": None, "created_at": registered})
    plants: list[tuple[str, str]] = []
    originals = rng.sample([r for r in rows if r["birth_date"] is not None], planted)
    for original in originals:
        copy = dict(original)
        copy["id"] = uid(rng)
        copy["full_name"] = variant(original["full_name"], rng)
        if rng.random() < 0.6:
            copy["nik"] = None  # the second registration without the card at hand
        elif copy["nik"] is not None:
            original["nik"], copy["nik"] = copy["nik"], None  # kept once: the NIK is unique in the event
        if rng.random() < 0.5:
            copy["household_id"] = None
        copy["registered_at"] = copy["created_at"] = original["registered_at"] + timedelta(hours=rng.randint(1, 48))
        rows.append(copy)
        plants.append(tuple(sorted((original["id"], copy["id"]))))  # type: ignore[arg-type]
    with write_unit(db) as uow:
        for i in range(0, len(households), 5000):
            insert_many(uow.session, Household, households[i:i + 5000])
        for i in range(0, len(rows), 5000):
            insert_many(uow.session, Person, rows[i:i + 5000])
    db.dispose()
    return event_id, plants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--planted", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    args = parser.parse_args(argv)

    from shared.config import Settings
    from shared.db import make_database, read_unit
    from shared.migrate import upgrade
    from shared.repositories import duplicates as dup_repo
    from shared.repositories import events as event_repo

    work = Path(tempfile.mkdtemp(prefix="posko-dupbench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    tag = uuid.uuid4().hex[:8]
    settings = Settings(env="production", database_url=url, redis_url="redis://127.0.0.1:6379/0",
                        secret_key="bench-" + uuid.uuid4().hex, redis_key_prefix=f"posko-dupbench-{tag}",
                        queue_name=f"posko-dupbench-{tag}", timezone=TIMEZONE)
    upgrade(settings)
    t0 = time.perf_counter()
    event_id, plants = generate(settings, args.persons, args.planted, args.seed)
    print(f"generated {args.persons:,} persons ({args.planted} planted duplicates) in {time.perf_counter() - t0:.1f} s "
          f"[{url.split(':', 1)[0]}]")

    from shared.matching import find_pairs

    from services.worker import jobs
    from shared.services.duplicates import _key

    jobs.configure(settings)
    db = make_database(settings)
    with read_unit(db) as session:
        t = time.perf_counter()
        rows = dup_repo.match_rows(session, event_id)
        read_s = time.perf_counter() - t
    keys = [_key(r) for r in rows]
    t = time.perf_counter()
    found = find_pairs(keys)
    match_s = time.perf_counter() - t
    print(f"baseline: reading the {len(rows):,} persons as the scan reads them: {read_s:.2f} s; "
          f"the matcher alone: {match_s:.2f} s ({len(found):,} pairs)")

    t = time.perf_counter()
    first = jobs.scan_duplicates(event_id)
    scan_s = time.perf_counter() - t
    t = time.perf_counter()
    second = jobs.scan_duplicates(event_id)
    rerun_s = time.perf_counter() - t
    with read_unit(db) as session:
        stored = dup_repo.pairs_touching(session, event_id)
        seq = event_repo.get_event(session, event_id)
    planted_found = sum(1 for a, b in plants if dup_repo.pair_id(a, b) in stored)
    ok = scan_s <= GOAL_SECONDS
    print(f"full scan (job scan_duplicates): {scan_s:.2f} s for {first['persons']:,} persons "
          f"[goal ≤ {GOAL_SECONDS:.0f} s] {common.mark(ok)}; ratio to reading the persons: {scan_s / max(read_s, 1e-9):.1f}x")
    print(f"rerun (idempotent): {rerun_s:.2f} s; inserted {second['inserted']}, updated {second['updated']}, "
          f"removed {second['removed']} (expected 0, 0, 0)")
    print(f"queue: {len(stored):,} open pairs; planted pairs found: {planted_found}/{len(plants)} "
          f"({planted_found / max(1, len(plants)):.1%}); data_seq {seq.data_seq if seq else '?'}")
    db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
