"""Heartbeats of worker processes, the scheduler's state and the snapshot verifier's counts (table
`worker_state`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from shared.models import Outbox, WorkerState
from shared.repositories.upsert import insert_or_update

WORKER_PREFIX = "worker:"
SCHEDULER = "scheduler"
VERIFIER = "verifier"
MAX_STORED_PATHS = 50  # of the last difference found: enough to see where, small enough for every /readyz


def beat(session: Session, name: str, at: datetime, detail: str = "") -> None:
    """Record that the process `name` was alive at `at` (and what it was doing)."""
    insert_or_update(session, WorkerState, dict(name=name, beat_at=at, boundary_at=None, detail=detail[:200]),
                     ["name"], update=["beat_at", "detail"])


def newest_beat(session: Session, prefix: str = WORKER_PREFIX) -> datetime | None:
    """The most recent heartbeat of any process whose name starts with `prefix`."""
    q = select(func.max(WorkerState.beat_at)).where(col(WorkerState.name).startswith(prefix, autoescape=True))
    return session.exec(q).one()  # max() keeps the column's type: an aware UTC instant


def forget_workers(session: Session, before: datetime) -> int:
    """Drop the heartbeats of workers silent since `before` (stopped processes, old containers)."""
    result = session.execute(delete(WorkerState).where(col(WorkerState.name).startswith(WORKER_PREFIX),
                                                       col(WorkerState.beat_at) < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def scheduler(session: Session) -> WorkerState | None:
    return session.get(WorkerState, SCHEDULER)


def start_scheduler(session: Session, at: datetime) -> WorkerState:
    """The scheduler's row, created on a fresh install with `at` as the last boundary (nothing was missed
    before the first scheduler ever ran)."""
    insert_or_update(session, WorkerState, dict(name=SCHEDULER, beat_at=at, boundary_at=at, detail=""), ["name"])
    row = session.get(WorkerState, SCHEDULER, populate_existing=True)
    assert row is not None
    return row


def scheduler_tick(session: Session, at: datetime, detail: str = "") -> None:
    session.execute(update(WorkerState).where(col(WorkerState.name) == SCHEDULER).values(beat_at=at, detail=detail[:200]))


def advance_boundary(session: Session, previous: datetime | None, boundary: datetime, at: datetime) -> bool:
    """Move the last fired boundary from `previous` to `boundary`; False if another scheduler moved it
    first (compare-and-set: a boundary is fired by one scheduler only, even if two ever overlap)."""
    q = update(WorkerState).where(col(WorkerState.name) == SCHEDULER)
    q = q.where(col(WorkerState.boundary_at).is_(None) if previous is None else col(WorkerState.boundary_at) == previous)
    result = session.execute(q.values(boundary_at=boundary, beat_at=at))
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def oldest_pending_outbox(session: Session) -> datetime | None:
    """When the oldest outbox row no recompute has covered yet was written (None: none waits)."""
    return session.exec(select(func.min(Outbox.created_at)).where(col(Outbox.processed_at).is_(None))).one()


def verifier(session: Session) -> WorkerState | None:
    """The verifier's row: `beat_at` its last verification, `boundary_at` the scheduler's last round,
    `info` its counts (None before the first verification)."""
    return session.get(WorkerState, VERIFIER)


def _verifier_for_update(session: Session, at: datetime) -> WorkerState:
    insert_or_update(session, WorkerState, dict(name=VERIFIER, beat_at=at, boundary_at=None, detail="", info={}),
                     ["name"])
    row = session.get(WorkerState, VERIFIER, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def record_verification(session: Session, at: datetime, event_id: str, fields: list[str],
                        stored_fields: list[str]) -> None:
    """Count one event verified at `at`; when it differed, count the mismatch and keep it as the last one
    (its field paths: where the computed snapshot and where the stored one differed). The row is locked,
    so two workers verifying two events at once both count."""
    row = _verifier_for_update(session, at)
    info: dict[str, Any] = dict(row.info or {})
    info["events_checked"] = int(info.get("events_checked", 0)) + 1
    info["mismatches_total"] = int(info.get("mismatches_total", 0)) + (1 if fields or stored_fields else 0)
    info.setdefault("last_mismatch", None)
    if fields or stored_fields:
        info["last_mismatch"] = {"event_id": event_id, "at": at.isoformat(), "fields": fields[:MAX_STORED_PATHS],
                                 "stored_fields": stored_fields[:MAX_STORED_PATHS],
                                 "field_count": len(fields) + len(stored_fields)}
    session.execute(update(WorkerState).where(col(WorkerState.name) == VERIFIER)
                    .values(beat_at=max(at, row.beat_at), info=info))


def verify_round_queued(session: Session, previous: datetime | None, at: datetime) -> bool:
    """Record that the scheduler queued a verification of every open event at `at`; False if another
    scheduler recorded one since `previous` was read (compare-and-set, like `advance_boundary`)."""
    _verifier_for_update(session, at)
    q = update(WorkerState).where(col(WorkerState.name) == VERIFIER)
    q = q.where(col(WorkerState.boundary_at).is_(None) if previous is None else col(WorkerState.boundary_at) == previous)
    return int(session.execute(q.values(boundary_at=at)).rowcount or 0) == 1  # type: ignore[attr-defined]
