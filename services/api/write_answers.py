"""The HTTP answers of writes: X-Data-Seq, 201 for a create against 200 for a replay, and field
records applied through the process's write batcher (services/api/write_batcher.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.api.write_batcher import WriteBatcher
from shared.db import read_unit
from shared.domain.access import Actor
from shared.services.field_records import Command, Outcome


def _read(batcher: WriteBatcher, present: Callable[[Session, Outcome], Any], outcome: Outcome) -> Any:
    with read_unit(batcher.db) as session:
        return present(session, outcome)


async def apply_command(writer: WriteBatcher, actor: Actor, cmd: Command, response: Response, *,
                        from_row: Callable[[Outcome], Any],
                        from_db: Callable[[Session, Outcome], Any]) -> Any:
    """Apply one field command; answer 201 with what was stored, or 200 with the stored resource."""
    outcome = await writer.submit(actor, cmd)
    if outcome.error is not None:
        raise outcome.error
    response.status_code = 201 if outcome.status == "created" else 200
    if outcome.data_seq is not None:
        response.headers["X-Data-Seq"] = str(outcome.data_seq)
    if outcome.status == "created" and outcome.row is not None:
        return from_row(outcome)
    return await run_in_threadpool(_read, writer, from_db, outcome)


def set_data_seq(response: Response, data_seq: int) -> None:
    response.headers["X-Data-Seq"] = str(data_seq)
