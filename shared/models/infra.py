"""Bookkeeping tables: the outbox, the audit log and the idempotency record of client operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant, json_dict


class Outbox(SQLModel, table=True):
    """One row per write inside an event, committed with it; the worker marks rows it has covered."""

    __tablename__ = "outbox"
    # ix_outbox_event_seq: the worker's catch-up reads an event's rows after a data_seq at every recompute
    # (shared/repositories/bookkeeping.py); by event_id alone it read all of them, more each minute.
    # ix_outbox_open: the pending rows only (a handful), for marking them covered at every stored snapshot
    # and for the relay; through ix_outbox_event_seq the mark walked every row the event ever wrote.
    __table_args__ = (Index("ix_outbox_open", "event_id", "data_seq", sqlite_where=text("processed_at IS NULL"),
                            postgresql_where=text("processed_at IS NULL")),
                      Index("ix_outbox_event_seq", "event_id", "data_seq"))
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36)  # indexed first in ix_outbox_event_seq
    data_seq: int
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=30)
    object_id: str = Field(max_length=36)
    created_at: datetime = created_at()
    processed_at: datetime | None = instant(nullable=True)
    # What a field write touched, by kind ({"person": [ids], "stay": [...], "distribution": [...],
    # "service": [...]}); None when not recorded. The worker's live inputs
    # (shared/services/live_inputs.py) reread just these rows.
    changes: dict[str, Any] | None = json_dict(nullable=True)


class AuditLog(SQLModel, table=True):
    """Who did what to which object, when (UU 27/2022 PDP Pasal 31: processing must be recorded)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"), Index("ix_audit_log_action", "action"),
                      Index("ix_audit_log_at", "at"))
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at()
    actor_id: int | None = Field(default=None, index=True)
    actor_username: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=30)
    object_id: str = Field(max_length=64)
    event_id: str | None = Field(default=None, max_length=36, index=True)
    # What kind of read or query it was (e.g. "search=nik", "filter=shelter_id"): never the searched
    # value itself, which may be a NIK.
    detail: str | None = Field(default=None, max_length=200)
    row_count: int | None = None  # how many rows a list or export answered


class ClientOperation(SQLModel, table=True):
    """A client-keyed operation (a create, a check-in/out): its id, what was sent, and what it made.

    The primary key makes "nothing is ever created twice" a database guarantee; `payload` holds a
    fingerprint (hashes) of the normalised request so a replay with other content can be told apart
    (409) without keeping a second copy of names and NIKs (shared/services/idempotency.py).
    """

    __tablename__ = "client_operations"
    kind: str = Field(primary_key=True, max_length=30)
    id: str = Field(primary_key=True, max_length=36)
    event_id: str | None = Field(default=None, max_length=36)
    payload: dict[str, Any] = json_dict()
    object_type: str = Field(max_length=30)
    object_id: str = Field(max_length=36)
    created_at: datetime = created_at()
