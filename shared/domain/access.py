"""Who may see and do what (docs/api.md, "Roles"), as pure functions of role and membership."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The authenticated user behind a request or a CLI command."""

    id: int | None
    username: str
    role: str

    @property
    def is_relawan(self) -> bool:
        return self.role == "relawan"


SYSTEM = Actor(id=None, username="system", role="admin")


def can_see_event(actor: Actor, is_member: bool) -> bool:
    """Events, shelters, status and reports: everyone but a non-member relawan."""
    return actor.role in ("admin", "posko", "pengamat") or (actor.role == "relawan" and is_member)


def can_write_event(actor: Actor, is_member: bool) -> bool:
    """Field records inside an event: admin and posko everywhere, relawan in member events."""
    return actor.role in ("admin", "posko") or (actor.role == "relawan" and is_member)


def can_see_names(actor: Actor) -> bool:
    """Persons and households carry names and NIK: never for pengamat."""
    return actor.role != "pengamat"


def masks_nik_in_lists(actor: Actor) -> bool:
    return actor.role == "relawan"


def can_manage_events(actor: Actor) -> bool:
    """Open, change and close events; manage their members."""
    return actor.role in ("admin", "posko")


def can_manage_users(actor: Actor) -> bool:
    return actor.role == "admin"


def can_list_users(actor: Actor) -> bool:
    """posko assigns volunteers to events, so it may look users up (but not create them)."""
    return actor.role in ("admin", "posko")


def can_manage_reference(actor: Actor) -> bool:
    """Standards, catalogue and targets."""
    return actor.role == "admin"
