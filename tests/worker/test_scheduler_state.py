"""Scheduler ticks are never lost (issue 9, item 19): the last boundary fired is stored, missed ones are
fired at start (with close_day for every missed day), one scheduler fires among several, and a tick
that cannot reach Redis is tried again instead of dropped."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.worker.schedule import Scheduler, closed_days, due_boundaries
from shared.config import Settings
from shared.db import Database, read_unit, utcnow, write_unit
from shared.queue import CLOSE_DAY_JOB, RECOMPUTE_JOB
from shared.redis import Keys
from shared.repositories import status as status_repo
from shared.repositories import worker_state
from tests.conftest import REDIS_URL, build_scene
from tests.worker.conftest import App, KillableRedis, Workers, own_settings, wait_until

WIB = ZoneInfo("Asia/Jakarta")
MEALS = [time(7), time(12), time(18)]


def at(day: int, h: int, m: int = 0) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=WIB)


def test_due_boundaries_between_the_last_fired_and_now() -> None:
    assert due_boundaries(at(10, 6), at(10, 6, 30), MEALS, WIB) == []
    assert due_boundaries(at(10, 6), at(10, 7), MEALS, WIB) == [(at(10, 7), False)]  # the boundary itself is due
    assert due_boundaries(at(10, 7), at(10, 7), MEALS, WIB) == []  # … once
    assert due_boundaries(at(10, 17), at(11, 8), MEALS, WIB) == [(at(10, 18), False), (at(11, 0), True),
                                                                   (at(11, 7), False)]


def test_missed_midnights_close_their_days() -> None:
    due = due_boundaries(at(10, 19), at(13, 1), MEALS, WIB)
    assert closed_days(due) == [date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)]
    assert due[-1] == (at(13, 0), True)


def test_a_long_stop_closes_at_most_a_month_of_days() -> None:
    due = due_boundaries(at(1, 0) - timedelta(days=365), at(1, 1), MEALS, WIB)
    assert len(closed_days(due)) == 31


def set_last_boundary(db: Database, boundary: datetime) -> None:
    """As if a scheduler had last fired `boundary` (and stopped then)."""
    with write_unit(db) as uow:
        assert worker_state.start_scheduler(uow.session, boundary).boundary_at == boundary


def stored_boundary(db: Database) -> datetime | None:
    with read_unit(db) as session:
        row = worker_state.scheduler(session)
        return row.boundary_at if row else None


def queued(s: Settings, connection: redis.Redis) -> list[tuple[str, list[Any]]]:
    return [(j.func_name, list(j.args)) for j in Queue(s.queue_name, connection=connection,
                                                        serializer=JSONSerializer).get_jobs()]


def forget_writes(s: Settings, connection: redis.Redis, event_id: str) -> None:
    """Empty the queue of the recomputes the scene's writes queued, so what remains is the scheduler's."""
    Queue(s.queue_name, connection=connection, serializer=JSONSerializer).empty()
    connection.delete(Keys(s.redis_key_prefix).pending_job(event_id))


def test_a_scheduler_starting_after_missed_boundaries_fires_them(own_database_url: str, make_app: Any,
                                                                 redis_client: redis.Redis) -> None:
    """Stored last boundary two days ago: the first tick queues a recompute of the open event and a
    close_day for each of the two local days that ended meanwhile, and stores the newest boundary."""
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    sc = build_scene(app.api)
    forget_writes(s, redis_client, sc.eid)
    now = utcnow()
    set_last_boundary(app.db, now - timedelta(days=2))
    scheduler = Scheduler(s, app.db)
    try:
        fired = scheduler.tick(now)
        assert fired, "the missed boundaries were not fired"
        today = now.astimezone(s.tz).date()
        assert closed_days(fired) == [today - timedelta(days=2), today - timedelta(days=1)]
        jobs = queued(s, redis_client)
        assert (RECOMPUTE_JOB, [sc.eid]) in jobs
        assert [a for f, a in jobs if f == CLOSE_DAY_JOB and a[0] == sc.eid] == \
            [[sc.eid, (today - timedelta(days=2)).isoformat()], [sc.eid, (today - timedelta(days=1)).isoformat()]]
        assert stored_boundary(app.db) == fired[-1][0]
        assert scheduler.tick(now) == []  # fired once
        assert len(queued(s, redis_client)) == len(jobs)
    finally:
        scheduler.release()


def test_a_fresh_install_fires_nothing_from_the_past(own_database_url: str, make_app: Any,
                                                     redis_client: redis.Redis) -> None:
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    sc = build_scene(app.api)
    forget_writes(s, redis_client, sc.eid)
    scheduler = Scheduler(s, app.db)
    try:
        now = utcnow()
        assert scheduler.tick(now) == []
        assert stored_boundary(app.db) == now
        assert queued(s, redis_client) == []
    finally:
        scheduler.release()


def test_of_two_schedulers_exactly_one_fires(own_database_url: str, make_app: Any, redis_client: redis.Redis) -> None:
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    sc = build_scene(app.api)
    forget_writes(s, redis_client, sc.eid)
    now = utcnow()
    set_last_boundary(app.db, now - timedelta(days=1))
    first, second = Scheduler(s, app.db), Scheduler(s, app.db)
    try:
        results = [first.tick(now), second.tick(now)]
        assert [r is not None for r in results] == [True, False], results
        close_days = [a for f, a in queued(s, redis_client) if f == CLOSE_DAY_JOB and a[0] == sc.eid]
        assert len(close_days) == 1, close_days
        assert redis_client.get(Keys(s.redis_key_prefix).scheduler_lock()) == first.token.encode()
        first.release()  # the holder stops: the other takes over at its next tick
        assert second.tick(now + timedelta(seconds=1)) == []
        assert second.holding
    finally:
        first.release()
        second.release()


def test_of_two_schedulers_that_both_think_they_hold_the_lock_one_fires(own_database_url: str, make_app: Any,
                                                                        redis_client: redis.Redis) -> None:
    """The lock expired under a slow holder while another took it: the stored boundary is advanced by
    compare-and-set, so the boundary is still recorded as fired once."""
    s = own_settings(own_database_url, REDIS_URL)
    app: App = make_app(s)
    build_scene(app.api)
    now = utcnow()
    previous = now - timedelta(days=1)
    set_last_boundary(app.db, previous)
    boundary = due_boundaries(previous, now, [], s.tz)[-1][0]
    with write_unit(app.db) as uow:
        assert worker_state.advance_boundary(uow.session, previous, boundary, now)
    with write_unit(app.db) as uow:
        assert not worker_state.advance_boundary(uow.session, previous, boundary, now)


@pytest.mark.slow
def test_a_boundary_that_cannot_reach_redis_is_retried(own_database_url: str, make_app: Any,
                                                       killable_redis: KillableRedis) -> None:
    """Redis down at the boundary: nothing fired, the stored boundary stays; Redis back: the next tick
    fires it."""
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    forget_writes(s, redis.Redis.from_url(killable_redis.url), sc.eid)
    now = utcnow()
    before = now - timedelta(days=1)
    set_last_boundary(app.db, before)
    scheduler = Scheduler(s, app.db)
    try:
        killable_redis.kill()
        assert scheduler.tick(now) is None
        assert stored_boundary(app.db) == before
        killable_redis.start()
        wait_until(lambda: bool(scheduler.tick(now)), 15, "the boundary fired after Redis returned", interval=0.5)
        assert stored_boundary(app.db) is not None and stored_boundary(app.db) > before  # type: ignore[operator]
        jobs = queued(s, redis.Redis.from_url(killable_redis.url))
        assert (RECOMPUTE_JOB, [sc.eid]) in jobs
        assert [CLOSE_DAY_JOB, [sc.eid, (now.astimezone(s.tz).date() - timedelta(days=1)).isoformat()]] in \
            [[f, a] for f, a in jobs]
    finally:
        scheduler.release()


@pytest.mark.slow
def test_a_worker_stopped_across_a_meal_time_runs_it_at_its_next_start(
        own_database_url: str, make_app: Any, killable_redis: KillableRedis, workers: Workers) -> None:
    """The stored last boundary is before yesterday's evening meal (as if the worker had stopped then):
    a `posko worker` started now fires the missed boundaries — the open event is recomputed and
    yesterday's end-of-day snapshot is stored — with no boundary passing while it runs."""
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    yesterday = utcnow().astimezone(s.tz).date() - timedelta(days=1)
    before = datetime.combine(yesterday, time(17, 0), tzinfo=s.tz)
    set_last_boundary(app.db, before)
    workers.start(s)

    def caught_up() -> bool:
        boundary = stored_boundary(app.db)
        with read_unit(app.db) as session:
            days = [r.local_date for r in status_repo.daily(session, sc.eid)]
            latest = status_repo.latest(session, sc.eid)
        return boundary is not None and boundary > before and yesterday in days and latest is not None

    wait_until(caught_up, 40, "the missed boundary and yesterday's close_day")
