"""The rows the reports read beyond the needs engine's inputs, each with the type it comes back as.

The post-disaster report and the HXL exports (shared/reports/event.py, shared/reports/hxl.py) group
persons, stays, shelters, distributions and services in ways the engine does not keep; the Renstra
report (shared/reports/renstra.py) counts recipients, shelters, events of a year and active
volunteers. Every query those builders need lives here; the builders turn the rows into sections.

The rows are exactly what the database holds (no rule applied): age groups, where a person stands,
occupancy over time are decided by the builders (shared/reports/facts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from shared.models import (
    AuditLog,
    Distribution,
    Event,
    Household,
    Item,
    Person,
    Region,
    Service,
    Shelter,
    Stay,
    User,
)
from shared.repositories.people import is_active

# ---------------------------------------------------------------- reference rows


class RegionRow(NamedTuple):
    code: str
    name: str
    parent_code: str | None


def regions(session: Session) -> list[RegionRow]:
    """Every region (kelurahan, kecamatan, kota) with its parent."""
    return [RegionRow(c, n, p) for c, n, p in
            session.execute(select(col(Region.code), col(Region.name), col(Region.parent_code)))]


class ItemName(NamedTuple):
    name: str
    unit: str


def item_names(session: Session) -> dict[str, ItemName]:
    """Name and unit of every item code."""
    return {code: ItemName(name, unit) for code, name, unit in session.execute(
        select(col(Item.code), col(Item.name), col(Item.unit)))}


# ---------------------------------------------------------------- one event's persons, stays, shelters


class PersonRow(NamedTuple):
    """The columns of a person that reports group by (no NIK; `full_name` only when asked for)."""

    id: str
    sex: str
    condition: str
    household_id: str | None
    birth_date: date | None
    age_years: int | None
    needs_psychosocial: bool | None
    full_name: str | None


def household_areas(session: Session, event_id: str) -> dict[str, str | None]:
    """Kelurahan code of each household of the event."""
    return dict(session.execute(
        select(col(Household.id), col(Household.kelurahan_code)).where(col(Household.event_id) == event_id)).all())


def household_heads(session: Session, event_id: str) -> dict[str, str]:
    """Head's name of each household of the event (the names annex tells namesakes apart by it)."""
    return dict(session.execute(
        select(col(Household.id), col(Household.head_name)).where(col(Household.event_id) == event_id)).all())


def events_started_before(session: Session, start: datetime, event: Event) -> int:
    """Events that started at or after `start` and before `event` (by start, then id): its ordinal - 1
    among the events of its year, when `start` is the first instant of that year."""
    return int(session.execute(select(func.count()).select_from(Event).where(
        col(Event.started_at) >= start,
        or_(col(Event.started_at) < event.started_at,
            (col(Event.started_at) == event.started_at) & (col(Event.id) < event.id)))).scalar_one())


def persons(session: Session, event_id: str, *, with_names: bool) -> Iterator[PersonRow]:
    """The event's persons in registration-record order (creation time, then id)."""
    cols = [col(Person.id), col(Person.sex), col(Person.condition), col(Person.household_id), col(Person.birth_date),
            col(Person.age_years), col(Person.needs_psychosocial)]
    if with_names:
        cols.append(col(Person.full_name))
    for row in session.execute(select(*cols).where(col(Person.event_id) == event_id, is_active())
                               .order_by(col(Person.created_at), col(Person.id))):
        pid, sex, condition, hid, birth, age, psy = row[:7]
        yield PersonRow(pid, sex, condition, hid, birth, age, psy, row[7] if with_names else None)


class StayRow(NamedTuple):
    person_id: str
    shelter_id: str | None  # None: a mandiri stay
    check_in: datetime
    check_out: datetime | None


def stays(session: Session, event_id: str, as_of: datetime) -> list[StayRow]:
    """The event's stays started at or before `as_of` (the loader of the needs engine keeps the same)."""
    return [StayRow(p, s, ci, co) for p, s, ci, co in session.execute(
        select(col(Stay.person_id), col(Stay.shelter_id), col(Stay.check_in), col(Stay.check_out))
        .where(col(Stay.event_id) == event_id, col(Stay.check_in) <= as_of))]


def shelters(session: Session, event_id: str) -> list[Shelter]:
    """The event's shelters, in the snapshot's order (creation time, then id)."""
    return list(session.execute(select(Shelter).where(col(Shelter.event_id) == event_id)
                                .order_by(col(Shelter.created_at), col(Shelter.id))).scalars())


def opened_shelter_count(session: Session, event_id: str, as_of: datetime) -> int:
    """Shelters of the event opened at or before `as_of`."""
    return len(session.execute(
        select(col(Shelter.id)).where(col(Shelter.event_id) == event_id, col(Shelter.opened_at) <= as_of)
    ).all())


# ---------------------------------------------------------------- the event's history


class StatusChange(NamedTuple):
    at: datetime
    action: str


def status_changes(session: Session, event_id: str, actions: Iterable[str]) -> list[StatusChange]:
    """Audit rows of the event itself with one of `actions`, oldest first."""
    return [StatusChange(at, action) for at, action in session.execute(
        select(col(AuditLog.at), col(AuditLog.action))
        .where(col(AuditLog.event_id) == event_id, col(AuditLog.object_type) == "event",
               col(AuditLog.object_id) == event_id, col(AuditLog.action).in_(list(actions)))
        .order_by(col(AuditLog.at), col(AuditLog.id)))]


# ---------------------------------------------------------------- distributions and services


class ItemTotal(NamedTuple):
    item_code: str
    records: int
    quantity: float


def distribution_totals(session: Session, event_id: str, as_of: datetime) -> list[ItemTotal]:
    """Records and Σ quantity per item delivered up to `as_of`, by item code."""
    rows = session.execute(
        select(col(Distribution.item_code), func.count(), func.sum(Distribution.quantity))
        .where(col(Distribution.event_id) == event_id, col(Distribution.delivered_at) <= as_of)
        .group_by(col(Distribution.item_code)).order_by(col(Distribution.item_code))).all()
    return [ItemTotal(code, int(n), float(q or 0)) for code, n, q in rows]


class DistributionRow(NamedTuple):
    item_code: str
    quantity: float
    delivered_at: datetime
    shelter_id: str | None
    person_id: str | None
    household_id: str | None


def distributions(session: Session, event_id: str, as_of: datetime) -> Iterator[DistributionRow]:
    """Every distribution delivered up to `as_of`, oldest first (streamed: an event may hold 300,000)."""
    result = session.execute(
        select(col(Distribution.item_code), col(Distribution.quantity), col(Distribution.delivered_at),
               col(Distribution.shelter_id), col(Distribution.person_id), col(Distribution.household_id))
        .where(col(Distribution.event_id) == event_id, col(Distribution.delivered_at) <= as_of)
        .order_by(col(Distribution.delivered_at), col(Distribution.id)))
    return map(DistributionRow._make, result)


class RecipientTotal(NamedTuple):
    item_code: str
    person_id: str | None
    household_id: str | None
    quantity: float


def recipient_totals(session: Session, event_id: str, as_of: datetime, items: tuple[str, ...]) -> list[RecipientTotal]:
    """Σ quantity per (item, person, household) of the event's person- or household-level distributions of
    `items` delivered by `as_of` (one set-based query: the needs loader sums cash per item only)."""
    d = Distribution
    rows = session.execute(
        select(col(d.item_code), col(d.person_id), col(d.household_id), func.sum(col(d.quantity)))
        .where(col(d.event_id) == event_id, col(d.item_code).in_(items), col(d.delivered_at) <= as_of,
               or_(col(d.person_id).is_not(None), col(d.household_id).is_not(None)))
        .group_by(col(d.item_code), col(d.person_id), col(d.household_id))
    ).all()
    return [RecipientTotal(item, pid, hid, float(qty)) for item, pid, hid, qty in rows]


class ServiceTotal(NamedTuple):
    kind: str
    records: int
    persons: int


def service_totals(session: Session, event_id: str, as_of: datetime) -> dict[str, ServiceTotal]:
    """Records and distinct persons per service kind delivered up to `as_of`."""
    return {kind: ServiceTotal(kind, int(n), int(persons)) for kind, n, persons in session.execute(
        select(col(Service.kind), func.count(), func.count(func.distinct(Service.person_id)))
        .where(col(Service.event_id) == event_id, col(Service.delivered_at) <= as_of)
        .group_by(col(Service.kind)))}


# ---------------------------------------------------------------- a year (Renstra)


def events_started_between(session: Session, start: datetime, end: datetime) -> list[Event]:
    """Events whose start falls in [start, end), oldest first."""
    return list(session.execute(
        select(Event).where(col(Event.started_at) >= start, col(Event.started_at) < end)
        .order_by(col(Event.started_at), col(Event.id))
    ).scalars())


# (author column, the record's own field time): what a volunteer recorded, and when it happened
_FIELD_RECORDS: tuple[tuple[Any, Any], ...] = (
    (Person.created_by, Person.registered_at),
    (Stay.created_by, Stay.check_in),
    (Distribution.created_by, Distribution.delivered_at),
    (Service.created_by, Service.delivered_at),
    (Shelter.created_by, Shelter.opened_at),
    (Household.created_by, Household.created_at),
)


def field_authors(session: Session, start: datetime, end: datetime) -> set[int]:
    """Accounts that recorded field data whose own time falls in [start, end)."""
    authors: set[int] = set()
    for who, when in _FIELD_RECORDS:
        authors.update(session.execute(
            select(col(who)).where(col(when) >= start, col(when) < end, col(who).is_not(None)).distinct()
        ).scalars())
    return authors


def active_relawan_count(session: Session, user_ids: Iterable[int]) -> int:
    """How many of `user_ids` are active relawan accounts now."""
    return len(session.execute(
        select(col(User.id)).where(col(User.id).in_(sorted(user_ids)), col(User.role) == "relawan",
                                   col(User.is_active).is_(True))
    ).all())
