"""Duplicate scan of a 50,000-person event: the worker job `scan_duplicates` from start to stored queue.

Target (issue 11, bench/README.md): a full scan of a 50,000-person event takes ≤ 10 s on this machine.

The event is generated straight into a fresh database (set-based inserts) from shared/matching's own
Binjai-like register with known truth (tests/shared/matching/population.py, the one the matcher's
quality is measured on): families with Malay, Javanese, Karo and Toba Batak (marga, "br") and
Chinese-Indonesian names, twins and namesakes, NIKs and birth dates, some missing; `--share` of the
persons registered a second (or third) time as the field does it — M./Moh./Mhd, St., Noer, old
spelling, titles, br/boru, a dropped or swapped given name, CAPITALS, a typo, the NIK left out, the
birth date missing or slipped, another family. The script then runs the job itself
(`services.worker.jobs.scan_duplicates`) twice (the second run is the idempotent rerun) and reports:

- the baseline measured in the same run: reading the event's persons as the scan reads them
  (`shared.repositories.duplicates.match_rows`), and the time of the matcher alone;
- the full scan time, against the 10 s goal, and the rerun;
- how many of the true pairs the queue holds (recall) and what share of its pairs are true (precision).

    .venv/bin/python bench/duplicate_scan_bench.py                  # SQLite, ~50,000 records, 2% registered again
    .venv/bin/python bench/duplicate_scan_bench.py --compare        # also time shared.matching.find_pairs
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

def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(settings: Any, persons: int, share: float, seed: int) -> tuple[str, set[frozenset[str]], int]:
    """The event with shared/matching's Binjai register (tests/shared/matching/population.py) of about
    `persons` records, `share` of the persons registered again: (event id, the true pairs, planted records)."""
    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.models import Household, Person
    from shared.repositories.bulk import insert_many
    from shared.schemas.events import EventCreate
    from shared.services.events import create_event
    from tests.shared.matching.population import make_population

    rng = random.Random(f"posko-duplicate-bench/{seed}")
    pop = make_population(identities=int(persons / (1 + share * 1.1)), seed=seed, duplicate_share=share)
    tz = settings.tz
    start = datetime.now(tz).replace(microsecond=0) - timedelta(days=5)
    db = make_database(settings)
    event_id = uid(rng)
    with write_unit(db) as uow:
        create_event(uow, SYSTEM, EventCreate(id=event_id, name=f"Banjir Binjai (bench: {len(pop.records):,} orang)",
                                              kind="banjir", started_at=start,
                                              kelurahan_codes=sorted({r.kelurahan_code for r in pop.records
                                                                      if r.kelurahan_code})[:12]))
    ids: dict[str, str] = {}
    households: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for r in pop.records:
        registered = start + timedelta(minutes=rng.randint(0, 4 * 24 * 60))
        pid = ids[r.person_id] = uid(rng)
        hid = None
        if r.household_id:
            if r.household_id not in households:
                households[r.household_id] = {
                    "id": uid(rng), "event_id": event_id, "head_name": r.full_name, "kk_number": None,
                    "kelurahan_code": r.kelurahan_code, "address": None, "created_by": None, "created_at": registered}
            hid = households[r.household_id]["id"]
        rows.append({"id": pid, "event_id": event_id, "household_id": hid, "full_name": r.full_name, "sex": r.sex,
                     "birth_date": r.birth_date, "age_years": None, "nik": r.nik, "vulnerabilities": [],
                     "needs_psychosocial": False, "condition": "selamat", "registered_at": registered, "version": 1,
                     "created_by": None, "created_at": registered, "anonymised_at": None, "merged_into": None})
    with write_unit(db) as uow:
        hh = list(households.values())
        for i in range(0, len(hh), 5000):
            insert_many(uow.session, Household, hh[i:i + 5000])
        for i in range(0, len(rows), 5000):
            insert_many(uow.session, Person, rows[i:i + 5000])
    db.dispose()
    truth = {frozenset(ids[p] for p in pair) for pair in pop.true_pairs()}
    planted = len(pop.records) - len(set(pop.identity_of.values()))
    return event_id, truth, planted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--share", type=float, default=0.02, help="share of persons registered a second time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--compare", action="store_true", help="also time shared.matching.find_pairs on the same persons")
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
    event_id, truth, planted = generate(settings, args.persons, args.share, args.seed)
    print(f"generated {args.persons:,} persons ({planted} registered again: {len(truth)} true pairs) in "
          f"{time.perf_counter() - t0:.1f} s [{url.split(':', 1)[0]}]")

    from services.worker import jobs
    from shared.matching import find_pairs
    from shared.matching.scan import likely_pairs
    from shared.services.duplicates import _key

    jobs.configure(settings)
    db = make_database(settings)
    with read_unit(db) as session:
        t = time.perf_counter()
        rows = dup_repo.match_rows(session, event_id)
        read_s = time.perf_counter() - t
    keys = [_key(r) for r in rows]
    t = time.perf_counter()
    found = likely_pairs(keys)
    match_s = time.perf_counter() - t
    print(f"baseline: reading the {len(rows):,} persons as the scan reads them: {read_s:.2f} s; "
          f"the pairs alone (likely_pairs): {match_s:.2f} s ({len(found):,} pairs)")
    if args.compare:
        t = time.perf_counter()
        every = find_pairs(keys)
        same = {frozenset((a.person_id, b.person_id)) for a, b, _ in every} == \
            {frozenset((a.person_id, b.person_id)) for a, b, _ in found}
        print(f"shared.matching.find_pairs (every pair of every block scored): {time.perf_counter() - t:.2f} s "
              f"({len(every):,} pairs; the same pairs: {same})")

    t = time.perf_counter()
    first = jobs.scan_duplicates(event_id)
    scan_s = time.perf_counter() - t
    t = time.perf_counter()
    second = jobs.scan_duplicates(event_id)
    rerun_s = time.perf_counter() - t
    with read_unit(db) as session:
        stored = dup_repo.pairs_touching(session, event_id)
        seq = event_repo.get_event(session, event_id)
    true_found = sum(1 for pair in truth if dup_repo.pair_id(*sorted(pair)) in stored)
    ok = scan_s <= GOAL_SECONDS
    print(f"full scan (job scan_duplicates): {scan_s:.2f} s for {first['persons']:,} persons "
          f"[goal ≤ {GOAL_SECONDS:.0f} s] {common.mark(ok)}; ratio to reading the persons: {scan_s / max(read_s, 1e-9):.1f}x")
    print(f"rerun (idempotent): {rerun_s:.2f} s; inserted {second['inserted']}, updated {second['updated']}, "
          f"removed {second['removed']} (expected 0, 0, 0)")
    print(f"queue: {len(stored):,} open pairs; true pairs found: {true_found}/{len(truth)} "
          f"({true_found / max(1, len(truth)):.1%}); precision {true_found / max(1, len(stored)):.1%}; "
          f"data_seq {seq.data_seq if seq else '?'}")
    db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
