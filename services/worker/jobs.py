"""Worker jobs. Each takes ids only, reloads what it needs, and is safe to run twice.

A job runs with the worker's context (settings, database, Redis), built once per process from
`POSKO_*` settings, or handed in by `configure()` (the worker start-up and the tests do).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis

from shared.config import Settings, get_settings
from shared.db import Database, make_database, read_unit, write_unit
from shared.queue import Dispatcher
from shared.redis import Keys, connect
from shared.repositories import bookkeeping
from shared.repositories import events as event_repo

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    settings: Settings
    db: Database
    redis: redis.Redis
    keys: Keys


_context: WorkerContext | None = None


def configure(settings: Settings) -> WorkerContext:
    """Set the context jobs of this process use."""
    global _context
    _context = WorkerContext(settings=settings, db=make_database(settings), redis=connect(settings, timeout=5.0),
                             keys=Keys(settings.redis_key_prefix))
    return _context


def context() -> WorkerContext:
    return _context or configure(get_settings())


def drain_outbox(event_id: str) -> dict[str, int]:
    """Mark the event's outbox rows up to its current data_seq as covered and announce the change.

    The pending key is cleared first, so a write that commits while this runs queues one more job.
    """
    ctx = context()
    ctx.redis.delete(ctx.keys.pending_job(event_id))
    with write_unit(ctx.db) as uow:
        event = event_repo.get_event(uow.session, event_id)
        if event is None:  # never committed or removed: nothing to cover
            return {"data_seq": -1, "covered": 0}
        data_seq = event.data_seq
        covered = bookkeeping.mark_outbox_processed(uow.session, event_id, data_seq)
    ctx.redis.publish(ctx.keys.event_channel(event_id),
                      json.dumps({"type": "changed", "event_id": event_id, "data_seq": data_seq}))
    return {"data_seq": data_seq, "covered": covered}


def relay_outbox(dispatcher: Dispatcher | None = None) -> int:
    """Re-enqueue every event with outbox rows not yet covered (after a Redis outage or a killed job)."""
    ctx = context()
    with read_unit(ctx.db) as session:
        pending = bookkeeping.pending_outbox_events(session)
    if not pending:
        return 0
    owned = dispatcher is None
    dispatcher = dispatcher or Dispatcher(ctx.settings)
    try:
        for event_id in pending:
            dispatcher.event_changed(event_id)
    finally:
        if owned:
            dispatcher.close()
    return len(pending)
