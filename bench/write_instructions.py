#!/usr/bin/env python3
"""CPU instructions per synced person, counted by valgrind's callgrind: a measure of the write path's cost
that does not move with the machine's load (write_bench.py's rates and even its CPU times do, a lot, on a
2-core machine shared with other work).

What is counted is the batch sync's work inside the API process without HTTP: parsing the batch
(`SyncRequest.model_validate_json`), `prepare_sync`, and `apply_prepared` in a write transaction on SQLite
(`in_write_unit`) — the body of POST /sync. Per checkout (this one, and optionally `--baseline PATH`, another
checkout of Posko such as a worktree at an older commit, run with its own code and its own virtual
environment):

1. natively: a fresh SQLite database, migrated by that checkout, with an event, a shelter and
   `--preload` persons synced in batches of 1,000 (so the indexes have a realistic size), and the
   batches to measure written to JSON (the same persons for every checkout: bench/common.py person_fields);
2. under callgrind, twice: a process that opens the database and applies one warm-up batch, and one that
   applies the warm-up batch and then `--batches` more. The difference of their instruction counts,
   divided by the records, is the cost of a synced person in steady state (imports, start-up and
   first-call costs cancel out).
3. with `--drain` (a checkout that has the person key backlog): the same for the worker's drain of the
   backlog those batches left (`shared.services.match_keys.drain_backlog`), per person: work moved off
   the request, reported so that the total is visible too.

    .venv/bin/python bench/write_instructions.py [--baseline /path/to/older/checkout] [--preload 20000]

It takes a few minutes per checkout (Python under callgrind runs ~50× slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
KELURAHAN = "12.75.04.1004"


# ---------------------------------------------------------------- inside a checkout's interpreter

def _settings(work: Path) -> Any:
    from shared.config import Settings
    return Settings(env="test", database_url=f"sqlite:///{work / 'bench.db'}", redis_url="redis://127.0.0.1:6379/0",
                    secret_key="bench-" + "x" * 40, redis_key_prefix=f"bench-{uuid.uuid4().hex[:8]}",
                    queue_name=f"bench-{uuid.uuid4().hex[:8]}")


def _records(event_id: str, shelter_id: str, start: int, n: int) -> list[dict[str, Any]]:
    saved = list(sys.path)  # bench/common.py puts its own checkout first: keep the measured one's code
    from common import person_fields  # the same persons for every checkout
    sys.path[:] = saved
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return [{"type": "person", "event_id": event_id,
             "data": {"id": str(uuid.UUID(int=start + k + 1)), "shelter_id": shelter_id, "registered_at": at,
                      **person_fields(start + k)}} for k in range(n)]


def _apply(db: Any, actor: Any, raw: str) -> None:
    from shared.db import in_write_unit
    from shared.schemas.sync import SyncRequest
    from shared.services.sync import apply_prepared, prepare_sync
    batch = prepare_sync(SyncRequest.model_validate_json(raw).records)
    results = in_write_unit(db, lambda uow: apply_prepared(uow, actor, batch))
    bad = [r for r in results if r.get("status") != "created"]
    if bad:
        raise SystemExit(f"records not created: {bad[:3]}")


def _actor(db: Any) -> Any:
    from sqlmodel import select

    from shared.db import read_unit
    from shared.domain.access import Actor
    from shared.models import User
    with read_unit(db) as s:
        user = s.exec(select(User).where(User.username == "bench-admin")).one()
        return Actor(id=user.id, username=user.username, role="admin")


def prepare(work: Path, preload: int, batches: int) -> None:
    from shared.db import make_database, write_unit
    from shared.migrate import upgrade
    from shared.models import User
    from shared.schemas.events import EventCreate
    from shared.schemas.people import ShelterCreate
    from shared.services import events as event_service
    from shared.services.field_records import Command, FieldWriter

    settings = _settings(work)
    upgrade(settings)
    db = make_database(settings)
    with write_unit(db) as uow:
        uow.session.add(User(username="bench-admin", full_name="Bench Admin", role="admin", password_hash="x"))
    actor = _actor(db)
    started = datetime.now(UTC) - timedelta(days=3)
    with write_unit(db) as uow:
        event, _ = event_service.create_event(uow, actor, EventCreate.model_validate(
            {"id": str(uuid.uuid4()), "name": "Banjir bench", "kind": "banjir", "started_at": started,
             "kelurahan_codes": [KELURAHAN]}))
        shelter = ShelterCreate.model_validate({"id": str(uuid.uuid4()), "name": "Masjid Raya", "kind": "rumah_ibadah",
                                                "kelurahan_code": KELURAHAN, "capacity_persons": 100_000,
                                                "opened_at": started})
        [out] = FieldWriter(uow, actor).apply([Command("shelter", event.id, shelter)])
        assert out.error is None, out.error
    for start in range(0, preload, 1000):
        _apply(db, actor, json.dumps({"records": _records(event.id, str(shelter.id), start, min(1000, preload - start))}))
    for i in range(batches + 1):  # the warm-up batch, then the measured ones
        raw = json.dumps({"records": _records(event.id, str(shelter.id), preload + i * 1000, 1000)})
        (work / f"batch-{i}.json").write_text(raw)
    if has_backlog(Path(os.environ.get("BENCH_CHECKOUT", "."))):
        from shared.services.match_keys import drain_backlog
        with write_unit(db) as uow:  # the preload's keys, as a worker would have written them by now
            while drain_backlog(uow.session, 10_000):
                pass
    db.dispose()


def measure(work: Path, batches: int, drain: bool) -> None:
    from shared.db import make_database, write_unit
    db = make_database(_settings(work))
    actor = _actor(db)
    raws = [(work / f"batch-{i}.json").read_text() for i in range(batches + 1)]
    _apply(db, actor, raws[0])
    if drain:
        from shared.services.match_keys import drain_backlog
        with write_unit(db) as uow:
            drain_backlog(uow.session, 1000)  # the warm-up batch's keys
    for raw in raws[1:]:
        _apply(db, actor, raw)
    if drain:
        with write_unit(db) as uow:
            while drain_backlog(uow.session, 2000):
                pass
    db.dispose()


# ---------------------------------------------------------------- the driver

def _python(checkout: Path) -> str:
    venv = checkout / ".venv" / "bin" / "python"
    return str(venv if venv.exists() else sys.executable)


def _run(checkout: Path, args: list[str], valgrind_out: Path | None = None) -> int:
    env = dict(os.environ, PYTHONPATH=f"{checkout}{os.pathsep}{HERE.parent}", PYTHONHASHSEED="0",
               BENCH_CHECKOUT=str(checkout))
    cmd = [_python(checkout), str(HERE), *args, "--checkout", str(checkout)]
    if valgrind_out is not None:
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={valgrind_out}", *cmd]
    done = subprocess.run(cmd, env=env, cwd=checkout, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])} … failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    if valgrind_out is None:
        return 0
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if not found:
        raise SystemExit(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _copy_db(src: Path, dst: Path) -> None:
    dst.mkdir()
    for f in src.iterdir():
        shutil.copy2(f, dst / f.name)


def per_checkout(checkout: Path, tmp: Path, preload: int, batches: int, drain: bool) -> dict[str, float]:
    seed = tmp / "seed"
    seed.mkdir()
    t0 = time.monotonic()
    _run(checkout, ["--_prepare", str(seed), "--preload", str(preload), "--batches", str(batches)])
    out: dict[str, float] = {"prepare_s": time.monotonic() - t0}
    counts: dict[str, int] = {}
    plans = [("warm", 0, False), ("full", batches, False)]
    if drain:
        plans += [("warm_drain", 0, True), ("full_drain", batches, True)]
    for name, n, with_drain in plans:
        work = tmp / name
        _copy_db(seed, work)
        args = ["--_measure", str(work), "--batches", str(n)] + (["--drain"] if with_drain else [])
        counts[name] = _run(checkout, args, valgrind_out=tmp / f"{name}.callgrind")
    records = batches * 1000
    out["sync_per_record"] = (counts["full"] - counts["warm"]) / records
    if drain:
        out["sync_and_drain_per_record"] = (counts["full_drain"] - counts["warm_drain"]) / records
        out["drain_per_record"] = out["sync_and_drain_per_record"] - out["sync_per_record"]
    out.update({f"instructions_{k}": float(v) for k, v in counts.items()})
    return out


def has_backlog(checkout: Path) -> bool:
    return "def drain_backlog" in (checkout / "shared/services/match_keys.py").read_text() if (
        checkout / "shared/services/match_keys.py").exists() else False


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", type=Path, action="append", default=[],
                   help="another Posko checkout to measure in the same run (repeatable; the first is the baseline)")
    p.add_argument("--preload", type=int, default=20_000, help="persons in the event before the measured batches")
    p.add_argument("--batches", type=int, default=3, help="measured 1,000-person batches (3)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    p.add_argument("--checkout", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_prepare", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_measure", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._prepare:
        return prepare(args._prepare, args.preload, args.batches)
    if args._measure:
        return measure(args._measure, args.batches, args.drain)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    checkouts = [(f"baseline {i + 1}" if len(args.baseline) > 1 else "baseline", b.resolve())
                 for i, b in enumerate(args.baseline)] + [("this checkout", HERE.parent.parent)]
    results: dict[str, dict[str, float]] = {}
    for label, checkout in checkouts:
        with tempfile.TemporaryDirectory(prefix="posko-instr-") as tmp:
            print(f"[{label}] {checkout} …", flush=True)
            results[label] = per_checkout(checkout, Path(tmp), args.preload, args.batches, has_backlog(checkout))
    print()
    print(f"Instructions per synced person (callgrind; {args.batches} batches of 1,000 after {args.preload:,} persons; "
          "parse + prepare + apply in a write transaction on SQLite, no HTTP)")
    for label, r in results.items():
        line = f"  {label:14} {r['sync_per_record']:>12,.0f} per record in the request"
        if label.startswith("baseline"):
            line += f" ({dict(checkouts)[label]})"
        if "drain_per_record" in r:
            line += (f"; + {r['drain_per_record']:,.0f} in the worker's key drain = "
                     f"{r['sync_and_drain_per_record']:,.0f} in all")
        print(line)
    cur = results["this checkout"]["sync_per_record"]
    for label, r in results.items():
        if label.startswith("baseline"):
            base = r["sync_per_record"]
            print(f"  request cost vs {label}: {cur / base:.3f}× ({(cur / base - 1) * 100:+.1f}%)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
