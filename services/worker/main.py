"""`posko worker`: an RQ worker on the Posko queue, plus the outbox relay and the status scheduler.

Jobs run in the worker process itself (SimpleWorker): forking per job costs more than the jobs.
"""

from __future__ import annotations

import logging
import threading

import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from shared.config import Settings, get_settings
from shared.db import start_checkpoints
from shared.queue import Dispatcher, make_queue
from shared.redis import connect

log = logging.getLogger("posko.worker")
RELAY_INTERVAL_SECONDS = 5.0


def _relay_loop(settings: Settings, stop: threading.Event) -> None:
    from services.worker.jobs import relay_outbox

    dispatcher = Dispatcher(settings)
    while not stop.wait(RELAY_INTERVAL_SECONDS):
        try:
            n = relay_outbox(dispatcher)
            if n:
                log.info("relay re-enqueued %d event(s) with pending outbox rows", n)
        except Exception:
            log.exception("outbox relay pass failed")


def run_worker(settings: Settings | None = None, *, burst: bool = False) -> None:
    """Consume the queue; alongside, the outbox relay and the meal-time/midnight scheduler."""
    from services.worker.jobs import configure
    from services.worker.schedule import run_scheduler

    settings = settings or get_settings()
    ctx = configure(settings)
    connection: redis.Redis = connect(settings, timeout=10.0)
    queue = make_queue(settings, connection)
    stop = threading.Event()
    stop_checkpoints = lambda: None  # noqa: E731
    if not burst:
        threading.Thread(target=_relay_loop, args=(settings, stop), daemon=True, name="outbox-relay").start()
        stop_checkpoints = start_checkpoints(ctx.db)
        threading.Thread(target=run_scheduler, args=(settings, ctx.db, stop), daemon=True, name="scheduler").start()
    try:
        worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer)
        worker.work(burst=burst, with_scheduler=False)
    finally:
        stop.set()
        stop_checkpoints()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run_worker()
