"""Queries for the outbox, the audit log and the idempotency record of client operations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from shared.db import utcnow
from shared.models import AuditLog, Outbox
from shared.repositories.bulk import insert_many, select_in


def operations_by_key(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Stored client operations: (kind, id) -> {event_id, payload, object_id}, for the replay checks.

    One raw query per kind (the primary key index answers it); only the operations found (replays,
    rare) have their payload decoded.
    """
    by_kind: dict[str, list[str]] = {}
    for kind, op_id in keys:
        by_kind.setdefault(kind, []).append(op_id)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, ids in by_kind.items():
        for op_id, event_id, payload, object_id in select_in(
                session, "SELECT id, event_id, payload, object_id FROM client_operations "
                         "WHERE kind = {p} AND id {values}", ids, kind):
            if isinstance(payload, (str, bytes)):  # JSON text on SQLite; psycopg decodes it already
                payload = from_json(payload)
            found[(kind, op_id)] = {"event_id": event_id, "payload": payload, "object_id": object_id}
    return found


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Set-based insert of plain dicts with the same keys (one executemany, no ORM bookkeeping)."""
    insert_many(session, model, rows)


def audit(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(session, AuditLog, rows)


def audit_row(actor: Any, action: str, object_type: str, object_id: str, event_id: str | None,
              at: datetime | None = None, *, detail: str | None = None, row_count: int | None = None) -> dict[str, Any]:
    """One audit row; `actor` None is the system itself (e.g. `posko purge`)."""
    return {"at": at or utcnow(), "actor_id": actor.id if actor is not None else None,
            "actor_username": actor.username if actor is not None else "system", "action": action,
            "object_type": object_type, "object_id": object_id, "event_id": event_id, "detail": detail,
            "row_count": row_count}


def outbox_row(event_id: str, data_seq: int, action: str, object_type: str, object_id: str,
               changes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"event_id": event_id, "data_seq": data_seq, "action": action, "object_type": object_type,
            "object_id": object_id, "created_at": utcnow(), "processed_at": None, "changes": changes}


def outbox_after(session: Session, event_id: str, data_seq: int) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """The event's outbox rows after `data_seq`, oldest first, as (action, object type, object id, changes)."""
    q = (select(col(Outbox.action), col(Outbox.object_type), col(Outbox.object_id), col(Outbox.changes))
         .where(col(Outbox.event_id) == event_id, col(Outbox.data_seq) > data_seq)
         .order_by(col(Outbox.data_seq), col(Outbox.id)))
    return [(a, t, o, c) for a, t, o, c in session.execute(q).all()]


def pending_outbox_events(session: Session, limit: int = 1000) -> list[str]:
    q = select(Outbox.event_id).where(col(Outbox.processed_at).is_(None)).group_by(col(Outbox.event_id)).limit(limit)
    return list(session.exec(q).all())


def oldest_pending_outbox(session: Session, event_ids: list[str]) -> dict[str, datetime]:
    """When each event's oldest uncovered outbox row was written."""
    if not event_ids:
        return {}
    q = select(Outbox.event_id, func.min(Outbox.created_at)).where(
        col(Outbox.processed_at).is_(None), col(Outbox.event_id).in_(event_ids)).group_by(col(Outbox.event_id))
    return {eid: at for eid, at in session.exec(q).all()}


def mark_outbox_processed(session: Session, event_id: str, up_to_seq: int) -> int:
    """Mark the event's pending rows up to `up_to_seq` as covered; returns how many."""
    result = session.execute(
        update(Outbox)
        .where(col(Outbox.event_id) == event_id, col(Outbox.data_seq) <= up_to_seq, col(Outbox.processed_at).is_(None))
        .values(processed_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def list_audit(session: Session, *, event_id: str | None, object_id: str | None, limit: int,
               offset: int, action_prefix: str | None = None, actor_id: int | None = None,
               object_type: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> tuple[list[AuditLog], int]:
    """Audit rows matching every filter given, oldest first; `action_prefix` "user." matches "user.create"."""
    q = select(AuditLog)
    if event_id:
        q = q.where(AuditLog.event_id == event_id)
    if object_id:
        q = q.where(col(AuditLog.object_id) == object_id)
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(col(AuditLog.action).like(escaped + "%", escape="\\"))
    if actor_id is not None:
        q = q.where(AuditLog.actor_id == actor_id)
    if object_type:
        q = q.where(AuditLog.object_type == object_type)
    if since is not None:
        q = q.where(col(AuditLog.at) >= since)
    if until is not None:
        q = q.where(col(AuditLog.at) < until)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(AuditLog.id)).limit(limit).offset(offset)).all()
    return list(rows), total


__all__ = ["operations_by_key", "insert_rows", "audit", "audit_row", "outbox_row"]
