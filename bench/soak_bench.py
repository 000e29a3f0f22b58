#!/usr/bin/env python3
"""Soak: resident memory of the API and the worker, and write latency, over minutes of steady load.

Target (issue 14): 10 minutes at 100 writes/s with 50 websocket clients reconnecting, on an event of
50,000 persons: API RSS ≤ 250 MB, worker RSS ≤ 400 MB, write p99 of the last minute within 20% of the
first minute's, and no write lost.

Setup: a fresh SQLite database in a temp directory with the `posko demo` event of `--demo-persons`
persons (`services.demo.run_demo`), checkpointed and kept as a pristine copy, so every phase starts
from the same file. A phase starts ONE API process (`python -m services.cli api`) and ONE worker
(`python -m services.cli worker`) on a fresh copy, with the SQLite memory settings under test
(`POSKO_SQLITE_*`), proves the pipeline with a probe write, and then, each in a process of its own:

- listeners: `--clients` websocket clients on `/api/v1/events/{id}/live`, each holding its socket
  for a few seconds (`--hold`, staggered between 0.5× and 1.5×), closing it and connecting again;
  they record the newest `data_seq` seen and how long each connect took to its first snapshot;
- writer: `--rate` writes a second for `--minutes` (open loop: the k-th write is due at start + k/rate
  whatever the answers do), alternating `POST persons` with a shelter and `POST distributions`.

Meanwhile this process reads VmRSS (and its anonymous and file-backed parts) of the API and the
worker from /proc every `--sample` seconds. psutil is not in the lock files; /proc is all it needs.

It prints per minute: API RSS max, worker RSS max, write p50/p99 (from due to answered), and at the
end the peaks against the targets, the write p99 drift from the first to the last minute, and the
writes lost: an answered write is lost when no client ever received a snapshot with its data_seq.

`--baseline` runs the same soak first with the settings before issue 14 (64 MiB page cache on every
connection, pools of 20 + 20) and prints both side by side.

    .venv/bin/python bench/soak_bench.py --minutes 10 --baseline     # the documented run (~25 min)
    .venv/bin/python bench/soak_bench.py                               # 2 minutes, current settings
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts the repository root on sys.path)

ROOT = common.ROOT
HOST = common.HOST
MB = 1_000_000  # the targets are in MB; /proc gives kB (KiB)

GOAL_API_RSS_MB = 250.0
GOAL_WORKER_RSS_MB = 400.0
GOAL_P99_DRIFT_PCT = 20.0

# The settings before issue 14: every connection a 64 MiB page cache, pools of 20 + 20.
BASELINE_SETTINGS = {"sqlite_read_cache_mib": "64", "sqlite_write_cache_mib": "64",
                     "sqlite_worker_cache_mib": "64", "sqlite_pool_size": "20", "sqlite_max_overflow": "20"}
MEMORY_SETTINGS = tuple(BASELINE_SETTINGS)

_SEQ = re.compile(rb'"seq":(\d+)')


# ---------------------------------------------------------------- listeners (own process)

async def _listen(spec: dict[str, Any]) -> dict[str, Any]:
    """`clients` websockets that connect, hold for a few seconds, close and connect again, until the stop
    file names a target data_seq that every client has seen (or the grace period ends).

    Each snapshot's data_seq is parsed once per seq (every client receives the same text)."""
    import websockets

    url, n, hold = spec["url"], spec["clients"], spec["hold"]
    stop_path, ready_path = Path(spec["stop"]), Path(spec["ready"])
    data_seq_of: dict[int, int] = {}
    newest = [-1] * n  # per client, the highest data_seq seen on any of its connections
    connects: list[tuple[float, float]] = []  # (connected at, seconds to the first snapshot)
    errors: list[tuple[float, str]] = []
    stopping = False

    def data_seq(raw: str | bytes) -> int | None:
        data = raw.encode() if isinstance(raw, str) else raw
        m = _SEQ.search(data, 0, 400)
        if m is None:
            return None
        seq = int(m.group(1))
        ds = data_seq_of.get(seq)
        if ds is None:
            message = json.loads(data)
            if message.get("type") != "status":
                return None
            ds = data_seq_of[int(message["seq"])] = int(message["data"]["data_seq"])
        return ds

    async def client(i: int) -> None:
        my_hold = hold * (0.5 + (i % 10) / 10)  # 0.5× … 1.4×: the reconnects do not come in waves
        await asyncio.sleep(hold * i / n)  # staggered start
        while not stopping:
            t0 = time.monotonic()
            try:
                async with websockets.connect(url, max_size=None, open_timeout=30, ping_interval=None,
                                              compression="deflate") as ws:
                    first: float | None = None
                    end = t0 + my_hold
                    while not stopping:
                        left = end - time.monotonic()
                        if left <= 0 and first is not None:
                            break
                        try:
                            raw = await asyncio.wait_for(ws.recv(), timeout=max(left, 0.05) if first is not None
                                                         else 30)
                        except TimeoutError:
                            if first is None:
                                errors.append((t0, f"client {i}: no snapshot within 30 s of connecting"))
                            break
                        ds = data_seq(raw)
                        if ds is None:
                            continue
                        if first is None:
                            first = time.monotonic() - t0
                            connects.append((t0, first))
                        if ds > newest[i]:
                            newest[i] = ds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # counted, not fatal: the client connects again
                errors.append((t0, f"client {i}: {exc.__class__.__name__}: {exc}"))
                await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(client(i)) for i in range(n)]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and min(newest) < 0:
        await asyncio.sleep(0.05)
    ready_path.write_text(json.dumps({"with_snapshot": sum(1 for x in newest if x >= 0),
                                      "errors": [e for _, e in errors[:5]]}))
    target: int | None = None
    grace_end = 0.0
    while True:
        await asyncio.sleep(0.1)
        if target is None and stop_path.exists():
            stop = json.loads(stop_path.read_text())
            target, grace_end = int(stop["data_seq"]), time.monotonic() + float(stop["grace"])
        if target is not None and (min(newest) >= target or time.monotonic() > grace_end):
            break
    stopping = True
    await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"newest": newest, "connects": connects, "errors": errors}


# ---------------------------------------------------------------- writer (own process)

async def _write(spec: dict[str, Any]) -> dict[str, Any]:
    """Open-loop writes at `rate`/s for `seconds`, alternating persons with a shelter and distributions.

    A write waiting for a free sender still counts from the moment it was due. A transport error is
    retried with the same body (the same client id: the create is idempotent), as the field app does."""
    rate, seconds, shelters = spec["rate"], spec["seconds"], spec["shelters"]
    total = max(1, int(rate * seconds))
    path0 = f"/api/v1/events/{spec['event_id']}"
    items = (("makanan_siap_saji", 40.0), ("air_minum", 100.0), ("air_bersih", 500.0))
    rows: list[list[Any]] = []  # [k, due, answered, status, data_seq]

    async def one(raw: common.RawHttp, k: int, due_at: float) -> None:
        if k % 2 == 0:
            body: dict[str, Any] = {"id": str(uuid.uuid4()), **common.person_fields(spec["k0"] + k),
                                    "shelter_id": shelters[k % len(shelters)]}
            body.pop("nik", None)  # demo NIKs are random: avoid any chance of a duplicate (409)
            path = path0 + "/persons"
        else:
            code, qty = items[(k // 2) % len(items)]
            body = {"id": str(uuid.uuid4()), "item_code": code, "quantity": qty,
                    "shelter_id": shelters[k % len(shelters)], "notes": "soak"}
            path = path0 + "/distributions"
        payload = json.dumps(body, separators=(",", ":")).encode()
        status, seq = 0, None
        for _ in range(3):
            try:
                status, seq_text, _ = await raw.post(path, payload)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                continue
            seq = int(seq_text) if seq_text is not None else None
            break
        rows.append([k, due_at, time.monotonic(), status, seq])

    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def sender() -> None:
        raw = common.RawHttp(spec["port"], spec["token"])
        try:
            while (item := await due.get()) is not None:
                await one(raw, *item)
        finally:
            raw.close()

    senders = [asyncio.create_task(sender()) for _ in range(spec["connections"])]
    start = time.monotonic() + 0.1
    late = 0
    for k in range(total):
        at = start + k / rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            late += 1
        due.put_nowait((k, at))
    for _ in senders:
        due.put_nowait(None)
    await asyncio.gather(*senders)
    return {"rows": sorted(rows), "start": start, "late": late, "total": total}


# ---------------------------------------------------------------- memory and CPU of the processes

def memory_kib(pid: int) -> tuple[int, int, int]:
    """(VmRSS, RssAnon, RssFile) of a process in KiB, zeros once it is gone."""
    values = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values["VmRSS"], values["RssAnon"], values["RssFile"]


def children_kib(pid: int) -> tuple[int, int, int]:
    """Of a process's children (the worker's verification children, services/worker/verify_child.py): how
    many, their VmRSS and their private memory (Private_Clean + Private_Dirty: what they do not share
    with the worker copy-on-write) in KiB, summed; zeros when there are none."""
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(k) for k in (task / "children").read_text().split()]
    except (OSError, ValueError):
        return 0, 0, 0
    rss = private = 0
    for kid in kids:
        rss += memory_kib(kid)[0]
        try:
            for line in Path(f"/proc/{kid}/smaps_rollup").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("Private_Clean", "Private_Dirty"):
                    private += int(rest.split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return len(kids), rss, private


def mb(kib: float) -> float:
    return kib * 1024 / MB


def pct(values: list[float], p: float) -> float:
    return common.percentile(sorted(values), p)


# ---------------------------------------------------------------- one phase

@dataclass
class Minute:
    api_rss: float = 0.0  # MB, max over the minute's samples
    api_anon: float = 0.0
    worker_rss: float = 0.0
    worker_anon: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms, due → answered
    connects: int = 0


@dataclass
class Phase:
    label: str
    settings: dict[str, str]
    minutes: list[Minute]
    api_peak: tuple[float, float, float]  # MB: RSS, anon, file at the API's highest RSS
    worker_peak: tuple[float, float, float]
    writes: int
    answered_ok: int
    failed: int
    lost: int
    late: int
    persons_end: int
    connects: int
    connect_ms: tuple[float, float]  # p50, p99: connect → first snapshot
    ws_errors: int
    cores: dict[str, float]
    load: tuple[float, float]  # load average (1 min) before, after
    sample_count: int
    children: tuple[int, float, float] = (0, 0.0, 0.0)  # samples with a verification child; peak RSS, private MB

    def drift(self) -> float | None:
        full = [m for m in self.minutes if m.latencies]
        if len(full) < 2:
            return None
        first, last = pct(full[0].latencies, 99), pct(full[-1].latencies, 99)
        return (last - first) / max(first, 1e-9) * 100


def run_phase(label: str, overrides: dict[str, str], args: argparse.Namespace, base_env: dict[str, str],
              pristine: Path, workdir: Path, username: str, python: str, me: str) -> Phase:
    """One soak on a fresh copy of the pristine database, with `overrides` as POSKO_* settings."""
    from shared.config import Settings

    pdir = workdir / label
    pdir.mkdir()
    db_path = pdir / "soak.db"
    shutil.copyfile(pristine, db_path)
    port = common.free_port()
    env = dict(base_env)
    env.update(POSKO_DATABASE_URL=f"sqlite:///{db_path}", POSKO_PORT=str(port),
               **{f"POSKO_{k.upper()}": v for k, v in overrides.items()})
    effective = Settings(**{k[len("POSKO_"):].lower(): v for k, v in env.items()  # type: ignore[arg-type]
                            if k.startswith("POSKO_") and k[len("POSKO_"):].lower() in Settings.model_fields})
    used = {k: str(getattr(effective, k)) for k in MEMORY_SETTINGS}
    print(f"\n--- phase {label}: " + ", ".join(f"{k}={v}" for k, v in used.items()), flush=True)

    server = worker = None
    listener: subprocess.Popen[bytes] | None = None
    api: common.Api | None = None
    try:
        server = common.Server(python, env, port, pdir / "api.log")
        worker = common.Worker(python, env, pdir / "worker.log")
        server.wait_ready(timeout=120)
        api = common.Api(port)
        token = api.login(username, common.ADMIN_PASSWORD)
        with sqlite3.connect(db_path) as conn:
            event_id = conn.execute("SELECT id FROM events ORDER BY created_at LIMIT 1").fetchone()[0]
        shelters = [s["id"] for s in api.get(f"/events/{event_id}/shelters?limit=500")["items"]
                    if s.get("closed_at") is None]
        probe = api.post(f"/events/{event_id}/distributions",
                         {"item_code": "air_minum", "quantity": 10, "shelter_id": shelters[0]})
        del probe
        t0 = time.monotonic()

        def probe_seen() -> bool:
            snap = api.get(f"/events/{event_id}/status")  # type: ignore[union-attr]
            return bool(snap["seq"] > 0)

        common.wait_for(probe_seen, 180, "the worker's first snapshot", interval=0.2)
        print(f"pipeline up: first snapshot after {time.monotonic() - t0:.1f} s; api pid {server.pid}, worker pid "
              f"{worker.pid}; {len(shelters)} open shelters; RSS at start: api "
              f"{mb(memory_kib(server.pid)[0]):.0f} MB, worker {mb(memory_kib(worker.pid)[0]):.0f} MB", flush=True)

        listen_spec = {"url": f"ws://{HOST}:{port}/api/v1/events/{event_id}/live?token={token}",
                       "clients": args.clients, "hold": args.hold, "ready": str(pdir / "listen.ready"),
                       "stop": str(pdir / "listen.stop")}
        (pdir / "listen.json").write_text(json.dumps(listen_spec))
        listen_log = open(pdir / "listen.log", "wb")  # noqa: SIM115 - closed below
        listener = subprocess.Popen([python, me, "--_listen", str(pdir / "listen.json"), str(pdir / "listen.out")],
                                    cwd=ROOT, stdout=listen_log, stderr=subprocess.STDOUT)
        ready = json.loads(common.wait_for(lambda: (pdir / "listen.ready").exists() and
                                    (pdir / "listen.ready").read_text(), 120, "the websocket clients",
                                           interval=0.2))
        print(f"listeners: {ready['with_snapshot']}/{args.clients} clients with a snapshot, reconnecting every "
              f"{args.hold * 0.5:g}–{args.hold * 1.4:g} s", flush=True)

        seconds = args.minutes * 60
        write_spec = {"port": port, "event_id": event_id, "token": token, "shelters": shelters, "rate": args.rate,
                      "seconds": seconds, "connections": args.connections, "k0": 20_000_000}
        (pdir / "write.json").write_text(json.dumps(write_spec))
        pids = {"api": server.pid, "worker": worker.pid, "listeners": listener.pid}
        load0 = os.getloadavg()[0]
        cpu0 = {k: common.proc_cpu(v) for k, v in pids.items()}
        busy0, wall0 = common.CpuSample.take(None).machine_busy, time.monotonic()
        writer = subprocess.Popen([python, me, "--_write", str(pdir / "write.json"), str(pdir / "write.out")],
                                  cwd=ROOT)
        samples: list[tuple[float, tuple[int, int, int], tuple[int, int, int]]] = []
        child_samples: list[tuple[int, int, int]] = []  # the worker's verification children, when any ran
        next_report = wall0 + 60
        while writer.poll() is None:
            samples.append((time.monotonic(), memory_kib(server.pid), memory_kib(worker.pid)))
            child_samples.append(children_kib(worker.pid))
            if time.monotonic() >= next_report:
                window = [s for s in samples if s[0] >= next_report - 60]
                print(f"  minute {round((next_report - wall0) / 60)}: api RSS max "
                      f"{mb(max(s[1][0] for s in window)):.0f} MB, worker RSS max "
                      f"{mb(max(s[2][0] for s in window)):.0f} MB", flush=True)
                next_report += 60
            if server.proc.poll() is not None or worker.proc.poll() is not None:
                raise RuntimeError("the API or the worker exited during the soak")
            time.sleep(args.sample)
        if writer.returncode != 0:
            raise RuntimeError(f"the writer failed ({writer.returncode})")
        wall1 = time.monotonic()
        cpu1 = {k: common.proc_cpu(v) for k, v in pids.items()}
        busy1 = common.CpuSample.take(None).machine_busy
        wrote = json.loads((pdir / "write.out").read_text())
        rows = wrote["rows"]
        top = max((r[4] for r in rows if r[4] is not None), default=0)
        (pdir / "listen.stop").write_text(json.dumps({"data_seq": top, "grace": args.grace}))
        while listener.poll() is None:  # keep sampling while the clients catch up
            samples.append((time.monotonic(), memory_kib(server.pid), memory_kib(worker.pid)))
            child_samples.append(children_kib(worker.pid))
            time.sleep(args.sample)
        listen_log.close()
        if listener.returncode != 0:
            raise RuntimeError(f"the listener process failed: {(pdir / 'listen.log').read_text()[-2000:]}")
        listen = json.loads((pdir / "listen.out").read_text())
        status = api.get(f"/events/{event_id}/status")

        start = wrote["start"]
        n_minutes = max(1, int(-(-seconds // 60)))
        minutes = [Minute() for _ in range(n_minutes)]

        def minute_of(t: float) -> int:
            return min(n_minutes - 1, max(0, int((t - start) // 60)))

        for t, a, w in samples:
            m = minutes[minute_of(t)]
            m.api_rss, m.api_anon = max(m.api_rss, mb(a[0])), max(m.api_anon, mb(a[1]))
            m.worker_rss, m.worker_anon = max(m.worker_rss, mb(w[0])), max(m.worker_anon, mb(w[1]))
        ok = [r for r in rows if r[3] in (200, 201) and r[4] is not None]
        for r in ok:
            minutes[minute_of(r[1])].latencies.append((r[2] - r[1]) * 1000)
        for t, _ in listen["connects"]:
            if t >= start:
                minutes[minute_of(t)].connects += 1
        seen = max(listen["newest"])
        api_peak = max(samples, key=lambda s: s[1][0])[1]
        worker_peak = max(samples, key=lambda s: s[2][0])[2]
        duration = max(wall1 - wall0, 1e-9)
        cores = {k: (cpu1[k] - cpu0[k]) / duration for k in pids}
        cores["rest"] = max(0.0, (busy1 - busy0) / duration - sum(cores.values()))
        connect_s = [c for _, c in listen["connects"]]
        return Phase(label=label, settings=used, minutes=minutes,
                     api_peak=(mb(api_peak[0]), mb(api_peak[1]), mb(api_peak[2])),
                     worker_peak=(mb(worker_peak[0]), mb(worker_peak[1]), mb(worker_peak[2])),
                     writes=len(rows), answered_ok=len(ok), failed=len(rows) - len(ok),
                     lost=sum(1 for r in ok if r[4] > seen), late=wrote["late"],
                     persons_end=int(status["people"]["registered"]), connects=len(connect_s),
                     connect_ms=(pct(connect_s, 50) * 1000, pct(connect_s, 99) * 1000),
                     ws_errors=len(listen["errors"]), cores=cores, load=(load0, os.getloadavg()[0]),
                     sample_count=len(samples),
                     children=(sum(1 for c in child_samples if c[0]), mb(max((c[1] for c in child_samples), default=0)),
                               mb(max((c[2] for c in child_samples), default=0))))
    except Exception:
        for name, proc in (("api", server), ("worker", worker)):
            if proc is not None:
                print(f"--- {name} log tail ({proc.log_path}) ---\n{proc.log_tail()}", file=sys.stderr)
        raise
    finally:
        if listener is not None and listener.poll() is None:
            listener.terminate()
            listener.wait(timeout=10)
        if api is not None:
            api.close()
        for proc in (worker, server):
            if proc is not None:
                proc.stop()


# ---------------------------------------------------------------- report

def report_phase(p: Phase, args: argparse.Namespace) -> None:
    print(f"\nphase {p.label}: " + ", ".join(f"{k}={v}" for k, v in p.settings.items()))
    print(f"{'minute':>6} {'api RSS max':>12} {'(anon)':>8} {'worker RSS max':>15} {'(anon)':>8} {'writes':>7} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'ws connects':>12}")
    for i, m in enumerate(p.minutes, 1):
        lat = m.latencies
        print(f"{i:>6} {m.api_rss:>9.0f} MB {m.api_anon:>5.0f} MB {m.worker_rss:>12.0f} MB {m.worker_anon:>5.0f} MB "
              f"{len(lat):>7,} {pct(lat, 50):>8.1f} {pct(lat, 99):>8.1f} {m.connects:>12,}")
    drift = p.drift()
    print(f"  {common.mark(p.api_peak[0] <= GOAL_API_RSS_MB)} API RSS peak {p.api_peak[0]:.0f} MB (anon "
          f"{p.api_peak[1]:.0f}, file {p.api_peak[2]:.0f})   goal ≤ {GOAL_API_RSS_MB:.0f} MB")
    print(f"  {common.mark(p.worker_peak[0] <= GOAL_WORKER_RSS_MB)} worker RSS peak {p.worker_peak[0]:.0f} MB (anon "
          f"{p.worker_peak[1]:.0f}, file {p.worker_peak[2]:.0f})   goal ≤ {GOAL_WORKER_RSS_MB:.0f} MB; "
          f"{p.persons_end:,} persons registered at the end")
    n_child, child_rss, child_private = p.children
    print(f"  verification children of the worker (services/worker/verify_child.py): in {n_child} of "
          f"{p.sample_count} samples; peak RSS {child_rss:.0f} MB, of it private (not shared with the worker) "
          f"{child_private:.0f} MB")
    if drift is None:
        print("  ---- write p99 drift: needs two minutes or more (--minutes)")
    else:
        print(f"  {common.mark(abs(drift) <= GOAL_P99_DRIFT_PCT)} write p99 drift first → last minute "
              f"{drift:+.1f}%   goal within ±{GOAL_P99_DRIFT_PCT:.0f}%")
    no_loss = p.lost == 0 and p.failed == 0
    print(f"  {'OK  ' if no_loss else 'FAIL'} writes lost: {p.lost} of {p.answered_ok:,} answered never seen by a "
          f"client; {p.failed} not answered 200/201; {p.late} left > 50 ms late (writer behind)")
    print(f"  websockets: {p.connects:,} connects, connect → first snapshot p50 {p.connect_ms[0]:.0f} ms / p99 "
          f"{p.connect_ms[1]:.0f} ms, {p.ws_errors} errors")
    c = p.cores
    print(f"  cores: api {c['api']:.2f}, worker {c['worker']:.2f}, listeners {c['listeners']:.2f}, writer and the "
          f"rest of the machine {c['rest']:.2f} (of {os.cpu_count()}); load average {p.load[0]:.2f} → {p.load[1]:.2f}; "
          f"{p.sample_count} RSS samples")


def report_side_by_side(phases: list[Phase]) -> None:
    print("\n" + "=" * 100)
    print(f"{'':44}" + "".join(f"{p.label:>28}" for p in phases))

    def line(name: str, values: list[str]) -> None:
        print(f"{name:44}" + "".join(f"{v:>28}" for v in values))

    line("page cache MiB read / write / worker", [f"{p.settings['sqlite_read_cache_mib']} / "
         f"{p.settings['sqlite_write_cache_mib']} / {p.settings['sqlite_worker_cache_mib']}" for p in phases])
    line("pool size + overflow", [f"{p.settings['sqlite_pool_size']} + {p.settings['sqlite_max_overflow']}"
                                  for p in phases])
    line(f"API RSS peak MB (goal ≤ {GOAL_API_RSS_MB:.0f})", [f"{p.api_peak[0]:.0f} (anon {p.api_peak[1]:.0f})"
                                                         for p in phases])
    line(f"worker RSS peak MB (goal ≤ {GOAL_WORKER_RSS_MB:.0f})", [f"{p.worker_peak[0]:.0f} (anon "
                                                               f"{p.worker_peak[1]:.0f})" for p in phases])
    line("write p50 / p99 ms, first minute", [f"{pct(p.minutes[0].latencies, 50):.1f} / "
                                             f"{pct(p.minutes[0].latencies, 99):.1f}" for p in phases])
    line("write p50 / p99 ms, last minute", [f"{pct(p.minutes[-1].latencies, 50):.1f} / "
                                            f"{pct(p.minutes[-1].latencies, 99):.1f}" for p in phases])
    all_lat = [[x for m in p.minutes for x in m.latencies] for p in phases]
    line("write p50 / p99 ms, whole soak", [f"{pct(v, 50):.1f} / {pct(v, 99):.1f}" for v in all_lat])
    line(f"write p99 drift (goal ±{GOAL_P99_DRIFT_PCT:.0f}%)",
         [("n/a" if p.drift() is None else f"{p.drift():+.1f}%") for p in phases])  # type: ignore[str-format]
    line("writes lost / failed", [f"{p.lost} / {p.failed}" for p in phases])
    line("cores api / worker", [f"{p.cores['api']:.2f} / {p.cores['worker']:.2f}" for p in phases])
    line("load average before → after", [f"{p.load[0]:.2f} → {p.load[1]:.2f}" for p in phases])


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=2.0, help="duration of the writes (2; the target is 10)")
    p.add_argument("--rate", type=float, default=100.0, help="writes per second (100)")
    p.add_argument("--clients", type=int, default=50, help="websocket clients, reconnecting (50)")
    p.add_argument("--hold", type=float, default=4.0,
                   help="seconds a client holds its socket before reconnecting, 0.5×…1.4× of this (4)")
    p.add_argument("--demo-persons", type=int, default=50_000, help="size of the `posko demo` event (50,000)")
    p.add_argument("--connections", type=int, default=16, help="the writer's keep-alive connections (16)")
    p.add_argument("--sample", type=float, default=2.0, help="seconds between RSS samples (2)")
    p.add_argument("--grace", type=float, default=60.0,
                   help="seconds after the last answer for every client to see the last write (60)")
    p.add_argument("--baseline", action="store_true",
                   help="first run the same soak with the settings before issue 14 (64 MiB caches, pools 20 + 20)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help=f"a memory setting for the measured phase, one of {', '.join(MEMORY_SETTINGS)} "
                        "(repeatable; default: the settings' defaults)")
    p.add_argument("--pristine", type=Path, default=None,
                   help="start from this pristine.db of an earlier run (--keep) instead of running the demo")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (databases, logs)")
    p.add_argument("--_listen", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--_write", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._listen or args._write:
        return args
    if args.minutes <= 0 or args.rate <= 0 or args.clients < 1 or args.hold <= 0:
        p.error("--minutes, --rate, --clients and --hold must be positive")
    args.overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in MEMORY_SETTINGS or not value:
            p.error(f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(MEMORY_SETTINGS)}")
        args.overrides[name] = value
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._listen:
        return common.child_loop(_listen, *args._listen)
    if args._write:
        return common.child_loop(_write, *args._write)

    print("command:", shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/soak_bench.py", *argv])]))
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores (shared with other work: read the load averages and cores lines), "
          f"Python {sys.version.split()[0]}, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
    me = str(Path(__file__).resolve())
    workdir = Path(tempfile.mkdtemp(prefix="posko-soak-bench-"))
    pristine = workdir / "pristine.db"
    suffix = uuid.uuid4().hex[:8]
    redis_url = os.environ.get("POSKO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix, queue = f"posko-bench-{suffix}", f"posko-bench-{suffix}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSKO_")}
    env.update(POSKO_ENV="production", POSKO_DATABASE_URL=f"sqlite:///{pristine}", POSKO_REDIS_URL=redis_url,
               POSKO_SECRET_KEY="bench-" + uuid.uuid4().hex, POSKO_REDIS_KEY_PREFIX=prefix,
               POSKO_QUEUE_NAME=queue, POSKO_HOST=HOST)
    redis_proc: subprocess.Popen[bytes] | None = None
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops everything
    phases: list[Phase] = []
    try:
        if not common.redis_answers(redis_url):
            redis_proc, redis_url = common.private_redis(workdir)
            print(f"no Redis at {env['POSKO_REDIS_URL']}: started a private redis-server at {redis_url}")
            env["POSKO_REDIS_URL"] = redis_url

        from services.demo import run_demo
        from shared.config import Settings

        settings = Settings(env="production", database_url=env["POSKO_DATABASE_URL"], redis_url=redis_url,
                            secret_key=env["POSKO_SECRET_KEY"], redis_key_prefix=prefix, queue_name=queue)
        t0 = time.perf_counter()
        if args.pristine is not None:  # a kept pristine.db of an earlier run: no demo, only new migrations
            from shared.migrate import upgrade
            from shared.security import hash_password

            shutil.copyfile(args.pristine, pristine)
            upgrade(settings)
            username = "bench-admin"  # common.prepare_database's; its password is new in every run
            with sqlite3.connect(pristine) as conn:
                conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                             (hash_password(common.ADMIN_PASSWORD), username))
        else:
            username = common.prepare_database(settings)
            with open(workdir / "demo.log", "w") as demo_log, contextlib.redirect_stdout(demo_log):
                code = run_demo(settings, persons=args.demo_persons)
            if code != 0:
                raise RuntimeError(f"posko demo failed:\n{(workdir / 'demo.log').read_text()[-2000:]}")
        with sqlite3.connect(pristine) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            persons = conn.execute("SELECT count(*) FROM persons").fetchone()[0]
        print(f"{args.pristine or f'posko demo (run_demo, persons={args.demo_persons})'}: {persons:,} persons loaded in "
              f"{time.perf_counter() - t0:.0f} s; database {pristine.stat().st_size / MB:.0f} MB; every phase "
              f"starts from a copy of it; {args.rate:g} writes/s for {args.minutes:g} min, {args.clients} websocket "
              f"clients reconnecting", flush=True)
        if args.baseline:
            phases.append(run_phase("baseline", BASELINE_SETTINGS, args, env, pristine, workdir, username,
                                    python, me))
            common.cleanup_redis(redis_url, prefix, queue)  # the next phase starts with an empty queue
        phases.append(run_phase("current", args.overrides, args, env, pristine, workdir, username, python, me))

        print("\n" + "=" * 100)
        print(f"Posko soak benchmark — SQLite, one API process, one worker; event of {persons:,} persons at the "
              f"start; {args.rate:g} writes/s for {args.minutes:g} min; {args.clients} websocket clients "
              f"reconnecting every {args.hold * 0.5:g}–{args.hold * 1.4:g} s")
        print("=" * 100)
        for p in phases:
            report_phase(p, args)
        if len(phases) > 1:
            report_side_by_side(phases)
        if args.json:
            args.json.write_text(json.dumps([{
                "label": p.label, "settings": p.settings, "api_peak_mb": p.api_peak, "worker_peak_mb": p.worker_peak,
                "minutes": [{"api_rss_mb": m.api_rss, "worker_rss_mb": m.worker_rss, "writes": len(m.latencies),
                             "p50_ms": pct(m.latencies, 50), "p99_ms": pct(m.latencies, 99)} for m in p.minutes],
                "p99_drift_pct": p.drift(), "lost": p.lost, "failed": p.failed, "cores": p.cores,
            } for p in phases], indent=2))
        print(f"logs: {workdir}" + ("" if args.keep else " (deleted at exit; --keep keeps them)"))
        return 0 if all(p.lost == 0 and p.failed == 0 for p in phases) else 1
    except Exception as exc:
        print(f"\nbenchmark failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        common.release_run(redis_proc, workdir, args.keep, shared_redis=(redis_url, prefix, queue))


if __name__ == "__main__":
    sys.exit(main())
