"""Worker jobs. Each takes ids only, reloads what it needs, and is safe to run twice.

A job runs with the worker's context (settings, database, Redis), built once per process from
`POSKO_*` settings, or handed in by `configure()` (the worker start-up and the tests do).

Affinity (`recompute_affinity_seconds`): a worker keeps each event's live inputs and needs state in
memory, moved on by what changed since its own last recompute of the event. With two workers taking
recomputes from one queue, Redis hands each job to whichever worker waited longest, so an event's
recomputes alternated between them: each turn caught up on the other's writes too, and found the stored
unmet rows written by the other, so it read them all back (tens of thousands at 50,000 persons) to write
its difference. So the worker that recomputes an event marks itself its owner for a few seconds
(`Keys.event_owner`), and another worker that takes one of its recomputes passes it to the owner's own
queue (`member_queue_name`, which each worker process consumes before the shared ones) instead of
running it. A handed job is run by whoever takes it, never passed on again. The mark lapses when the owner
stops recomputing the event; before a job that takes seconds (a duplicate scan, an end-of-day snapshot:
services/worker/main.py LONG_JOBS) the owner gives up its marks and puts the recomputes waiting in its queue back on the shared queue,
so none waits behind it. An owner killed with jobs in its queue: its marks lapse within the affinity
seconds, and the outbox relay queues the event again once its rows wait 15 s (`relay_outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from time import monotonic as time_monotonic
from time import sleep as time_sleep
from typing import Any, TypeVar
from uuid import uuid4

import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from services.worker.verify_child import Finished, Verifiers
from shared.config import Settings, get_settings
from shared.db import Database, make_database, read_unit, utcnow, write_unit
from shared.live_messages import status_message, status_message_from_text, tracing_message
from shared.matching.scan import Interrupted
from shared.memory import no_cyclic_gc
from shared.queue import (
    CLOSE_DAY_JOB,
    JOB_NAMES,
    MATCH_TRACING_JOB,
    RECOMPUTE_JOB,
    SCAN_DUPLICATES_JOB,
    VERIFY_SNAPSHOT_JOB,
    Dispatcher,
    enqueue_match_tracing,
    enqueue_recompute,
    make_background_queue,
    make_queue,
    member_queue_name,
)
from shared.redis import Keys, connect
from shared.repositories import bookkeeping, delivery_totals, stock_totals
from shared.repositories import duplicates as dup_repo
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.repositories import tracing as tracing_repo
from shared.repositories.needs_inputs import load_needs_inputs
from shared.repositories.reference import sandang_and_meal_items
from shared.services import duplicates as duplicate_service
from shared.services import match_keys, tracing_matching
from shared.services import status as status_service
from shared.services import verify as verify_service
from shared.services.live_inputs import LiveInputs

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

JOBS: dict[str, Callable[..., Any]] = {}
"""Job name (what shared.queue enqueues) → the function it runs: the allow-list. Nothing else is ever
imported or called (PoskoJob below)."""


def job(name: str) -> Callable[[F], F]:
    """Register the decorated function as the job `name`, one of the names shared.queue enqueues.

    The name is the wire format (it stays in Redis across a deploy), not an import path: renaming or
    moving the function changes nothing on the queue, and a name shared.queue does not know fails here,
    at import."""
    def register(fn: F) -> F:
        if name not in JOB_NAMES or name in JOBS:
            raise ValueError(f"job {name!r}: not a name shared.queue enqueues, or registered twice")
        JOBS[name] = fn
        return fn
    return register


STREAM_LENGTH = 20  # late joiners need the newest snapshot; a few more cover a reconnect race


@dataclass
class WorkerContext:
    settings: Settings
    db: Database
    redis: redis.Redis
    keys: Keys
    # each open event's needs inputs, kept up to date from the outbox (shared/services/live_inputs.py)
    live: LiveInputs = field(default_factory=LiveInputs)
    # registrations this worker's tracing passes matched lately (shared/services/tracing_matching.py)
    recent_matches: tracing_matching.RecentlyMatched = field(default_factory=tracing_matching.RecentlyMatched)
    tracing_queued_at: float = float("-inf")  # when a recompute last queued a tracing pass (monotonic seconds)
    recompute_started: dict[str, float] = field(default_factory=dict)  # event -> when its last recompute began
    verifiers: Verifiers = field(default_factory=Verifiers)  # verification children (services/worker/verify_child.py)
    member: str | None = None  # this worker process's name for affinity (None: jobs called in a test's process)
    owned: set[str] = field(default_factory=set)  # events this worker marked itself the owner of

    def loader(self) -> status_service.Loader:
        return self.live.load if self.settings.live_inputs else load_needs_inputs


_context: WorkerContext | None = None


def configure(settings: Settings) -> WorkerContext:
    """Set the context jobs of this process use."""
    global _context
    _context = WorkerContext(settings=settings, db=make_database(settings, worker=True), redis=connect(settings, timeout=5.0),
                             keys=Keys(settings.redis_key_prefix), live=LiveInputs(settings.live_inputs_events))
    return _context


def context() -> WorkerContext:
    return _context or configure(get_settings())


def publish(ctx: WorkerContext, event_id: str, seq: int, body: dict[str, Any] | str) -> bool:
    """Announce a stored snapshot (its body, or the body as the JSON text stored): pub/sub for connected
    clients, a short stream for late joiners.

    Best effort: the snapshot is stored already (clients that reconnect read it), so a Redis outage
    here is logged, never raised — a raise would fail a job whose work is done.
    """
    message = status_message_from_text(event_id, seq, body) if isinstance(body, str) \
        else status_message(event_id, seq, body)
    try:
        pipe = ctx.redis.pipeline(transaction=False)
        pipe.publish(ctx.keys.event_channel(event_id), message)
        pipe.xadd(ctx.keys.event_stream(event_id), {"msg": message}, maxlen=STREAM_LENGTH, approximate=True)
        pipe.execute()
        return True
    except redis.RedisError as exc:
        log.warning("snapshot %s of event %s stored but not published (redis: %s)", seq, event_id,
                    exc.__class__.__name__)
        return False


def _clear_pending(ctx: WorkerContext, event_id: str) -> None:
    """Free the event's pending mark so a write committed from now on queues one more recompute.

    Best effort: if Redis is unreachable the mark expires on its own (PENDING_TTL_SECONDS) and the
    relay re-enqueues whatever the outbox still holds; the recompute itself needs no Redis.
    """
    try:
        ctx.redis.delete(ctx.keys.pending_job(event_id))
    except redis.RedisError as exc:
        log.warning("pending mark of event %s not cleared (redis: %s)", event_id, exc.__class__.__name__)


def _pace(ctx: WorkerContext, event_id: str) -> None:
    """Wait out the rest of `recompute_min_interval_ms` since this worker's last recompute of the event
    began (settings: why). Before the pending mark is cleared, so the writes of the wait queue nothing more
    and this recompute covers them."""
    now = time_monotonic()
    last = ctx.recompute_started.get(event_id)
    wait = (last + ctx.settings.recompute_min_interval_ms / 1000 - now) if last is not None else 0.0
    if wait > 0:
        time_sleep(wait)
        now = time_monotonic()
    ctx.recompute_started[event_id] = now
    if len(ctx.recompute_started) > 1024:  # events long closed leave
        for old in [e for e, at in ctx.recompute_started.items() if now - at > 60]:
            del ctx.recompute_started[old]


@job(RECOMPUTE_JOB)
def recompute(event_id: str, handed: bool = False) -> dict[str, int]:
    """Recompute an event's status, store it if newer, cover its outbox rows, publish it.

    The pending mark is cleared first, so a write that commits while this runs queues exactly one
    more recompute. Running it twice stores a second, equal-or-newer snapshot: harmless. Another worker
    owning the event takes the job instead (module docstring, "Affinity"); `handed`: it was passed on
    already, and runs here.
    """
    ctx = context()
    if _hand_over(ctx, event_id, handed):
        return {"seq": 0, "data_seq": -1, "handed": 1}
    _pace(ctx, event_id)
    _clear_pending(ctx, event_id)
    tz = ctx.settings.tz
    # One pause of the cyclic collector for the whole job: load, engine and store each pause it too, but
    # re-enabling it in between would let the next allocation trigger a collection that walks every
    # object allocated meanwhile (the 170,000 loaded inputs of a large event). By the end the inputs
    # are freed (reference counting) and the collector finds little to walk.
    with no_cyclic_gc():
        with read_unit(ctx.db, consistent=True) as session:
            event = event_repo.get_event(session, event_id)
            if event is None:  # never committed or removed: nothing to compute
                ctx.live.forget(event_id)
                return {"seq": -1, "data_seq": -1}
            as_of = status_service.status_as_of(event, utcnow())
            if ctx.settings.live_inputs and ctx.settings.incremental_needs:
                snapshot, totals, stock_totals_verdict = status_service.compute_live(session, event, as_of, tz,
                                                                                    ctx.live, unmet_list=False)
            else:
                snapshot, inputs = status_service.compute_with_inputs(session, event, as_of, tz, ctx.loader())
                totals, stock_totals_verdict = inputs.totals, inputs.stock_totals
                del inputs
        with write_unit(ctx.db) as uow:
            stored = status_service.store_body(uow, event_id, snapshot, as_of, tz)
            if totals == "stale":  # rows written around the write path (an import): recount once, for next time
                delivery_totals.rebuild(uow.session, event_id, tz, sandang_and_meal_items(uow.session, event))
            if stock_totals_verdict == "stale":  # the same for the stock ledger's running sums
                stock_totals.rebuild(uow.session, event_id)
    if stored is not None:
        status_service.committed(snapshot)  # an unmet list written by difference is the next one's base
    _queue_tracing(ctx)
    if stored is None:  # a newer snapshot was stored meanwhile; it has been published already
        return {"seq": 0, "data_seq": int(snapshot["data_seq"])}
    seq, body_text = stored
    publish(ctx, event_id, seq, body_text)
    return {"seq": seq, "data_seq": int(snapshot["data_seq"])}


def _hand_over(ctx: WorkerContext, event_id: str, handed: bool) -> bool:
    """Pass the recompute to the event's owner when another worker owns it (True), or mark this worker the
    owner and run it here (False); a job `handed` on already runs here. Without Redis, it runs here:
    affinity only saves work."""
    seconds = ctx.settings.recompute_affinity_seconds
    if ctx.member is None or seconds <= 0:
        return False
    key = ctx.keys.event_owner(event_id)
    try:
        owner = None if handed else _text(ctx.redis.get(key))
        if owner is not None and owner != ctx.member:
            enqueue_recompute(member_queue(ctx, owner), event_id, handed=True)
            return True
        ctx.redis.set(key, ctx.member, px=int(seconds * 1000))
        ctx.owned.add(event_id)
    except redis.RedisError as exc:
        log.debug("affinity skipped for event %s (redis: %s)", event_id, exc.__class__.__name__)
    return False


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def member_queue(ctx: WorkerContext, member: str) -> Queue:
    """A worker process's own queue (module docstring, "Affinity")."""
    return Queue(member_queue_name(ctx.settings, member), connection=ctx.redis, serializer=JSONSerializer)


def give_up_events(ctx: WorkerContext | None = None) -> int:
    """Before a job that takes seconds (PoskoWorker, LONG_JOBS): drop this worker's owner marks and put the recomputes
    waiting in its own queue back on the shared queue, so that none waits for the longer job to end.
    Returns how many recomputes were put back."""
    ctx = ctx or _context
    if ctx is None or ctx.member is None or not ctx.owned:
        return 0
    moved = 0
    try:
        events = list(ctx.owned)
        pipe = ctx.redis.pipeline(transaction=False)
        for event_id in events:
            pipe.get(ctx.keys.event_owner(event_id))
        owners = pipe.execute()
        mine = [e for e, o in zip(events, owners, strict=True) if _text(o) == ctx.member]
        if mine:
            ctx.redis.delete(*(ctx.keys.event_owner(e) for e in mine))
        ctx.owned.clear()
        own, shared = member_queue(ctx, ctx.member), make_queue(ctx.settings, ctx.redis)
        for job_id in own.get_job_ids():
            found = own.fetch_job(job_id)
            own.remove(job_id)
            if found is not None and found.func_name == RECOMPUTE_JOB and found.args:
                enqueue_recompute(shared, str(found.args[0]))
                moved += 1
    except redis.RedisError as exc:
        log.debug("owner marks not given up (redis: %s); they lapse on their own", exc.__class__.__name__)
    return moved


TRACING_QUEUE_SECONDS = 1.0  # recomputes queue a tracing pass at most this often (per worker)


def _queue_tracing(ctx: WorkerContext) -> None:
    """After a recompute (the event changed: perhaps someone registered), one tracing match pass is
    queued when requests are open: coalesced, so a burst of registrations costs one pass.

    At most one per TRACING_QUEUE_SECONDS: under a steady stream of writes the recomputes run ~20 times a
    second, and a pass after each cost the worker more than the snapshots' needs state (issue 14's worker
    CPU). A match found within a second serves the posko as well; the next recompute after the interval
    queues the pass for what came meanwhile, and the relay (every RELAY_INTERVAL_SECONDS) when the writes
    stop."""
    now = time_monotonic()
    if now - ctx.tracing_queued_at < TRACING_QUEUE_SECONDS:
        return
    ctx.tracing_queued_at = now
    try:
        with read_unit(ctx.db) as session:
            if not tracing_repo.has_open_requests(session):
                return
        enqueue_match_tracing(ctx.redis, make_queue(ctx.settings, ctx.redis), ctx.keys)
    except redis.RedisError as exc:
        log.warning("tracing match not queued (redis: %s); the relay will", exc.__class__.__name__)


MAX_PASSES = 20  # one job matches at most this many batches; the rest is queued again


@job(MATCH_TRACING_JOB)
def match_tracing(scope: str = "all") -> dict[str, Any]:
    """Match changed tracing requests and new registrations (shared/services/tracing_matching.py), store the
    candidates, move requests with a new strong match to kemungkinan_cocok, and announce those matches on
    the live channels of the events concerned (after the commit).

    The pending mark is cleared first, so a change committed while this runs queues one more pass. A pass
    killed mid-way commits nothing; the job is re-queued (abandoned jobs) or the relay finds the work again
    (`relay_tracing`). Idempotent: a second pass finds nothing new and announces nothing."""
    ctx = context()
    try:
        ctx.redis.delete(ctx.keys.pending_tracing())
    except redis.RedisError:
        pass  # the mark expires (PENDING_TTL_SECONDS); the relay forces a pass when work waits too long
    requests = persons = announced = 0
    for _ in range(MAX_PASSES):
        with write_unit(ctx.db) as uow:
            result = tracing_matching.match_pass(uow, recent=ctx.recent_matches)
        ctx.recent_matches.remember(result)  # committed
        requests, persons = requests + result.requests, persons + result.persons
        announced += _announce_matches(ctx, result.new_strong)
        if not result.more:
            break
    else:
        _queue_tracing(ctx)
    return {"requests": requests, "persons": persons, "announced": announced}


def _announce_matches(ctx: WorkerContext, found: list[tuple[str, str, str, str | None]]) -> int:
    """Publish a tracing notice per new strong match on the channels of its events and of every event not
    yet selesai: the command post watches the dashboard of whichever event it works on, and a request
    filed at the posko may name no event (best effort: the match is stored; the dashboard reads it
    again on reconnect). The notice names nobody."""
    sent = 0
    if not found:
        return 0
    with read_unit(ctx.db) as session:
        watched = tracing_repo.open_event_ids(session)
    for request_id, _person_id, person_event, request_event in found:
        for event_id in dict.fromkeys(e for e in (person_event, request_event, *watched) if e):
            try:
                ctx.redis.publish(ctx.keys.event_channel(event_id),
                                  tracing_message(event_id, request_id, "kemungkinan_cocok"))
                sent += 1
            except redis.RedisError as exc:
                log.warning("tracing match of %s stored but not announced (redis: %s)", request_id,
                            exc.__class__.__name__)
    return sent


_tracing_waiting_since: list[float] = []


def relay_tracing(dispatcher: Dispatcher, *, stale_after: float = 15.0) -> bool:
    """Queue a tracing pass when work waits (a changed request, a registration after the cursor): called by
    each worker's relay loop. Work waiting longer than `stale_after` seconds is queued regardless of the
    pending mark (its job was lost with a killed worker)."""
    ctx = context()
    with read_unit(ctx.db) as session:
        waiting = tracing_matching.work_waiting(session)
    if not waiting:
        _tracing_waiting_since.clear()
        return False
    if not _tracing_waiting_since:
        _tracing_waiting_since.append(time_monotonic())
    stale = time_monotonic() - _tracing_waiting_since[0] > stale_after
    if stale:
        _tracing_waiting_since[0] = time_monotonic()
    return dispatcher.match_tracing(force=stale)


@job(CLOSE_DAY_JOB)
def close_day(event_id: str, local_date: str) -> dict[str, Any]:
    """Store the end-of-day snapshot of a finished local day (reports draw their daily series from it)."""
    ctx = context()
    tz = ctx.settings.tz
    day = date.fromisoformat(local_date)
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1)
    with read_unit(ctx.db) as session:
        event = event_repo.get_event(session, event_id)
        if event is None or event.started_at > end_of_day:
            return {"stored": False}
        as_of = min(end_of_day, status_service.status_as_of(event, utcnow()))
        snapshot = status_service.compute(session, event, as_of, tz)
    with write_unit(ctx.db) as uow:
        current = status_repo.latest(uow.session, event_id, with_unmet=False)
        seq = current.seq if current else 0
        status_repo.save_daily(uow.session, event_id, day, seq, int(snapshot["data_seq"]), as_of,
                               status_service.public(snapshot, seq))
    return {"stored": True, "as_of": as_of.isoformat()}


def _recompute_waiting(ctx: WorkerContext) -> Callable[[], bool]:
    """A check, at most every 0.2 s, whether a job waits on the live queue (a recompute or an end-of-day
    snapshot): a scan takes seconds, and the live status must not wait that long behind it. Scans run
    from the background queue, which workers take only when the live queue is empty."""
    key = make_queue(ctx.settings, ctx.redis).key
    last = [time_monotonic()]

    def waiting() -> bool:
        now = time_monotonic()
        if now - last[0] < 0.2:
            return False
        last[0] = now
        try:
            return bool(ctx.redis.llen(key))
        except redis.RedisError:
            return False
    return waiting


@job(SCAN_DUPLICATES_JOB)
def scan_duplicates(event_id: str) -> dict[str, Any]:
    """Scan an event for likely duplicate persons and reconcile the pair queue (shared/services/duplicates.py).

    Idempotent: it reads the persons afresh and upserts; a decided pair is never reopened. The scan's
    pending mark is freed when it ends (also when it fails), so the next change queues one more; a
    scan killed mid-way leaves its state unchanged and is re-queued (abandoned jobs) or found again
    by the relay (`relay_duplicate_scans`) once the mark expires. A scan gives way to a recompute
    waiting on the queue: it stops, stores nothing, and the relay queues it again once writes pause.
    """
    ctx = context()
    started, clock = utcnow(), time_monotonic()
    try:
        with read_unit(ctx.db) as session:
            event = event_repo.get_event(session, event_id)
            if event is None:
                return {"found": -1}
            try:
                scan = duplicate_service.find_event_pairs(session, event, should_stop=_recompute_waiting(ctx))
            except Interrupted:
                log.info("duplicate scan of event %s gave way to a waiting recompute", event_id)
                return {"yielded": True}
        with write_unit(ctx.db) as uow:
            stored = duplicate_service.store_pairs(uow, scan)
            dup_repo.save_scan_state(uow.session, event_id, scan.data_seq, started, utcnow(), len(scan.found),
                                     round(time_monotonic() - clock, 3))
    finally:
        try:
            ctx.redis.delete(ctx.keys.pending_scan(event_id))
        except redis.RedisError:
            pass  # the mark expires on its own (SCAN_PENDING_TTL_SECONDS)
    return {"persons": scan.persons, "found": len(scan.found), "inserted": stored.inserted, "updated": stored.updated,
            "removed": stored.removed, "data_seq": scan.data_seq}


@job(VERIFY_SNAPSHOT_JOB)
def verify_snapshot(event_id: str) -> dict[str, Any]:
    """Verify the event's snapshot — computed as this worker's recompute computes it, with its live
    inputs — against one computed from scratch, repairing any difference (shared/services/verify.py); a
    repaired snapshot is published like a recompute's.

    With `verify_in_child` (the worker's default) the verification runs in a forked child process
    (services/worker/verify_child.py: why, and what the parent does when it reaps it) and the job returns
    at once, so recomputes go on meanwhile; otherwise here, returning the result.

    Queued by the scheduler for every open event every `verify_interval_seconds` (services/worker/
    schedule.py), coalesced per event: the pending mark is held until the verification ends, also when it
    fails. Idempotent: a second run finds a healthy or repaired event clean and only counts it."""
    ctx = context()
    if not ctx.settings.verify_in_child:
        return _verify_here(ctx, event_id)
    if event_id in ctx.verifiers.running:  # one is still running for the event: its result will be as fresh
        return {"verified": False, "running": True}
    if ctx.verifiers.running:  # one child at a time: a round over many events must not crowd out the API
        _verify_later(ctx, event_id)
        return {"verified": False, "waiting": True}
    pid = ctx.verifiers.start(event_id, lambda: _verify_in_child(ctx, event_id))
    return {"verified": "in_child", "pid": pid}


VERIFY_WAIT_SECONDS = 0.2  # a verification waiting for the running child is taken up again this often


def _verify_later(ctx: WorkerContext, event_id: str) -> None:
    """Put the verification back at the end of the background queue (its pending mark stays held), after a
    short pause: the background queue may hold nothing else, and the job would come straight back. Recomputes
    (the live queue) are taken before it in between."""
    time_sleep(VERIFY_WAIT_SECONDS)
    try:
        make_background_queue(ctx.settings, ctx.redis).enqueue(
            VERIFY_SNAPSHOT_JOB, event_id, job_id=f"verify-{event_id}-{uuid4().hex[:12]}", result_ttl=60,
            failure_ttl=3600, job_timeout=600)
    except redis.RedisError:
        _clear_verify_mark(ctx, event_id)  # the next round queues it again


def _verify_here(ctx: WorkerContext, event_id: str) -> dict[str, Any]:
    try:
        live = ctx.live if ctx.settings.live_inputs and ctx.settings.incremental_needs else None
        result = verify_service.verify_event(ctx.db, event_id, ctx.settings.tz, load=ctx.loader(), live=live)
    finally:
        _clear_verify_mark(ctx, event_id)
    if result is None:  # never committed or removed: nothing to verify
        return {"verified": False}
    if result.repaired:  # whatever this worker kept in memory may be what drifted: it loads afresh next time
        ctx.live.forget(event_id)
    if result.stored_seq is not None:
        with read_unit(ctx.db) as session:
            stored = status_repo.latest(session, event_id, with_unmet=False)
        if stored is not None and stored.seq == result.stored_seq:
            publish(ctx, event_id, stored.seq, stored.body)
    return {"verified": True, **result.as_dict()}


def _verify_in_child(ctx: WorkerContext, event_id: str) -> dict[str, Any]:
    """The child's verification: the worker's state as forked, connections of its own."""
    own = replace(ctx, db=make_database(ctx.settings, worker=True), redis=connect(ctx.settings, timeout=5.0))
    try:
        return _verify_here(own, event_id)  # what it forgets, it forgets in its own copy: the parent reaps
    finally:
        own.db.dispose()


def _clear_verify_mark(ctx: WorkerContext, event_id: str) -> None:
    try:
        ctx.redis.delete(ctx.keys.pending_verify(event_id))
    except redis.RedisError:
        pass  # the mark expires on its own (VERIFY_PENDING_TTL_SECONDS)


def reap_verifications(ctx: WorkerContext | None = None) -> list[Finished]:
    """Between jobs (PoskoWorker): take in the verification children that ended. A repaired event's
    in-memory state is forgotten before the next job can use it; a child that did not finish (killed,
    crashed) is logged and its event's pending mark freed, so the scheduler's next round verifies it."""
    ctx = ctx or _context
    if ctx is None or not ctx.verifiers.running:
        return []
    finished = ctx.verifiers.reap()
    for child in finished:
        if child.result is None:
            log.warning("snapshot verification of event %s (child %s) did not finish: %s after %.1f s; the next "
                        "round verifies it again", child.event_id, child.pid, child.status, child.seconds)
            _clear_verify_mark(ctx, child.event_id)
            continue
        if child.result.get("repaired"):
            ctx.live.forget(child.event_id)
        log.info("snapshot verification of event %s (child %s) ended in %.1f s: %d mismatches%s", child.event_id,
                 child.pid, child.seconds, len(child.result.get("mismatches") or []),
                 ", repaired" if child.result.get("repaired") else "")
    return finished


def relay_duplicate_scans(dispatcher: Dispatcher) -> int:
    """Queue a duplicate scan of every open event changed since its last scan whose writes have paused
    (or whose last scan is too old): called by each worker's relay loop every few seconds."""
    ctx = context()
    now = utcnow()
    with read_unit(ctx.db) as session:
        due = dup_repo.events_due_for_scan(
            session, now - timedelta(seconds=ctx.settings.duplicate_scan_quiet_seconds),
            now - timedelta(seconds=ctx.settings.duplicate_scan_max_wait_seconds))
    for event_id in due:
        dispatcher.scan_duplicates(event_id)
    return len(due)


def drain_match_keys(*, page: int = match_keys.BACKFILL_PAGE, max_pages: int = 10) -> int:
    """Write the match keys of persons registered since the last pass (the person key backlog), a page per
    transaction so API writes wait at most one page for SQLite's write lock: called by each worker's relay
    loop every few seconds. Needs no Redis; a pass killed mid-way rolls back and the next does it."""
    ctx = context()
    done = 0
    for _ in range(max_pages):
        with write_unit(ctx.db) as uow:
            n = match_keys.drain_backlog(uow.session, page)
        done += n
        if n < page:
            break
    return done


def relay_outbox(dispatcher: Dispatcher | None = None, *, stale_after: timedelta = timedelta(seconds=15)) -> int:
    """Re-enqueue every event with outbox rows not yet covered (after a Redis outage or a killed job).

    Rows older than `stale_after` mean the queued job was lost: those events are queued regardless
    of the pending mark.
    """
    ctx = context()
    with read_unit(ctx.db) as session:
        pending = bookkeeping.pending_outbox_events(session)
        oldest = bookkeeping.oldest_pending_outbox(session, pending)
    if not pending:
        return 0
    owned = dispatcher is None
    dispatcher = dispatcher or Dispatcher(ctx.settings)
    now = utcnow()
    try:
        for event_id in pending:
            stale = oldest.get(event_id) is not None and now - oldest[event_id] > stale_after
            dispatcher.event_changed(event_id, force=stale)
    finally:
        if owned:
            dispatcher.close()
    return len(pending)


# ---- the allow-list: the only functions a job on the Posko queue may name ----

if set(JOBS) != JOB_NAMES:  # every name the API enqueues must have its function (not `assert`: -O drops it)
    raise RuntimeError(f"jobs without a function: {sorted(JOB_NAMES - set(JOBS))}")


class RefusedJob(Exception):
    """A job on the Posko queue that names a function outside the allow-list (or carries callbacks)."""


def refusal(job: Job) -> str | None:
    """Why the worker must not run `job`, or None when it is one of Posko's own.

    Anyone who can write to Redis can push a job naming any importable function (`os.system`) onto
    the queue; RQ would import and call it. Posko's jobs name an allowed function, no instance, and
    no callbacks or webhooks (those are imported and called too).
    """
    if job.func_name not in JOBS:
        return f"function {job.func_name!r} is not a Posko job"
    if job.instance is not None:
        return "a job on an object instance is not a Posko job"
    callbacks = [getattr(job, f"_{kind}_callback_name", None) for kind in ("success", "failure", "stopped")]
    if any(callbacks) or getattr(job, "webhooks", None):
        return "callbacks or webhooks are not allowed on a Posko job"
    return None


class PoskoJob(Job):
    """An RQ job that resolves its function through the allow-list, never by importing its name."""

    @property
    def func(self) -> Callable[..., Any]:
        reason = refusal(self)
        if reason is not None:
            raise RefusedJob(reason)
        return JOBS[str(self.func_name)]
