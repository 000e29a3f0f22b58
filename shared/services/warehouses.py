"""Gudang (warehouses): created by admin or posko, seen by every role. Not inside an event, so a
create is audited and idempotent by its id but bumps no event's data_seq."""

from __future__ import annotations

import uuid

from shared.db import UnitOfWork
from shared.domain.access import Actor, can_manage_events
from shared.errors import Conflict, Forbidden, Invalid
from shared.models import Warehouse
from shared.repositories import reference as ref_repo
from shared.repositories import stock as stock_repo
from shared.schemas.stock import WarehouseCreate
from shared.services.bookkeeping import record_audit

_FIELDS = ("name", "kind", "kelurahan_code", "address", "contact_name", "contact_phone")


def create_warehouse(uow: UnitOfWork, actor: Actor, body: WarehouseCreate) -> tuple[Warehouse, bool]:
    """Store a gudang; answers (row, created). The same id with the same content is a replay."""
    if not can_manage_events(actor):
        raise Forbidden("hanya admin atau posko yang menambah gudang (only admin or posko add warehouses)")
    s = uow.session
    if body.id is not None:
        existing = stock_repo.get_warehouse(s, body.id)
        if existing is not None:
            sent = body.model_dump(exclude_unset=True, exclude={"id"})
            if any(getattr(existing, k) != v for k, v in sent.items() if k in _FIELDS):
                raise Conflict("id: sudah dipakai untuk gudang lain (id already used for another warehouse)")
            return existing, False
        if body.id in stock_repo.event_shelter_ids(s, [body.id]):
            raise Conflict("id: sudah dipakai untuk data lain; buat id baru (id already used for other data)")
    if body.kelurahan_code not in ref_repo.kelurahan_codes(s):
        raise Invalid("kelurahan_code", f"kode kelurahan {body.kelurahan_code} tidak dikenal (unknown kelurahan code)")
    row = Warehouse(id=body.id or str(uuid.uuid4()), created_by=actor.id,
                    **body.model_dump(exclude={"id"}))
    stock_repo.add_warehouse(s, row)
    record_audit(uow, actor, "warehouse.create", "warehouse", row.id)
    return row, True
