"""The clock's part in status: meal times and local midnight change what is due, with no write.

At each meal time the scheduler recomputes every open event (a meal just became due); at local
midnight it also stores the end-of-day snapshot of the day that ended. Every `verify_interval_seconds`
it also queues a verification of every open event's snapshot (`queue_verification`,
shared/services/verify.py): the round's time is stored with a compare-and-set (`worker_state`, row
`verifier`), so a round is queued once however many schedulers run or restart, and each event's job is
coalesced by its pending mark, so rounds never pile up behind a slow queue.

No boundary is lost:
- the last boundary fired is stored in the database (`worker_state`, row `scheduler`); each tick
  fires every boundary after it, so a worker that starts after a meal time or a midnight that no
  worker saw (stopped, crashed, deploying) fires it then, with `close_day` for every missed day;
- the stored boundary advances only once every job of the tick was queued: a tick that cannot reach
  Redis fires nothing and is tried again at the next tick;
- with several workers, one scheduler fires: the one holding a Redis lock (SET NX PX, renewed every
  tick, taken over by another worker within LOCK_SECONDS of its holder's death); advancing the stored
  boundary is a compare-and-set, so even two schedulers that both believed they held the lock would
  not both fire one boundary.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import redis

from shared.config import Settings
from shared.db import Database, read_unit, utcnow, write_unit
from shared.queue import Dispatcher
from shared.redis import Keys, connect
from shared.repositories import worker_state
from shared.repositories.needs_inputs import open_event_ids
from shared.repositories.reference import latest_profiles

log = logging.getLogger("posko.scheduler")
MIDNIGHT = time(0, 0)
LOCK_SECONDS = 30.0
MAX_MISSED_DAYS = 31  # a worker stopped for longer closes the last month of days, not years

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def next_boundary(now: datetime, meal_times: Iterable[time]) -> tuple[datetime, bool]:
    """The next meal time or local midnight strictly after `now` (aware, in its zone), and whether it
    is midnight."""
    candidates: list[tuple[datetime, bool]] = []
    for day in (now.date(), now.date() + timedelta(days=1)):
        candidates.append((datetime.combine(day, MIDNIGHT, tzinfo=now.tzinfo), True))
        candidates.extend((datetime.combine(day, t, tzinfo=now.tzinfo), False) for t in meal_times if t != MIDNIGHT)
    return min((c for c in candidates if c[0] > now), key=lambda c: c[0])


def due_boundaries(last: datetime, now: datetime, meal_times: Iterable[time], tz: ZoneInfo) -> list[tuple[datetime, bool]]:
    """Every meal time and local midnight in (last, now], oldest first, each with whether it is midnight
    (at most MAX_MISSED_DAYS days back)."""
    last_local, now_local = last.astimezone(tz), now.astimezone(tz)
    floor = now_local - timedelta(days=MAX_MISSED_DAYS)
    if last_local < floor:
        last_local = floor
    times = sorted({t for t in meal_times if t != MIDNIGHT})
    due: list[tuple[datetime, bool]] = []
    day = last_local.date()
    while day <= now_local.date():
        for t, midnight in [(MIDNIGHT, True), *((t, False) for t in times)]:
            at = datetime.combine(day, t, tzinfo=tz)
            if last_local < at <= now_local:
                due.append((at, midnight))
        day += timedelta(days=1)
    return due


def closed_days(due: list[tuple[datetime, bool]]) -> list[date]:
    """The local days that ended at the midnights among `due`."""
    return [at.date() - timedelta(days=1) for at, midnight in due if midnight]


def meal_times_in_use(db: Database) -> set[time]:
    with read_unit(db) as session:
        return {time.fromisoformat(t) for p in latest_profiles(session) for t in p.body.get("meal_times_local", [])}


class Scheduler:
    """One worker's scheduler; `tick()` does one pass, `run()` ticks until stopped."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings, self.db, self.tz = settings, db, settings.tz
        self.token = uuid.uuid4().hex
        self.key = Keys(settings.redis_key_prefix).scheduler_lock()
        self.redis = connect(settings, timeout=2.0)
        self.dispatcher = Dispatcher(settings)
        self.holding = False
        self.times: set[time] = set()

    def hold_lock(self) -> bool:
        """Renew the lock if this scheduler holds it, else take it if free; False when another holds it
        or Redis cannot be reached (then no one fires, and the boundary waits in the database)."""
        ms = int(LOCK_SECONDS * 1000)
        try:
            held = bool(self.redis.eval(_RENEW, 1, self.key, self.token, ms)) or \
                bool(self.redis.set(self.key, self.token, nx=True, px=ms))
        except redis.RedisError as exc:
            if self.holding:
                log.warning("scheduler lock not renewed (redis: %s); boundaries wait until it is", exc.__class__.__name__)
            held = False
        if held and not self.holding:
            log.info("this worker now runs the scheduler")
        self.holding = held
        return held

    def release(self) -> None:
        try:
            self.redis.eval(_RELEASE, 1, self.key, self.token)
        except redis.RedisError:
            pass
        self.holding = False

    def tick(self, now: datetime | None = None) -> list[tuple[datetime, bool]] | None:
        """If this scheduler holds the lock: record the tick, and queue what every boundary since the last
        fired one calls for (one recompute per open event, `close_day` per event and missed day). Returns
        the boundaries fired, or None when this scheduler did not fire (no lock, or Redis refused a job)."""
        now = (now or utcnow()).astimezone(self.tz)
        if not self.hold_lock():
            return None
        with write_unit(self.db) as uow:
            state = worker_state.scheduler(uow.session) or worker_state.start_scheduler(uow.session, now)
            previous = state.boundary_at
            worker_state.scheduler_tick(uow.session, now)
        try:
            self.queue_verification(now)
        except Exception:  # the boundaries below must not wait for the verifier
            log.exception("verification round not queued; trying again at the next tick")
        last = previous or now
        self.times = meal_times_in_use(self.db)
        due = due_boundaries(last, now, self.times, self.tz)
        if not due:
            return []
        with read_unit(self.db) as session:
            events = open_event_ids(session)
        queued = all([self.dispatcher.event_changed(event_id) for event_id in events])
        days = closed_days(due)
        for day in days:
            queued = all([self.dispatcher.close_day(event_id, day.isoformat()) for event_id in events]) and queued
        if not queued:
            log.warning("boundary %s not queued (redis unreachable); trying again at the next tick", due[-1][0])
            return None
        with write_unit(self.db) as uow:
            if not worker_state.advance_boundary(uow.session, previous, due[-1][0], now):
                log.info("boundary %s already fired by another scheduler", due[-1][0])
                return None
        late = " (late)" if (now - due[-1][0]).total_seconds() > 60 else ""
        log.info("%d boundary(ies) up to %s%s: queued %d open event(s), closed %d day(s)", len(due),
                 f"{due[-1][0]:%Y-%m-%d %H:%M}", late, len(events), len(days))
        return due

    def queue_verification(self, now: datetime) -> int | None:
        """Queue a verification of every open event when the last round is `verify_interval_seconds` old
        (or none ever ran); returns how many events were queued, None when no round was due (or it is
        off, or Redis refused a job: then the round is tried again at the next tick)."""
        interval = self.settings.verify_interval_seconds
        if interval <= 0:
            return None
        with read_unit(self.db) as session:
            row = worker_state.verifier(session)
            previous = row.boundary_at if row is not None else None
            if previous is not None and (now - previous).total_seconds() < interval:
                return None
            events = open_event_ids(session)
        if not all([self.dispatcher.verify_snapshot(event_id) for event_id in events]):
            log.warning("verification round not queued (redis unreachable); trying again at the next tick")
            return None
        with write_unit(self.db) as uow:
            if not worker_state.verify_round_queued(uow.session, previous, now):
                return None  # another scheduler queued this round
        if events:
            log.info("verification of %d open event(s) queued", len(events))
        return len(events)

    def run(self, stop: threading.Event) -> None:
        """Tick every `worker_heartbeat_seconds` (renewing the lock), and just after each boundary."""
        interval = self.settings.worker_heartbeat_seconds
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception:
                    log.exception("scheduler tick failed; trying again")
                now = utcnow().astimezone(self.tz)
                fire, _ = next_boundary(now, self.times)
                # a little after the boundary, so the meal time is at or before the recompute's as_of
                stop.wait(max(0.1, min(interval, (fire - now).total_seconds() + 0.5)))
        finally:
            self.release()
            self.dispatcher.close()
