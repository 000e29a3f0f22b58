"""Every write inside an event bumps its data_seq and leaves an outbox and an audit row, in the same
transaction; the notification that starts the worker goes out only after the commit."""

from __future__ import annotations

from shared.db import UnitOfWork
from shared.domain.access import Actor
from shared.models import Event, Outbox
from shared.repositories import bookkeeping


def record_event_write(uow: UnitOfWork, event: Event, actor: Actor, action: str, object_type: str,
                       object_id: str) -> int:
    """Bump `event.data_seq` (the row is locked by the caller), stage outbox + audit rows, and have the
    unit tell the worker after its commit."""
    event.data_seq += 1
    uow.session.add(event)
    bookkeeping.insert_rows(uow.session, Outbox, [bookkeeping.outbox_row(event.id, event.data_seq, action, object_type, object_id)])
    bookkeeping.audit(uow.session, [bookkeeping.audit_row(actor, action, object_type, object_id, event.id)])
    uow.event_changed(event.id)
    return event.data_seq


def record_audit(uow: UnitOfWork, actor: Actor | None, action: str, object_type: str, object_id: str,
                 event_id: str | None = None, *, detail: str | None = None, row_count: int | None = None) -> None:
    """An audit row for something that is not a field write (reads of personal data, accounts).

    `detail` names the kind of query (never a searched value: it may be a NIK); `row_count` how many
    rows a list answered; `actor` None is the system (retention purge)."""
    bookkeeping.audit(uow.session, [bookkeeping.audit_row(actor, action, object_type, object_id, event_id,
                                                          detail=detail, row_count=row_count)])
