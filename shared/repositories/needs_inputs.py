"""Set-based loading of everything the needs engine reads for one event.

Distributions are summed in SQL per (item, shelter, person, household, 15-minute UTC bucket): the
engine only needs per-local-day sums per shelter and totals per person and household, and every
real time zone offset is a multiple of 15 minutes, so a bucket never straddles two local days.
That turns 300,000 distribution rows into the few thousand the engine looks at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, literal_column, select, text
from sqlmodel import Session, col

from shared.domain.vulnerability import effective_vulnerabilities
from shared.models import Distribution, Event, Person, Service, Shelter, Stay
from shared.needs.model import DeliveryIn, EventIn, PersonIn, Profile, ServiceIn, ShelterIn, StayIn
from shared.repositories.reference import profile_body
from shared.seed import load_json


@dataclass
class NeedsInputs:
    event: EventIn
    profile: Profile
    persons: list[PersonIn]
    shelters: list[ShelterIn]
    stays: list[StayIn]
    deliveries: list[DeliveryIn]
    services: list[ServiceIn]


def target_percent(year: int) -> float | None:
    """The Renstra ikk5 target (kebutuhan dasar terpenuhi) for a year, from the shipped targets."""
    for indicator in load_json("renstra_penanganan_bencana.json")["indicators"]:
        if indicator["code"] == "ikk5_kebutuhan_dasar_terpenuhi":
            value = indicator.get("targets", {}).get(str(year))
            return float(value) if value is not None else None
    return None


def _bucket(session: Session) -> Any:
    """A 15-minute UTC bucket of `distributions.delivered_at`, per dialect."""
    if session.get_bind().dialect.name == "sqlite":
        # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
        return literal_column("substr(distributions.delivered_at, 1, 13) || ':' || "
                              "(CAST(substr(distributions.delivered_at, 15, 2) AS INTEGER) / 15)", String)
    return func.date_trunc("hour", Distribution.delivered_at) + func.floor(
        func.date_part("minute", Distribution.delivered_at) / 15) * text("interval '15 minutes'")


def load_needs_inputs(session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> NeedsInputs:
    """Everything the engine needs for `event` at `as_of`, in a handful of set-based queries."""
    eid = event.id
    start_local = event.started_at.astimezone(tz).date()
    profile = Profile.from_body(event.standard_code, event.standard_version,
                                profile_body(session, event.standard_code, event.standard_version))
    persons = [
        PersonIn(id=pid, household_id=hid, sex=sex, condition=condition,
                 vulnerabilities=frozenset(effective_vulnerabilities(flags or [], birth, age, start_local)),
                 needs_psychosocial=bool(psy), registered_at=registered)
        for pid, hid, sex, condition, flags, birth, age, psy, registered in session.execute(
            select(col(Person.id), col(Person.household_id), col(Person.sex), col(Person.condition),
                   col(Person.vulnerabilities), col(Person.birth_date), col(Person.age_years),
                   col(Person.needs_psychosocial), col(Person.registered_at))
            .where(col(Person.event_id) == eid))
    ]
    shelters = [
        ShelterIn(id=sid, name=name, capacity_persons=cap, covered_area_m2=area, toilets=toilets)
        for sid, name, cap, area, toilets in session.execute(
            select(col(Shelter.id), col(Shelter.name), col(Shelter.capacity_persons), col(Shelter.covered_area_m2),
                   col(Shelter.toilets))
            .where(col(Shelter.event_id) == eid).order_by(col(Shelter.created_at), col(Shelter.id)))
    ]
    stays = [
        StayIn(person_id=pid, shelter_id=sid, check_in=cin, check_out=cout)
        for pid, sid, cin, cout in session.execute(
            select(col(Stay.person_id), col(Stay.shelter_id), col(Stay.check_in), col(Stay.check_out))
            .where(col(Stay.event_id) == eid, col(Stay.check_in) <= as_of))
    ]
    bucket = _bucket(session).label("bucket")
    deliveries = [
        DeliveryIn(item_code=item, quantity=float(qty), delivered_at=at, shelter_id=sid, person_id=pid,
                   household_id=hid)
        for item, sid, pid, hid, _, qty, at in session.execute(
            select(col(Distribution.item_code), col(Distribution.shelter_id), col(Distribution.person_id),
                   col(Distribution.household_id), bucket, func.sum(Distribution.quantity),
                   func.max(Distribution.delivered_at))
            .where(col(Distribution.event_id) == eid, col(Distribution.delivered_at) <= as_of)
            .group_by(col(Distribution.item_code), col(Distribution.shelter_id), col(Distribution.person_id),
                      col(Distribution.household_id), bucket))
    ]
    services = [
        ServiceIn(person_id=pid, kind=kind, delivered_at=at)
        for pid, kind, at in session.execute(
            select(col(Service.person_id), col(Service.kind), func.min(Service.delivered_at))
            .where(col(Service.event_id) == eid, col(Service.delivered_at) <= as_of)
            .group_by(col(Service.person_id), col(Service.kind)))
    ]
    event_in = EventIn(id=eid, started_at=event.started_at, standard_code=event.standard_code,
                       data_seq=event.data_seq, target_percent=target_percent(event.started_at.astimezone(tz).year))
    return NeedsInputs(event=event_in, profile=profile, persons=persons, shelters=shelters, stays=stays,
                       deliveries=deliveries, services=services)


def open_event_ids(session: Session) -> list[str]:
    """Events whose status can still change with the clock (not selesai)."""
    return list(session.execute(select(col(Event.id)).where(col(Event.status) != "selesai")).scalars())

