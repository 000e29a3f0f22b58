"""Answering writes: X-Data-Seq, 201 vs 200, retries on a key race, and field commands through the
process's group writer (services/api/group_writer.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from shared.db import Database, UnitOfWork, read_unit, write_unit
from shared.domain.access import Actor
from shared.services.field_writes import Command, Outcome

T = TypeVar("T")


def in_write_unit(db: Database, work: Callable[[UnitOfWork], T]) -> T:
    """Run `work` in a write transaction, again if a concurrent insert of the same key won.

    On PostgreSQL two transactions can both find a client id unused and both insert it; the loser
    hits the primary key, and running it again answers it as the replay it is.
    """
    for attempt in range(3):
        try:
            with write_unit(db) as uow:
                return work(uow)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _read(db: Database, present: Callable[[Session, Outcome], Any], outcome: Outcome) -> Any:
    with read_unit(db) as session:
        return present(session, outcome)


async def apply_command(request: Request, actor: Actor, cmd: Command, response: Response, *,
                        from_row: Callable[[Outcome], Any],
                        from_db: Callable[[Session, Outcome], Any]) -> Any:
    """Apply one field command; answer 201 with what was stored, or 200 with the stored resource."""
    outcome = await request.app.state.writer.submit(actor, cmd)
    if outcome.error is not None:
        raise outcome.error
    response.status_code = 201 if outcome.status == "created" else 200
    if outcome.data_seq is not None:
        response.headers["X-Data-Seq"] = str(outcome.data_seq)
    if outcome.status == "created" and outcome.row is not None:
        return from_row(outcome)
    return await run_in_threadpool(_read, request.app.state.db, from_db, outcome)


def set_data_seq(response: Response, data_seq: int) -> None:
    response.headers["X-Data-Seq"] = str(data_seq)
