"""What the background processes last did, kept where the API can read it even when Redis is down."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.models.base import instant, json_dict


class WorkerState(SQLModel, table=True):
    """One row per worker process (`worker:<host>:<pid>`: its heartbeat), one for the scheduler
    (`scheduler`: its last tick and the last meal-time/midnight boundary it fired) and one for the
    snapshot verifier (`verifier`: when it last ran, when the scheduler last queued a round, and its
    counts in `info`; shared/services/verify.py).

    /readyz and `posko worker --check` read the heartbeats and the tick; the scheduler reads the last
    boundary at start, so a boundary missed while no worker ran is fired late instead of never.
    """

    __tablename__ = "worker_state"
    name: str = Field(primary_key=True, max_length=120)
    beat_at: datetime = instant()
    boundary_at: datetime | None = instant(nullable=True)
    detail: str = Field(default="", max_length=200)
    info: dict[str, Any] | None = json_dict(nullable=True)
