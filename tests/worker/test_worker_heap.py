"""The worker hands freed heap back to the OS between jobs (services/worker/main.py:_release_heap_if_due):
a recompute allocates and frees tens of MB that glibc otherwise keeps (issue 14: one malloc_trim took the
soak's worker from 468 to 404 MB)."""

from __future__ import annotations

import threading
import time

from rq.serializers import JSONSerializer

from services.worker import jobs
from services.worker.main import RELEASE_HEAP_SECONDS, PoskoWorker, make_worker_queues
from shared.queue import Dispatcher
from tests.conftest import Api, event_body


def test_the_heap_is_released_after_a_job_at_most_every_few_seconds(admin: Api, worker_ctx: jobs.WorkerContext) -> None:
    r = admin.post("/events", json=event_body())
    assert r.status_code == 201, r.text
    dispatcher = Dispatcher(worker_ctx.settings)
    try:
        assert dispatcher.event_changed(r.json()["id"], force=True)
    finally:
        dispatcher.close()
    worker = PoskoWorker(make_worker_queues(worker_ctx.settings, worker_ctx.redis), connection=worker_ctx.redis,
                         serializer=JSONSerializer, stop=threading.Event())
    before = time.monotonic()
    worker.work(burst=True)
    released = worker._last_release
    assert released >= before  # a job ran, then the heap was released
    worker._release_heap_if_due()
    assert worker._last_release == released  # not again within RELEASE_HEAP_SECONDS
    assert RELEASE_HEAP_SECONDS >= 1
