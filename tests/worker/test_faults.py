"""The pipeline heals itself (issue 9, items 16, 17 and 20), shown with real processes.

A private redis-server (killed and restarted on the same port), a database of the test's own, real
`posko worker` processes; writes go through the real app.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from services.worker import jobs
from shared.db import read_unit, utcnow, write_unit
from shared.queue import (
    CLOSE_DAY_JOB,
    MATCH_TRACING_JOB,
    RECOMPUTE_JOB,
    SCAN_DUPLICATES_JOB,
    VERIFY_SNAPSHOT_JOB,
)
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.services import status as status_service
from tests.conftest import REDIS_URL, ROOT, build_scene, person_body
from tests.worker.conftest import (
    App,
    KillableRedis,
    Workers,
    own_settings,
    stored_data_seq,
    wait_until,
)
from tests.worker.test_pipeline import add_persons

NO_EVENT = "00000000-0000-4000-8000-000000000000"


# ---- 16. only Posko's own jobs ----

def test_every_job_posko_enqueues_is_allow_listed() -> None:
    """The names the API enqueues and the functions the worker runs are one list."""
    from shared.queue import JOB_NAMES

    assert set(jobs.JOBS) == JOB_NAMES == {RECOMPUTE_JOB, CLOSE_DAY_JOB, SCAN_DUPLICATES_JOB, MATCH_TRACING_JOB,
                                           VERIFY_SNAPSHOT_JOB}
    assert jobs.JOBS[RECOMPUTE_JOB] is jobs.recompute and jobs.JOBS[CLOSE_DAY_JOB] is jobs.close_day
    assert jobs.JOBS[MATCH_TRACING_JOB] is jobs.match_tracing
    assert jobs.JOBS[VERIFY_SNAPSHOT_JOB] is jobs.verify_snapshot


@pytest.mark.slow
def test_worker_refuses_a_job_naming_any_other_function(tmp_path: Path, killable_redis: KillableRedis,
                                                        workers: Workers) -> None:
    """`os.system`, `subprocess.call` or a Posko job carrying a callback pushed straight into the queue:
    refused without running (no side effect), logged, and the worker goes on with the next job."""
    s = own_settings(f"sqlite:///{tmp_path / 'posko.db'}", killable_redis.url)
    conn = redis.Redis.from_url(killable_redis.url)
    queue = Queue(s.queue_name, connection=conn, serializer=JSONSerializer)
    marks = [tmp_path / f"pwned-{i}" for i in range(3)]
    foreign = [
        queue.enqueue("os.system", f"touch {marks[0]}"),
        queue.enqueue("subprocess.call", ["touch", str(marks[1])]),
        queue.enqueue(RECOMPUTE_JOB, NO_EVENT, on_success="os.system"),  # a callback is a function call too
        queue.enqueue("pathlib.Path.touch", str(marks[2])),
    ]
    own = queue.enqueue(RECOMPUTE_JOB, NO_EVENT)
    proc = workers.start(s)
    wait_until(lambda: own.get_status(refresh=True) == "finished", 30, "the Posko job after the foreign ones")
    assert own.return_value() == {"seq": -1, "data_seq": -1}
    for job in foreign:
        assert job.get_status(refresh=True) == "failed", job.func_name
        assert job.id in FailedJobRegistry(queue=queue).get_job_ids()
    assert not any(m.exists() for m in marks), "a foreign job ran"
    assert proc.poll() is None, "the worker must keep running"
    log = workers.log(proc)
    assert log.count("refused job") == len(foreign), log


def test_compose_requires_secrets_and_a_redis_password() -> None:
    """docker-compose.yml, parsed (Docker is not needed): required variables guarded with `:?`, Redis
    behind a password the workers and API carry in POSKO_REDIS_URL."""
    text = (ROOT / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    for var in ("POSKO_DB_PASSWORD", "POSKO_SECRET_KEY", "POSKO_REDIS_PASSWORD"):
        uses = re.findall(r"\$\{" + var + r"([^}]*)\}", text)
        assert uses, var
        assert all(u.startswith(":?") and len(u) > 2 for u in uses), f"{var} used without a :? guard: {uses}"
    assert "POSKO_DB_PASSWORD:-" not in text and "POSKO_SECRET_KEY:-" not in text
    command = compose["services"]["redis"]["command"]
    assert "--requirepass" in command
    assert command[command.index("--requirepass") + 1].startswith("${POSKO_REDIS_PASSWORD:?")
    env = compose["x-posko-env"]
    assert env["POSKO_REDIS_URL"].startswith("redis://:${POSKO_REDIS_PASSWORD:?")
    for name in ("api", "worker", "migrate"):
        service_env = compose["services"][name]["environment"]
        assert service_env["POSKO_REDIS_URL"] == env["POSKO_REDIS_URL"], name
        assert service_env["POSKO_SECRET_KEY"] == env["POSKO_SECRET_KEY"], name


def test_compose_restarts_and_health_checks_use_the_readiness_signal() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("api", "worker", "redis", "postgres"):
        assert services[name].get("restart") in ("always", "unless-stopped", "on-failure"), name
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "posko", "worker", "--check"]
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"], "plain HTTP only behind the TLS proxy"


# ---- 17. a Redis outage never kills the worker ----

@pytest.mark.slow
def test_worker_survives_redis_killed_during_writes_and_a_recompute(
        own_database_url: str, killable_redis: KillableRedis, workers: Workers, make_app: Any) -> None:
    """SIGKILL of Redis while a recompute runs and writes keep coming: the writes succeed, the same
    worker process is alive afterwards, and once Redis is back (empty, on the same port) the stored
    snapshot reaches the last data_seq within 30 s — no process restarted by hand."""
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    add_persons(app.db, sc.eid, 20_000)  # a recompute takes long enough to be caught in the middle
    conn = redis.Redis.from_url(killable_redis.url)
    started = StartedJobRegistry(queue=Queue(s.queue_name, connection=conn, serializer=JSONSerializer))
    worker = workers.start(s)
    pid = worker.pid

    def write() -> int:
        r = app.api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
        assert r.status_code == 201, r.text
        return int(r.headers["X-Data-Seq"])

    last = write()
    wait_until(lambda: bool(started.get_job_ids(cleanup=False)), 60, "a recompute running", interval=0.01)
    killable_redis.kill()
    for _ in range(10):  # writes while Redis is gone
        last = write()
        time.sleep(0.2)
    time.sleep(4)  # long enough for the recompute to end and fail to report to Redis
    assert worker.poll() is None, "the worker exited during the outage:\n" + workers.log(worker)[-3000:]
    killable_redis.start()
    for _ in range(3):
        last = write()
    took = wait_until(lambda: stored_data_seq(app.db, sc.eid) >= last, 30, f"snapshot at data_seq {last}")
    assert worker.poll() is None and worker.pid == pid, "the same worker process must still run"
    log = workers.log(worker)
    assert "redis unreachable" in log or "worker lost redis" in log or "without a stop request" in log, log[-3000:]
    with read_unit(app.db) as session:
        row = status_repo.latest(session, sc.eid)
        assert row is not None and row.body["people"]["registered"] == 20_000 + 14
    print(f"caught up {took:.1f} s after Redis returned")


@pytest.mark.slow
def test_sigterm_still_stops_the_worker_while_it_waits_for_redis(tmp_path: Path, killable_redis: KillableRedis,
                                                                 workers: Workers) -> None:
    """Never exiting on a Redis outage must not make the worker unstoppable: SIGTERM ends it, idle or
    waiting for Redis, with exit status 0."""
    s = own_settings(f"sqlite:///{tmp_path / 'posko.db'}", killable_redis.url)
    idle = workers.start(s)
    waiting = workers.start(s)
    wait_until(lambda: "Listening on" in workers.log(idle) and "Listening on" in workers.log(waiting), 30,
               "both workers consuming")
    idle.send_signal(signal.SIGTERM)
    assert idle.wait(timeout=15) == 0
    killable_redis.kill()
    time.sleep(3)
    assert waiting.poll() is None
    waiting.send_signal(signal.SIGTERM)
    assert waiting.wait(timeout=15) == 0, workers.log(waiting)[-3000:]


# ---- 20. concurrent jobs are safe ----

def _event_and_snapshot(app: App, eid: str, as_of_shift: timedelta = timedelta(0)) -> tuple[dict[str, Any], Any]:
    with read_unit(app.db) as session:
        event = event_repo.get_event(session, eid)
        assert event is not None
        as_of = utcnow() + as_of_shift
        return status_service.compute(session, event, as_of, app.settings.tz), as_of


def _race(first: Any, second: Any) -> list[BaseException]:
    """Run `first(uow)` in a unit of work and, before it commits, `second()` in another thread (which on
    PostgreSQL then waits on the first's uncommitted row, on SQLite on the write lock)."""
    errors: list[BaseException] = []

    def other() -> None:
        try:
            second()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    thread = threading.Thread(target=other)
    first(thread)
    thread.join(30)
    assert not thread.is_alive()
    return errors


def test_two_daily_snapshots_of_one_day_race_into_one_row(own_database_url: str, make_app: Any) -> None:
    """Two close_day writes for one event and day, the second starting before the first commits: no
    unique-key error (it was one on PostgreSQL), one row, the later as_of wins."""
    app: App = make_app(own_settings(own_database_url, REDIS_URL))
    sc = build_scene(app.api)
    day = date(2026, 3, 10)

    def second() -> None:
        with write_unit(app.db) as uow:
            status_repo.save_daily(uow.session, sc.eid, day, 2, 7, utcnow(), {"n": 2})

    def first(thread: threading.Thread) -> None:
        with write_unit(app.db) as uow:
            status_repo.save_daily(uow.session, sc.eid, day, 1, 6, utcnow() - timedelta(seconds=5), {"n": 1})
            thread.start()
            time.sleep(0.5)

    assert _race(first, second) == []
    with read_unit(app.db) as session:
        rows = [r for r in status_repo.daily(session, sc.eid) if r.local_date == day]
    assert [(r.seq, r.body) for r in rows] == [(2, {"n": 2})]


def test_two_first_snapshots_of_an_event_race(own_database_url: str, make_app: Any) -> None:
    """Two recomputes storing an event's first snapshot at once: the second becomes seq 2, no error."""
    app: App = make_app(own_settings(own_database_url, REDIS_URL))
    sc = build_scene(app.api)
    snap1, as_of1 = _event_and_snapshot(app, sc.eid)
    snap2, as_of2 = _event_and_snapshot(app, sc.eid, timedelta(seconds=1))
    tz = app.settings.tz
    seqs: list[int | None] = []

    def second() -> None:
        with write_unit(app.db) as uow:
            seqs.append(status_service.store(uow, sc.eid, snap2, as_of2, tz))

    def first(thread: threading.Thread) -> None:
        with write_unit(app.db) as uow:
            seqs.append(status_service.store(uow, sc.eid, snap1, as_of1, tz))
            thread.start()
            time.sleep(0.5)

    assert _race(first, second) == []
    assert seqs == [1, 2]
    with read_unit(app.db) as session:
        row = status_repo.latest(session, sc.eid)
        assert row is not None and row.seq == 2 and row.as_of == as_of2


def test_close_day_jobs_running_at_once(own_database_url: str, make_app: Any) -> None:
    """Four close_day jobs for one event and day in four threads: all succeed, one daily row."""
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    sc = build_scene(app.api)
    ctx = jobs.configure(s)
    yesterday = (utcnow().astimezone(s.tz).date() - timedelta(days=1)).isoformat()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        try:
            barrier.wait()
            assert jobs.close_day(sc.eid, yesterday)["stored"] is True
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    try:
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        ctx.db.dispose()
        jobs._context = None
    assert errors == []
    with read_unit(app.db) as session:
        assert [r.local_date.isoformat() for r in status_repo.daily(session, sc.eid)].count(yesterday) == 1


@pytest.mark.slow
def test_a_job_killed_mid_run_is_requeued_within_a_minute(
        own_database_url: str, killable_redis: KillableRedis, workers: Workers, make_app: Any) -> None:
    """SIGKILL of the worker while its recompute runs: the job does not sit "started" for minutes; another
    worker re-queues it (the same job) within a minute and runs it, and the snapshot catches up."""
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    add_persons(app.db, sc.eid, 20_000)
    conn = redis.Redis.from_url(killable_redis.url)
    started = StartedJobRegistry(queue=Queue(s.queue_name, connection=conn, serializer=JSONSerializer))
    first = workers.start(s)
    r = app.api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
    target = int(r.headers["X-Data-Seq"])
    wait_until(lambda: bool(started.get_job_ids(cleanup=False)), 60, "the recompute started", interval=0.01)
    job_id = started.get_job_ids(cleanup=False)[0]
    dead = Job.fetch(job_id, connection=conn, serializer=JSONSerializer).worker_name
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = time.monotonic()
    workers.start(s)

    def moved_on() -> bool:
        job = Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
        return job.get_status() in ("queued", "finished") or (job.worker_name or dead) != dead

    wait_until(moved_on, 60, "the killed job re-queued")
    requeued_after = time.monotonic() - killed
    wait_until(lambda: Job.fetch(job_id, connection=conn, serializer=JSONSerializer).get_status() == "finished",
               90, "the re-queued job finished")
    assert job_id not in started.get_job_ids(cleanup=False)
    wait_until(lambda: stored_data_seq(app.db, sc.eid) >= target, 60, "the snapshot caught up")
    assert requeued_after < 60


def test_every_name_the_dispatcher_enqueues_has_a_registered_job() -> None:
    """What the API's dispatcher actually puts on the queue (not only the declared names) resolves to a
    function registered with `@job`: renaming a job function cannot silently break the queue."""
    from shared.config import Settings
    from shared.queue import Dispatcher

    class Recorder:
        def __init__(self) -> None:
            self.names: list[str] = []

        def enqueue(self, name: str, *args: object, **kwargs: object) -> None:
            self.names.append(name)

    class AlwaysSet:
        def set(self, *args: object, **kwargs: object) -> bool:
            return True

        def close(self) -> None:
            pass

    dispatcher = Dispatcher(Settings())
    dispatcher.redis.close()
    recorder = Recorder()
    dispatcher.queue, dispatcher.redis = recorder, AlwaysSet()  # type: ignore[assignment]
    assert dispatcher.event_changed("e") and dispatcher.close_day("e", "2026-01-01") and dispatcher.scan_duplicates("e")
    assert recorder.names and all(jobs.JOBS[name].__module__ == jobs.__name__ for name in recorder.names)
