"""Tracing matches (issue 15): the worker's two directions, timed one record at a time.

Targets (issue 15, "What must be shown"):
- matching one new tracing request against 150,000 registered persons: p99 ≤ 200 ms;
- matching one new registration against 5,000 open requests: p99 ≤ 20 ms.

The register is shared/matching's Binjai-like population (tests/shared/matching/population.py) spread over
three events, with its blocking keys (`person_match_keys`) built as the write path builds them. Open
requests are filed for names of the register written the way relatives say them (a variant of a
registered person: the matcher's own duplicate generator), with their keys (`tracing_match_keys`).
Then, per record, inside one transaction that is rolled back (nothing accumulates between rounds):

- request side: `tracing_matching._candidates_of` + storing them (what a pass does per changed request);
- registration side: `tracing_matching._match_persons` for one person (what a pass does per new person).

Baselines from the same run: the blocking-key index lookup alone (`candidate_ids` for a request,
`requests_by_keys` for a person) — the floor under each direction.

    .venv/bin/python bench/tracing_match_bench.py                     # SQLite, 150,000 persons, 5,000 requests
    .venv/bin/python bench/tracing_match_bench.py --persons 20000 --requests 1000 --rounds 50   # quicker
    .venv/bin/python bench/tracing_match_bench.py --database-url postgresql://…/db              # an empty database
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import common  # noqa: F401  (puts the repository root on sys.path)

REQUEST_GOAL_MS = 200.0
PERSON_GOAL_MS = 20.0


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def generate(settings: Any, persons: int, requests: int, seed: int) -> tuple[list[Any], list[dict[str, Any]]]:
    """The register (three events) and the open requests; returns (population records, person rows)."""
    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.models import Person, TracingRequest
    from shared.repositories import tracing as tracing_repo
    from shared.repositories.bulk import insert_many
    from shared.schemas.events import EventCreate
    from shared.services.events import create_event
    from shared.services.match_keys import rebuild_keys
    from shared.services.tracing_matching import request_hashes
    from tests.shared.matching.population import make_population

    rng = random.Random(f"posko-tracing-bench/{seed}")
    pop = make_population(identities=int(persons / 1.1), seed=seed, duplicate_share=0.1)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
    db = make_database(settings)
    events = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]
    with write_unit(db) as uow:
        for i, eid in enumerate(events):
            create_event(uow, SYSTEM, EventCreate(id=eid, name=f"Banjir bench {i}", kind="banjir", started_at=start,
                                                  kelurahan_codes=["12.75.04.1004"]))
    rows = [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event_id": events[i % 3], "household_id": None,
             "full_name": r.full_name, "sex": r.sex, "birth_date": r.birth_date, "age_years": None, "nik": r.nik,
             "vulnerabilities": [], "needs_psychosocial": False, "condition": "selamat", "registered_at": start,
             "version": 1, "created_by": None, "created_at": start, "anonymised_at": None, "merged_into": None}
            for i, r in enumerate(pop.records)]
    with write_unit(db) as uow:
        for i in range(0, len(rows), 5000):
            insert_many(uow.session, Person, rows[i:i + 5000])
        rebuild_keys(uow.session.connection())  # the keys the worker's drain writes (the migration's backfill)
    now = datetime.now(UTC)
    filed = []
    for k in range(requests):
        r = pop.records[rng.randrange(len(pop.records))]
        filed.append(TracingRequest(id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), kind="orang",
                                    full_name=r.full_name, sex=r.sex, birth_date=r.birth_date if k % 2 else None,
                                    age_years=None if k % 2 or r.birth_date is None else now.year - r.birth_date.year,
                                    status="dicari", source="posko", version=1, matched_version=1, created_at=now,
                                    updated_at=now))
    with write_unit(db) as uow:
        uow.session.add_all(filed)
        uow.session.flush()
        for req in filed:
            tracing_repo.replace_keys(uow.session, req.id, request_hashes(req))
    db.dispose()
    return list(pop.records), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=150_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    from shared.config import Settings
    from shared.db import make_database
    from shared.matching import PersonKey, key_hashes
    from shared.migrate import upgrade
    from shared.models import Person, TracingRequest
    from shared.repositories import matching as matching_repo
    from shared.repositories import tracing as tracing_repo
    from shared.services import tracing_matching as tm

    work = Path(tempfile.mkdtemp(prefix="posko-tracingbench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    settings = Settings(env="production", database_url=url, redis_url="redis://127.0.0.1:6379/0",
                        secret_key="bench-" + uuid.uuid4().hex, redis_key_prefix=f"posko-trbench-{uuid.uuid4().hex[:8]}",
                        timezone="Asia/Jakarta")
    upgrade(settings)
    t0 = time.perf_counter()
    records, rows = generate(settings, args.persons, args.requests, args.seed)
    print(f"generated {len(rows):,} persons in 3 events and {args.requests:,} open requests in "
          f"{time.perf_counter() - t0:.1f} s [{url.split(':', 1)[0]}]")

    from sqlmodel import Session

    db = make_database(settings)
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    request_ms: list[float] = []
    request_floor_ms: list[float] = []
    person_ms: list[float] = []
    person_floor_ms: list[float] = []
    found = strong = 0
    for _ in range(args.rounds):
        r = records[rng.randrange(len(records))]
        request = TracingRequest(id=str(uuid.uuid4()), kind="orang", full_name=r.full_name, sex=r.sex,
                                 birth_date=r.birth_date, status="dicari", source="posko", version=1, matched_version=0,
                                 created_at=now, updated_at=now)
        with Session(db.write_engine) as session:
            uow = type("U", (), {"session": session})()
            t = time.perf_counter()
            matching_repo.candidate_ids(session, key_hashes(tm.request_key(request)), None)
            request_floor_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            session.add(request)
            result = tm.PassResult()
            cands = tm._candidates_of(session, request, now)
            tm._store(uow, request, cands, {}, now, result, complete=True)  # type: ignore[arg-type]
            tracing_repo.replace_keys(session, request.id, tm.request_hashes(request))
            session.flush()
            request_ms.append((time.perf_counter() - t) * 1000)
            found += bool(cands)
            strong += bool(result.new_strong)
            session.rollback()
        # one new registration against the open requests
        other = records[rng.randrange(len(records))]
        pid = str(uuid.uuid4())
        with Session(db.write_engine) as session:
            uow = type("U", (), {"session": session})()
            session.add(Person(id=pid, event_id=rows[0]["event_id"], full_name=other.full_name, sex=other.sex,
                               birth_date=other.birth_date, nik=other.nik, registered_at=now, created_at=now))
            session.flush()
            probe = PersonKey(pid, rows[0]["event_id"], other.full_name, other.birth_date, other.sex, other.nik)
            t = time.perf_counter()
            tracing_repo.requests_by_keys(session, key_hashes(probe))
            person_floor_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            tm._match_persons(uow, [pid], {}, now, tm.PassResult())  # type: ignore[arg-type]
            session.flush()
            person_ms.append((time.perf_counter() - t) * 1000)
            session.rollback()
    db.dispose()
    print(f"baseline (index lookup alone): request p50 {statistics.median(request_floor_ms):.1f} ms, "
          f"p99 {p99(request_floor_ms):.1f} ms; registration p50 {statistics.median(person_floor_ms):.2f} ms, "
          f"p99 {p99(person_floor_ms):.2f} ms")
    rp, pp = p99(request_ms), p99(person_ms)
    print(f"one new request against {len(rows):,} persons: p50 {statistics.median(request_ms):.1f} ms, "
          f"p99 {rp:.1f} ms (goal ≤ {REQUEST_GOAL_MS:.0f}) — {found}/{args.rounds} found candidates, "
          f"{strong} strong")
    print(f"one new registration against {args.requests:,} open requests: p50 {statistics.median(person_ms):.2f} ms, "
          f"p99 {pp:.2f} ms (goal ≤ {PERSON_GOAL_MS:.0f})")
    ok = rp <= REQUEST_GOAL_MS and pp <= PERSON_GOAL_MS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
