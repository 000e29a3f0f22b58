"""The snapshot verifier: is an event's status what its rows say it is? (issue 14 §2, "Always verifiable")

The recompute reads state kept alongside the rows — the running delivery totals
(shared/repositories/delivery_totals.py) and the stock ledger's running sums (stock_totals.py), which
the write path maintains, and the worker's live inputs kept in memory (shared/services/live_inputs.py) —
because reading 300,000 distributions or 500,000 ledger lines for every snapshot costs too much. Such state can
drift from the rows it sums (a bug in the write path, rows written around it, a hand edit) without any
check noticing: the totals still count every row. The verifier is the guard that keeps it honest:

1. in one read transaction that sees one committed state (`read_unit(consistent=True)`) it computes
   the event's snapshot from scratch (`compute_with_inputs(..., from_scratch=True)`: distributions and
   ledger lines summed from their rows, no maintained state) and compares with it, field by field
   (shared/domain/snapshot_diff.py), the snapshot computed the normal way at the same `as_of`: with the
   plain loader ("computed": the running totals in the database) and, in the worker, also with its live
   inputs ("live": shared/services/live_inputs.py, the state it keeps in memory) and with the incremental
   needs state over them ("incremental": shared/needs/incremental.py, what the worker stores). All are checked: a
   worker's memory can be right while the database's totals drifted (and a worker started later would
   load them), or the other way round;
2. when no write came since the stored snapshot (its `data_seq` is the event's), it also compares the
   stored snapshot with the reference computed at the stored snapshot's own `as_of`: what dashboards
   and reports were shown;
3. any difference is logged (event and each field path), counted in the `verifier` row of
   `worker_state` (/readyz shows the counts), and — unless asked not to — repaired: both running totals
   are recounted from the rows and the reference is stored as the event's snapshot, in one write
   transaction. The reference is stored over a stored snapshot of the same `data_seq` and `as_of` too
   (`replace_same`): an ended event's snapshot is always taken at its end.

What legitimately differs is left out: `seq` and the alerts' stored bookkeeping (snapshot_diff.py). The
stored snapshot is not compared when a gudang was created after it was computed: a gudang belongs to no event, so
creating one bumps no `data_seq`, yet every event's stock section changes with it (a gudang with no
supply route of its own serves every open shelter). That stored snapshot is older than the data, not
wrong; the next recompute (a write, the next meal time) brings it up to date, and the comparison of the
normal computation with the reference still runs.

Run by the worker for every open event every `POSKO_VERIFY_INTERVAL_SECONDS` (services/worker/jobs.py
`verify_snapshot`) and by `posko verify EVENT_ID | --all`. Idempotent: a second run over a repaired or
healthy event finds nothing and writes only its count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.db import Database, read_unit, utcnow, write_unit
from shared.domain.snapshot_diff import Difference, snapshot_differences
from shared.repositories import delivery_totals, stock_totals, worker_state
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.repositories import stock as stock_repo
from shared.repositories.needs_inputs import load_needs_inputs
from shared.repositories.reference import sandang_and_meal_items
from shared.services import status as status_service
from shared.services.live_inputs import LiveInputs

log = logging.getLogger(__name__)
VALUE_CHARS = 120  # of each differing value in the log: enough to see it, never a whole unmet list


@dataclass
class VerifyResult:
    """One event verified at `compared_at` (the `as_of` of both computations) and `data_seq`.

    `mismatches`: the field paths where a normal computation (plain loader, live inputs) differed from
    the reference;
    `stored_mismatches`: where the stored snapshot did (compared at its own `as_of`; `stored_compared`
    False when there was none, a write came since it, or a gudang was created since it). `repaired`: the totals were recounted and the reference offered to `status.store`;
    `stored_seq` the seq it was stored as (None: a newer snapshot was stored meanwhile)."""

    event_id: str
    compared_at: datetime
    data_seq: int
    mismatches: list[str] = field(default_factory=list)
    stored_mismatches: list[str] = field(default_factory=list)
    repaired: bool = False
    stored_seq: int | None = None
    stored_compared: bool = False

    @property
    def clean(self) -> bool:
        return not self.mismatches and not self.stored_mismatches

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "compared_at": self.compared_at.isoformat(), "data_seq": self.data_seq,
                "mismatches": self.mismatches, "stored_mismatches": self.stored_mismatches,
                "stored_compared": self.stored_compared, "repaired": self.repaired, "stored_seq": self.stored_seq}


def verify_event(db: Database, event_id: str, tz: ZoneInfo, *, repair: bool = True, now: datetime | None = None,
                 load: status_service.Loader = load_needs_inputs,
                 live: LiveInputs | None = None) -> VerifyResult | None:
    """Verify one event's snapshot (the module docstring); None when there is no such event. `load`: how the
    normal path loads its inputs besides the plain loader (the worker passes its live inputs; whoever
    repairs also drops them). `live`: the worker's live inputs with their incremental needs state, whose
    snapshot (`status.compute_live`, what the worker stores) is compared too ("incremental")."""
    with read_unit(db, consistent=True) as session:
        event = event_repo.get_event(session, event_id)
        if event is None:
            return None
        as_of = status_service.status_as_of(event, now or utcnow())
        reference, _ = status_service.compute_with_inputs(session, event, as_of, tz, from_scratch=True)
        computed_diff: list[tuple[str, Difference]] = []
        for what, loader in (("computed", load_needs_inputs), ("live", load)):
            if what == "live" and load is load_needs_inputs:
                continue  # no live inputs here (the CLI): the plain loader was the normal path
            computed, _ = status_service.compute_with_inputs(session, event, as_of, tz, loader)
            computed_diff += [(what, d) for d in snapshot_differences(computed, reference)]
            del computed
        if live is not None:
            computed = status_service.compute_live(session, event, as_of, tz, live)[0]
            computed_diff += [("incremental", d) for d in snapshot_differences(computed, reference)]
            del computed
        stored_diff: list[Difference] = []
        stored = status_repo.latest(session, event_id)
        stored_compared = (stored is not None and stored.data_seq == event.data_seq
                           and not stock_repo.warehouse_created_after(session, stored.computed_at))
        if stored is not None and stored_compared:
            at_stored = reference if stored.as_of == as_of else status_service.compute_with_inputs(
                session, event, stored.as_of, tz, from_scratch=True)[0]
            stored_diff = snapshot_differences({**stored.body, "unmet": status_repo.stored_unmet(session, stored)},
                                               at_stored)
        items = sandang_and_meal_items(session, event)
        data_seq = event.data_seq
    result = VerifyResult(event_id=event_id, compared_at=as_of, data_seq=data_seq,
                          mismatches=list(dict.fromkeys(d.path for _, d in computed_diff)),
                          stored_mismatches=[d.path for d in stored_diff], stored_compared=stored_compared)
    _log(result, [*computed_diff, *(("stored", d) for d in stored_diff)])
    with write_unit(db) as uow:
        if not result.clean and repair:
            delivery_totals.rebuild(uow.session, event_id, tz, items)
            stock_totals.rebuild(uow.session, event_id)
            result.stored_seq = status_service.store(uow, event_id, reference, as_of, tz, replace_same=True)
            result.repaired = True
        worker_state.record_verification(uow.session, utcnow(), event_id, result.mismatches, result.stored_mismatches)
    if result.repaired:
        log.warning("snapshot verifier: event %s repaired (running totals recounted, reference snapshot %s)",
                    event_id, f"stored as seq {result.stored_seq}" if result.stored_seq else
                    "not stored: a newer snapshot was stored meanwhile")
    return result


def _log(result: VerifyResult, found: list[tuple[str, Difference]]) -> None:
    for what, d in found:
        log.warning("snapshot verifier: event %s: %s snapshot differs from the reference at %s: %s != %s",
                    result.event_id, what, d.path, _short(d.found), _short(d.expected))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"
