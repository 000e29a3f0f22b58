"""The whole pipeline with real processes: API → outbox → Redis queue → worker → snapshot.

These tests start a private redis-server (so they can stop it) and real `posko worker` processes
(so they can kill them), and check that the status always catches up without a manual step.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlmodel import col, func, select

from services.api.main import create_app
from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.models import Outbox, Person
from shared.redis import Keys
from shared.repositories.bulk import insert_many
from tests.conftest import ROOT, Api, build_scene, login, make_settings, new_id, person_body

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test may stop and start."""

    def __init__(self, tmp: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (make test installs it)")
        self.binary, self.port, self.dir = binary, free_port(), tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def worker_env(s: Settings) -> dict[str, str]:
    return dict(os.environ, POSKO_DATABASE_URL=s.database_url, POSKO_REDIS_URL=s.redis_url,
                POSKO_REDIS_KEY_PREFIX=s.redis_key_prefix, POSKO_QUEUE_NAME=s.queue_name,
                POSKO_SECRET_KEY=s.secret_key, POSKO_ENV="test")


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[Settings], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(s: Settings) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{len(procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], env=worker_env(s), cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for_status(api: Api, event_id: str, data_seq: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        r = api.get(f"/events/{event_id}/status")
        if r.status_code == 200:
            last = r.json()
            if last["seq"] > 0 and last["data_seq"] >= data_seq:
                return last
        time.sleep(0.2)
    raise AssertionError(f"status did not reach data_seq {data_seq} in {timeout} s (last: seq {last.get('seq')}, "
                         f"data_seq {last.get('data_seq')})")


def app_client(s: Settings, admin: Api) -> tuple[TestClient, Api]:
    client = TestClient(create_app(s))
    client.__enter__()
    token = login(client, admin.username)
    return client, Api(client=client, token=token, user_id=admin.user_id, username=admin.username, role="admin")


def test_a_write_reaches_the_status_through_a_real_worker(settings: Settings, admin: Api, private_redis: PrivateRedis,
                                                          start_worker: Callable[[Settings], subprocess.Popen[bytes]]
                                                          ) -> None:
    s = make_settings(settings.database_url, redis_url=private_redis.url, secret_key=settings.secret_key)
    start_worker(s)
    client, api = app_client(s, admin)
    try:
        sc = build_scene(api)
        r = api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
        assert r.status_code == 201
        status = wait_for_status(api, sc.eid, int(r.headers["X-Data-Seq"]), timeout=20)
        assert status["people"]["displaced_now"] == 1 and status["indicator"]["eligible"] == 1
    finally:
        client.__exit__(None, None, None)


def test_coalescing_100_writes_far_fewer_recomputes(settings: Settings, admin: Api, private_redis: PrivateRedis,
                                                    start_worker: Callable[[Settings], subprocess.Popen[bytes]]) -> None:
    """100 concurrent writes → far fewer than 100 snapshots, and the last one reflects all 100."""
    s = make_settings(settings.database_url, redis_url=private_redis.url, secret_key=settings.secret_key)
    client, api = app_client(s, admin)
    try:
        sc = build_scene(api)
        listener = redis.Redis.from_url(private_redis.url).pubsub()
        listener.subscribe(Keys(s.redis_key_prefix).event_channel(sc.eid))
        start_worker(s)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: api.post(f"/events/{sc.eid}/persons",
                                                       json=person_body(shelter_id=sc.shelter["id"])), range(100)))
        assert all(a.status_code == 201 for a in answers)
        final = max(int(a.headers["X-Data-Seq"]) for a in answers)
        status = wait_for_status(api, sc.eid, final, timeout=30)
        assert status["people"]["registered"] == 100
        published = []
        while (m := listener.get_message(timeout=0.5)) is not None:
            if m["type"] == "message":
                published.append(json.loads(m["data"]))
        assert 1 <= len(published) < 50, f"{len(published)} snapshots for 100 writes"
        assert published[-1]["data"]["data_seq"] == final
        listener.close()
    finally:
        client.__exit__(None, None, None)


def test_writes_survive_a_redis_outage_and_status_catches_up(
        settings: Settings, admin: Api, private_redis: PrivateRedis,
        start_worker: Callable[[Settings], subprocess.Popen[bytes]]) -> None:
    """Redis stopped → writes still 2xx; Redis started again (empty) → status catches up, no manual step."""
    s = make_settings(settings.database_url, redis_url=private_redis.url, secret_key=settings.secret_key)
    start_worker(s)
    client, api = app_client(s, admin)
    try:
        sc = build_scene(api)
        first = api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
        wait_for_status(api, sc.eid, int(first.headers["X-Data-Seq"]), timeout=20)
        private_redis.stop()
        seqs = []
        for _ in range(10):
            r = api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
            assert r.status_code == 201, r.text
            seqs.append(int(r.headers["X-Data-Seq"]))
        assert api.get(f"/events/{sc.eid}/status").json()["data_seq"] < max(seqs)
        private_redis.start()  # empty: whatever was queued is gone; only the outbox remembers
        status = wait_for_status(api, sc.eid, max(seqs), timeout=45)
        assert status["people"]["registered"] == 11
    finally:
        client.__exit__(None, None, None)


def add_persons(db: Database, event_id: str, n: int) -> None:
    """Bulk-load persons so a recompute takes long enough to be killed in the middle."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    rows = [{"id": new_id(), "event_id": event_id, "household_id": None, "full_name": f"Orang {i}", "sex": "L",
             "birth_date": None, "age_years": 30, "nik": None, "vulnerabilities": [], "needs_psychosocial": False,
             "condition": "selamat", "registered_at": now, "version": 1, "created_by": None, "created_at": now}
            for i in range(n)]
    with write_unit(db) as uow:
        insert_many(uow.session, Person, rows)


def test_worker_killed_mid_recompute_still_catches_up(
        settings: Settings, admin: Api, database: Database, private_redis: PrivateRedis,
        start_worker: Callable[[Settings], subprocess.Popen[bytes]]) -> None:
    """SIGKILL during a recompute delays the snapshot but never loses it: the next relay pass recomputes."""
    s = make_settings(settings.database_url, redis_url=private_redis.url, secret_key=settings.secret_key)
    client, api = app_client(s, admin)
    try:
        sc = build_scene(api)
        add_persons(database, sc.eid, 40_000)
        conn = redis.Redis.from_url(private_redis.url)
        started = StartedJobRegistry(queue=Queue(s.queue_name, connection=conn, serializer=JSONSerializer))
        worker = start_worker(s)
        r = api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
        target = int(r.headers["X-Data-Seq"])
        deadline = time.monotonic() + 30
        while not started.get_job_ids() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.get_job_ids(), "the recompute never started"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        with read_unit(database) as session:  # killed before it could store: the outbox still holds the write
            pending = session.exec(select(func.count()).select_from(Outbox).where(
                Outbox.event_id == sc.eid, col(Outbox.processed_at).is_(None))).one()
        assert pending > 0
        start_worker(s)
        status = wait_for_status(api, sc.eid, target, timeout=60)
        assert status["people"]["registered"] == 40_001
        # the healed snapshot carries what the command post acts on (docs/rules.md, "What is missing now")
        shelter = status["shelters"][0]
        assert shelter["unmet_persons"] == 1 and [m["time"] for m in shelter["meals_today"]] == ["07:00", "12:00", "18:00"]
        assert {"item_code": "paket_sandang", "unit": "paket", "quantity": 1.0} in shelter["lacking_items"]
        assert status["indicator"]["today"]["permakanan"]["eligible"] in (0, 1)
        unmet = api.get(f"/events/{sc.eid}/unmet", params={"group": "place"}).json()
        assert unmet["seq"] == status["seq"] and unmet["groups"][0]["shelter_id"] == sc.shelter["id"]
        assert unmet["items"][0]["place"]["shelter_id"] == sc.shelter["id"] and "sandang" in unmet["items"][0]["missing"]
    finally:
        client.__exit__(None, None, None)
