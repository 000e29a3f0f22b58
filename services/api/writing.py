"""Running one write as a unit of work: the X-Data-Seq header, 201 vs 200, and a retry on a race.

On PostgreSQL two transactions can both find a client id unused and both insert it; the loser
hits the primary key, and running it again answers it as the replay it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Response
from sqlalchemy.exc import IntegrityError

from shared.db import Database, UnitOfWork, write_unit
from shared.domain.access import Actor
from shared.services.field_writes import Command, FieldWriter, Outcome

T = TypeVar("T")


def in_write_unit(db: Database, work: Callable[[UnitOfWork], T]) -> T:
    """Run `work` in a write transaction, once more if a concurrent insert of the same key won."""
    for attempt in range(3):
        try:
            with write_unit(db) as uow:
                return work(uow)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def apply_command(db: Database, actor: Actor, notify: Callable[[str], object], cmd: Command,
                  present: Callable[[UnitOfWork, Outcome], Any], response: Response) -> Any:
    """Apply one field command and answer with the stored resource (201 created, 200 replay)."""

    def work(uow: UnitOfWork) -> tuple[Outcome, Any]:
        outcome = FieldWriter(uow, actor, notify).apply([cmd])[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome, present(uow, outcome)

    outcome, body = in_write_unit(db, work)
    response.status_code = 201 if outcome.status == "created" else 200
    if outcome.data_seq is not None:
        response.headers["X-Data-Seq"] = str(outcome.data_seq)
    return body


def set_data_seq(response: Response, data_seq: int) -> None:
    response.headers["X-Data-Seq"] = str(data_seq)
