#!/usr/bin/env python3
"""Find before register at scale (issue 11, section 1): `GET /api/v1/persons/matches` on a 50,000-person
event with 100,000 persons in two other events; goal p99 ≤ 50 ms.

One run:

1. **Setup.** A fresh database (SQLite in a temp directory; `--backends sqlite,postgres` also a private
   PostgreSQL database at POSKO_BENCH_POSTGRES_URL, default the test server's) is migrated, an admin row
   added. The register comes from the matcher's test-set generator (tests/shared/matching/population.py:
   Malay, Javanese, Batak/Karo with marga, Chinese-Indonesian families, twins, namesakes, duplicates
   written another way): the first 50,000 records go into event A (with households, 200 shelters and an
   open stay each), the next 100,000 into events B and C. Rows are stored set-based (`insert_many`),
   then every person's match keys are computed by the migration's backfill (`rebuild_keys`, timed).
2. **Queries.** `--queries` searches as a volunteer types them, drawn from event A's records: a name
   variant with birth date (the duplicates' written forms), a name alone, a NIK alone, a NIK with name.
3. **Service.** Each search runs as the route runs it — `find_matches` in its own write unit, with the
   audit row — timed one after another; the baseline is `person_detail` (one person by id, audited)
   in the same run, same unit of work.
4. **HTTP.** One `posko api` process; the same searches as `GET /persons/matches?...` on one keep-alive
   connection, against the baseline `GET /persons/{id}`.

It prints p50/p90/p99/max of each, the ratio to the baseline, and the goal line.

    .venv/bin/python bench/match_bench.py
    .venv/bin/python bench/match_bench.py --event-persons 5000 --other-persons 10000 --queries 200
    .venv/bin/python bench/match_bench.py --backends sqlite,postgres --no-http
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts the repository root on sys.path)

GOAL_P99_MS = 50.0
SHELTERS = 200


def build(settings: Any, event_persons: int, other_persons: int, seed: int) -> tuple[list[dict[str, Any]], str]:
    """Store the register; answer event A's records (for the queries) and event A's id."""
    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.models import Household, Person, Shelter, Stay
    from shared.repositories.bulk import insert_many
    from shared.schemas.events import EventCreate
    from shared.services.events import create_event
    from shared.services.match_keys import rebuild_keys
    from tests.shared.matching.population import make_population

    total = event_persons + other_persons
    started = time.perf_counter()
    pop = make_population(identities=int(total / 1.2) + 100, seed=seed)
    records = pop.records[:total]
    print(f"  generated {len(records):,} records in {time.perf_counter() - started:.1f} s")
    db = make_database(settings)
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=10)
    try:
        events = [str(uuid.uuid4()) for _ in range(3)]
        with write_unit(db) as uow:
            for i, eid in enumerate(events):
                create_event(uow, SYSTEM, EventCreate(id=eid, name=f"Banjir Binjai (bench: match {i})", kind="banjir",
                                                      started_at=start, kelurahan_codes=[common.KELURAHAN]))
        shelters = [{"id": str(uuid.uuid4()), "event_id": events[0], "name": f"Posko {i:03d} Binjai",
                     "kelurahan_code": common.KELURAHAN, "kind": "sekolah", "capacity_persons": 400,
                     "opened_at": start, "closed_at": None, "version": 1, "created_by": None, "created_at": start}
                    for i in range(SHELTERS)]
        t0 = time.perf_counter()
        a_rows: list[dict[str, Any]] = []
        for lo in range(0, len(records), 5000):
            chunk = records[lo:lo + 5000]
            households: dict[tuple[str, str], dict[str, Any]] = {}
            persons, stays = [], []
            for k, r in enumerate(chunk, start=lo):
                eid = events[0] if k < event_persons else events[1 + k % 2]
                hkey = (eid, r.household_id or "")
                hh = households.get(hkey)
                if hh is None:
                    hh = {"id": str(uuid.uuid4()), "event_id": eid, "head_name": r.full_name, "kk_number": None,
                          "kelurahan_code": r.kelurahan_code, "address": None, "created_by": None, "created_at": start}
                    households[hkey] = hh
                pid = str(uuid.uuid4())
                persons.append({"id": pid, "event_id": eid, "household_id": hh["id"], "full_name": r.full_name,
                                "sex": r.sex, "birth_date": r.birth_date, "age_years": None if r.birth_date else 40,
                                "nik": r.nik, "vulnerabilities": [], "needs_psychosocial": False,
                                "condition": "selamat", "registered_at": start, "version": 1, "created_by": None,
                                "created_at": start, "anonymised_at": None})
                if eid == events[0]:
                    stays.append({"id": str(uuid.uuid4()), "event_id": eid, "person_id": pid,
                                  "shelter_id": rng.choice(shelters)["id"], "check_in": start, "check_out": None,
                                  "created_by": None, "created_at": start})
                    a_rows.append({"id": pid, "key": r})
            with write_unit(db) as uow:
                if lo == 0:
                    insert_many(uow.session, Shelter, shelters)
                insert_many(uow.session, Household, list(households.values()))
                insert_many(uow.session, Person, persons)
                insert_many(uow.session, Stay, stays)
        print(f"  stored {len(records):,} persons ({event_persons:,} in event A with stays) in "
              f"{time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        with write_unit(db) as uow:
            keyed = rebuild_keys(uow.session.connection())
        took = time.perf_counter() - t0
        print(f"  match keys of {keyed:,} persons (the migration's backfill) in {took:.1f} s "
              f"({took / max(1, keyed) * 1e6:.0f} µs/person)")
        return a_rows, events[0]
    finally:
        db.dispose()


def make_queries(a_rows: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, str]]:
    """Searches as typed at the desk: name + birth date, name alone, NIK alone, NIK + name."""
    rng = random.Random(seed + 1)
    out: list[dict[str, str]] = []
    while len(out) < n:
        r = rng.choice(a_rows)["key"]
        kind = rng.choice(["name_bd", "name_bd", "name", "nik", "nik_name"])
        if kind.startswith("nik") and not r.nik:
            kind = "name_bd"
        if kind == "name_bd" and not r.birth_date:
            kind = "name"
        q: dict[str, str] = {}
        if kind in ("name_bd", "name", "nik_name"):
            q["name"] = r.full_name
        if kind == "name_bd":
            q["birth_date"] = r.birth_date.isoformat()
            q["sex"] = r.sex
        if kind.startswith("nik"):
            q["nik"] = r.nik
        out.append(q)
    return out


def summary(label: str, ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    fig = {"p50": common.percentile(s, 50), "p90": common.percentile(s, 90), "p99": common.percentile(s, 99),
           "max": s[-1] if s else 0.0}
    print(f"  {label:<44} n={len(s):>5}  p50 {fig['p50']:7.2f} ms  p90 {fig['p90']:7.2f} ms  "
          f"p99 {fig['p99']:7.2f} ms  max {fig['max']:7.2f} ms")
    return fig


def bench_service(settings: Any, queries: list[dict[str, str]], ids: list[str]) -> tuple[dict[str, float], int]:
    from datetime import date

    from shared.db import make_database, write_unit
    from shared.domain.access import Actor
    from shared.services.matching import MatchQuery, find_matches
    from shared.services.people import person_detail

    db = make_database(settings)
    actor = Actor(id=None, username="bench", role="admin")
    try:
        base, search, answered = [], [], 0
        for i, q in enumerate(queries):
            t0 = time.perf_counter()
            with write_unit(db) as uow:
                person_detail(uow, actor, ids[i % len(ids)], settings.tz)
            base.append((time.perf_counter() - t0) * 1000)
            query = MatchQuery(nik=q.get("nik"), name=q.get("name"), sex=q.get("sex"),
                               birth_date=date.fromisoformat(q["birth_date"]) if "birth_date" in q else None)
            t0 = time.perf_counter()
            with write_unit(db) as uow:
                answered += bool(find_matches(uow, actor, query))
            search.append((time.perf_counter() - t0) * 1000)
        b = summary("service: person_detail (baseline)", base)
        f = summary("service: find_matches", search)
        print(f"  p99 ratio to the baseline: {f['p99'] / max(b['p99'], 1e-9):.1f}x; "
              f"{answered}/{len(queries)} searches found their person or a candidate")
        return f, answered
    finally:
        db.dispose()


def bench_http(settings: Any, env: dict[str, str], port: int, workdir: Path, username: str,
               queries: list[dict[str, str]], ids: list[str]) -> dict[str, float]:
    python = str(common.ROOT / ".venv" / "bin" / "python") if (common.ROOT / ".venv/bin/python").exists() \
        else sys.executable
    server = common.Server(python, env, port, workdir / "server.log")
    api: common.Api | None = None
    try:
        server.wait_ready()
        api = common.Api(port)
        api.login(username, common.ADMIN_PASSWORD)
        headers = {"Authorization": f"Bearer {api.token}"}
        for q in queries[:20]:  # warm-up
            api.client.get("/api/v1/persons/matches?" + urlencode(q), headers=headers)
        base, search = [], []
        for i, q in enumerate(queries):
            t0 = time.perf_counter()
            r = api.client.get(f"/api/v1/persons/{ids[i % len(ids)]}", headers=headers)
            base.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
            t0 = time.perf_counter()
            r = api.client.get("/api/v1/persons/matches?" + urlencode(q), headers=headers)
            search.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
        b = summary("HTTP: GET /persons/{id} (baseline)", base)
        f = summary("HTTP: GET /persons/matches", search)
        print(f"  p99 ratio to the baseline: {f['p99'] / max(b['p99'], 1e-9):.1f}x")
        return f
    finally:
        if api is not None:
            api.close()
        server.stop()


def run_backend(backend: str, args: argparse.Namespace) -> bool:
    from shared.config import Settings

    workdir = Path(tempfile.mkdtemp(prefix="posko-match-bench-"))
    suffix = uuid.uuid4().hex[:8]
    prefix = queue = f"posko-bench-{suffix}"
    redis_url = os.environ.get("POSKO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_proc = None
    if not common.redis_answers(redis_url):
        redis_proc, redis_url = common.private_redis(workdir)
    pg_admin = None
    pg_name = f"posko_match_bench_{suffix}"
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        import psycopg

        pg_admin = os.environ.get("POSKO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        with psycopg.connect(pg_admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = pg_admin.rsplit("/", 1)[0] + "/" + pg_name
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
    port = common.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSKO_")}
    env.update(POSKO_ENV="production", POSKO_DATABASE_URL=url, POSKO_REDIS_URL=redis_url,
               POSKO_SECRET_KEY="bench-" + uuid.uuid4().hex, POSKO_REDIS_KEY_PREFIX=prefix, POSKO_QUEUE_NAME=queue,
               POSKO_HOST=common.HOST, POSKO_PORT=str(port), POSKO_ACCESS_LOG="false")
    settings = Settings(env="production", database_url=url, redis_url=redis_url, secret_key=env["POSKO_SECRET_KEY"],
                        redis_key_prefix=prefix, queue_name=queue)
    print(f"\n== {backend}: {args.event_persons:,} persons in event A, {args.other_persons:,} in events B and C")
    try:
        username = common.prepare_database(settings)
        a_rows, _ = build(settings, args.event_persons, args.other_persons, args.seed)
        queries = make_queries(a_rows, args.queries, args.seed)
        ids = [r["id"] for r in a_rows[:: max(1, len(a_rows) // args.queries)]]
        service, _ = bench_service(settings, queries, ids)
        ok = service["p99"] <= GOAL_P99_MS
        print(f"  {common.mark(ok)} service p99 {service['p99']:.1f} ms   goal ≤ {GOAL_P99_MS:.0f} ms")
        if args.http:
            http = bench_http(settings, env, port, workdir, username, queries, ids)
            http_ok = http["p99"] <= GOAL_P99_MS
            print(f"  {common.mark(http_ok)} HTTP p99 {http['p99']:.1f} ms   goal ≤ {GOAL_P99_MS:.0f} ms")
            ok = ok and http_ok
        return ok
    finally:
        if pg_admin is not None:
            import psycopg

            with psycopg.connect(pg_admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        common.release_run(redis_proc, workdir, args.keep, shared_redis=(redis_url, prefix, queue))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--event-persons", type=int, default=50_000)
    parser.add_argument("--other-persons", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--backends", default="sqlite", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--no-http", dest="http", action="store_false", help="time the service call only")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (database, server log)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = [run_backend(b.strip(), args) for b in args.backends.split(",") if b.strip()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
