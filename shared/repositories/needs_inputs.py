"""Set-based loading of everything the needs engine reads for one event.

Distributions are summed in SQL as finely as the rules look at them (see `load_deliveries`): that
turns 300,000 distribution rows into the few thousand the engine needs.

A large event is still ~170,000 rows (persons, stays, sums, services), and the recompute has a second
for all of it: instants become POSIX seconds the cheapest exact way per backend (`instant_seconds`), a
person's age group is decided in SQL from the birth-date bounds of shared.domain.vulnerability, rows
come as the driver's plain tuples (`driver_rows`) and become the engine's named tuples positionally,
and the few distinct vulnerability sets are built once each.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, bindparam, case, func, literal, literal_column, not_, or_, select, text
from sqlmodel import Session, col

from shared.db import UTCDateTime, driver_rows, epoch_seconds, instant_seconds, same_event
from shared.domain.vulnerability import BALITA_UNDER, LANSIA_FROM, age_group_bounds, with_age_groups
from shared.memory import no_cyclic_gc
from shared.models import Distribution, Event, Person, Service, Shelter, Stay
from shared.needs.model import (
    DeliveryIn,
    EventIn,
    NeedsInputs,
    PersonIn,
    Profile,
    ServiceIn,
    ShelterIn,
    StayIn,
)
from shared.repositories import delivery_totals
from shared.repositories.people import is_active
from shared.repositories.reference import profile_body
from shared.seed import load_json


def target_percent(year: int) -> float | None:
    """The Renstra ikk5 target (kebutuhan dasar terpenuhi) for a year, from the shipped targets."""
    for indicator in load_json("renstra_penanganan_bencana.json")["indicators"]:
        if indicator["code"] == "ikk5_kebutuhan_dasar_terpenuhi":
            value = indicator.get("targets", {}).get(str(year))
            return float(value) if value is not None else None
    return None


def _fixed_offset(tz: ZoneInfo, around: datetime) -> timedelta | None:
    """The zone's UTC offset if it never changes around `around` (true of every Indonesian zone)."""
    offsets = {datetime(y, m, 1, tzinfo=tz).utcoffset() for y in (around.year - 1, around.year, around.year + 1)
               for m in (1, 4, 7, 10)}
    return offsets.pop() if len(offsets) == 1 else None


def _local_day(session: Session, tz: ZoneInfo, around: datetime) -> Any:
    """An SQL expression naming the local day of `distributions.delivered_at`: shifted by the zone's fixed
    offset, or a 15-minute UTC bucket (never straddling two local days) for zones with daylight saving."""
    offset = _fixed_offset(tz, around)
    sqlite = session.get_bind().dialect.name == "sqlite"
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        if sqlite:
            return func.date(Distribution.delivered_at, f"{minutes:+d} minutes")
        return func.date(col(Distribution.delivered_at) + text(f"interval '{minutes} minutes'"))
    if sqlite:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
        return literal_column("substr(distributions.delivered_at, 1, 13) || ':' || "
                              "(CAST(substr(distributions.delivered_at, 15, 2) AS INTEGER) / 15)", String)
    return func.date_trunc("hour", Distribution.delivered_at) + func.floor(
        func.date_part("minute", Distribution.delivered_at) / 15) * text("interval '15 minutes'")


def load_deliveries(session: Session, event_id: str, profile: Profile, as_of: datetime,
                    tz: ZoneInfo) -> list[DeliveryIn]:
    """Distributions summed as finely as the rules look at them, and no finer.

    - to a shelter: per item, shelter and local day (the per-day meal check), keeping any recipient;
    - the permakanan item to a person or household without a shelter: per recipient and local day
      (the household-day meal check of mandiri stays, docs/rules.md "Mandiri stays");
    - the sandang item to a person or household without a shelter: per recipient (who is clothed);
    - everything else: per item (it only enters the totals).
    """
    sandang = profile.item_for("sandang")
    sandang_code = sandang.code if sandang else ""
    meal = profile.item_for("permakanan")
    meal_code = meal.code if meal else ""
    offset = _fixed_offset(tz, as_of)
    if offset is not None and session.get_bind().dialect.name == "sqlite":
        return _sum_deliveries_sqlite(session, event_id, as_of, offset, meal_code, sandang_code)
    d = Distribution
    base = (col(d.event_id) == event_id, col(d.delivered_at) <= as_of)
    day = _local_day(session, tz, as_of).label("day")
    recipient = (col(d.item_code), col(d.shelter_id), col(d.person_id), col(d.household_id))
    totals = (func.sum(col(d.quantity)), epoch_seconds(session, func.max(col(d.delivered_at))))
    to_someone = or_(col(d.person_id).is_not(None), col(d.household_id).is_not(None))
    per_recipient = and_(col(d.shelter_id).is_(None), col(d.item_code) == sandang_code, to_someone)
    per_recipient_day = and_(col(d.shelter_id).is_(None), col(d.item_code) == meal_code, to_someone)
    queries = [
        select(*recipient, *totals)
        .where(*base, or_(col(d.shelter_id).is_not(None), per_recipient_day))
        .group_by(col(d.item_code), col(d.shelter_id), col(d.person_id), col(d.household_id), day),
        select(*recipient, *totals)
        .where(*base, per_recipient)
        .group_by(col(d.item_code), col(d.shelter_id), col(d.person_id), col(d.household_id)),
        select(col(d.item_code), literal(None), literal(None), literal(None), *totals)
        .where(*base, col(d.shelter_id).is_(None), not_(per_recipient), not_(per_recipient_day))
        .group_by(col(d.item_code)),
    ]
    out: list[DeliveryIn] = []
    for q in queries:
        out.extend(DeliveryIn(item_code=item, quantity=float(qty), delivered_at=at, shelter_id=sid, person_id=pid,
                              household_id=hid)
                   for item, sid, pid, hid, qty, at in session.execute(q))
    return out


def _sum_deliveries_sqlite(session: Session, event_id: str, as_of: datetime, offset: timedelta, meal_code: str,
                           sandang_code: str) -> list[DeliveryIn]:
    """`load_deliveries` on SQLite, for a zone with a fixed offset: the same groups and the same sums,
    added up here over one read of the rows instead of by SQLite's GROUP BY.

    SQLite groups by sorting (it has no hash aggregation): at 1,800,000 rows of a city-scale event the
    three grouped queries cost three times what one read of the rows and a dict per group cost here.
    The rows are read through the `event_id, item_code, delivered_at` index, the order in which SQLite's
    grouping fed each group's sum: float sums depend on the order of the terms (air 1873.2 against
    1873.1999999999998), and this keeps every sum bit for bit what the SQL gave (checked on all 522,200
    groups of the 300,000-person bench event, 840 of them inexact), and the same whatever plan SQLite's
    statistics would pick. A group's latest instant is the greatest stored text, as SQL's max() takes it;
    its local day is that of the stored UTC minute shifted by the zone's offset, as `_local_day`'s
    `date(delivered_at, '+N minutes')` takes it."""
    _, seconds = instant_seconds(session, col(Distribution.delivered_at))
    statement = text(
        "SELECT item_code, shelter_id, person_id, household_id, delivered_at, quantity "
        "FROM distributions INDEXED BY ix_distributions_event_item "
        "WHERE event_id = :event_id AND delivered_at <= :as_of"
    ).bindparams(bindparam("event_id", event_id), bindparam("as_of", as_of, type_=UTCDateTime()))
    result: Any = session.connection().execute(statement)
    rows = result.cursor  # the driver's rows as they come (see shared.db.driver_rows)
    day_of_minute: dict[str, Any] = {}  # 'YYYY-MM-DD HH:MM' (UTC) → local date: a few thousand distinct minutes
    sums: dict[tuple[Any, ...], list[Any]] = {}  # group → [quantity, latest instant as stored]
    while batch := rows.fetchmany(50_000):  # never all 1,800,000 rows in memory at once
        for item, sid, pid, hid, at, qty in batch:
            if sid is not None or (item == meal_code and (pid is not None or hid is not None)):
                minute = at[:16]
                day = day_of_minute.get(minute)
                if day is None:
                    day = day_of_minute[minute] = (datetime.fromisoformat(minute) + offset).date()
                key: tuple[Any, ...] = (item, sid, pid, hid, day)
            elif item == sandang_code and (pid is not None or hid is not None):
                key = (item, None, pid, hid, None)
            else:
                key = (item, None, None, None, None)
            found = sums.get(key)
            if found is None:
                sums[key] = [0.0 + qty, at]  # SQLite's sum() starts from 0.0 (a lone -0.0 sums to 0.0)
            else:
                found[0] += qty
                if at > found[1]:
                    found[1] = at
    result.close()
    return [DeliveryIn(item, float(qty), seconds(at), sid, pid, hid)
            for (item, sid, pid, hid, _), (qty, at) in sums.items()]


BALITA, LANSIA = 1, 2  # the age group a person query reads (0: neither)


def _flags(raw: str | list[str] | None) -> list[str] | tuple[()]:
    """Explicit vulnerability flags from the JSON column (text on SQLite, already decoded by psycopg)."""
    if not raw or raw == "[]":
        return ()
    return raw if isinstance(raw, list) else json.loads(raw)


def load_needs_inputs(session: Session, event: Event, as_of: datetime, tz: ZoneInfo, *,
                      from_scratch: bool = False) -> NeedsInputs:
    """Everything the engine needs for `event` at `as_of`, in a handful of set-based queries.

    `from_scratch` reads no state the write path maintains (the running delivery totals): the
    distributions are summed from their rows, as for a past `as_of`. The snapshot verifier
    (shared/services/verify.py) computes its reference this way; `totals` then says "from_scratch"."""
    with no_cyclic_gc():  # ~170,000 rows and plain objects, no cycles
        return _load(session, event, as_of, tz, from_scratch)


def _load(session: Session, event: Event, as_of: datetime, tz: ZoneInfo, from_scratch: bool) -> NeedsInputs:
    eid = event.id
    profile = load_profile(session, event)
    persons = load_persons(session, event, tz)
    shelters = load_shelters(session, eid)
    stays = load_stays(session, eid, as_of)
    totals, summed = ("from_scratch", []) if from_scratch else delivery_totals.read_checked(session, eid, as_of, tz)
    if totals == "ok":
        deliveries = summed  # read as DeliveryIn already
    else:  # a past as_of (reports), totals to rebuild, or the verifier's reference: group the rows themselves
        deliveries = load_deliveries(session, eid, profile, as_of, tz)
    services = [ServiceIn(pid, kind, at) for (pid, kind), (at, _) in load_first_services(session, eid, as_of=as_of).items()]
    today_meals = load_today_meals(session, eid, profile, as_of, tz)
    return NeedsInputs(event=event_input(event, tz), profile=profile, persons=persons, shelters=shelters, stays=stays,
                       deliveries=deliveries, services=services, totals=totals, today_meals=today_meals)


def load_profile(session: Session, event: Event) -> Profile:
    """The needs profile (standard and version) the event is measured against."""
    return Profile.from_body(event.standard_code, event.standard_version,
                             profile_body(session, event.standard_code, event.standard_version))


def event_input(event: Event, tz: ZoneInfo) -> EventIn:
    return EventIn(id=event.id, started_at=event.started_at, standard_code=event.standard_code,
                   data_seq=event.data_seq, target_percent=target_percent(event.started_at.astimezone(tz).year))


def load_persons(session: Session, event: Event, tz: ZoneInfo, ids: list[str] | None = None) -> list[PersonIn]:
    """The event's persons (merged aliases left out), or those of `ids` among them."""
    start_local = event.started_at.astimezone(tz).date()
    balita_after, lansia_by = age_group_bounds(start_local)
    birth, age = col(Person.birth_date), col(Person.age_years)
    age_group = case((birth.is_not(None), case((birth > balita_after, BALITA), (birth <= lansia_by, LANSIA), else_=0)),
                     (age.is_not(None), case((age < BALITA_UNDER, BALITA), (age >= LANSIA_FROM, LANSIA), else_=0)),
                     else_=0)
    # Flags arrive as JSON (text on SQLite, a list from psycopg) and most persons have none: each distinct
    # (flags, age group) is decoded and made a set once, and persons share it.
    vulnerability_sets: dict[tuple[Any, int], frozenset[str]] = {}
    persons: list[PersonIn] = []
    add_person = persons.append
    registered_at, seconds = instant_seconds(session, col(Person.registered_at))
    where = [same_event(col(Person.event_id), event.id, by_key=ids is not None), is_active()]
    if ids is not None:
        where.append(col(Person.id).in_(ids))
    for pid, hid, sex, condition, flags, group, psy, registered in driver_rows(session, (
            select(col(Person.id), col(Person.household_id), col(Person.sex), col(Person.condition),
                   col(Person.vulnerabilities), age_group, col(Person.needs_psychosocial), registered_at)
            .where(*where))):
        key = (tuple(flags) if flags.__class__ is list else flags, group)
        vulnerabilities = vulnerability_sets.get(key)
        if vulnerabilities is None:
            vulnerabilities = vulnerability_sets[key] = frozenset(
                with_age_groups(_flags(flags), group == BALITA, group == LANSIA))
        add_person(PersonIn(pid, hid, sex, condition, vulnerabilities, bool(psy), seconds(registered)))
    return persons


def load_shelters(session: Session, event_id: str) -> list[ShelterIn]:
    """The event's shelters in the order the snapshot lists them (created first)."""
    return [
        ShelterIn(id=sid, name=name, capacity_persons=cap, covered_area_m2=area, toilets=toilets, kelurahan_code=kel)
        for sid, name, cap, area, toilets, kel in session.execute(
            select(col(Shelter.id), col(Shelter.name), col(Shelter.capacity_persons), col(Shelter.covered_area_m2),
                   col(Shelter.toilets), col(Shelter.kelurahan_code))
            .where(col(Shelter.event_id) == event_id).order_by(col(Shelter.created_at), col(Shelter.id)))
    ]


def load_stays(session: Session, event_id: str, as_of: datetime) -> list[StayIn]:
    """The event's stays checked in by `as_of`, as a list: `load_stays_by_id` without reading each stay's
    id (a 36-character string and a dict entry per stay: a tenth of the load's memory at 300,000 persons)."""
    check_in, seconds = instant_seconds(session, col(Stay.check_in))
    check_out, _ = instant_seconds(session, col(Stay.check_out))
    return [StayIn(pid, sid, seconds(cin), seconds(cout), kel)
            for pid, sid, cin, cout, kel in driver_rows(session, (
                select(col(Stay.person_id), col(Stay.shelter_id), check_in, check_out, col(Stay.kelurahan_code))
                .where(col(Stay.event_id) == event_id, col(Stay.check_in) <= as_of)))]


def load_stays_by_id(session: Session, event_id: str, ids: list[str] | None = None, *,
                     as_of: datetime | None = None) -> dict[str, StayIn]:
    """The event's stays (or those of `ids`) by id: those checked in by `as_of`, or all (the live inputs
    keep every stay; the engine leaves out those that begin after its `as_of`)."""
    check_in, seconds = instant_seconds(session, col(Stay.check_in))
    check_out, _ = instant_seconds(session, col(Stay.check_out))
    where = [same_event(col(Stay.event_id), event_id, by_key=ids is not None)]
    if ids is not None:
        where.append(col(Stay.id).in_(ids))
    if as_of is not None:
        where.append(col(Stay.check_in) <= as_of)
    return {sid_: StayIn(pid, sid, seconds(cin), seconds(cout), kel)
            for sid_, pid, sid, cin, cout, kel in driver_rows(session, (
                select(col(Stay.id), col(Stay.person_id), col(Stay.shelter_id), check_in, check_out,
                       col(Stay.kelurahan_code)).where(*where)))}


def load_first_services(session: Session, event_id: str, person_ids: list[str] | None = None, *,
                        as_of: datetime | None = None) -> dict[tuple[str, str], tuple[float, int]]:
    """(person, kind) -> (the first service's instant, how many services), for every person of the event
    or those of `person_ids`; counting the services given by `as_of`, or all."""
    first, seconds = instant_seconds(session, func.min(Service.delivered_at))
    where = [same_event(col(Service.event_id), event_id, by_key=person_ids is not None)]
    if person_ids is not None:
        where.append(col(Service.person_id).in_(person_ids))
    if as_of is not None:
        where.append(col(Service.delivered_at) <= as_of)
    return {(pid, kind): (seconds(at), int(n)) for pid, kind, at, n in driver_rows(session, (
        select(col(Service.person_id), col(Service.kind), first, func.count())
        .where(*where).group_by(col(Service.person_id), col(Service.kind))))}


def service_people(session: Session, event_id: str, ids: list[str]) -> set[str]:
    """The persons the services of `ids` were given to."""
    return set(session.execute(select(col(Service.person_id)).where(
        same_event(col(Service.event_id), event_id, by_key=True), col(Service.id).in_(ids))).scalars())


def row_counts(session: Session, event_id: str) -> tuple[int, int, int]:
    """How many persons (merged aliases left out), stays and services the event has: the live inputs'
    guard against rows written without an outbox row."""
    def count(model: Any, *where: Any) -> Any:
        return select(func.count()).select_from(model).where(col(model.event_id) == event_id, *where).scalar_subquery()
    persons, stays, services = session.execute(select(count(Person, is_active()), count(Stay), count(Service))).one()
    return int(persons), int(stays), int(services)


def load_today_meals(session: Session, event_id: str, profile: Profile, as_of: datetime,
                     tz: ZoneInfo) -> list[tuple[str, float, float]]:
    """The permakanan item's distributions to shelters on `as_of`'s local day up to `as_of`, one row each
    as (shelter id, POSIX seconds, quantity): the sums the engine reads lose the time within the day,
    and a shelter's meals are split per meal time from these (a few rows a shelter a day)."""
    meal = profile.item_for("permakanan")
    if meal is None:
        return []
    day_start = datetime.combine(as_of.astimezone(tz).date(), datetime.min.time(), tzinfo=tz)
    d = Distribution
    at, seconds = instant_seconds(session, col(d.delivered_at))
    return [(sid, seconds(ts), float(qty)) for sid, ts, qty in driver_rows(session, (
        select(col(d.shelter_id), at, col(d.quantity))
        .where(col(d.event_id) == event_id, col(d.item_code) == meal.code, col(d.shelter_id).is_not(None),
               col(d.delivered_at) >= day_start, col(d.delivered_at) <= as_of)))]


def open_event_ids(session: Session) -> list[str]:
    """Events whose status can still change with the clock (not selesai)."""
    return list(session.execute(select(col(Event.id)).where(col(Event.status) != "selesai")).scalars())

