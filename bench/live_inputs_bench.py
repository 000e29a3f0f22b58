#!/usr/bin/env python3
"""What the worker's live inputs and incremental needs state save: the recompute after a burst of writes
with the needs state moved by what changed (shared/needs/incremental.py, the default), with the engine run
whole on the live inputs (shared/services/live_inputs.py), and with the whole event loaded and computed
(the reference path), in one run.

Setup: a fresh SQLite database with the `posko demo` event of `--persons` persons, the API in process
(FastAPI's TestClient: the real routes and write path, no network), and the worker's job function
`services.worker.jobs.recompute` called in this process.

Each round: `--writes` writes as the freshness benchmark makes them (a registration with a shelter, a
distribution to a shelter, alternately), then one recompute in each mode on the same data: incremental,
then live inputs with the whole engine, then the reference (a warmer page cache only favours the later
ones). All compute the same snapshot; printed per mode: the whole recompute (load, engine, stock, store,
publish) and the load step alone, p50 and p90 over the rounds, in wall-clock and CPU time; and how long
building the incremental state takes (what a meal time or midnight passing costs).

    .venv/bin/python bench/live_inputs_bench.py [--persons 500] [--rounds 30] [--writes 20]
    .venv/bin/python bench/live_inputs_bench.py --persons 50000 --rounds 10
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts the repository root on sys.path)


def _p(values: list[float], q: float) -> float:
    return common.percentile(sorted(values), q)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=500, help="size of the `posko demo` event (500)")
    p.add_argument("--rounds", type=int, default=30, help="write bursts, each followed by both recomputes (30)")
    p.add_argument("--writes", type=int, default=20, help="writes per burst (20: 200 writes/s for 0.1 s)")
    args = p.parse_args()

    from fastapi.testclient import TestClient
    from sqlmodel import select

    from services.api.main import create_app
    from services.demo import run_demo
    from services.worker import jobs
    from shared.config import Settings
    from shared.db import read_unit, utcnow
    from shared.models import Event, Shelter
    from shared.services import status as status_service

    workdir = Path(tempfile.mkdtemp(prefix="posko-live-inputs-bench-"))
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(env="production", database_url=f"sqlite:///{workdir / 'bench.db'}",
                        redis_url=os.environ.get("POSKO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                        secret_key="bench-" + uuid.uuid4().hex, redis_key_prefix=f"posko-bench-{suffix}",
                        queue_name=f"posko-bench-{suffix}")
    username = common.prepare_database(settings)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if run_demo(settings, persons=args.persons) != 0:
            raise SystemExit("posko demo failed")
    print(f"machine: {os.cpu_count()} cores, load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"posko demo ({args.persons} persons) loaded in {time.perf_counter() - t0:.1f} s; SQLite {workdir}")
    ctx = jobs.configure(settings)
    with read_unit(ctx.db) as session:
        event_id = session.exec(select(Event.id)).one()
        shelters = list(session.exec(select(Shelter.id).where(Shelter.event_id == event_id)).all())

    modes = ("incremental", "live", "reference")
    figures: dict[str, dict[str, list[float]]] = {mode: {"wall": [], "cpu": [], "load": []} for mode in modes}
    loaders = {"incremental": ctx.live.load, "live": ctx.live.load, "reference": None}

    def recompute(live: str) -> None:
        ctx.settings.live_inputs = live != "reference"
        ctx.settings.incremental_needs = live == "incremental"
        w, c = time.perf_counter(), time.process_time()
        jobs.recompute(event_id)
        figures[live]["wall"].append(time.perf_counter() - w)
        figures[live]["cpu"].append(time.process_time() - c)
        with read_unit(ctx.db, consistent=True) as session:  # the load step alone, on the same data
            ev = session.get(Event, event_id)
            assert ev is not None
            as_of = status_service.status_as_of(ev, utcnow())
            load = loaders[live] or jobs.load_needs_inputs
            t = time.perf_counter()
            load(session, ev, as_of, settings.tz)
            figures[live]["load"].append(time.perf_counter() - t)

    k = 0
    with TestClient(create_app(settings)) as client:
        token = client.post("/api/v1/auth/token",
                            data={"username": username, "password": common.ADMIN_PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        recompute("incremental")  # the first loads the event into the live inputs and builds the state
        builds = []
        for _ in range(3):  # a meal time or midnight passing: the state is built anew from the live inputs
            for state in ctx.live.states.values():
                state.needs = None
            w = time.perf_counter()
            recompute("incremental")
            builds.append(time.perf_counter() - w)
        recompute("live")
        recompute("reference")
        for mode in modes:
            for key in figures[mode]:
                figures[mode][key].clear()
        for _ in range(args.rounds):
            for _ in range(args.writes):
                if k % 2 == 0:
                    body: dict[str, Any] = {"id": str(uuid.uuid4()), **common.person_fields(10_000_000 + k),
                                            "shelter_id": shelters[k % len(shelters)]}
                    body.pop("nik", None)
                    path = f"/api/v1/events/{event_id}/persons"
                else:
                    body = {"id": str(uuid.uuid4()), "item_code": "makanan_siap_saji", "quantity": 25,
                            "shelter_id": shelters[k % len(shelters)]}
                    path = f"/api/v1/events/{event_id}/distributions"
                resp = client.post(path, json=body, headers=headers)
                if resp.status_code != 201:
                    raise SystemExit(f"POST {path} → {resp.status_code}: {resp.text[:300]}")
                k += 1
            recompute("incremental")  # right after the burst: the live inputs catch up, the state moves
            if ctx.live.last_needs != "updated":
                raise SystemExit(f"the needs state was {ctx.live.last_needs}, not updated")
            recompute("live")  # the same data, the whole engine on the live inputs
            recompute("reference")  # loaded whole (last: the warmer page cache favours it)
    ctx.settings.live_inputs = ctx.settings.incremental_needs = True
    print(f"{args.rounds} rounds of {args.writes} writes ({k} writes in all); per recompute, milliseconds:")
    print(f"{'':34}{'p50':>9}{'p90':>9}")
    for mode in ("reference", "live", "incremental"):
        f = figures[mode]
        for key, label in (("wall", "recompute, wall"), ("cpu", "recompute, CPU"), ("load", "load step, wall")):
            print(f"  {mode[:14]:14} {label:17}{_p(f[key], 50) * 1000:9.1f}{_p(f[key], 90) * 1000:9.1f}")
    ref, live = statistics.median(figures["reference"]["wall"]), statistics.median(figures["live"]["wall"])
    inc = statistics.median(figures["incremental"]["wall"])
    print(f"median recompute: {inc * 1000:.1f} ms incremental, {live * 1000:.1f} ms with live inputs and the whole "
          f"engine, {ref * 1000:.1f} ms loading the whole event ({(inc / ref - 1) * 100:+.1f}% incremental vs reference)")
    print(f"building the needs state (a worker starting, or a change it cannot apply): median {statistics.median(builds) * 1000:.1f} ms "
          f"of {len(builds)}")
    common.cleanup_redis(settings.redis_url, settings.redis_key_prefix, settings.queue_name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
