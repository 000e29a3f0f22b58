"""The storage floor under `POST /sync`: what SQLite alone costs per 1,000-person batch.

`write_bench.py` measures the whole request (HTTP, validation, checks, storage). This script measures
only the storage, with no Python between the rows and the driver: it writes through the raw sqlite3
connection of the product's own write engine (same pragmas: WAL, synchronous=NORMAL, foreign keys,
the write connections' page cache `POSKO_SQLITE_WRITE_CACHE_MIB`, 256 MiB mmap), with the product's migrations for the schema and its background WAL
checkpoint thread running, the rows a 1,000-person registration batch stores:

- `all`: what the API stores per person registered into a shelter — the person, its open stay, the
  client-operation record (idempotency) and the audit row — plus, per batch, the event's data_seq
  and one outbox row, in one transaction (`BEGIN IMMEDIATE … COMMIT`);
- `persons+stays`: only the person and the stay, the least any design must store for the record.

Each variant starts from an empty database and writes `--batches` batches (default 120: the
~120,000 persons the sync phase of `write_bench.py --seconds 10` writes). Per range of database size
it prints the median time to insert and to commit one batch and the records/s that allows, beside the
target (bench/README.md: 20,000 records/s). Every random key (UUIDs, NIKs) lands on its own index page once
an index is larger than a batch, and SQLite's WAL writes every page a transaction dirtied at commit:
the commit grows with the number of indexes on random keys, not with the bytes of the rows.

    .venv/bin/python bench/sync_floor.py [--batches 120]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (person bodies and the admin row, as the API benchmark builds them)

GOAL_RPS = common.GOAL_SYNC_RPS
BATCH = 1000
RANGE = 40  # batches per printed row

PERSON_SQL = ("INSERT INTO persons (id, event_id, household_id, full_name, sex, birth_date, age_years, nik, "
              "vulnerabilities, needs_psychosocial, condition, registered_at, version, created_by, created_at) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
STAY_SQL = ("INSERT INTO stays (id, event_id, person_id, shelter_id, check_in, check_out, created_by, created_at) "
            "VALUES (?,?,?,?,?,?,?,?)")
OP_SQL = ("INSERT INTO client_operations (kind, id, event_id, payload, object_type, object_id, created_at) "
          "VALUES (?,?,?,?,?,?,?)")
AUDIT_SQL = ("INSERT INTO audit_log (at, actor_id, actor_username, action, object_type, object_id, event_id) "
             "VALUES (?,?,?,?,?,?,?)")
OUTBOX_SQL = ("INSERT INTO outbox (event_id, data_seq, action, object_type, object_id, created_at, processed_at) "
              "VALUES (?,?,?,?,?,?,NULL)")


def stored(value: datetime) -> str:
    """SQLAlchemy's SQLite storage of an instant (shared.repositories.bulk)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def make_rows(k0: int, event_id: str, shelter_ids: list[str], now: str) -> dict[str, list[tuple[Any, ...]]]:
    """One batch's rows, with the values the write path would store for `write_bench.sync_batches`."""
    registered = stored(datetime.now(UTC) - timedelta(minutes=30))
    rows: dict[str, list[tuple[Any, ...]]] = {"persons": [], "stays": [], "ops": [], "audit": []}
    for k in range(k0, k0 + BATCH):
        body = common.person_fields(k)
        pid = str(uuid.uuid4())
        shelter = shelter_ids[k % len(shelter_ids)]
        rows["persons"].append((pid, event_id, None, body["full_name"], body["sex"], body.get("birth_date"),
                                body.get("age_years"), body.get("nik"), "[]", 0, "mengungsi", registered, 1, 1, now))
        rows["stays"].append((str(uuid.uuid4()), event_id, pid, shelter, registered, None, 1, now))
        payload = json.dumps({**{key: body.get(key) for key in sorted(body)}, "shelter_id": shelter,
                                 "registered_at": registered, "household_id": None})
        rows["ops"].append(("person", pid, event_id, payload, "person", pid, now))
        rows["audit"].append((now, 1, "bench-admin", "person.create", "person", pid, event_id))
    return rows


def setup(workdir: Path) -> tuple[Any, Any, str, list[str]]:
    """A migrated database, the product's write engine, one event with 4 shelters."""
    from shared.config import Settings
    from shared.db import make_database

    settings = Settings(database_url=f"sqlite:///{workdir / 'floor.db'}")
    common.prepare_database(settings)
    db = make_database(settings)
    conn = db.write_engine.raw_connection()  # the product's pragmas, isolation_level None
    now = stored(datetime.now(UTC))
    event_id = str(uuid.uuid4())
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO events (id, name, kind, category, status, started_at, kelurahan_codes, standard_code, "
                 "standard_version, data_seq, version, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 (event_id, "Banjir (floor)", "banjir", "alam", "tanggap_darurat", now, f'["{common.KELURAHAN}"]',
                  "kemensos_default", 1, 0, 1, now))
    shelters = [str(uuid.uuid4()) for _ in range(4)]
    for i, sid in enumerate(shelters):
        conn.execute("INSERT INTO shelters (id, event_id, name, kind, kelurahan_code, capacity_persons, "
                     "covered_area_m2, toilets, opened_at, version, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (sid, event_id, f"SD Negeri 0{20 + i}", "sekolah", common.KELURAHAN, 500, 900.0, 12, now, 1, now))
    conn.execute("COMMIT")
    return db, conn, event_id, shelters


def run_variant(name: str, batches: int) -> list[tuple[float, float]]:
    """(insert seconds, commit seconds) per batch, from an empty database."""
    from shared.db import start_checkpoints

    with tempfile.TemporaryDirectory(prefix="posko-floor-") as tmp:
        db, conn, event_id, shelters = setup(Path(tmp))
        stop = start_checkpoints(db)  # as the API runs it
        times: list[tuple[float, float]] = []
        try:
            for b in range(batches):
                now = stored(datetime.now(UTC))
                rows = make_rows(b * BATCH, event_id, shelters, now)
                t0 = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(PERSON_SQL, rows["persons"])
                conn.executemany(STAY_SQL, rows["stays"])
                if name == "all":
                    conn.executemany(OP_SQL, rows["ops"])
                    conn.executemany(AUDIT_SQL, rows["audit"])
                    conn.execute("UPDATE events SET data_seq = data_seq + ? WHERE id = ?", (BATCH, event_id))
                    conn.execute(OUTBOX_SQL, (event_id, (b + 1) * BATCH, "field_write", "event", event_id, now))
                t1 = time.perf_counter()
                conn.execute("COMMIT")
                times.append((t1 - t0, time.perf_counter() - t1))
        finally:
            stop()
            conn.close()
            db.dispose()
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, default=120, help="1,000-person batches per variant (120)")
    args = p.parse_args(argv)
    print("command:", shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/sync_floor.py", *argv])]))
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}, "
          f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    import sqlite3

    print(f"SQLite {sqlite3.sqlite_version}; {BATCH:,}-person batches, one transaction each; target "
          f"{GOAL_RPS:,.0f} records/s = {BATCH / GOAL_RPS * 1000:.0f} ms per batch for everything")
    for name in ("all", "persons+stays"):
        times = run_variant(name, args.batches)
        print(f"\n[{name}]  persons in the table before the batch | insert ms | commit ms | storage alone allows")
        for lo in range(0, len(times), RANGE):
            part = times[lo : lo + RANGE]
            ins = statistics.median(t[0] for t in part) * 1000
            com = statistics.median(t[1] for t in part) * 1000
            print(f"  {lo * BATCH:>9,} – {(lo + len(part)) * BATCH:<9,}        | {ins:9.1f} | {com:9.1f} | "
                  f"{BATCH / (ins + com) * 1000:,.0f} records/s")
        total = sum(a + b for a, b in times)
        print(f"  whole run: {len(times) * BATCH / total:,.0f} records/s (storage only, no validation, no HTTP)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
