"""Computing, storing and shaping an event's status snapshot.

The worker computes snapshots (services/worker/jobs.py); the API serves the stored one, or one
computed on the spot (seq 0) before the worker's first (`current_snapshot`, read by both the HTTP
status route and the live websocket, so the two cannot disagree about what "current" means). A snapshot is stored only if it is newer
than the one there: a slower, older recompute never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.db import UnitOfWork, json_text, utcnow
from shared.memory import no_cyclic_gc
from shared.models import Event
from shared.needs.engine import compute_snapshot
from shared.needs.incremental import NeedsState
from shared.needs.model import NeedsInputs
from shared.repositories import bookkeeping
from shared.repositories import status as status_repo
from shared.repositories.needs_inputs import load_needs_inputs
from shared.services import stock as stock_service
from shared.services.live_inputs import LiveInputs


def status_as_of(event: Event, now: datetime) -> datetime:
    """Now, or the event's end once it has ended (a closed event's status stops moving)."""
    if event.status == "selesai" and event.ended_at is not None and event.ended_at < now:
        return event.ended_at
    return now


def compute(session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """The full snapshot (with `unmet`) of `event` at `as_of`; read in one consistent transaction."""
    return compute_with_inputs(session, event, as_of, tz)[0]


Loader = Callable[[Session, Event, datetime, ZoneInfo], NeedsInputs]


def compute_with_inputs(session: Session, event: Event, as_of: datetime, tz: ZoneInfo,
                        load: Loader = load_needs_inputs, *,
                        from_scratch: bool = False) -> tuple[dict[str, Any], NeedsInputs]:
    """`compute`, also returning what was loaded (the worker looks at `inputs.totals`). `load`: the
    worker passes its live inputs (shared/services/live_inputs.py), which read only what changed.

    `from_scratch` computes the same snapshot without any state kept alongside the rows (the running
    delivery and stock totals; `load` is not used, so no live inputs either): the reference the verifier
    compares the normal path with (shared/services/verify.py). One code path with a switch, not a copy,
    so the two cannot drift apart except where the maintained state does."""
    if from_scratch:
        inputs = load_needs_inputs(session, event, as_of, tz, from_scratch=True)
    else:
        inputs = load(session, event, as_of, tz)
    snapshot = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                inputs.deliveries, inputs.services, as_of, tz, inputs.today_meals)
    # Stock and alerts (shared/services/stock.py): alerts as found now; `store` reconciles them with the stored ones.
    snapshot["stock"], found, inputs.stock_totals = stock_service.compute_stock(
        session, event, as_of, tz, inputs.profile, snapshot["shelters"], inputs.deliveries, from_scratch=from_scratch)
    snapshot["alerts"] = stock_service.unstored_alerts(found, as_of)
    return snapshot, inputs


def compute_live(session: Session, event: Event, as_of: datetime, tz: ZoneInfo,
                 live: LiveInputs, *, unmet_list: bool = True) -> tuple[dict[str, Any], str, str]:
    """The worker's snapshot: the needs from its incremental state over its live inputs
    (shared/needs/incremental.py), stock and alerts as `compute_with_inputs` adds them; falls back to
    `compute_with_inputs` where only the rows can say. Returns (snapshot, the delivery totals' verdict,
    the stock totals' verdict), the verdicts the worker acts on. `unmet_list` False: the snapshot's
    `unmet` holds no entries, only what `store` writes them from (the worker's recompute, which never
    reads the list)."""
    found = live.snapshot(session, event, as_of, tz, with_unmet=unmet_list)
    if found is None:
        snapshot, inputs = compute_with_inputs(session, event, as_of, tz)
        return snapshot, inputs.totals, inputs.stock_totals
    snapshot, needs = found
    snapshot["unmet"] = LiveUnmet(snapshot["unmet"], needs)
    snapshot["stock"], alerts, stock_verdict = stock_service.compute_stock(
        session, event, as_of, tz, needs.profile, snapshot["shelters"], to_shelters=needs.drawn)
    snapshot["alerts"] = stock_service.unstored_alerts(alerts, as_of)
    return snapshot, "ok", stock_verdict


class LiveUnmet(list[dict[str, Any]]):
    """A snapshot's unmet list from the worker's incremental needs state, which `store` writes by
    difference (`unmet_entries` rows, shared/repositories/status.py:save_unmet_rows) instead of as one
    column of megabytes. Call `stored` once the writing is committed."""

    def __init__(self, items: list[dict[str, Any]], needs: NeedsState) -> None:
        super().__init__(items)
        self.needs = needs
        self.changes = needs.unmet_changes()

    def stored(self) -> None:
        self.needs.unmet_stored(self.changes)


def committed(snapshot: dict[str, Any]) -> None:
    """The transaction that stored `snapshot` (`store` returned its seq) has committed: an unmet list written
    by difference becomes the base of the next difference."""
    unmet = snapshot.get("unmet")
    if isinstance(unmet, LiveUnmet):
        unmet.stored()


def current_snapshot(session: Session, event: Event, tz: ZoneInfo) -> dict[str, Any]:
    """The stored snapshot, or — before the worker's first — one computed now with seq 0."""
    stored = status_repo.latest(session, event.id, with_unmet=False)
    if stored is not None:
        return stored.body
    return public(compute(session, event, status_as_of(event, utcnow()), tz), 0)


def public(snapshot: dict[str, Any], seq: int) -> dict[str, Any]:
    """What every role that sees the event may receive: no person ids."""
    body = {k: v for k, v in snapshot.items() if k != "unmet"}
    body["seq"] = seq
    return body


def store(uow: UnitOfWork, event_id: str, snapshot: dict[str, Any], as_of: datetime,
          tz: ZoneInfo, *, replace_same: bool = False) -> int | None:
    """Store the snapshot if it is newer than the stored one; returns its seq, or None if it was older.

    `replace_same` also stores it over a snapshot of the same `data_seq` and `as_of`: the verifier's
    repair (shared/services/verify.py), which knows the stored one is wrong — an ended event's snapshot
    is always taken at its end, so a repair could never be "newer"."""
    stored = store_body(uow, event_id, snapshot, as_of, tz, replace_same=replace_same)
    return stored[0] if stored is not None else None


def store_body(uow: UnitOfWork, event_id: str, snapshot: dict[str, Any], as_of: datetime,
               tz: ZoneInfo, *, replace_same: bool = False) -> tuple[int, str] | None:
    """`store`, returning (seq, the stored public body as JSON text), None when nothing was stored: the
    worker publishes that text, serialised once for the row, the day's row and the live message (6.5 MB
    at 300,000 persons, where each serialisation took ~60 ms)."""
    with no_cyclic_gc():  # the stored rows' JSON (megabytes of small dicts for a large event) has no cycles
        return _store(uow, event_id, snapshot, as_of, tz, replace_same)


def _store(uow: UnitOfWork, event_id: str, snapshot: dict[str, Any], as_of: datetime, tz: ZoneInfo,
           replace_same: bool = False) -> tuple[int, str] | None:
    s = uow.session
    # the stored unmet list (megabytes at 50,000 persons) and body are replaced, never read: left undecoded
    current = status_repo.latest(s, event_id, for_update=True, with_unmet=False, with_body=False)
    data_seq = int(snapshot["data_seq"])
    if current is not None and (current.data_seq > data_seq or (
            current.data_seq == data_seq and (current.as_of > as_of if replace_same else current.as_of >= as_of))):
        return None
    seq = (current.seq if current else 0) + 1
    if "alerts" in snapshot:  # raised, kept or cleared against the stored alerts, in this transaction
        snapshot["alerts"] = stock_service.reconcile_alerts(s, event_id, snapshot["alerts"], as_of)
    unmet = snapshot.get("unmet", [])
    token: str | None = None
    if isinstance(unmet, LiveUnmet):  # written by difference as rows; the column holds an empty list
        status_repo.save_unmet_rows(s, event_id, current.unmet_token if current else None, unmet.changes)
        token, unmet = unmet.changes.token, []
    elif current is not None and current.unmet_token is not None:  # the column is the list again
        status_repo.drop_unmet_rows(s, event_id)
    body = json_text(public(snapshot, seq))
    if not status_repo.save_latest(s, current, event_id, seq, data_seq, as_of, body, unmet, token):
        return _store(uow, event_id, snapshot, as_of, tz, replace_same)  # another job stored the first one meanwhile
    status_repo.save_daily(s, event_id, as_of.astimezone(tz).date(), seq, data_seq, as_of, body)
    bookkeeping.mark_outbox_processed(s, event_id, data_seq)
    return seq, body
