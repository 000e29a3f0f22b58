"""`POST /sync`: the field app's offline queue, applied in order, each record answered on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared.db import UnitOfWork
from shared.domain.access import Actor
from shared.domain.text import control_character_problem
from shared.domain.validation_messages import translate
from shared.errors import (
    Conflict,
    ConflictWithExisting,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    StaleVersion,
)
from shared.schemas.sync import SYNC_SCHEMAS, SyncRecord
from shared.services.field_records import TIME_DEFAULTS, Command, FieldWriter
from shared.services.idempotency import fingerprint


def describe_validation_error(err: ValidationError) -> str:
    """`field: reason; field: reason`, naming each field (never echoing the value: it may be a NIK)."""
    parts = []
    for e in translate(err.errors(include_url=False, include_input=False)):
        loc = ".".join(str(x) for x in e["loc"]) or "data"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def _status_of(err: DomainError) -> str:
    if isinstance(err, Invalid):
        return "invalid"
    if isinstance(err, (Conflict, StaleVersion)):
        return "conflict"
    if isinstance(err, (Forbidden, NotFound)):
        return "forbidden"
    return "invalid"


def _error_text(err: DomainError) -> str:
    if isinstance(err, Invalid):
        return ".".join(str(x) for x in err.loc[1:]) + ": " + err.message
    return err.message


def _result(*, index: int, id: str | None, status: str, error: str | None = None,
            data_seq: int | None = None) -> dict[str, Any]:
    """One answer of the batch, shaped as `SyncResult` (plain data: a batch has up to 1,000 of them)."""
    return {"index": index, "id": id, "status": status, "error": error, "data_seq": data_seq}


def _envelope_problem(record: SyncRecord) -> str | None:
    if not isinstance(record.type, str) or record.type not in SYNC_SCHEMAS:
        shown = record.type if isinstance(record.type, str) and len(record.type) <= 30 else "?"
        return f"type: jenis tidak dikenal {shown!r} (unknown record type; one of {', '.join(SYNC_SCHEMAS)})"
    if not isinstance(record.event_id, str) or not 1 <= len(record.event_id) <= 36:
        return "event_id: wajib, teks sampai 36 karakter (event_id is required, a string of at most 36 characters)"
    problem = control_character_problem(record.event_id)
    if problem:
        return f"event_id: {problem}"
    if not isinstance(record.data, dict):
        return "data: harus berupa objek (data must be an object)"
    return None


def _client_id(record: SyncRecord) -> str | None:
    """The record's id, to answer an invalid record by (when it is a plausible one)."""
    raw_id = record.data.get("id") if isinstance(record.data, dict) else None
    return raw_id if isinstance(raw_id, str) and len(raw_id) <= 36 else None


@dataclass
class PreparedBatch:
    """A batch checked record by record, ready to apply: what needs no database state is done."""

    results: list[dict[str, Any] | None]
    commands: list[Command]
    positions: list[int]
    # Households named by records refused before applying: such a member comes back fixed, so its
    # household is kept even if every other member was already registered.
    kept_households: set[str] = field(default_factory=set)


def prepare_sync(records: list[SyncRecord]) -> PreparedBatch:
    """Check each record's envelope and body, and compute its fingerprint.

    None of this reads the database, so the route runs it before taking the write lock: the lock is
    held only while the batch is checked against stored data and written, and writes queued behind
    a batch wait that much less.
    """
    results: list[dict[str, Any] | None] = [None] * len(records)
    commands: list[Command] = []
    positions: list[int] = []
    kept_households: set[str] = set()
    for index, record in enumerate(records):
        problem = _envelope_problem(record)
        if problem is not None:
            results[index] = _result(index=index, id=_client_id(record), status="invalid", error=problem)
            continue
        try:
            data: Any = SYNC_SCHEMAS[record.type].model_validate(record.data)
        except ValidationError as err:
            results[index] = _result(index=index, id=_client_id(record), status="invalid",
                                     error=describe_validation_error(err))
            household_id = record.data.get("household_id")
            if isinstance(household_id, str):
                kept_households.add(household_id)
            continue
        commands.append(Command(type=record.type, event_id=record.event_id, data=data,
                                payload=fingerprint(data, TIME_DEFAULTS)))
        positions.append(index)
    return PreparedBatch(results=results, commands=commands, positions=positions, kept_households=kept_households)


def apply_prepared(uow: UnitOfWork, actor: Actor, batch: PreparedBatch) -> list[dict[str, Any]]:
    """Apply the batch's valid records in order in one transaction and answer every record."""
    results = list(batch.results)
    writer = FieldWriter(uow, actor)
    writer.kept_households = batch.kept_households
    for index, cmd, outcome in zip(batch.positions, batch.commands, writer.apply(batch.commands), strict=True):
        if outcome.error is not None:
            results[index] = _result(index=index, id=cmd.data.id, status=_status_of(outcome.error),
                                     error=_error_text(outcome.error))
            if isinstance(outcome.error, ConflictWithExisting) and outcome.error.existing is not None:
                results[index]["existing"] = outcome.error.existing  # type: ignore[index]
        else:
            status = "created" if outcome.status == "created" else "duplicate"
            results[index] = _result(index=index, id=cmd.data.id, status=status, data_seq=outcome.data_seq)
    return [r for r in results if r is not None]

