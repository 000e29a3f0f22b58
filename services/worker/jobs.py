"""Worker jobs. Each takes ids only, reloads what it needs, and is safe to run twice."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from shared.config import get_settings
from shared.db import Database, make_database, read_unit, write_unit
from shared.queue import Dispatcher
from shared.redis import Keys, connect
from shared.repositories import bookkeeping
from shared.repositories import events as event_repo

log = logging.getLogger(__name__)


@lru_cache
def database() -> Database:
    return make_database(get_settings())


def drain_outbox(event_id: str) -> dict[str, int]:
    """Mark the event's outbox rows up to its current data_seq as covered and announce the change.

    The pending key is cleared first, so a write that commits while this runs queues one more job.
    """
    settings = get_settings()
    keys = Keys(settings.redis_key_prefix)
    r = connect(settings, timeout=2.0)
    r.delete(keys.pending_job(event_id))
    with write_unit(database()) as uow:
        event = event_repo.get_event(uow.session, event_id)
        if event is None:  # deleted or never committed: nothing to do, and that is fine
            return {"data_seq": -1, "covered": 0}
        data_seq = event.data_seq
        covered = bookkeeping.mark_outbox_processed(uow.session, event_id, data_seq)
    r.publish(keys.event_channel(event_id), json.dumps({"type": "changed", "event_id": event_id, "data_seq": data_seq}))
    return {"data_seq": data_seq, "covered": covered}


def relay_outbox(dispatcher: Dispatcher | None = None) -> int:
    """Re-enqueue every event with outbox rows not yet covered (after a Redis outage or a killed job)."""
    with read_unit(database()) as session:
        pending = bookkeeping.pending_outbox_events(session)
    if not pending:
        return 0
    owned = dispatcher is None
    dispatcher = dispatcher or Dispatcher(get_settings())
    try:
        for event_id in pending:
            dispatcher.event_changed(event_id)
    finally:
        if owned:
            dispatcher.close()
    return len(pending)
