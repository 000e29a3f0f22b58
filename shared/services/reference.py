"""Use cases for the catalogue and the needs-standard profiles (admin)."""

from __future__ import annotations

from shared.db import UnitOfWork
from shared.domain.access import Actor, can_manage_reference
from shared.errors import Conflict, Forbidden
from shared.models import Item, StandardProfile
from shared.repositories import reference as ref_repo
from shared.schemas.reference import ItemCreate, StandardProfileIn
from shared.services.bookkeeping import record_audit


def add_item(uow: UnitOfWork, actor: Actor, data: ItemCreate) -> Item:
    if not can_manage_reference(actor):
        raise Forbidden("hanya admin yang dapat mengubah katalog (only admin edits the catalogue)")
    if ref_repo.get_item(uow.session, data.code) is not None:
        raise Conflict(f"item {data.code} sudah ada (item exists)")
    item = Item(code=data.code, name=data.name, unit=data.unit)
    ref_repo.add_item(uow.session, item)
    record_audit(uow, actor, "item.create", "item", item.code)
    return item


def add_profile_version(uow: UnitOfWork, actor: Actor, data: StandardProfileIn) -> StandardProfile:
    """Store a new version of a profile; events keep the version they were opened with."""
    if not can_manage_reference(actor):
        raise Forbidden("hanya admin yang dapat mengubah standar (only admin edits standards)")
    s = uow.session
    current = ref_repo.latest_profile(s, data.code)
    body = data.model_dump(mode="json", exclude_none=True)
    known = ref_repo.item_units(s)
    for item in data.items:  # an item a profile needs must be distributable
        if item.code not in known:
            s.add(Item(code=item.code, name=item.name, unit=item.unit))
    profile = StandardProfile(code=data.code, version=(current.version + 1) if current else 1, name=data.name,
                              body=body, is_default=bool(current and current.is_default), created_by=actor.id)
    ref_repo.add_profile(s, profile)
    record_audit(uow, actor, "standard.create", "standard", f"{profile.code}@{profile.version}")
    return profile
