"""Fixtures for the worker fault tests: a database of the test's own, a private Redis it may kill, real workers.

Every test here gets a fresh database (a temp SQLite file, or a fresh PostgreSQL database), so the
heartbeats, scheduler state and outbox rows it looks at are its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from services.api.main import create_app
from shared.config import Settings
from shared.db import Database, make_database, read_unit
from shared.migrate import upgrade
from shared.repositories import status as status_repo
from tests.conftest import ROOT, Api, create_user_row, login, make_settings, own_database
from tests.worker.test_pipeline import PrivateRedis


class KillableRedis(PrivateRedis):
    """A private redis-server that can also die by SIGKILL (no shutdown, no goodbye to clients)."""

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def killable_redis(tmp_path: Path) -> Iterator[KillableRedis]:
    server = KillableRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database for this test alone."""
    yield from own_database(request.param, tmp_path, "fault")


def own_settings(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    s = make_settings(database_url, redis_url=redis_url, **overrides)
    upgrade(s)
    return s


def worker_env(s: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ, POSKO_DATABASE_URL=s.database_url, POSKO_REDIS_URL=s.redis_url,
               POSKO_REDIS_KEY_PREFIX=s.redis_key_prefix, POSKO_QUEUE_NAME=s.queue_name,
               POSKO_SECRET_KEY=s.secret_key, POSKO_ENV="test")
    env.update(extra)
    return env


class Workers:
    """`posko worker` subprocesses, each logging to a file the test can read."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, s: Settings, **extra_env: str) -> subprocess.Popen[bytes]:
        path = self.tmp / f"worker-{len(self.procs)}.log"
        log = open(path, "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], env=worker_env(s, **extra_env),
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((proc, path))
        return proc

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        for p, path in self.procs:
            if p is proc:
                return path.read_text(errors="replace")
        return ""

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    w = Workers(tmp_path)
    yield w
    w.stop_all()


class App:
    """The real app on the test's database, with an admin logged in."""

    def __init__(self, s: Settings) -> None:
        self.settings = s
        self.db: Database = make_database(s)
        user_id, username = create_user_row(self.db, "admin")
        self.client = TestClient(create_app(s))
        self.client.__enter__()
        self.api = Api(client=self.client, token=login(self.client, username), user_id=user_id, username=username,
                       role="admin")

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.db.dispose()


@pytest.fixture
def make_app() -> Iterator[Callable[[Settings], App]]:
    apps: list[App] = []

    def make(s: Settings) -> App:
        apps.append(App(s))
        return apps[-1]

    yield make
    for a in apps:
        a.close()


def stored_data_seq(db: Database, event_id: str) -> int:
    with read_unit(db) as session:
        row = status_repo.latest(session, event_id)
        return -1 if row is None else row.data_seq


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> float:
    """Poll until `predicate()`; returns the seconds it took, fails the test after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except (redis.RedisError, OSError):
            pass
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")
