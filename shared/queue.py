"""Enqueueing worker jobs after a commit, coalesced per event.

One job per event waits in the queue at a time: the `pending` key is set with NX when a job is
queued and deleted by the job when it starts, so a burst of writes queues one job, and a write
that lands while that job runs queues exactly one more. If Redis is down the write has already
committed with its outbox row; the worker's relay re-enqueues it later.
"""

from __future__ import annotations

import logging

import redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from shared.config import Settings
from shared.redis import Breaker, Keys, connect

log = logging.getLogger(__name__)

# The names of the worker's jobs: the wire format on the queue. The worker registers one function per
# name (`@job(NAME)` in services/worker/jobs.py, checked at its import) and refuses any other name. Written
# here because the API enqueues without importing the worker (shared/ never imports services/). They
# read like import paths because older deploys enqueued them so; nothing imports them.
RECOMPUTE_JOB = "services.worker.jobs.recompute"
CLOSE_DAY_JOB = "services.worker.jobs.close_day"
SCAN_DUPLICATES_JOB = "scan_duplicates"
MATCH_TRACING_JOB = "match_tracing"
VERIFY_SNAPSHOT_JOB = "verify_snapshot"
JOB_NAMES = frozenset({RECOMPUTE_JOB, CLOSE_DAY_JOB, SCAN_DUPLICATES_JOB, MATCH_TRACING_JOB, VERIFY_SNAPSHOT_JOB})
JOB_RETRIES = Retry(max=3)  # a job abandoned by a killed worker is re-queued (services/worker/main.py)
PENDING_TTL_SECONDS = 300  # a lost job (worker killed) frees the slot after this; the relay covers it sooner
SCAN_PENDING_TTL_SECONDS = 600  # a scan holds its mark while queued and running (≤ 10 s at 50,000 persons)
VERIFY_PENDING_TTL_SECONDS = 1800  # a verification holds its mark while queued and running (two recomputes)


def make_queue(settings: Settings, connection: redis.Redis) -> Queue:
    """The queue of the live pipeline: recomputes and end-of-day snapshots."""
    return Queue(settings.queue_name, connection=connection, serializer=JSONSerializer)


def member_queue_name(settings: Settings, member: str) -> str:
    """One worker process's own queue: recomputes of the events whose state it keeps warm, handed to it by
    the other workers (services/worker/jobs.py, "Affinity")."""
    return f"{settings.queue_name}-member-{member}"


def background_queue_name(settings: Settings) -> str:
    return f"{settings.queue_name}-background"


def make_background_queue(settings: Settings, connection: redis.Redis) -> Queue:
    """The queue of work that may wait (duplicate scans, snapshot verifications). Workers take its jobs only when the live
    queue is empty (RQ tries a worker's queues in order), so a scan never delays a snapshot."""
    return Queue(background_queue_name(settings), connection=connection, serializer=JSONSerializer)


class Dispatcher:
    """Tells the worker that an event changed. Never raises: the write it follows is already stored."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = Keys(settings.redis_key_prefix)
        self.redis = connect(settings, timeout=0.25)
        self.queue = make_queue(settings, self.redis)
        self.background = make_background_queue(settings, self.redis)
        self.breaker = Breaker()

    def event_changed(self, event_id: str, *, force: bool = False) -> bool:
        """Queue a recompute for the event unless one is already waiting; False when Redis is unavailable.

        `force` queues one even if the pending mark says one waits: the relay uses it when changes
        have waited too long (a worker killed after taking the job, before clearing the mark).
        """
        if not self.breaker.allow():
            return False
        try:
            if self.redis.set(self.keys.pending_job(event_id), "1", nx=not force, ex=PENDING_TTL_SECONDS):
                enqueue_recompute(self.queue, event_id)
            return True
        except redis.RedisError as exc:
            log.warning("redis unavailable, event %s stays in the outbox: %s", event_id, exc.__class__.__name__)
            self.breaker.trip()
            return False

    def scan_duplicates(self, event_id: str) -> bool:
        """Queue a duplicate scan of the event unless one is queued or running (coalesced like the
        recompute, but the mark is held until the scan ends: a scan takes seconds, and one started
        again behind it would only repeat it). False when Redis is unavailable."""
        return self._background_once(SCAN_DUPLICATES_JOB, event_id, self.keys.pending_scan(event_id),
                                     SCAN_PENDING_TTL_SECONDS, "scan", "duplicate scan")

    def verify_snapshot(self, event_id: str) -> bool:
        """Queue a verification of the event's snapshot (shared/services/verify.py) unless one is queued or
        running: the mark is held until the job ends, so rounds of the scheduler never pile up behind a slow
        queue. On the background queue: verifying can wait, a snapshot cannot. False when Redis is unavailable."""
        return self._background_once(VERIFY_SNAPSHOT_JOB, event_id, self.keys.pending_verify(event_id),
                                     VERIFY_PENDING_TTL_SECONDS, "verify", "verification")

    def _background_once(self, job: str, event_id: str, mark: str, ttl: int, id_prefix: str, what: str) -> bool:
        """Queue `job(event_id)` on the background queue unless its pending `mark` is set (the job frees it
        when it ends, also when it fails; `ttl` covers a killed worker). False when Redis is unavailable."""
        if not self.breaker.allow():
            return False
        try:
            if self.redis.set(mark, "1", nx=True, ex=ttl):
                self.background.enqueue(job, event_id, job_id=f"{id_prefix}-{event_id}-{_token()}",
                                        result_ttl=60, failure_ttl=3600, retry=JOB_RETRIES, job_timeout=600)
            return True
        except redis.RedisError as exc:
            log.warning("redis unavailable, %s of event %s waits: %s", what, event_id, exc.__class__.__name__)
            self.breaker.trip()
            return False

    def match_tracing(self, *, force: bool = False) -> bool:
        """Queue one tracing match pass unless one waits already (coalesced office-wide: a pass matches every
        changed request and every new registration since the last, shared/services/tracing_matching.py).
        The mark is freed when the pass starts, so a change during a pass queues exactly one more. It runs
        on the live queue: a pass is milliseconds, and a strong match is news for the posko."""
        if not self.breaker.allow():
            return False
        try:
            enqueue_match_tracing(self.redis, self.queue, self.keys, force=force)
            return True
        except redis.RedisError as exc:
            log.warning("redis unavailable, tracing match waits for the relay: %s", exc.__class__.__name__)
            self.breaker.trip()
            return False

    def close_day(self, event_id: str, local_date: str) -> bool:
        """Queue the end-of-day snapshot of a finished local day."""
        try:
            self.queue.enqueue(CLOSE_DAY_JOB, event_id, local_date, job_id=f"closeday-{event_id}-{local_date}-{_token()}",
                               result_ttl=60, failure_ttl=3600, retry=JOB_RETRIES)
            return True
        except redis.RedisError:
            self.breaker.trip()
            return False

    def close(self) -> None:
        self.redis.close()


def enqueue_match_tracing(connection: redis.Redis, queue: Queue, keys: Keys, *, force: bool = False) -> bool:
    """Queue a tracing match pass unless one waits (`force`: regardless, when work has waited too long: a
    worker killed between taking the job and clearing the mark). Raises RedisError."""
    if connection.set(keys.pending_tracing(), "1", nx=not force, ex=PENDING_TTL_SECONDS):
        queue.enqueue(MATCH_TRACING_JOB, "all", job_id=f"tracing-{_token()}", result_ttl=60, failure_ttl=3600,
                      retry=JOB_RETRIES)
        return True
    return False


def enqueue_recompute(queue: Queue, event_id: str, *, handed: bool = False) -> None:
    """A recompute of the event on `queue`; `handed`: passed on by a worker to the event's owner, which runs
    it whoever owns the event by then (services/worker/jobs.py, "Affinity")."""
    args = (event_id, True) if handed else (event_id,)
    queue.enqueue(RECOMPUTE_JOB, *args, job_id=f"recompute-{event_id}-{_token()}", result_ttl=60, failure_ttl=3600,
                  retry=JOB_RETRIES)


def _token() -> str:
    import uuid

    return uuid.uuid4().hex[:12]
