"""The worker's live inputs (shared/services/live_inputs.py) live in its memory: a worker killed while it
catches up loses them, and its replacement, starting empty, must store the same snapshot a full
recompute gives. Real `posko worker` processes, a database of the test's own, writes through the app."""

from __future__ import annotations

import signal
from typing import Any

import redis
from rq import Queue
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from shared.db import read_unit
from shared.models import Event
from shared.repositories import status as status_repo
from shared.services import status as status_service
from tests.conftest import build_scene, new_id, person_body
from tests.worker.conftest import App, KillableRedis, Workers, own_settings, stored_data_seq, wait_until
from tests.worker.test_pipeline import add_persons


def assert_stored_equals_full_recompute(app: App, event_id: str) -> None:
    with read_unit(app.db, consistent=True) as session:
        stored = status_repo.latest(session, event_id)
        event = session.get(Event, event_id)
        assert stored is not None and event is not None
        assert stored.data_seq == event.data_seq  # nothing written since: the stored one is of this data
        full = status_service.compute(session, event, stored.as_of, app.settings.tz)
        unmet = status_repo.stored_unmet(session, stored)
    body = dict(stored.body)
    for key in ("seq", "alerts"):  # the stored seq, and alerts with their stored first-seen and acks
        body.pop(key, None)
        full.pop(key, None)
    assert unmet == full.pop("unmet")
    assert body == full


def test_a_worker_killed_while_catching_up_is_replaced_by_one_that_stores_the_full_recompute(
        own_database_url: str, killable_redis: KillableRedis, workers: Workers, make_app: Any) -> None:
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    sid = sc.shelter["id"]
    add_persons(app.db, sc.eid, 20_000)  # a recompute long enough to be killed in
    first = workers.start(s)
    r = app.api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sid))
    wait_until(lambda: stored_data_seq(app.db, sc.eid) >= int(r.headers["X-Data-Seq"]), 120,
               "the first worker loaded the event and stored its snapshot")
    conn = redis.Redis.from_url(killable_redis.url)
    started = StartedJobRegistry(queue=Queue(s.queue_name, connection=conn, serializer=JSONSerializer))
    for _ in range(5):  # writes the first worker's live inputs must catch up with
        app.api.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sid))
        app.api.post(f"/events/{sc.eid}/distributions", json={
            "id": new_id(), "item_code": "makanan_siap_saji", "quantity": 3, "shelter_id": sid})
    wait_until(lambda: bool(started.get_job_ids(cleanup=False)), 60, "a recompute started", interval=0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    workers.start(s)
    r = app.api.post(f"/events/{sc.eid}/services", json={
        "id": new_id(), "person_id": r.json()["id"], "kind": "psikososial"})
    assert r.status_code == 201, r.text
    target = int(r.headers["X-Data-Seq"])
    wait_until(lambda: stored_data_seq(app.db, sc.eid) >= target, 120, "the replacement caught up")
    assert_stored_equals_full_recompute(app, sc.eid)
