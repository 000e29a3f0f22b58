"""Jobs against real Redis and a real RQ worker: enqueue after commit, coalescing, recompute, relay, outage."""

from __future__ import annotations

import json
import time

import redis
from fastapi.testclient import TestClient
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlmodel import col, func, select

from services.api.main import create_app
from services.worker import jobs
from shared.config import Settings
from shared.db import Database, read_unit
from shared.models import Outbox
from shared.queue import make_queue
from shared.redis import Keys
from tests.conftest import Api, Scene, build_scene, login, make_settings, person_body


def pending_rows(db: Database, event_id: str) -> int:
    with read_unit(db) as s:
        q = select(func.count()).select_from(Outbox).where(Outbox.event_id == event_id,
                                                           col(Outbox.processed_at).is_(None))
        return s.exec(q).one()


def run_burst(settings: Settings, connection: redis.Redis) -> None:
    SimpleWorker([make_queue(settings, connection)], connection=connection, serializer=JSONSerializer).work(burst=True)


def test_burst_of_writes_queues_one_job_and_recompute_covers_all(admin: Api, settings: Settings, database: Database,
                                                          redis_client: redis.Redis,
                                                          worker_ctx: jobs.WorkerContext) -> None:
    """100 writes while no worker runs → one queued job; running it stores and publishes a snapshot
    reflecting all 100 and covers every outbox row."""
    sc = build_scene(admin)
    queue = make_queue(settings, redis_client)
    run_burst(settings, redis_client)  # start from an empty queue
    for _ in range(100):
        assert admin.post(f"/events/{sc.eid}/persons", json=person_body()).status_code == 201
    jobs_for_event = [j for j in queue.get_jobs() if j.args == [sc.eid]]
    assert len(jobs_for_event) == 1
    assert pending_rows(database, sc.eid) > 0
    pubsub = redis_client.pubsub()
    pubsub.subscribe(Keys(settings.redis_key_prefix).event_channel(sc.eid))
    pubsub.get_message(timeout=1)  # subscription confirmation
    run_burst(settings, redis_client)
    assert pending_rows(database, sc.eid) == 0
    message = pubsub.get_message(timeout=2)
    assert message is not None and message["type"] == "message"
    body = json.loads(message["data"])
    seq = admin.get(f"/events/{sc.eid}").json()["data_seq"]
    assert body["type"] == "status" and body["event_id"] == sc.eid and body["seq"] >= 1
    assert body["data"]["data_seq"] == seq and body["data"]["people"]["registered"] == 100
    status = admin.get(f"/events/{sc.eid}/status").json()
    assert status["seq"] == body["seq"] and status["data_seq"] == seq
    stream = redis_client.xrevrange(Keys(settings.redis_key_prefix).event_stream(sc.eid), count=1)
    assert json.loads(stream[0][1][b"msg"])["seq"] == body["seq"]
    pubsub.close()


def test_a_write_during_a_running_job_queues_exactly_one_more(admin: Api, settings: Settings,
                                                             redis_client: redis.Redis,
                                                             worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    queue = make_queue(settings, redis_client)
    run_burst(settings, redis_client)
    jobs.recompute(sc.eid)  # what a job does first: free the slot
    for _ in range(5):
        admin.post(f"/events/{sc.eid}/persons", json=person_body())
    assert len([j for j in queue.get_jobs() if j.args == [sc.eid]]) == 1


def test_recompute_is_idempotent(scene: Scene, worker_ctx: jobs.WorkerContext, database: Database) -> None:
    """Running it twice stores an equal-or-newer snapshot; nothing regresses, nothing is left pending."""
    first = jobs.recompute(scene.eid)
    second = jobs.recompute(scene.eid)
    assert first["data_seq"] == second["data_seq"] == scene.api.get(f"/events/{scene.eid}").json()["data_seq"]
    assert second["seq"] in (0, first["seq"] + 1)
    assert pending_rows(database, scene.eid) == 0


def test_unknown_event_is_a_no_op(worker_ctx: jobs.WorkerContext) -> None:
    assert jobs.recompute("00000000-0000-4000-8000-000000000000") == {"seq": -1, "data_seq": -1}


def test_writes_succeed_with_redis_down_and_relay_catches_up(settings: Settings, database: Database,
                                                             redis_client: redis.Redis, admin: Api,
                                                             worker_ctx: jobs.WorkerContext) -> None:
    """Writes never depend on Redis: with nothing listening they are 2xx and wait in the outbox."""
    down = make_settings(settings.database_url, redis_url="redis://127.0.0.1:1/0",
                         secret_key=settings.secret_key)
    with TestClient(create_app(down)) as c:
        token = login(c, admin.username)
        h = {"Authorization": f"Bearer {token}"}
        sc = build_scene(Api(client=c, token=token, user_id=admin.user_id, username=admin.username, role="admin"))
        started = time.monotonic()
        for _ in range(10):
            r = c.post(f"/api/v1/events/{sc.eid}/persons", json=person_body(), headers=h)
            assert r.status_code == 201
        assert time.monotonic() - started < 5, "a Redis outage must not stall every write"
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "redis" in ready.text
    assert pending_rows(database, sc.eid) > 0
    assert jobs.relay_outbox() >= 1  # Redis is back (the real one): the relay enqueues
    run_burst(settings, redis_client)
    assert pending_rows(database, sc.eid) == 0


def test_recompute_recounts_totals_after_rows_written_around_the_write_path(
        scene: Scene, worker_ctx: jobs.WorkerContext, database: Database, settings: Settings) -> None:
    """An import that inserts distributions directly leaves the running totals behind: the next
    recompute notices, recounts them once, and the snapshot counts every row."""
    from datetime import timedelta

    from shared.db import utcnow, write_unit
    from shared.models import Distribution
    from shared.repositories import delivery_totals
    from shared.repositories.bulk import insert_many
    from tests.conftest import new_id

    sid = scene.shelter["id"]
    assert scene.api.post(f"/events/{scene.eid}/distributions", json={
        "item_code": "air_minum", "quantity": 5, "shelter_id": sid}).status_code == 201
    at = utcnow() - timedelta(hours=1)
    rows = [{"id": new_id(), "event_id": scene.eid, "item_code": "air_minum", "quantity": 2.5, "delivered_at": at,
             "shelter_id": sid, "person_id": None, "household_id": None, "notes": None, "created_by": None,
             "created_at": at} for _ in range(4)]
    with write_unit(database) as uow:
        insert_many(uow.session, Distribution, rows)
    with read_unit(database) as session:
        assert delivery_totals.check(session, scene.eid, utcnow(), settings.tz) == "stale"
    jobs.recompute(scene.eid)
    with read_unit(database) as session:
        assert delivery_totals.check(session, scene.eid, utcnow(), settings.tz) == "ok"
    water = next(n for n in scene.api.get(f"/events/{scene.eid}/status").json()["needs"] if n["item_code"] == "air_minum")
    assert water["delivered"] == 15.0


def test_recomputes_queue_a_tracing_pass_at_most_once_a_second(admin: Api, settings: Settings,
                                                               redis_client: redis.Redis,
                                                               worker_ctx: jobs.WorkerContext) -> None:
    """Recomputes run ~20 times a second under a stream of writes; each queued a tracing pass (while
    requests are open) and the passes cost the worker more than the snapshots. Now one a second at most;
    what comes meanwhile is queued by the next recompute after the interval, or by the relay."""
    from tests.api.test_tracing import sought

    assert admin.post("/tracing", json=sought()).status_code == 201  # an open request
    queue = make_queue(settings, redis_client)
    pending = Keys(settings.redis_key_prefix).pending_tracing()

    def taken() -> None:  # what a worker taking the pass does: the job leaves the queue, the mark is cleared
        queue.empty()
        redis_client.delete(pending)

    def tracing_jobs() -> int:
        return sum(1 for j in queue.get_jobs() if j.id.startswith("tracing-"))

    taken()
    worker_ctx.tracing_queued_at = float("-inf")
    jobs._queue_tracing(worker_ctx)
    assert tracing_jobs() == 1
    taken()
    jobs._queue_tracing(worker_ctx)  # within the second: left to a later recompute or the relay
    assert tracing_jobs() == 0
    worker_ctx.tracing_queued_at -= jobs.TRACING_QUEUE_SECONDS
    jobs._queue_tracing(worker_ctx)
    assert tracing_jobs() == 1
    taken()


def test_a_burst_to_one_event_is_recomputed_at_most_once_per_interval(admin: Api, settings: Settings,
                                                                      worker_ctx: jobs.WorkerContext) -> None:
    """A recompute that follows the previous one of its event sooner than `recompute_min_interval_ms` waits
    out the rest (the writes of the wait join it: the pending mark is still set); a lone write after a
    quiet spell is recomputed at once. The snapshot still covers every write."""
    sc = build_scene(admin)
    gap = settings.recompute_min_interval_ms / 1000
    assert gap > 0
    jobs.recompute(sc.eid)
    first = worker_ctx.recompute_started[sc.eid]
    assert admin.post(f"/events/{sc.eid}/persons", json=person_body()).status_code == 201
    result = jobs.recompute(sc.eid)
    second = worker_ctx.recompute_started[sc.eid]
    assert second - first >= gap
    assert result["data_seq"] == admin.get(f"/events/{sc.eid}").json()["data_seq"]
    worker_ctx.recompute_started[sc.eid] = time.monotonic() - 10 * gap  # a quiet spell
    before = time.monotonic()
    jobs.recompute(sc.eid)
    assert worker_ctx.recompute_started[sc.eid] - before < gap  # began at once


def test_a_job_killed_before_it_was_marked_started_is_enqueued_again(settings: Settings,
                                                                     redis_client: redis.Redis) -> None:
    """RQ enters a job in the started registry and marks it STARTED in a second round trip; its clean-up
    retries only STARTED jobs yet drops every expired entry. A worker killed in between left the job
    nowhere (a duplicate scan never ran again). requeue_abandoned enqueues such a job again."""
    import uuid

    from rq.registry import StartedJobRegistry

    from services.worker.main import requeue_abandoned
    from shared.queue import JOB_RETRIES, RECOMPUTE_JOB

    queue = make_queue(settings, redis_client)
    run_burst(settings, redis_client)  # an empty queue
    job = queue.enqueue(RECOMPUTE_JOB, str(uuid.uuid4()), job_id=f"recompute-lost-{uuid.uuid4().hex[:8]}",
                        retry=JOB_RETRIES)
    queue.remove(job.id)  # taken by a worker ...
    registry = StartedJobRegistry(queue=queue)
    redis_client.zadd(registry.key, {f"{job.id}:exec1": time.time() + 60})  # ... its execution entered, then killed
    assert job.get_status(refresh=True) == "queued" and job.id not in queue.get_job_ids()
    try:
        assert job.id in requeue_abandoned(settings, redis_client)
        assert job.id in queue.get_job_ids()  # waiting again, for the next worker
        assert not any(m.startswith(job.id.encode()) for m in redis_client.zrange(registry.key, 0, -1))
        assert job.id not in requeue_abandoned(settings, redis_client)  # once
    finally:
        queue.remove(job.id)
