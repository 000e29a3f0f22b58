"""What the register use cases share: role checks, the idempotent-create replay check, versions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from shared.domain.access import Actor
from shared.domain.registers import can_keep_registers
from shared.errors import Conflict, Forbidden
from shared.models import ClientOperation
from shared.repositories import bookkeeping
from shared.services.field_records import ID_TAKEN
from shared.services.idempotency import fingerprint, same_content


def require_keeper(actor: Actor, what: str) -> None:
    if not can_keep_registers(actor.role):
        raise Forbidden(f"hanya admin dan posko yang dapat mengubah {what} (only admin and posko keep the registers)")


def replayed(s: Session, kind: str, data: BaseModel, existing: Any, extra: dict[str, Any] | None = None) -> bool:
    """For a create with a client id: True when it is a replay of the stored create (same content: answer
    the stored row, write nothing); 409 when the id is taken by other content or another record; False when
    the id is new."""
    client_id = getattr(data, "id", None)
    if not client_id:
        return False
    op = bookkeeping.operations_by_key(s, [(kind, client_id)]).get((kind, client_id))
    if existing is not None and op is not None:
        if not same_content(op["payload"], fingerprint(data, (), extra), ()):
            raise Conflict(ID_TAKEN)
        return True
    if existing is not None or op is not None:
        raise Conflict(ID_TAKEN)
    return False


def remember(s: Session, kind: str, data: BaseModel, object_type: str, object_id: str,
             extra: dict[str, Any] | None = None) -> None:
    """The replay record of a client-keyed create (a fingerprint, never the content: the roster holds phones)."""
    client_id = getattr(data, "id", None)
    if client_id:
        s.add(ClientOperation(kind=kind, id=client_id, event_id=None, payload=fingerprint(data, (), extra),
                              object_type=object_type, object_id=object_id))
