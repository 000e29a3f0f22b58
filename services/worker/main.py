"""`posko worker`: an RQ worker on the Posko queue, plus the outbox relay, the heartbeat and the scheduler.

Jobs run in the worker process itself (SimpleWorker): forking per job costs more than the jobs.

The process never exits because Redis went away. RQ's work loop gives up on a Redis error (a job's
success or failure cannot be recorded, the worker cannot register), so a supervising loop here
builds a new connection and a new RQ worker after every such end, with a growing pause between
attempts, until a stop is requested (SIGTERM/SIGINT). Nothing is lost meanwhile: writes wait in the
outbox, the relay re-enqueues them once Redis answers, and jobs abandoned by a killed worker are
re-queued by whichever worker notices (`requeue_abandoned`).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError, StopRequested
from rq.intermediate_queue import IntermediateQueue
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.utils import as_text, parse_composite_key

from shared.config import Settings, get_settings
from shared.db import Database, read_unit, start_checkpoints, utcnow, write_unit
from shared.memory import release_heap
from shared.queue import (
    CLOSE_DAY_JOB,
    SCAN_DUPLICATES_JOB,
    Dispatcher,
    background_queue_name,
    member_queue_name,
)
from shared.redis import Keys, connect
from shared.repositories import worker_state

log = logging.getLogger("posko.worker")
RELAY_INTERVAL_SECONDS = 5.0
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0  # Redis back → consuming again within seconds, not minutes
FORGET_WORKERS_AFTER = timedelta(days=1)
RELEASE_HEAP_SECONDS = 5.0  # between jobs, at most this often: PoskoWorker._release_heap_if_due
# Jobs that take seconds: before one, a worker gives up the events it owns (recompute affinity,
# services/worker/jobs.py), so their recomputes do not wait for it. A tracing pass (a tenth of a second,
# at most one a second) and a verification (forked: the job returns at once) keep them.
LONG_JOBS = frozenset({SCAN_DUPLICATES_JOB, CLOSE_DAY_JOB})


def heartbeat_name(host: str | None = None, pid: int | None = None) -> str:
    """This process's row in `worker_state`; `posko worker --check` looks for its host's rows."""
    return f"{worker_state.WORKER_PREFIX}{host or socket.gethostname()}:{pid or os.getpid()}"


@dataclass
class _Current:
    """What the heartbeat reports: the RQ worker now consuming (rebuilt after an outage) and the phase."""

    worker_name: str | None = None
    phase: str = "starting"


def alive_seconds(settings: Settings) -> int:
    """Expiry of a worker's `alive` key: the abandoned-job delay, and never less than three heartbeats
    (a worker beating slowly must not look dead between two beats)."""
    return max(1, int(settings.abandoned_job_seconds), int(3 * settings.worker_heartbeat_seconds))


def make_worker_queues(settings: Settings, connection: redis.Redis, member: str | None = None) -> list[Queue]:
    """The worker's own queue (`member`: recomputes other workers hand it, services/worker/jobs.py
    "Affinity"), the live queue, then the background one: RQ takes a job from the first non-empty queue
    in this order, so recomputes never wait behind duplicate scans (shared/queue.py)."""
    from services.worker.jobs import PoskoJob

    names = [settings.queue_name, background_queue_name(settings)]
    if member is not None:
        names.insert(0, member_queue_name(settings, member))
    return [Queue(name, connection=connection, serializer=JSONSerializer, job_class=PoskoJob) for name in names]


class PoskoWorker(SimpleWorker):
    """A SimpleWorker that runs only allow-listed jobs (services.worker.jobs.JOBS) and tells the
    supervising loop when a stop was requested."""

    def __init__(self, *args: Any, stop: threading.Event, **kwargs: Any) -> None:
        from services.worker.jobs import PoskoJob

        kwargs.setdefault("job_class", PoskoJob)
        super().__init__(*args, **kwargs)
        self._posko_stop = stop
        self.max_connection_wait_time = MAX_BACKOFF_SECONDS

    def execute_job(self, job: Any, queue: Queue) -> None:
        from services.worker.jobs import give_up_events, reap_verifications, refusal

        reap_verifications()  # a verification child that repaired an event: its state is forgotten first
        if job.func_name in LONG_JOBS:
            give_up_events()  # the recomputes this worker owns go back to the shared queue meanwhile
        reason = refusal(job)
        if reason is not None:
            self.refuse(job, queue, reason)
            return
        try:
            super().execute_job(job, queue)
        finally:
            self._release_heap_if_due()

    _last_release = 0.0

    def _release_heap_if_due(self) -> None:
        """Between jobs, at most every RELEASE_HEAP_SECONDS, hand freed heap back to the OS. A recompute
        allocates and frees tens of MB; glibc kept them: one malloc_trim took the soak's worker from 468 to
        404 MB (bench/soak_bench.py). It costs ~80 ms on a fragmented heap, between jobs and with no
        database lock held, so the API's writes do not wait for it."""
        now = time.monotonic()
        if now - self._last_release >= RELEASE_HEAP_SECONDS:
            self._last_release = now
            release_heap()

    def refuse(self, job: Any, queue: Queue, reason: str) -> None:
        """Fail a foreign job without importing or calling anything it names (no callbacks, no retry,
        no webhooks), and log it: someone wrote to the queue who should not have."""
        log.warning("refused job %s naming %r: %s", job.id, job.func_name, reason)
        with self.connection.pipeline() as pipe:
            job.set_status(JobStatus.FAILED, pipeline=pipe)
            FailedJobRegistry(queue=queue).add(job, exc_string=f"refused: {reason}", pipeline=pipe)
            pipe.execute()
        IntermediateQueue(queue.key, self.connection).remove(job.id)

    def handle_warm_shutdown_request(self) -> None:
        super().handle_warm_shutdown_request()
        self._posko_stop.set()


def requeue_abandoned(settings: Settings, connection: redis.Redis) -> list[str]:
    """Re-queue started jobs whose worker has stopped beating (killed mid-job), within
    `abandoned_job_seconds` instead of RQ's own expiry (the job's timeout plus a minute, then only at
    the next maintenance pass).

    Every live worker refreshes a short-lived `alive` key in Redis; a job in the started registry
    whose worker's key has expired is marked expired and handed to RQ's own clean-up, which re-queues
    it (Posko's jobs are enqueued with retries) or, out of retries, moves it to the failed registry.
    Running a job twice is harmless: jobs are idempotent.
    """
    from services.worker.jobs import PoskoJob

    keys = Keys(settings.redis_key_prefix)
    now = datetime.now(UTC)
    abandoned: list[str] = []
    for queue in make_worker_queues(settings, connection):
        registry = StartedJobRegistry(queue=queue, job_class=PoskoJob)
        found = _abandoned_in(registry, settings, connection, keys, now)
        if found:
            registry.cleanup(timestamp=1)
            _enqueue_lost(queue, found, connection)
            abandoned += found
    if abandoned:
        log.warning("re-queued %d job(s) abandoned by a stopped worker: %s", len(abandoned), ", ".join(abandoned))
    return abandoned


def _enqueue_lost(queue: Queue, job_ids: list[str], connection: redis.Redis) -> None:
    """Enqueue again the abandoned jobs RQ's clean-up dropped without retrying them.

    RQ's worker enters a job in the started registry (its execution) and only then, in a second round
    trip, marks it STARTED; its clean-up retries only jobs marked STARTED, yet removes every expired
    entry. A worker killed between the two left its job in no queue and no registry: found in
    tests/worker/test_duplicate_scan.py, where a scan was never run again and its pending mark held the
    relay off for ten minutes. Such a job (still QUEUED, or with no status) is enqueued again; jobs are
    idempotent."""
    from services.worker.jobs import PoskoJob

    waiting = set(queue.get_job_ids())
    for job_id in job_ids:
        try:
            job = PoskoJob.fetch(job_id, connection=connection, serializer=JSONSerializer)
        except NoSuchJobError:
            continue
        if job_id in waiting or job.get_status(refresh=True) not in (JobStatus.QUEUED, None):
            continue
        IntermediateQueue(queue.key, connection).remove(job_id)  # dequeued into it before the kill
        queue.enqueue_job(job)
        log.warning("abandoned job %s had not been marked started: enqueued again", job_id)


def _abandoned_in(registry: StartedJobRegistry, settings: Settings, connection: redis.Redis, keys: Keys,
                  now: datetime) -> list[str]:
    """The started jobs of one queue whose worker stopped beating, marked expired for RQ's clean-up."""
    from services.worker.jobs import PoskoJob

    abandoned: list[str] = []
    for entry in connection.zrange(registry.key, 0, -1):
        member = as_text(entry)  # type: ignore[arg-type]
        job_id, _ = parse_composite_key(member)
        try:
            job = PoskoJob.fetch(job_id, connection=connection, serializer=JSONSerializer)
        except NoSuchJobError:
            connection.zrem(registry.key, member)
            continue
        if job.worker_name and connection.exists(keys.worker_alive(job.worker_name)):
            continue
        started = job.started_at
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        if started is not None and (now - started).total_seconds() < settings.abandoned_job_seconds:
            continue
        connection.zadd(registry.key, {member: 1}, xx=True)  # expired long ago, as far as RQ can tell
        abandoned.append(job_id)
    return abandoned


def _relay_loop(settings: Settings, stop: threading.Event) -> None:
    """Every few seconds: re-enqueue events whose outbox rows wait, queue due duplicate scans and tracing
    passes, write the match keys of new persons, re-queue abandoned jobs."""
    from services.worker.jobs import drain_match_keys, relay_duplicate_scans, relay_outbox, relay_tracing

    dispatcher = Dispatcher(settings)
    connection = connect(settings, timeout=5.0)
    while not stop.wait(RELAY_INTERVAL_SECONDS):
        try:
            n = relay_outbox(dispatcher)
            if n:
                log.info("relay re-enqueued %d event(s) with pending outbox rows", n)
        except Exception:
            log.exception("outbox relay pass failed")
        try:
            relay_tracing(dispatcher)
        except Exception:
            log.exception("tracing relay pass failed")
        try:
            relay_duplicate_scans(dispatcher)
        except Exception:
            log.exception("duplicate-scan relay pass failed")
        try:
            drain_match_keys()
        except Exception:
            log.exception("match-key backlog pass failed")
        try:
            requeue_abandoned(settings, connection)
        except redis.RedisError as exc:
            log.debug("abandoned-job pass skipped (redis: %s)", exc.__class__.__name__)
        except Exception:
            log.exception("abandoned-job pass failed")


def _heartbeat_loop(settings: Settings, db: Database, current: _Current, owner: threading.Thread,
                    stop: threading.Event) -> None:
    """Beat while the supervising loop lives: in the database (what /readyz and `--check` read, Redis
    or not) and in Redis (the `alive` key other workers look at before re-queueing our job)."""
    name = heartbeat_name()
    keys = Keys(settings.redis_key_prefix)
    connection = connect(settings, timeout=2.0)
    ttl = alive_seconds(settings)
    last_forget = 0.0
    while owner.is_alive() and not stop.is_set():
        try:
            with write_unit(db) as uow:
                worker_state.beat(uow.session, name, utcnow(), current.phase)
                if time.monotonic() - last_forget > 600:
                    worker_state.forget_workers(uow.session, utcnow() - FORGET_WORKERS_AFTER)
                    last_forget = time.monotonic()
        except Exception:
            log.exception("heartbeat not recorded in the database")
        if current.worker_name:
            try:
                connection.set(keys.worker_alive(current.worker_name), name, ex=ttl)
            except redis.RedisError:
                pass  # Redis down: nothing can be re-queued meanwhile either
        stop.wait(settings.worker_heartbeat_seconds)


def _install_stop_handlers(stop: threading.Event) -> None:
    """Between two RQ workers (waiting for Redis), SIGTERM/SIGINT simply stop the loop."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: Any) -> None:
        log.info("stop requested (signal %d)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def supervise(settings: Settings, stop: threading.Event, current: _Current, *, burst: bool = False,
              member: str | None = None) -> None:
    """Run RQ workers one after another until a stop is requested: a Redis outage ends one (RQ gives
    up), the next starts once Redis answers, after a pause that doubles up to MAX_BACKOFF_SECONDS.
    `member`: this process's name for recompute affinity (its own queue comes first)."""
    backoff = FIRST_BACKOFF_SECONDS
    while not stop.is_set():
        _install_stop_handlers(stop)
        connection = connect(settings, timeout=10.0)
        try:
            try:
                connection.ping()
            except redis.RedisError as exc:
                current.phase = f"waiting for redis ({exc.__class__.__name__})"
                log.warning("redis unreachable (%s); trying again in %.1f s", exc.__class__.__name__, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            worker = PoskoWorker(make_worker_queues(settings, connection, member), connection=connection,
                                 serializer=JSONSerializer, stop=stop)
            current.worker_name, current.phase = worker.name, "consuming"
            connection.set(Keys(settings.redis_key_prefix).worker_alive(worker.name), heartbeat_name(),
                           ex=alive_seconds(settings))
            started = time.monotonic()
            worker.work(burst=burst, with_scheduler=False)
            if burst or stop.is_set():
                return
            log.warning("the RQ worker loop ended without a stop request (a Redis outage); starting a new one")
            if time.monotonic() - started > 60:
                backoff = FIRST_BACKOFF_SECONDS
        except StopRequested:
            return
        except (redis.RedisError, OSError) as exc:
            log.warning("worker lost redis (%s); reconnecting in %.1f s", exc.__class__.__name__, backoff)
        except Exception:  # anything else RQ raises: logged, and the loop goes on (it must never exit)
            log.exception("the RQ worker failed; starting a new one in %.1f s", backoff)
        finally:
            _install_stop_handlers(stop)  # RQ's handlers belong to the worker that just ended
            try:
                connection.close()
            except Exception:  # closing a dead connection must not end the loop
                pass
        current.phase = "reconnecting"
        if burst:
            return
        stop.wait(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def run_worker(settings: Settings | None = None, *, burst: bool = False) -> None:
    """Consume the queue; alongside, the outbox relay, the heartbeat and the meal-time/midnight scheduler."""
    from services.worker.jobs import configure
    from services.worker.schedule import Scheduler

    settings = settings or get_settings()
    ctx = configure(settings)
    ctx.member = heartbeat_name()  # recompute affinity (services/worker/jobs.py): this process's own queue
    stop = threading.Event()
    current = _Current()
    stop_checkpoints = lambda: None  # noqa: E731
    if not burst:
        threading.Thread(target=_heartbeat_loop, args=(settings, ctx.db, current, threading.current_thread(), stop),
                         daemon=True, name="heartbeat").start()
        threading.Thread(target=_relay_loop, args=(settings, stop), daemon=True, name="outbox-relay").start()
        stop_checkpoints = start_checkpoints(ctx.db)
        threading.Thread(target=Scheduler(settings, ctx.db).run, args=(stop,), daemon=True, name="scheduler").start()
    try:
        supervise(settings, stop, current, burst=burst, member=ctx.member)
    finally:
        stop.set()
        stop_checkpoints()
        log.info("worker stopped")


def check_worker(settings: Settings) -> int:
    """`posko worker --check`: 0 when this host's worker is healthy by the signals /readyz uses
    (database and Redis reachable; outbox lag, this host's heartbeat and the scheduler tick within
    their thresholds), else 1; prints the checks as JSON either way."""
    from shared.db import make_database
    from shared.services import health

    checks: dict[str, str] = {}
    ages: dict[str, Any] = {}
    failed: list[str] = []
    db = make_database(settings, worker=True)
    try:
        with read_unit(db) as session:
            signals = health.pipeline(session, settings, utcnow(),
                                      worker_prefix=f"{worker_state.WORKER_PREFIX}{socket.gethostname()}:")
        checks["database"] = "ok"
        checks.update(signals.checks)
        ages, failed = signals.ages, signals.failed
    except Exception as exc:
        checks["database"] = f"down: {exc.__class__.__name__}"
        failed.append("database")
    finally:
        db.dispose()
    try:
        connect(settings, timeout=2.0).ping()
        checks["redis"] = "ok"
    except redis.RedisError as exc:
        checks["redis"] = f"down: {exc.__class__.__name__}"
        failed.append("redis")
    body: dict[str, Any] = {"status": "ok" if not failed else "unavailable", "checks": checks, "signals": ages}
    if failed:
        body["detail"] = health.describe(failed)
    print(json.dumps(body))
    return 0 if not failed else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run_worker()
