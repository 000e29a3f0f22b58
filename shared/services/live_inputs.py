"""The worker's live needs inputs: each open event's persons, stays, delivery totals and services kept in
memory and brought up to date from the outbox, so a recompute rereads only what changed since the last.

Why: loading an event is the recompute's largest single cost (~0.7 s of 1.7 s at 50,000 persons:
170,000 rows turned into the engine's tuples), and it grows with the event while a write changes a
handful of rows. Issue 14 asks that a write cost the pipeline work proportional to what it changed;
these inputs are the first layer of that state (the engine's own state is the next).

How it stays exact:

- The state is a checkpoint at a `data_seq`. Every write inside an event bumps `data_seq` and commits
  an outbox row in the same transaction; a field write's row names the ids it wrote
  (`Outbox.changes`, shared/services/field_records.py). Catching up reads the event's outbox rows after
  the checkpoint and rereads those rows by id, in the recompute's own read transaction, so the inputs
  are exactly those of the `data_seq` the snapshot carries.
- Whatever it does not know how to apply (a merge moves stays, a profile changes, an outbox row
  without `changes`, an unknown action) makes it load the event afresh: never a guess.
- It compares its row counts with the database's (persons, stays, services and the distributions its
  totals sum) after every fresh load and at most every `guard_seconds` in use: rows written around the
  write path (an import, a hand-made fix; no product path does so) make it load afresh too. Shelters and today's meal deliveries are small and read every time.
- Rows that lie after `as_of` (a stay checked in later, a delivery group summed past it) are kept, and
  the engine leaves them out exactly as it leaves out what the loader filters; the one case the engine
  cannot filter (a delivery total whose last row is after `as_of`) is handed to the plain loader.
- A worker that restarts starts empty and loads once; each worker keeps its own state, so several
  workers each stay exact. The full recompute stays the reference (`posko verify`).
"""

from __future__ import annotations

import gc
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.models import Event
from shared.needs.incremental import Changes, NeedsState, Unsupported
from shared.needs.model import DeliveryIn, NeedsInputs, PersonIn, Profile, ServiceIn, StayIn
from shared.needs.model import seconds as seconds_of
from shared.repositories import delivery_totals
from shared.repositories import needs_inputs as repo
from shared.repositories.bookkeeping import outbox_after
from shared.repositories.bulk import in_chunks

log = logging.getLogger("posko.live_inputs")

# Writes that change nothing the needs engine reads, and writes that change only the person they name.
IGNORED_TYPES = frozenset({"tracing_request", "alert", "user", "shelter"})
PERSON_ACTIONS = frozenset({"person.update", "person.anonymise"})
KINDS = ("person", "stay", "distribution", "service")
FREEZE_FROM_PERSONS = 10_000  # events at least this large have their state frozen out of the cyclic collector


@dataclass
class _State:
    """One event's inputs at `data_seq` (without shelters and today's meals, read every time)."""

    data_seq: int
    standard: tuple[str, int]
    tz: str
    profile: Profile
    persons: dict[str, PersonIn]
    stays: dict[str, StayIn]
    services: dict[str, dict[str, tuple[float, int]]]  # person -> kind -> (first instant, how many)
    deliveries: dict[delivery_totals.LiveKey, DeliveryIn] = field(default_factory=dict)  # the delivery totals
    rows: dict[delivery_totals.LiveKey, int] = field(default_factory=dict)  # distributions each total sums
    last_delivered: float = float("-inf")
    distributions: int = 0  # what the totals sum, and how many service rows: the row-count guard's figures
    service_rows: int = 0
    counted_at: float = float("-inf")  # when the row-count guard last agreed (monotonic seconds)
    # the incremental needs state (shared/needs/incremental.py) over these inputs, and what changed since it
    # was last brought up to date (the rows' values before); None until the first snapshot asks for it
    needs: NeedsState | None = None
    changes: Changes = field(default_factory=Changes)


@dataclass
class LiveInputs:
    """The inputs of the last `max_events` events recomputed by this worker (least recently used leaves)."""

    max_events: int = 4
    # How often the row-count guard runs on a state in use: no product path writes these rows without an
    # outbox row, so the guard is a backstop (an import, a hand-made fix; the scheduled verifier is another)
    # and its four COUNTs cost 20–80 ms at 50,000 persons: a snapshot that runs it arrives that much later.
    # A fresh load is always counted.
    guard_seconds: float = 30.0
    states: OrderedDict[str, _State] = field(default_factory=OrderedDict)
    last_mode: str = ""  # "cached" | "caught_up" | "loaded" | "plain": how the last inputs were had (tests, logs)
    last_needs: str = ""  # "updated" | "built" | "plain": how the last `snapshot` was had (tests, logs)

    def forget(self, event_id: str | None = None) -> None:
        if event_id is None:
            self.states.clear()
        else:
            self.states.pop(event_id, None)

    def load(self, session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> NeedsInputs:
        """The engine's inputs for `event` at `as_of`, equal to `load_needs_inputs`, read in `session`."""
        state = self._ready(session, event, as_of, tz)
        if state is None:
            return repo.load_needs_inputs(session, event, as_of, tz)
        return _inputs(session, state, event, as_of, tz)

    def snapshot(self, session: Session, event: Event, as_of: datetime, tz: ZoneInfo, *,
                 with_unmet: bool = True) -> tuple[dict[str, Any], NeedsState] | None:
        """The snapshot (with `unmet`, without stock) of `event` at `as_of` from the incremental needs
        state over these inputs: brought up to date from the rows that changed, or built anew when it
        cannot be (shared/needs/incremental.py says when). None when only the rows can say (the plain
        loader's cases): the caller computes it the full way. `last_needs` says which it was."""
        state = self._ready(session, event, as_of, tz)
        if state is None:
            self.last_needs = "plain"
            return None
        shelters = repo.load_shelters(session, event.id)
        today_meals = repo.load_today_meals(session, event.id, state.profile, as_of, tz)
        ev = repo.event_input(event, tz)
        needs, state.needs = state.needs, None  # until it is whole again: a half-updated state is never reused
        mode = "updated"
        try:
            if needs is None or not needs.current(shelters, as_of):
                raise Unsupported("no state for this as_of yet")
            needs.update(ev, state.changes, today_meals, as_of)
        except Unsupported as why:
            mode = "built"
            log.debug("needs state of event %s built anew: %s", event.id, why)
            needs = NeedsState(ev, state.profile, shelters, state.persons, state.stays, state.deliveries,
                               state.services, today_meals, as_of, tz)
            # The inputs and the state are millions of long-lived objects without reference cycles: moved
            # out of the cyclic collector's sight, a full collection no longer walks them all (~0.5 s at
            # 50,000 persons, paid by whichever snapshot it falls in). They are still freed by reference
            # counting when dropped. Only for large events: whatever cyclic garbage is alive at the moment is
            # frozen with them, and small events gain nothing.
            if len(state.persons) >= FREEZE_FROM_PERSONS:
                gc.freeze()
        state.needs = needs
        state.changes = Changes()
        self.last_needs = mode
        return needs.snapshot(with_unmet=with_unmet), needs

    def _ready(self, session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> _State | None:
        """This event's inputs brought to `event.data_seq`, or None when only the rows can say."""
        state = self.states.get(event.id)
        mode = "cached"
        if state is not None and not _fits(state, event, tz):
            state = None
        if state is not None and state.data_seq != event.data_seq:
            mode = "caught_up" if _catch_up(session, state, event, tz) else ""
            if not mode:
                state = None
        now = monotonic()
        if state is not None and now - state.counted_at >= self.guard_seconds:
            if not _counts_agree(session, state, event.id):
                log.info("live inputs of event %s disagree with the row counts: loading afresh", event.id)
                state = None
            else:
                state.counted_at = now
        if state is None:
            mode = "loaded"
            state = _fresh(session, event, tz)
            if not _counts_agree(session, state, event.id):  # totals to recount: the loader reads the rows
                self.states.pop(event.id, None)
                self.last_mode = "plain"
                return None
            state.counted_at = now
        self.states[event.id] = state
        self.states.move_to_end(event.id)
        while len(self.states) > self.max_events:
            self.states.popitem(last=False)
        if state.last_delivered > seconds_of(as_of):  # a total reaches past as_of: only the rows can say
            self.last_mode = "plain"
            return None
        self.last_mode = mode
        return state


def _fits(state: _State, event: Event, tz: ZoneInfo) -> bool:
    return state.standard == (event.standard_code, event.standard_version) and state.tz == tz.key \
        and state.data_seq <= event.data_seq


def _fresh(session: Session, event: Event, tz: ZoneInfo) -> _State:
    profile = repo.load_profile(session, event)
    totals, other_zone = delivery_totals.read_keyed(session, event.id, tz)
    state = _State(data_seq=event.data_seq, standard=(event.standard_code, event.standard_version), tz=tz.key,
                   profile=profile, persons={p.id: p for p in repo.load_persons(session, event, tz)},
                   stays=repo.load_stays_by_id(session, event.id),
                   services=_by_person(repo.load_first_services(session, event.id)))
    state.service_rows = sum(n for kinds in state.services.values() for _, n in kinds.values())
    if other_zone:  # summed in another zone: the loader's fallback recounts them; force the plain path
        state.last_delivered = float("inf")
    _set_totals(state, totals)
    return state


def _set_totals(state: _State, totals: dict[delivery_totals.LiveKey, tuple[DeliveryIn, int]]) -> None:
    for key, (delivery, n) in totals.items():
        state.distributions += n - state.rows.get(key, 0)
        state.rows[key] = n
        state.deliveries[key] = delivery
        state.last_delivered = max(state.last_delivered, seconds_of(delivery.delivered_at))


def _catch_up(session: Session, state: _State, event: Event, tz: ZoneInfo) -> bool:
    """Apply the outbox rows after the checkpoint; False when one of them needs a fresh load."""
    ids: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for action, object_type, object_id, changes in outbox_after(session, event.id, state.data_seq):
        if object_type in IGNORED_TYPES:
            continue
        if action == "field_write":
            if changes is None:
                return False
            for kind, values in changes.items():
                if kind in ids:
                    ids[kind].update(values)
        elif object_type == "person" and action in PERSON_ACTIONS:
            ids["person"].add(object_id)
        else:
            return False
    for wanted in in_chunks(sorted(ids["person"])):
        found = {p.id: p for p in repo.load_persons(session, event, tz, wanted)}
        for pid in wanted:  # absent now: merged into another, or never of this event
            state.changes.persons.setdefault(pid, state.persons.get(pid))
            if pid in found:
                state.persons[pid] = found[pid]
            else:
                state.persons.pop(pid, None)
    for wanted in in_chunks(sorted(ids["stay"])):
        found_stays = repo.load_stays_by_id(session, event.id, wanted)
        for stay_id in wanted:
            state.changes.stays.setdefault(stay_id, state.stays.get(stay_id))
            if stay_id in found_stays:
                state.stays[stay_id] = found_stays[stay_id]
            else:
                state.stays.pop(stay_id, None)
    for part in in_chunks(sorted(ids["service"])):
        people = sorted(repo.service_people(session, event.id, part))
        fresh = _by_person(repo.load_first_services(session, event.id, people))
        for pid in people:  # a person's first service of each kind, read again whole
            state.changes.services.setdefault(pid, state.services.get(pid))
            state.service_rows -= sum(n for _, n in state.services.pop(pid, {}).values())
            if pid in fresh:
                state.services[pid] = fresh[pid]
                state.service_rows += sum(n for _, n in fresh[pid].values())
    if ids["distribution"]:
        items = (_code(state.profile, "sandang"), _code(state.profile, "permakanan"))
        keys = delivery_totals.keys_of(session, event.id, sorted(ids["distribution"]), tz, items)
        totals, other_zone = delivery_totals.read_keyed(session, event.id, tz, sorted(keys))
        if other_zone:
            return False
        for key in keys:
            live_key = _live_key(key)
            state.changes.deliveries.setdefault(live_key, state.deliveries.get(live_key))
            if live_key not in totals and live_key in state.deliveries:  # gone: its distributions left it
                del state.deliveries[live_key]
                state.distributions -= state.rows.pop(live_key, 0)
        _set_totals(state, totals)
    state.data_seq = event.data_seq
    return True


def _live_key(key: delivery_totals.Key) -> delivery_totals.LiveKey:
    """A total's key as the live inputs keep it (`delivery_totals.LiveKey`: no event, the date as text)."""
    return (key[1], key[2], key[3], key[4], str(key[5]))


def _by_person(firsts: dict[tuple[str, str], tuple[float, int]]) -> dict[str, dict[str, tuple[float, int]]]:
    out: dict[str, dict[str, tuple[float, int]]] = {}
    for (pid, kind), value in firsts.items():
        out.setdefault(pid, {})[kind] = value
    return out


def _code(profile: Profile, service: str) -> str | None:
    item = profile.item_for(service)
    return item.code if item is not None else None


def _counts_agree(session: Session, state: _State, event_id: str) -> bool:
    persons, stays, services = repo.row_counts(session, event_id)
    return (persons == len(state.persons) and stays == len(state.stays) and services == state.service_rows
            and state.distributions == delivery_totals.distribution_count(session, event_id))


def _inputs(session: Session, state: _State, event: Event, as_of: datetime, tz: ZoneInfo) -> NeedsInputs:
    eid = event.id
    as_of_ts = seconds_of(as_of)
    services = [ServiceIn(pid, kind, at) for pid, kinds in state.services.items() for kind, (at, _) in kinds.items()
                if at <= as_of_ts]
    return NeedsInputs(event=repo.event_input(event, tz), profile=state.profile, persons=list(state.persons.values()),
                       shelters=repo.load_shelters(session, eid), stays=list(state.stays.values()),
                       deliveries=list(state.deliveries.values()), services=services, totals="ok",
                       today_meals=repo.load_today_meals(session, eid, state.profile, as_of, tz))
