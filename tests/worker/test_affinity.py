"""Recompute affinity (services/worker/jobs.py, "Affinity") on SQLite and PostgreSQL with real Redis: a
worker that takes a recompute of an event another live worker owns hands it to that worker's own queue
and computes nothing; the owner (or anyone, once handed) runs it; the owner mark is set by whoever
computes and lapses; before a longer job the owner gives its events up and puts its waiting recomputes
back on the shared queue; with two real worker processes, killing the owner mid-stream delays the
snapshot but the other worker takes the event over with no hand restart."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.worker import jobs
from services.worker.main import make_worker_queues
from shared.config import Settings
from shared.db import Database, read_unit
from shared.queue import RECOMPUTE_JOB, enqueue_recompute, make_queue, member_queue_name
from shared.redis import Keys
from shared.repositories import status as status_repo
from tests.conftest import Api, build_scene, make_settings, person_body
from tests.worker.test_pipeline import (  # noqa: F401  (fixtures: a private Redis, real worker processes)
    PrivateRedis,
    app_client,
    private_redis,
    start_worker,
    wait_for_status,
)


def stored_seq(db: Database, event_id: str) -> int:
    with read_unit(db) as session:
        stored = status_repo.latest(session, event_id, with_unmet=False)
    return 0 if stored is None else stored.seq


def queued(settings: Settings, conn: redis.Redis, name: str) -> list[tuple[str, list]]:
    queue = Queue(name, connection=conn, serializer=JSONSerializer)
    return [(j.func_name, j.args) for j in queue.get_jobs()]


def test_a_recompute_of_an_event_another_worker_owns_is_handed_to_it(
        admin: Api, database: Database, settings: Settings, redis_client: redis.Redis,
        worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    jobs.recompute(sc.eid)
    before = stored_seq(database, sc.eid)
    keys = Keys(settings.redis_key_prefix)
    worker_ctx.member = "worker-a"
    redis_client.set(keys.event_owner(sc.eid), "worker-b", ex=10)
    redis_client.set(keys.pending_job(sc.eid), "1", ex=60)
    assert admin.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"])).status_code == 201
    assert jobs.recompute(sc.eid) == {"seq": 0, "data_seq": -1, "handed": 1}
    assert stored_seq(database, sc.eid) == before  # computed nothing
    assert redis_client.exists(keys.pending_job(sc.eid))  # the handed job clears it when it runs
    assert queued(settings, redis_client, member_queue_name(settings, "worker-b")) == [(RECOMPUTE_JOB, [sc.eid, True])]
    # a handed job runs wherever it is taken, and marks that worker the owner
    result = jobs.recompute(sc.eid, True)
    assert result["seq"] > before and stored_seq(database, sc.eid) == result["seq"]
    assert redis_client.get(keys.event_owner(sc.eid)) == b"worker-a"
    assert not redis_client.exists(keys.pending_job(sc.eid))


def test_the_computing_worker_marks_itself_owner_and_the_mark_lapses(
        admin: Api, database: Database, settings: Settings, redis_client: redis.Redis,
        worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    keys = Keys(settings.redis_key_prefix)
    worker_ctx.member = "worker-a"
    worker_ctx.settings = settings.model_copy(update={"recompute_affinity_seconds": 0.5})
    assert jobs.recompute(sc.eid)["seq"] > 0
    assert redis_client.get(keys.event_owner(sc.eid)) == b"worker-a"
    assert 0 < redis_client.pttl(keys.event_owner(sc.eid)) <= 500
    assert jobs.recompute(sc.eid)["seq"] >= 0  # its own event: computed here, not handed
    assert queued(settings, redis_client, member_queue_name(settings, "worker-a")) == []
    time.sleep(0.6)
    assert not redis_client.exists(keys.event_owner(sc.eid))  # lapsed: the next worker to compute owns it
    worker_ctx.settings = settings.model_copy(update={"recompute_affinity_seconds": 0})
    worker_ctx.member = "worker-b"
    assert jobs.recompute(sc.eid)["seq"] >= 0
    assert not redis_client.exists(keys.event_owner(sc.eid))  # affinity off: no mark


def test_before_a_longer_job_the_owner_gives_its_events_back(
        admin: Api, database: Database, settings: Settings, redis_client: redis.Redis,
        worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    other = build_scene(admin)
    keys = Keys(settings.redis_key_prefix)
    worker_ctx.member = "worker-a"
    jobs.recompute(sc.eid)
    redis_client.set(keys.event_owner(other.eid), "worker-b", ex=10)  # another worker's event stays its own
    worker_ctx.owned.add(other.eid)
    own = member_queue_name(settings, "worker-a")
    enqueue_recompute(Queue(own, connection=redis_client, serializer=JSONSerializer), sc.eid, handed=True)
    shared_before = len(make_queue(settings, redis_client).get_job_ids())
    assert jobs.give_up_events(worker_ctx) == 1
    assert not redis_client.exists(keys.event_owner(sc.eid))
    assert redis_client.get(keys.event_owner(other.eid)) == b"worker-b"
    assert queued(settings, redis_client, own) == []
    assert (RECOMPUTE_JOB, [sc.eid]) in queued(settings, redis_client, settings.queue_name)
    assert len(make_queue(settings, redis_client).get_job_ids()) == shared_before + 1
    assert worker_ctx.owned == set()
    # the worker consumes its own queue before the shared ones
    names = [q.name for q in make_worker_queues(settings, redis_client, "worker-a")]
    assert names == [own, settings.queue_name, f"{settings.queue_name}-background"]


def test_two_workers_the_owner_killed_the_other_takes_the_event_over(
        settings: Settings, admin: Api, database: Database, private_redis: PrivateRedis,  # noqa: F811
        start_worker: Callable[[Settings], subprocess.Popen[bytes]]) -> None:  # noqa: F811
    s = make_settings(settings.database_url, redis_url=private_redis.url, secret_key=settings.secret_key)
    client, api = app_client(s, admin)
    try:
        sc = build_scene(api)
        first, second = start_worker(s), start_worker(s)
        conn = redis.Redis.from_url(private_redis.url)
        keys = Keys(s.redis_key_prefix)
        target = 0
        for _ in range(20):  # writes through both workers: the event settles on one owner
            r = api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
            assert r.status_code == 201
            target = int(r.headers["X-Data-Seq"])
            time.sleep(0.05)
        wait_for_status(api, sc.eid, target, timeout=30)
        owner = conn.get(keys.event_owner(sc.eid))
        assert owner is not None
        pid = int(owner.decode().rsplit(":", 1)[1])
        assert pid in (first.pid, second.pid)
        victim, survivor = (first, second) if pid == first.pid else (second, first)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        for _ in range(10):  # writes after the owner died: handed to its queue at first, then taken over
            r = api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
            assert r.status_code == 201
            target = int(r.headers["X-Data-Seq"])
            time.sleep(0.05)
        status = wait_for_status(api, sc.eid, target, timeout=60)
        assert status["people"]["registered"] == 30
        assert survivor.poll() is None
        deadline = time.monotonic() + 15
        while conn.get(keys.event_owner(sc.eid)) in (None, owner) and time.monotonic() < deadline:
            api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
            time.sleep(0.5)
        now_owner = conn.get(keys.event_owner(sc.eid))
        assert now_owner is not None and now_owner.decode().endswith(f":{survivor.pid}")
    finally:
        client.__exit__(None, None, None)

