"""Readiness: is the whole pipeline working, not only reachable?

A database and a Redis that answer are not enough: a worker that died, a scheduler that stopped or an
outbox nobody drains leave dashboards stale while everything "answers". /readyz and
`posko worker --check` (the compose health check of a worker) read the same signals, from the
database, so they tell the truth even while Redis is down:

- outbox lag: how long the oldest write not yet covered by a stored snapshot has waited;
- worker heartbeat: seconds since a worker process last said it was alive (every few seconds,
  from a thread that beats only while the worker's main loop lives);
- scheduler tick: seconds since the scheduler last looked at the clock (every few seconds, from
  the worker that holds the scheduler lock).

The snapshot verifier's counts (`verifier`: shared/services/verify.py) come along for the operator.
They never make /readyz fail: a difference the verifier found was repaired (the worker's verifier
always repairs) and is counted for someone to look into; it says nothing about whether the pipeline
works now, and taking the API out of a load balancer over it would help no one.

A fresh install on which no worker has ever run has no heartbeat and no tick: those two checks then
say "belum ada (none yet)" without failing, because the outbox check fails as soon as one write
waits longer than its threshold — an install whose worker never starts turns unready at its first
write, and one with nothing written yet has nothing to be late about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from shared.config import Settings
from shared.repositories import worker_state

NONE_YET = "belum ada (none yet)"


@dataclass
class Signals:
    """Check name → "ok" or why not; `ages` holds the measured seconds (None: nothing to measure)."""

    checks: dict[str, str] = field(default_factory=dict)
    ages: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return [k for k, v in self.checks.items() if v != "ok" and v != NONE_YET]


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max(0.0, (now - then).total_seconds()), 1)


def _judge(age: float | None, limit: float, *, none_ok: bool) -> str:
    if age is None:
        return "ok" if not none_ok else NONE_YET
    if age > limit:
        return f"terlambat {age:.0f} s > {limit:.0f} s (stale)"
    return "ok"


def pipeline(session: Session, settings: Settings, now: datetime, *,
             worker_prefix: str = worker_state.WORKER_PREFIX) -> Signals:
    """The outbox, worker and scheduler signals at `now` (three small queries).

    `worker_prefix` narrows the heartbeat to some workers: `posko worker --check` asks about the
    workers of its own host (container), /readyz about any worker.
    """
    sig = Signals()
    outbox = _age(now, worker_state.oldest_pending_outbox(session))
    beat = _age(now, worker_state.newest_beat(session, worker_prefix))
    sched = worker_state.scheduler(session)
    tick = _age(now, sched.beat_at if sched else None)
    sig.ages = {"outbox_lag_seconds": outbox, "worker_heartbeat_seconds": beat, "scheduler_tick_seconds": tick,
                "scheduler_last_boundary": sched.boundary_at.isoformat() if sched and sched.boundary_at else None}
    sig.checks["outbox"] = _judge(outbox, settings.ready_outbox_lag_seconds, none_ok=False)
    sig.checks["worker"] = _judge(beat, settings.ready_heartbeat_seconds, none_ok=True)
    sig.checks["scheduler"] = _judge(tick, settings.ready_scheduler_seconds, none_ok=True)
    return sig


def describe(failed: list[str]) -> str:
    """The Indonesian-first `detail` of an unready answer, naming what failed."""
    names = ", ".join(failed)
    return f"tidak siap: {names} (not ready: {names})"


def verifier(session: Session) -> dict[str, Any]:
    """The verifier's counts as /readyz shows them: when it last verified an event, how many
    verifications ran and how many found a difference (all time), the last difference found
    (event, field paths, when) and when the scheduler last queued a round. Zeros before its first run."""
    row = worker_state.verifier(session)
    info = (row.info if row is not None else None) or {}
    checked = int(info.get("events_checked", 0))
    return {"last_run_at": row.beat_at.isoformat() if row is not None and checked else None,
            "events_checked": checked, "mismatches_total": int(info.get("mismatches_total", 0)),
            "last_mismatch": info.get("last_mismatch"),
            "last_round_at": row.boundary_at.isoformat() if row is not None and row.boundary_at else None}
