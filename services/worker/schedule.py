"""The clock's part in status: meal times and local midnight change what is due, with no write.

At each meal time the scheduler recomputes every open event (a meal just became due); at local
midnight it also stores the end-of-day snapshot of the day that ended.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from shared.config import Settings
from shared.db import Database, read_unit
from shared.queue import Dispatcher
from shared.repositories.needs_inputs import open_event_ids
from shared.repositories.reference import latest_profiles

log = logging.getLogger("posko.scheduler")
MIDNIGHT = time(0, 0)


def next_boundary(now: datetime, meal_times: Iterable[time]) -> tuple[datetime, bool]:
    """The next meal time or local midnight strictly after `now` (aware, in its zone), and whether it
    is midnight."""
    candidates: list[tuple[datetime, bool]] = []
    for day in (now.date(), now.date() + timedelta(days=1)):
        candidates.append((datetime.combine(day, MIDNIGHT, tzinfo=now.tzinfo), True))
        candidates.extend((datetime.combine(day, t, tzinfo=now.tzinfo), False) for t in meal_times if t != MIDNIGHT)
    return min((c for c in candidates if c[0] > now), key=lambda c: c[0])


def meal_times_in_use(db: Database) -> set[time]:
    with read_unit(db) as session:
        return {time.fromisoformat(t) for p in latest_profiles(session) for t in p.body.get("meal_times_local", [])}


def run_scheduler(settings: Settings, db: Database, stop: threading.Event) -> None:
    """Sleep until the next boundary, then queue recomputes (and end-of-day snapshots at midnight)."""
    dispatcher = Dispatcher(settings)
    tz = settings.tz
    while not stop.is_set():
        try:
            times = meal_times_in_use(db)
        except Exception:
            log.exception("could not read meal times; retrying in a minute")
            if stop.wait(60):
                return
            continue
        now = datetime.now(tz)
        fire, midnight = next_boundary(now, times)
        # a little after the boundary, so the meal time is at or before the recompute's as_of
        if stop.wait((fire - now).total_seconds() + 0.5):
            return
        try:
            with read_unit(db) as session:
                events = open_event_ids(session)
            for event_id in events:
                dispatcher.event_changed(event_id)
                if midnight:
                    dispatcher.close_day(event_id, (fire.date() - timedelta(days=1)).isoformat())
            log.info("%s: queued %d open event(s)", "midnight" if midnight else f"meal time {fire:%H:%M}", len(events))
        except Exception:
            log.exception("scheduled recompute failed")
