#!/usr/bin/env python3
"""Freshness: from a write's answer to the snapshot with its `data_seq` arriving at every websocket client.

Setup: a fresh SQLite database in a temp directory with the `posko demo` event (500 persons,
`services.demo.run_demo`), ONE API process (`python -m services.cli api`) and ONE worker process
(`python -m services.cli worker`), both with a Redis key prefix and queue name unique to the run; or, with
`--postgres URL --apis N --workers M`, a PostgreSQL database made for the run and N API and M worker processes
(writes and websocket clients spread over the API processes round robin).

Then, in two processes of their own (so neither slows the other's clock readings):

- listeners: `--clients` websocket clients (asyncio + `websockets`) on `/api/v1/events/{id}/live`,
  each recording when it received every snapshot (its `seq` and `data_seq`);
- writer: an asyncio httpx client sending `--rate` writes a second for `--seconds` (open loop: the
  k-th write leaves at start + k/rate whatever the answers do), alternating `POST persons` with a
  `shelter_id` and `POST distributions` to a shelter, recording each answer's `X-Data-Seq` and time.

All times are `time.monotonic()` (CLOCK_MONOTONIC is system-wide on Linux, so the processes'
readings compare). For each write and each client: freshness = the time the client first received
a snapshot with `data_seq` ≥ the write's, minus the time the write's answer arrived. Reported:
p50/p99/max over all (write, client) pairs, and over writes for the fastest client; writes never
seen (must be 0: no write lost); recomputes (distinct snapshot seqs) against writes.

    .venv/bin/python bench/freshness_bench.py [--clients 100] [--rate 200] [--seconds 30]
    .venv/bin/python bench/freshness_bench.py --demo-persons 50000 --writer raw             # 50,000 persons
    .venv/bin/python bench/freshness_bench.py --generated-persons 300000 --generated-shelters 1200 \
        --generated-distributions 1800000 --writer raw                                     # 300,000 persons
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts the repository root on sys.path)

ROOT = common.ROOT
HOST = common.HOST

# Goals from bench/README.md, "Targets".
GOAL_P50_MS = 100.0
GOAL_P99_MS = 300.0

_SEQ = re.compile(rb'"seq":(\d+)')


# ---------------------------------------------------------------- listeners (own process)

async def _listen(spec: dict[str, Any]) -> dict[str, Any]:
    """`clients` websockets on the live endpoint; each records (monotonic time, seq) of every message.

    The data_seq of each seq is parsed once (every client receives the same text). Runs until the
    stop file names a target data_seq and every client has seen it, or the grace period ends."""
    import websockets

    urls = spec["urls"]  # one per API process: client i listens on urls[i % len(urls)]
    n = spec["clients"]
    ready_path, stop_path = Path(spec["ready"]), Path(spec["stop"])
    data_seq_of: dict[int, int] = {}
    received: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    newest: list[int] = [-1] * n  # the highest data_seq each client has seen
    errors: list[str] = []
    connected = 0
    closed_by_server: list[str] = []

    async def client(i: int) -> None:
        nonlocal connected
        try:
            async with websockets.connect(urls[i % len(urls)], max_size=None, open_timeout=30, ping_interval=None,
                                          compression=None if spec["no_compression"] else "deflate") as ws:
                connected += 1
                async for raw in ws:
                    t = time.monotonic()
                    data = raw.encode() if isinstance(raw, str) else raw
                    m = _SEQ.search(data, 0, 400)
                    if m is None:
                        continue
                    seq = int(m.group(1))
                    ds = data_seq_of.get(seq)
                    if ds is None:
                        message = json.loads(data)
                        if message.get("type") != "status":
                            continue
                        seq = int(message["seq"])
                        ds = data_seq_of[seq] = int(message["data"]["data_seq"])
                    received[i].append((t, seq))
                    if ds > newest[i]:
                        newest[i] = ds
                closed_by_server.append(f"client {i}: closed {ws.close_code} {ws.close_reason}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reported, not fatal: the analysis counts what this client missed
            errors.append(f"client {i}: {exc.__class__.__name__}: {exc}")

    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(client(i)))
        if i % 10 == 9:
            await asyncio.sleep(0.02)  # do not open them all in the same millisecond
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (connected == n and all(r for r in received)):
        if len(errors) + len(closed_by_server) >= n:
            break
        await asyncio.sleep(0.05)
    ready_path.write_text(json.dumps({"connected": connected, "with_snapshot": sum(1 for r in received if r),
                                      "errors": errors[:5]}))
    target: int | None = None
    grace_end = 0.0
    while True:
        await asyncio.sleep(0.05)
        if target is None and stop_path.exists():
            stop = json.loads(stop_path.read_text())
            target, grace_end = int(stop["data_seq"]), time.monotonic() + float(stop["grace"])
        if target is not None and (all(x >= target for x in newest) or time.monotonic() > grace_end):
            break
        if all(t.done() for t in tasks):
            break
    await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"received": received, "data_seq_of": {str(k): v for k, v in data_seq_of.items()}, "errors": errors,
            "closed_by_server": closed_by_server, "connected": connected}


# ---------------------------------------------------------------- writer (own process)

async def _write(spec: dict[str, Any]) -> dict[str, Any]:
    """Open-loop writes at `rate`/s for `seconds`: persons with a shelter, and shelter distributions.

    `connections` senders take the writes in order. A write waiting for a free sender still counts
    from the moment it was due (open loop), without thousands of requests queued inside httpx's
    pool (that costs the writer far more CPU than the requests themselves). A transport error is
    retried with the same body (the same client id: the create is idempotent), as the field app does.
    """
    import httpx

    rate, seconds = spec["rate"], spec["seconds"]
    total = max(1, int(rate * seconds))
    shelters = spec["shelters"]
    path0 = f"/api/v1/events/{spec['event_id']}"
    results: list[dict[str, Any]] = []
    items = (("makanan_siap_saji", 40.0), ("air_minum", 100.0), ("air_bersih", 500.0))
    limits = httpx.Limits(max_connections=spec["connections"], max_keepalive_connections=spec["connections"])
    ports = spec["ports"]  # one per API process: write k goes to ports[k % len(ports)]
    clients = [httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=60.0,
                                 headers={"Authorization": f"Bearer {spec['token']}"}) for port in ports]

    async def post(raw: common.RawHttp | None, path: str, body: dict[str, Any], k: int) -> tuple[int, str | None, str]:
        if raw is None:
            r = await clients[k % len(clients)].post(path, json=body)
            return r.status_code, r.headers.get("x-data-seq"), r.text
        status, seq, text = await raw.post(path, json.dumps(body, separators=(",", ":")).encode())
        return status, seq, text.decode(errors="replace")

    async def one(raw: common.RawHttp | None, k: int, sent: float) -> None:
        if k % 2 == 0:
            body: dict[str, Any] = {"id": str(uuid.uuid4()), **common.person_fields(spec["k0"] + k),
                                    "shelter_id": shelters[k % len(shelters)]}
            body.pop("nik", None)  # demo NIKs are random: avoid any chance of a duplicate (409)
            path, kind = path0 + "/persons", "person"
        else:
            code, qty = items[(k // 2) % len(items)]
            body = {"id": str(uuid.uuid4()), "item_code": code, "quantity": qty,
                    "shelter_id": shelters[k % len(shelters)], "notes": "bench"}
            path, kind = path0 + "/distributions", "distribution"
        row: dict[str, Any] = {"k": k, "kind": kind, "sent": sent, "attempts": 0, "status": 0, "data_seq": None}
        for _ in range(3):
            row["attempts"] += 1
            try:
                status, seq, text = await post(raw, path, body, k)
            except (httpx.TransportError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                row["error"] = f"{exc.__class__.__name__}: {exc}"
                continue
            row["status"], row["data_seq"] = status, int(seq) if seq is not None else None
            if status not in (200, 201):
                row["error"] = text[:200]
            else:
                row.pop("error", None)
            break
        row["answered"] = time.monotonic()
        results.append(row)

    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def sender(i: int) -> None:  # a raw sender keeps one connection: to one API process
        raw = common.RawHttp(ports[i % len(ports)], spec["token"]) if spec["writer"] == "raw" else None
        try:
            while (item := await due.get()) is not None:
                await one(raw, *item)
        finally:
            if raw is not None:
                raw.close()

    try:
        senders = [asyncio.create_task(sender(i)) for i in range(spec["connections"])]
        start = time.monotonic() + 0.1
        late = 0
        for k in range(total):
            at = start + k / rate
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.05:
                late += 1
            due.put_nowait((k, time.monotonic()))
        last_sent = time.monotonic()
        for _ in senders:
            due.put_nowait(None)
        await asyncio.gather(*senders)
    finally:
        for client in clients:
            await client.aclose()
    return {"writes": sorted(results, key=lambda r: r["k"]), "start": start, "last_sent": last_sent,
            "late": late, "total": total}


# ---------------------------------------------------------------- helpers in the main process

def children_cpu() -> float:
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ch.ru_utime + ch.ru_stime


def machine_busy() -> float:
    return common.CpuSample.take(None).machine_busy


def pct(values: list[float], p: float) -> float:
    return common.percentile(values, p)


@dataclass
class Analysis:
    pairs: list[float]  # freshness of every (write, client) pair seen, seconds
    fastest: list[float]  # per write, the fastest client
    from_sent: list[float]  # per (write, client) pair: from the moment the write was sent
    early_pairs: int  # pairs whose snapshot came before the answer (counted as 0)
    writes_ok: int
    writes_failed: int
    lost_writes: int  # no client ever saw the write's data_seq
    missing_pairs: int  # (write, client) pairs never seen
    seqs_during: int  # distinct snapshot seqs from the first write's answer on
    data_seqs_during: int


def analyse(writes: list[dict[str, Any]], listen: dict[str, Any]) -> Analysis:
    data_seq_of = {int(k): v for k, v in listen["data_seq_of"].items()}
    ok = [w for w in writes if w["status"] in (200, 201) and w.get("data_seq") is not None]
    failed = len(writes) - len(ok)
    clients = []
    for messages in listen["received"]:
        times = [t for t, _ in messages]
        # data_seq seen so far (snapshots only grow, but take the running max to be safe)
        running: list[int] = []
        top = -1
        for _, seq in messages:
            top = max(top, data_seq_of.get(seq, -1))
            running.append(top)
        clients.append((times, running))
    pairs: list[float] = []
    fastest: list[float] = []
    from_sent: list[float] = []
    early = lost = missing = 0
    for w in ok:
        ds, answered, sent = w["data_seq"], w["answered"], w["sent"]
        best: float | None = None
        for times, running in clients:
            i = bisect.bisect_left(running, ds)
            if i == len(running):
                missing += 1
                continue
            latency = times[i] - answered
            from_sent.append(times[i] - sent)
            if latency < 0:
                early += 1
                latency = 0.0
            pairs.append(latency)
            best = latency if best is None else min(best, latency)
        if best is None:
            lost += 1
        else:
            fastest.append(best)
    first = min((w["answered"] for w in ok), default=0.0)
    seqs = {seq for messages in listen["received"] for t, seq in messages if t >= first}
    pairs.sort()
    fastest.sort()
    from_sent.sort()
    return Analysis(pairs, fastest, from_sent, early, len(ok), failed, lost, missing, len(seqs),
                    len({data_seq_of.get(s) for s in seqs}))


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=100, help="websocket clients (100)")
    p.add_argument("--rate", type=float, default=200.0, help="writes per second (200)")
    p.add_argument("--seconds", type=float, default=30.0, help="duration of the writes (30)")
    p.add_argument("--demo-persons", type=int, default=500, help="size of the `posko demo` event (500)")
    p.add_argument("--generated-persons", type=int, default=0, metavar="N",
                   help="instead of the demo, the recompute benchmark's generated event of N persons (bulk inserts; "
                        "the demo stops at 100,000): e.g. 300000 with --generated-shelters 1200 "
                        "--generated-distributions 1800000")
    p.add_argument("--generated-shelters", type=int, default=200, help="shelters of the generated event (200)")
    p.add_argument("--generated-distributions", type=int, default=300_000,
                   help="distributions of the generated event (300000)")
    p.add_argument("--connections", type=int, default=32, help="writer's keep-alive connections at most (32)")
    p.add_argument("--writer", choices=["httpx", "raw"], default="httpx",
                   help="the writer's HTTP client: httpx (default) or a minimal HTTP/1.1 client that costs a "
                        "fraction of the CPU (on 2 cores that CPU is taken from the API and the worker)")
    p.add_argument("--grace", type=float, default=20.0,
                   help="seconds to wait after the last answer for every client to see the last write (20)")
    p.add_argument("--no-compression", action="store_true",
                   help="websocket clients do not offer permessage-deflate (browsers do; default: offer it)")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True,
                   help="POSKO_ACCESS_LOG for the API (default on, as in production)")
    p.add_argument("--postgres", default=None, metavar="URL",
                   help="PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/test): a database is created "
                        "on it for the run and dropped after; default SQLite")
    p.add_argument("--apis", type=int, default=1, help="API processes (1); writes and clients spread over them")
    p.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    p.add_argument("--setting", action="append", default=[], metavar="POSKO_NAME=VALUE",
                   help="a setting for the API and the worker (repeatable), e.g. POSKO_LIVE_INPUTS=false")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (database, logs, raw records)")
    p.add_argument("--_listen", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--_write", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.clients < 1 or args.rate <= 0 or args.seconds <= 0:
        p.error("--clients, --rate and --seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._listen:
        return common.child_loop(_listen, *args._listen)
    if args._write:
        return common.child_loop(_write, *args._write)

    print("command:", shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/freshness_bench.py", *argv])]))
    load_before = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}, load average "
          f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}")
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
    me = str(Path(__file__).resolve())
    workdir = Path(tempfile.mkdtemp(prefix="posko-freshness-bench-"))
    db_path = workdir / "bench.db"
    suffix = uuid.uuid4().hex[:8]
    pg_name = f"posko_freshness_{suffix}"
    database_url = f"sqlite:///{db_path}"
    if args.postgres:
        common.pg_admin(args.postgres, f'CREATE DATABASE "{pg_name}"')
        database_url = common.pg_database(args.postgres, pg_name)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    redis_url = os.environ.get("POSKO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix, queue = f"posko-bench-{suffix}", f"posko-bench-{suffix}"
    ports = [common.free_port() for _ in range(args.apis)]
    port = ports[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSKO_")}
    env.update(POSKO_ENV="production", POSKO_DATABASE_URL=database_url, POSKO_REDIS_URL=redis_url,
               POSKO_SECRET_KEY="bench-" + uuid.uuid4().hex, POSKO_REDIS_KEY_PREFIX=prefix,
               POSKO_QUEUE_NAME=queue, POSKO_HOST=HOST, POSKO_PORT=str(port),
               POSKO_ACCESS_LOG="true" if args.access_log else "false")
    for setting in args.setting:  # e.g. POSKO_LIVE_INPUTS=false: the reference path, for a same-sitting baseline
        name, _, value = setting.partition("=")
        env[name] = value
    if args.setting:
        print(f"settings for the API and the worker: {' '.join(args.setting)}")

    redis_proc: subprocess.Popen[bytes] | None = None
    servers: list[common.Server] = []
    workers: list[common.Worker] = []
    listener: subprocess.Popen[bytes] | None = None
    api: common.Api | None = None
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops everything
    try:
        if not common.redis_answers(redis_url):
            redis_proc, redis_url = common.private_redis(workdir)
            print(f"no Redis at {env['POSKO_REDIS_URL']}: started a private redis-server at {redis_url}")
            env["POSKO_REDIS_URL"] = redis_url

        from shared.config import Settings

        settings = Settings(env="production", database_url=env["POSKO_DATABASE_URL"], redis_url=redis_url,
                            secret_key=env["POSKO_SECRET_KEY"], redis_key_prefix=prefix, queue_name=queue)

        # ---- setup: database, admin, the demo event; then the API and the worker
        username = common.prepare_database(settings)
        from services.demo import run_demo

        t0 = time.perf_counter()
        if args.generated_persons:  # the recompute benchmark's generator (bulk inserts): city-scale events
            import recompute_bench
            recompute_bench.generate(settings, persons=args.generated_persons, shelters=args.generated_shelters,
                                     days=30, distributions=args.generated_distributions, seed=2026)
            print(f"generated event ({args.generated_persons} persons, {args.generated_shelters} shelters, "
                  f"{args.generated_distributions} distributions) in {time.perf_counter() - t0:.1f} s", flush=True)
        else:
            with open(workdir / "demo.log", "w") as demo_log, contextlib.redirect_stdout(demo_log):
                code = run_demo(settings, persons=args.demo_persons)
            if code != 0:
                raise RuntimeError(f"posko demo failed:\n{(workdir / 'demo.log').read_text()[-2000:]}")
            print(f"posko demo (run_demo, persons={args.demo_persons}) loaded in {time.perf_counter() - t0:.1f} s",
                  flush=True)
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            event_id = conn.execute(text("SELECT id FROM events ORDER BY created_at LIMIT 1")).scalar_one()
            demo_persons = conn.execute(text("SELECT count(*) FROM persons WHERE event_id = :e"),
                                        {"e": event_id}).scalar_one()
        engine.dispose()
        for i, api_port in enumerate(ports):
            servers.append(common.Server(python, {**env, "POSKO_PORT": str(api_port)}, api_port,
                                         workdir / f"api-{i}.log"))
        for i in range(args.workers):
            workers.append(common.Worker(python, env, workdir / f"worker-{i}.log"))
        for server in servers:
            print(f"api: {shlex.join(server.cmd)} (pid {server.pid}, port {server.port})", flush=True)
        print(f"workers: {', '.join(str(w.pid) for w in workers)}; {backend} {database_url if args.postgres else db_path}; "
              f"Redis {redis_url} prefix {prefix}", flush=True)
        for server in servers:
            # a generated event's outbox rows date from its generation (minutes ago, past /readyz's lag
            # limit) until the worker's first snapshot covers them; at 300,000 persons that snapshot follows
            # the scheduler's first verification of the event, a full computation
            server.wait_ready(600 if args.generated_persons else 60)
        api = common.Api(port)
        token = api.login(username, common.ADMIN_PASSWORD)
        shelters = [s["id"] for s in api.get(f"/events/{event_id}/shelters?limit=500")["items"]
                    if s.get("closed_at") is None]
        if not shelters:
            raise RuntimeError("the demo event has no open shelter")

        # ---- the pipeline works end to end: one write, then its snapshot in GET /status
        probe = api.client.post(f"/api/v1/events/{event_id}/distributions",
                                json={"item_code": "air_minum", "quantity": 10, "shelter_id": shelters[0]},
                                headers={"Authorization": f"Bearer {token}"})
        if probe.status_code != 201:
            raise RuntimeError(f"probe write → {probe.status_code}: {probe.text[:300]}")
        probe_seq = int(probe.headers["x-data-seq"])
        t0 = time.monotonic()

        def probe_seen() -> bool:
            snap = api.get(f"/events/{event_id}/status")  # type: ignore[union-attr]
            return bool(snap["seq"] > 0 and snap["data_seq"] >= probe_seq)

        common.wait_for(probe_seen, 600 if args.generated_persons else 60, "the worker's first snapshot")
        print(f"pipeline up: the probe write (data_seq {probe_seq}) reached GET /status after "
              f"{time.monotonic() - t0:.2f} s; demo event {event_id} with {demo_persons} persons, "
              f"{len(shelters)} open shelters", flush=True)

        # ---- listeners
        ws_urls = [f"ws://{HOST}:{p}/api/v1/events/{event_id}/live?token={token}" for p in ports]
        listen_spec = {"urls": ws_urls, "clients": args.clients, "ready": str(workdir / "listen.ready"),
                       "stop": str(workdir / "listen.stop"), "no_compression": args.no_compression}
        (workdir / "listen.json").write_text(json.dumps(listen_spec))
        listen_out = workdir / "listen.out.json"
        listen_log = open(workdir / "listen.log", "wb")  # noqa: SIM115 - closed below
        listener = subprocess.Popen([python, me, "--_listen", str(workdir / "listen.json"), str(listen_out)],
                                    cwd=ROOT, stdout=listen_log, stderr=subprocess.STDOUT)
        ready = json.loads(common.wait_for(lambda: (workdir / "listen.ready").exists() and
                                    (workdir / "listen.ready").read_text(), 90, "the websocket clients"))
        print(f"listeners: {ready['connected']}/{args.clients} websocket clients connected, "
              f"{ready['with_snapshot']} with their first snapshot"
              + (f"; errors: {ready['errors']}" if ready["errors"] else ""), flush=True)
        if ready["with_snapshot"] < args.clients:
            raise RuntimeError(f"only {ready['with_snapshot']} of {args.clients} websocket clients got a snapshot")

        # ---- writes
        write_spec = {"ports": ports, "event_id": event_id, "token": token, "shelters": shelters, "rate": args.rate,
                      "seconds": args.seconds, "connections": args.connections, "k0": 10_000_000,
                      "writer": args.writer}
        (workdir / "write.json").write_text(json.dumps(write_spec))
        write_out = workdir / "write.out.json"
        print(f"writing: {args.rate:g} writes/s for {args.seconds:g} s (persons with shelter_id and shelter "
              f"distributions, alternating; {args.writer} client, {args.connections} connections) ...", flush=True)
        pids = {"api": [srv.pid for srv in servers], "worker": [w.pid for w in workers], "listeners": [listener.pid]}
        cpu0 = {k: sum(common.proc_cpu(v) for v in vs) for k, vs in pids.items()}
        busy0, wall0, children0 = machine_busy(), time.monotonic(), children_cpu()
        writer = subprocess.run([python, me, "--_write", str(workdir / "write.json"), str(write_out)], cwd=ROOT,
                                timeout=args.seconds + 300)
        if writer.returncode != 0:
            raise RuntimeError(f"the writer failed ({writer.returncode})")
        wall1 = time.monotonic()
        cpu1 = {k: sum(common.proc_cpu(v) for v in vs) for k, vs in pids.items()}
        busy1, children1 = machine_busy(), children_cpu()
        wrote = json.loads(write_out.read_text())
        writes = wrote["writes"]
        top = max((w["data_seq"] for w in writes if w.get("data_seq") is not None), default=0)
        (workdir / "listen.stop").write_text(json.dumps({"data_seq": top, "grace": args.grace}))
        listener.wait(timeout=args.grace + 120)
        listen_log.close()
        if listener.returncode != 0 or not listen_out.exists():
            raise RuntimeError(f"the listener process failed ({listener.returncode}): "
                               f"{(workdir / 'listen.log').read_text(errors='replace')[-2000:]}")
        listen = json.loads(listen_out.read_text())
        status = api.get(f"/events/{event_id}/status")

        # ---- analysis and report
        a = analyse(writes, listen)
        ok = [w for w in writes if w["status"] in (200, 201) and w.get("data_seq") is not None]
        answer_ms = sorted((w["answered"] - w["sent"]) * 1000 for w in ok)
        duration = max(wall1 - wall0, 1e-9)
        cores = {k: (cpu1[k] - cpu0[k]) / duration for k in pids}
        writer_cores = (children1 - children0) / duration  # the writer is the only child waited for meanwhile
        other = max(0.0, (busy1 - busy0) / duration - sum(cores.values()) - writer_cores)
        sent_rate = wrote["total"] / max(wrote["last_sent"] - wrote["start"], 1e-9)
        statuses: dict[str, int] = {}
        for w in writes:
            statuses[str(w["status"])] = statuses.get(str(w["status"]), 0) + 1
        retried = sum(1 for w in writes if w["attempts"] > 1)
        width = 118
        print("\n" + "=" * width)
        print(f"Posko freshness benchmark — demo event ({demo_persons} persons at the start), {args.apis} API "
              f"process(es), {args.workers} worker(s), {backend}; {args.clients} websocket clients; "
              f"{args.rate:g} writes/s for {args.seconds:g} s"
              + (f"; {' '.join(args.setting)}" if args.setting else ""))
        print("=" * width)
        print(f"{'measure':58} {'n':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")

        def row(label: str, values: list[float], scale: float = 1000.0) -> None:
            if not values:
                print(f"{label:58} {0:>9}")
                return
            print(f"{label:58} {len(values):>9,} {pct(values, 50) * scale:8.1f} {pct(values, 90) * scale:8.1f} "
                  f"{pct(values, 99) * scale:8.1f} {values[-1] * scale:8.1f}")

        row("write answered → snapshot received, every client", a.pairs)
        row("write answered → snapshot received, fastest client", a.fastest)
        row("write sent → answered (X-Data-Seq)", answer_ms, 1.0)
        row("write sent → snapshot received, every client", a.from_sent)
        print("-" * width)
        c = cores
        print(f"writes: {len(writes):,} sent at {sent_rate:,.0f}/s ({wrote['late']} left > 50 ms late), answers "
              f"{statuses}, {retried} after a retry (transport error); recomputes seen: {a.seqs_during:,} snapshots ({a.data_seqs_during:,} distinct data_seq) "
              f"for {a.writes_ok:,} writes = one per {a.writes_ok / max(1, a.seqs_during):.1f} writes")
        print(f"pairs whose snapshot arrived before the answer did (counted as 0 ms): {a.early_pairs:,}; "
              f"final snapshot: seq {status['seq']}, data_seq {status['data_seq']}, "
              f"{status['people']['registered']:,} persons registered")
        print(f"cores during the writes: api {c['api']:.2f}, worker(s) {c['worker']:.2f}, listeners {c['listeners']:.2f}, "
              f"writer {writer_cores:.2f}, rest of the machine {other:.2f} (of {os.cpu_count()})")
        if listen["errors"] or listen["closed_by_server"]:
            print(f"websocket errors: {len(listen['errors'])} {listen['errors'][:3]}; closed by the server: "
                  f"{len(listen['closed_by_server'])} {listen['closed_by_server'][:3]}")
        print("-" * width)
        print("Goals (DESIGN.md, Performance targets; per client, every (write, client) pair):")
        p50, p99 = pct(a.pairs, 50) * 1000, pct(a.pairs, 99) * 1000
        print(f"  {common.mark(bool(a.pairs) and p50 <= GOAL_P50_MS)} freshness p50 = {p50:.1f} ms   goal ≤ 100 ms"
              f"   (fastest client: {pct(a.fastest, 50) * 1000:.1f} ms)")
        print(f"  {common.mark(bool(a.pairs) and p99 <= GOAL_P99_MS)} freshness p99 = {p99:.1f} ms   goal ≤ 300 ms"
              f"   (fastest client: {pct(a.fastest, 99) * 1000:.1f} ms)")
        no_loss = a.lost_writes == 0 and a.missing_pairs == 0 and a.writes_failed == 0
        print(f"  {'OK  ' if no_loss else 'FAIL'} no write lost: {a.lost_writes} writes never seen by any client, "
              f"{a.missing_pairs} (write, client) pairs never seen, {a.writes_failed} writes not answered 200/201"
              + (f" (e.g. {next(w.get('error') for w in writes if w['status'] not in (200, 201))})"
                 if a.writes_failed else ""))
        print(f"  machine: load average before {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, "
              f"after {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"logs: {workdir}" + ("" if args.keep else " (deleted at exit; --keep keeps them)"))
        if args.json:
            args.json.write_text(json.dumps({
                "clients": args.clients, "rate": args.rate, "seconds": args.seconds,
                "freshness_ms": {"p50": p50, "p99": p99, "max": a.pairs[-1] * 1000 if a.pairs else None},
                "fastest_ms": {"p50": pct(a.fastest, 50) * 1000, "p99": pct(a.fastest, 99) * 1000,
                               "max": a.fastest[-1] * 1000 if a.fastest else None},
                "answer_ms": {"p50": pct(answer_ms, 50), "p99": pct(answer_ms, 99)},
                "writes": len(writes), "writes_ok": a.writes_ok, "lost_writes": a.lost_writes,
                "missing_pairs": a.missing_pairs, "recomputes": a.seqs_during, "cores": cores,
                "goals_met": {"p50": p50 <= GOAL_P50_MS, "p99": p99 <= GOAL_P99_MS}, "no_write_lost": no_loss,
                "at": datetime.now().isoformat()}, indent=2))
        return 0 if no_loss else 1
    except Exception as exc:
        print(f"\nbenchmark failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        for name, proc in [("api", srv) for srv in servers] + [("worker", w) for w in workers]:
            print(f"--- {name} log tail ({proc.log_path}) ---\n{proc.log_tail()}", file=sys.stderr)
        return 1
    finally:
        if listener is not None and listener.poll() is None:
            listener.terminate()
            try:
                listener.wait(timeout=10)
            except subprocess.TimeoutExpired:
                listener.kill()
                listener.wait(timeout=5)
        if api is not None:
            api.close()
        for w in workers:
            w.stop()
        for srv in servers:
            srv.stop()
        if args.postgres and not args.keep:
            common.pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        signal.signal(signal.SIGTERM, previous_sigterm)
        common.release_run(redis_proc, workdir, args.keep, shared_redis=(redis_url, prefix, queue))


if __name__ == "__main__":
    sys.exit(main())
