"""What the benchmark scripts share: the repository on sys.path, the goals of docs/operations.md's targets
(bench/README.md), realistic person bodies, CPU accounting, the `posko` server under test, its HTTP client,
a fresh database with an admin row, a private Redis per run, and the pieces of the multi-process
benchmarks (worker processes, their CPU, a raw HTTP writer, child processes, a PostgreSQL database per run).

Every script imports this module (`import common`) rather than another script, so each script can change
its own measurement without moving another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WIB = timezone(timedelta(hours=7))
KELURAHAN = "12.75.04.1004"  # Binjai Timur, from shared/data/wilayah_binjai.json
ADMIN_PASSWORD = "bench-" + uuid.uuid4().hex
HOST = "127.0.0.1"

# Goals from bench/README.md, "Targets".
GOAL_PERSON_RATIO = 0.25
GOAL_PERSON_P99_MS = 100.0
GOAL_SYNC_RPS = 20_000.0

MALE = ["Ahmad", "Budi", "Rizky", "Fajar", "Hendra", "Dedi", "Joko", "Agus", "Andi", "Irfan", "Yusuf", "Bambang",
        "Rahmat", "Surya", "Taufik", "Doni"]
FEMALE = ["Siti", "Nur", "Dewi", "Sri", "Rina", "Putri", "Aisyah", "Fitri", "Wati", "Lestari", "Ratna", "Yuni",
          "Intan", "Maya", "Sartika", "Rohani"]
FAMILY = ["Siregar", "Nasution", "Lubis", "Harahap", "Sembiring", "Ginting", "Tarigan", "Simanjuntak", "Hasibuan",
          "Saragih", "Pohan", "Daulay", "Sitepu", "Purba", "Damanik", "Rangkuti", "Batubara"]


# ---------------------------------------------------------------- realistic person bodies

def person_fields(k: int) -> dict[str, Any]:
    """The k-th person of a run: deterministic, every NIK unique (k → NIK date and serial).

    The Lua generator below builds the same bodies; keep the two in step.
    """
    female = k % 2 == 0
    day = k % 28 + 1
    q = k // 28
    month = q % 12 + 1
    q //= 12
    yy = q % 80
    serial = q // 80 + 1
    year = 1940 + yy
    body: dict[str, Any] = {
        "full_name": f"{(FEMALE if female else MALE)[(k // 2) % 16]} {FAMILY[(k // 7) % len(FAMILY)]}",
        "sex": "P" if female else "L",
        "birth_date": f"{year:04d}-{month:02d}-{day:02d}",
    }
    if k % 3 == 0:
        body["nik"] = f"127504{day + (40 if female else 0):02d}{month:02d}{year % 100:02d}{serial:04d}"
    return body



@dataclass
class CpuSample:
    """CPU seconds used so far by the server, by waited-for children (the load generator), by this
    process, and by the whole machine, at one wall-clock instant."""

    wall: float
    server: float
    children: float
    me: float
    machine_busy: float

    @staticmethod
    def take(server_pid: int | None) -> CpuSample:
        tick = os.sysconf("SC_CLK_TCK")
        server = 0.0
        if server_pid is not None:
            try:
                fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
                server = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
        busy = 0.0
        try:
            cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
            values = [int(v) for v in cpu]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            busy = (sum(values[:8]) - idle) / tick
        except (OSError, ValueError):
            pass
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return CpuSample(time.monotonic(), server, ch.ru_utime + ch.ru_stime, me.ru_utime + me.ru_stime, busy)


@dataclass
class CpuUse:
    """Cores used during a phase: server, load generator, everything else on the machine."""

    server: float
    generator: float
    other: float

    @staticmethod
    def between(a: CpuSample, b: CpuSample, generator_in_process: bool = False) -> CpuUse:
        wall = max(b.wall - a.wall, 1e-9)
        server = (b.server - a.server) / wall
        generator = ((b.me - a.me) if generator_in_process else (b.children - a.children)) / wall
        machine = (b.machine_busy - a.machine_busy) / wall
        return CpuUse(server, generator, max(0.0, machine - server - generator))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


# ---------------------------------------------------------------- the server under test

class PoskoProcess:
    """One `posko <command>` process, logging to a file; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, python: str, command: str, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.cmd = [python, "-m", "services.cli", command]
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


class Server(PoskoProcess):
    """ONE API process (`posko api`: uvicorn, one worker) on a free port, logging to a file."""

    def __init__(self, python: str, env: dict[str, str], port: int, log_path: Path) -> None:
        self.port = port
        super().__init__(python, "api", env, log_path)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API process exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/readyz")
                r = conn.getresponse()
                body = r.read().decode()
                conn.close()
                if r.status == 200:
                    return
                last = f"{r.status} {body}"
            except OSError as exc:
                last = exc.__class__.__name__
            time.sleep(0.1)
        raise RuntimeError(f"/readyz did not answer 200 within {timeout:.0f} s (last: {last}):\n{self.log_tail()}")


class Api:
    """A small keep-alive client for setup and checks (not used for measuring)."""

    def __init__(self, port: int) -> None:
        import httpx

        self.client = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60.0)
        self.token = ""

    def login(self, username: str, password: str) -> str:
        r = self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        r.raise_for_status()
        self.token = r.json()["access_token"]
        return self.token

    def post(self, path: str, body: Any) -> Any:
        r = self.client.post("/api/v1" + path, json=body, headers={"Authorization": f"Bearer {self.token}"})
        if r.status_code not in (200, 201):
            raise RuntimeError(f"POST {path} → {r.status_code}: {r.text[:500]}")
        return r.json()

    def get(self, path: str) -> Any:
        r = self.client.get("/api/v1" + path, headers={"Authorization": f"Bearer {self.token}"})
        r.raise_for_status()
        return r.json()

    def close(self) -> None:
        self.client.close()


def prepare_database(settings: Any) -> str:
    """Migrations on the fresh database and an admin row (as tests/conftest.py create_user_row does)."""
    from shared.db import make_database, write_unit
    from shared.migrate import upgrade
    from shared.models import User
    from shared.security import hash_password

    upgrade(settings)
    db = make_database(settings)
    username = "bench-admin"
    try:
        with write_unit(db) as uow:
            uow.session.add(User(username=username, full_name="Bench Admin", role="admin",
                                 password_hash=hash_password(ADMIN_PASSWORD)))
    finally:
        db.dispose()
    return username


def redis_answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        ok = bool(client.ping())
        client.close()
        return ok
    except redis.RedisError:
        return False


def private_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A throw-away redis-server on a free port, for machines where none is running."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("Redis is not answering and redis-server is not installed "
                           "(apt-get install -y redis-server, or set POSKO_BENCH_REDIS_URL)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://{HOST}:{port}/0"
    for _ in range(100):
        if redis_answers(url):
            return proc, url
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("the private redis-server did not start")


def release_run(redis_proc: Any, workdir: Path, keep: bool, *, shared_redis: tuple[str, str, str] | None = None) -> None:
    """The end of every benchmark run: stop its private redis-server, or delete what it left in the shared
    Redis (`shared_redis` = url, key prefix, queue); remove its work directory, or say where it is kept."""
    if redis_proc is not None:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    elif shared_redis is not None:
        cleanup_redis(*shared_redis)
    if keep:
        print(f"kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def cleanup_redis(redis_url: str, prefix: str, queue: str) -> None:
    """Delete what this run left in Redis: its prefixed keys and its private RQ queue and jobs."""
    import redis

    try:
        r = redis.Redis.from_url(redis_url, socket_timeout=2)
        job_ids = [j.decode() for j in r.lrange(f"rq:queue:{queue}", 0, -1)]
        keys = [f"rq:job:{j}" for j in job_ids]
        for pattern in (f"{prefix}:*", f"rq:*:{queue}", f"rq:*:{queue}:*"):
            keys.extend(k.decode() for k in r.scan_iter(match=pattern, count=1000))
        keys.append(f"rq:queue:{queue}")
        if keys:
            r.delete(*keys)
        r.srem("rq:queues", f"rq:queue:{queue}")
        r.close()
    except Exception as exc:  # cleanup must not hide the figures
        print(f"(redis cleanup skipped: {exc.__class__.__name__}: {exc})")


def mark(ok: bool) -> str:
    return "OK  " if ok else "MISS"


# ---------------------------------------------------------------- helpers of the multi-process benchmarks

class Worker(PoskoProcess):
    """A worker process (`posko worker`), logging to a file."""

    def __init__(self, python: str, env: dict[str, str], log_path: Path) -> None:
        super().__init__(python, "worker", env, log_path)


def proc_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used, 0 if it is gone."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    """The first truthy value of `predicate()`, asked every `interval` s; RuntimeError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def child_loop(fn: Any, spec_path: str, out_path: str) -> int:
    """Run the coroutine `fn(spec)` of a benchmark's own child process (listeners, writer) on uvloop when
    installed: its spec and its result travel as JSON files."""
    with contextlib.suppress(ImportError):
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    spec = json.loads(Path(spec_path).read_text())
    Path(out_path).write_text(json.dumps(asyncio.run(fn(spec))))
    return 0


class RawHttp:
    """A minimal HTTP/1.1 keep-alive connection for load generators: on 2 cores, httpx's CPU per request
    would be taken from the API and the worker under test."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: bytes) -> tuple[int, str | None, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        try:
            self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAuthorization: Bearer "
                              f"{self.token}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}"
                              "\r\n\r\n".encode() + payload)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, length, seq = int(head[9:12]), 0, None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"x-data-seq":
                    seq = value.strip().decode()
            body = await self.reader.readexactly(length) if length else b""
            return status, seq, body
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def pg_database(base_url: str, name: str) -> str:
    """`base_url` naming database `name` instead."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def pg_admin(base_url: str, sql: str) -> None:
    """Run one statement (CREATE/DROP DATABASE, ANALYZE) outside a transaction."""
    import psycopg

    url = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]
