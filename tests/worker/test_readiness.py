"""Health that tells the truth (issue 9, item 18): /readyz and `posko worker --check` report outbox lag,
worker heartbeat and scheduler tick, and fail past their thresholds, naming what failed."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api.main import create_app
from shared.config import Settings
from shared.db import Database, utcnow, write_unit
from shared.models import Outbox
from shared.repositories import bookkeeping, worker_state
from tests.conftest import REDIS_URL, ROOT
from tests.worker.conftest import App, KillableRedis, Workers, own_settings, wait_until, worker_env

THIS_HOST = f"worker:{socket.gethostname()}:"


def readyz(s: Settings) -> tuple[int, dict[str, Any]]:
    with TestClient(create_app(s)) as c:
        r = c.get("/readyz")
        return r.status_code, r.json()


def beat(db: Database, name: str, age: float) -> None:
    with write_unit(db) as uow:
        worker_state.beat(uow.session, name, utcnow() - timedelta(seconds=age))


def tick(db: Database, age: float) -> None:
    with write_unit(db) as uow:
        worker_state.start_scheduler(uow.session, utcnow())
        worker_state.scheduler_tick(uow.session, utcnow() - timedelta(seconds=age))


def outbox_row(db: Database, age: float) -> None:
    with write_unit(db) as uow:
        row = bookkeeping.outbox_row("00000000-0000-4000-8000-000000000001", 1, "person.create", "person", "x")
        row["created_at"] = utcnow() - timedelta(seconds=age)
        bookkeeping.insert_rows(uow.session, Outbox, [row])


def check_worker(s: Settings) -> tuple[int, dict[str, Any]]:
    """`posko worker --check`, as the compose health check runs it."""
    env = worker_env(s, POSKO_READY_OUTBOX_LAG_SECONDS=str(s.ready_outbox_lag_seconds),
                     POSKO_READY_HEARTBEAT_SECONDS=str(s.ready_heartbeat_seconds),
                     POSKO_READY_SCHEDULER_SECONDS=str(s.ready_scheduler_seconds))
    done = subprocess.run([sys.executable, "-m", "services.cli", "worker", "--check"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fresh_install_is_ready_and_says_no_worker_yet(own_database_url: str, make_app: Any) -> None:
    s = own_settings(own_database_url, REDIS_URL)
    make_app(s)
    status, body = readyz(s)
    assert status == 200, body
    assert body["checks"] == {"database": "ok", "redis": "ok", "outbox": "ok",
                              "worker": "belum ada (none yet)", "scheduler": "belum ada (none yet)"}
    assert body["signals"]["outbox_lag_seconds"] is None and "detail" not in body
    assert body["verifier"] == {"last_run_at": None, "events_checked": 0, "mismatches_total": 0,
                                "last_mismatch": None, "last_round_at": None}


def test_a_verifier_mismatch_is_shown_but_never_fails_readyz(own_database_url: str, make_app: Any) -> None:
    """The verifier repairs what it finds: /readyz shows the count and the last difference, and stays 200."""
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    at = utcnow()
    with write_unit(app.db) as uow:
        worker_state.record_verification(uow.session, at, "e-1", [], [])
        worker_state.record_verification(uow.session, at, "e-2", ["people.registered"], ["shelters[id=S1].occupants"])
    status, body = readyz(s)
    assert status == 200 and "detail" not in body, body
    assert body["verifier"]["events_checked"] == 2 and body["verifier"]["mismatches_total"] == 1
    assert body["verifier"]["last_run_at"] == at.isoformat()
    assert body["verifier"]["last_mismatch"] == {"event_id": "e-2", "at": at.isoformat(), "fields": ["people.registered"],
                                                 "stored_fields": ["shelters[id=S1].occupants"], "field_count": 2}


def test_an_outbox_nobody_drains_makes_readyz_fail(own_database_url: str, make_app: Any) -> None:
    """A write waiting longer than POSKO_READY_OUTBOX_LAG_SECONDS (no worker ever ran, or it stopped):
    503, naming the outbox, Indonesian first; once covered, ready again."""
    s = own_settings(own_database_url, REDIS_URL, ready_outbox_lag_seconds=60)
    app: App = make_app(s)
    outbox_row(app.db, 30)
    assert readyz(s)[0] == 200
    outbox_row(app.db, 200)
    status, body = readyz(s)
    assert status == 503, body
    assert body["status"] == "unavailable" and body["checks"]["outbox"].startswith("terlambat")
    assert body["detail"] == "tidak siap: outbox (not ready: outbox)"
    assert body["signals"]["outbox_lag_seconds"] >= 200
    with write_unit(app.db) as uow:
        bookkeeping.mark_outbox_processed(uow.session, "00000000-0000-4000-8000-000000000001", 1)
    assert readyz(s)[0] == 200


def test_a_silent_worker_and_a_stopped_scheduler_make_readyz_fail(own_database_url: str, make_app: Any) -> None:
    s = own_settings(own_database_url, REDIS_URL, ready_heartbeat_seconds=30, ready_scheduler_seconds=60)
    app: App = make_app(s)
    beat(app.db, "worker:elsewhere:1", 5)
    tick(app.db, 5)
    status, body = readyz(s)
    assert status == 200 and body["checks"]["worker"] == "ok" and body["checks"]["scheduler"] == "ok", body
    beat(app.db, "worker:elsewhere:1", 45)
    tick(app.db, 90)
    status, body = readyz(s)
    assert status == 503, body
    assert body["detail"] == "tidak siap: worker, scheduler (not ready: worker, scheduler)"
    assert 45 <= body["signals"]["worker_heartbeat_seconds"] < 60
    assert body["signals"]["scheduler_tick_seconds"] >= 90
    beat(app.db, "worker:another:2", 1)  # any live worker keeps the pipeline going
    tick(app.db, 1)
    assert readyz(s)[0] == 200


def test_readyz_reads_the_heartbeat_while_redis_is_down(own_database_url: str, make_app: Any) -> None:
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    beat(app.db, "worker:elsewhere:1", 1)
    down = s.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    status, body = readyz(down)
    assert status == 503 and body["checks"]["redis"].startswith("down")
    assert body["checks"]["worker"] == "ok" and body["detail"].startswith("tidak tersedia: redis")


def test_worker_check_uses_the_same_signals_for_its_own_host(own_database_url: str, make_app: Any) -> None:
    """`posko worker --check`: exit 0 when this host's worker beats, 1 when it is silent (a live worker on
    another host does not make this one healthy), 1 when the outbox lags."""
    s = own_settings(own_database_url, REDIS_URL, ready_heartbeat_seconds=30)
    app: App = make_app(s)
    beat(app.db, THIS_HOST + "1", 2)
    code, body = check_worker(s)
    assert code == 0, body
    beat(app.db, THIS_HOST + "1", 120)
    beat(app.db, "worker:another-host:1", 1)
    code, body = check_worker(s)
    assert code == 1 and body["checks"]["worker"].startswith("terlambat"), body
    assert readyz(s)[0] == 200  # /readyz asks about any worker
    beat(app.db, THIS_HOST + "1", 1)
    outbox_row(app.db, 500)
    code, body = check_worker(s)
    assert code == 1 and "outbox" in body["detail"], body


@pytest.mark.slow
def test_readyz_turns_unready_when_the_real_worker_dies(tmp_path: Path, make_app: Any,
                                                        killable_redis: KillableRedis, workers: Workers) -> None:
    """A real `posko worker`: its heartbeat and scheduler tick make /readyz and `--check` ready; SIGKILL it
    and, past the thresholds, both say the worker (and the scheduler) stopped."""
    s = own_settings(f"sqlite:///{tmp_path / 'posko.db'}", killable_redis.url, ready_heartbeat_seconds=4,
                     ready_scheduler_seconds=6)
    make_app(s)
    proc = workers.start(s, POSKO_READY_HEARTBEAT_SECONDS="4", POSKO_READY_SCHEDULER_SECONDS="6",
                         POSKO_WORKER_HEARTBEAT_SECONDS="1")
    wait_until(lambda: readyz(s)[1]["checks"].get("worker") == "ok" and readyz(s)[1]["checks"].get("scheduler") == "ok",
               30, "the worker's heartbeat and the scheduler's tick")
    assert check_worker(s)[0] == 0
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_until(lambda: readyz(s)[0] == 503, 20, "/readyz noticing the dead worker")
    status, body = readyz(s)
    assert "worker" in body["detail"], body
    code, _ = check_worker(s)
    assert code == 1
