"""The loader sums distributions in SQL; the snapshot must equal the one computed from every raw row."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from shared.db import Database, read_unit, utcnow, write_unit
from shared.models import Distribution, Event
from shared.needs.engine import compute_snapshot
from shared.needs.model import DeliveryIn
from shared.repositories.needs_inputs import load_needs_inputs
from shared.services import status as status_service
from tests.conftest import Api, build_scene, household_body, iso, now_wib, person_body


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Kolkata", "Europe/Berlin"])
def test_aggregated_load_gives_the_same_snapshot_as_raw_rows(admin: Api, database: Database, zone: str) -> None:
    """Fixed offsets (Jakarta, Kolkata's +5:30) group by shifted date; Berlin (daylight saving) by 15-minute buckets."""
    tz = ZoneInfo(zone)
    start = now_wib().replace(hour=5, minute=0, second=0, microsecond=0) - timedelta(days=4)
    sc = build_scene(admin, started_at=iso(start))
    sid, hid = sc.shelter["id"], sc.household["id"]
    people = [sc.person(shelter_id=sid, household_id=hid, registered_at=iso(start + timedelta(hours=h)))
              for h in (1, 2, 30, 50)]
    post = lambda body: admin.post(f"/events/{sc.eid}/distributions", json=body)  # noqa: E731
    for day in range(4):
        base = start.replace(hour=0) + timedelta(days=day)
        for hour, minute, qty in ((6, 40, 3), (6, 44, 1), (11, 59, 3), (17, 50, 4), (23, 50, 1), (0, 5, 2)):
            assert post({"item_code": "makanan_siap_saji", "quantity": qty, "shelter_id": sid,
                         "delivered_at": iso(base + timedelta(hours=hour, minutes=minute))}).status_code == 201
        assert post({"item_code": "air_minum", "quantity": 10, "shelter_id": sid,
                     "delivered_at": iso(base + timedelta(hours=9, minutes=day * 7))}).status_code == 201
    assert post({"item_code": "paket_sandang", "quantity": 2, "household_id": hid,
                 "delivered_at": iso(start + timedelta(hours=3))}).status_code == 201
    assert post({"item_code": "paket_sandang", "quantity": 1, "person_id": people[3]["id"],
                 "delivered_at": iso(start + timedelta(hours=60))}).status_code == 201
    other = admin.post(f"/events/{sc.eid}/households", json=household_body()).json()
    admin.post(f"/events/{sc.eid}/persons", json=person_body(household_id=other["id"]))

    as_of = utcnow()
    with read_unit(database) as session:
        event = session.get(Event, sc.eid)
        assert event is not None
        aggregated = status_service.compute(session, event, as_of, tz)
        inputs = load_needs_inputs(session, event, as_of, tz)
        raw = [DeliveryIn(item_code=d.item_code, quantity=d.quantity, delivered_at=d.delivered_at,
                          shelter_id=d.shelter_id, person_id=d.person_id, household_id=d.household_id)
               for d in session.exec(select(Distribution).where(col(Distribution.event_id) == sc.eid)).all()]
    assert len(inputs.deliveries) < len(raw)  # it did aggregate
    direct = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays, raw,
                              inputs.services, as_of, tz)
    # the needs part: the snapshot's stock and alerts sections (shared/services/stock.py) are not the engine's
    assert {k: v for k, v in aggregated.items() if k not in ("stock", "alerts")} == direct
    meals = next(n for n in aggregated["needs"] if n["item_code"] == "makanan_siap_saji")
    assert meals["delivered"] == 4 * (4 + 3 + 4 + 1 + 2)


def test_explicit_flags_reach_the_engine(admin: Api, database: Database) -> None:
    """Flags stored as JSON are read back on both backends (text on SQLite, decoded by psycopg)."""
    sc = build_scene(admin)
    sc.person(shelter_id=sc.shelter["id"], vulnerabilities=["disabilitas", "ibu_hamil"], birth_date="1990-01-01")
    with read_unit(database) as session:
        event = session.get(Event, sc.eid)
        assert event is not None
        inputs = load_needs_inputs(session, event, utcnow(), ZoneInfo("Asia/Jakarta"))
    assert [p.vulnerabilities for p in inputs.persons] == [frozenset({"disabilitas", "ibu_hamil"})]


@pytest.mark.parametrize("case", ["ok", "later", "zone", "stale"])
def test_totals_read_with_their_check_agree_with_check(admin: Api, database: Database, case: str) -> None:
    """The recompute checks the running totals while reading them (`read_checked`): the same verdict as
    `check`, and the totals themselves only when they can be used."""
    from shared.repositories import delivery_totals
    from shared.repositories.bulk import insert_many
    from tests.conftest import new_id

    sc = build_scene(admin)
    sid = sc.shelter["id"]
    when = now_wib().replace(microsecond=123_456) - timedelta(hours=2)
    assert admin.post(f"/events/{sc.eid}/distributions", json={
        "item_code": "air_minum", "quantity": 5, "shelter_id": sid, "delivered_at": iso(when)}).status_code == 201
    tz, as_of = ZoneInfo("Asia/Jakarta"), utcnow()
    if case == "later":
        as_of = when - timedelta(microseconds=1)
    elif case == "zone":
        tz = ZoneInfo("Asia/Kolkata")
    elif case == "stale":  # a row written around the write path
        with write_unit(database) as uow:
            insert_many(uow.session, Distribution, [{
                "id": new_id(), "event_id": sc.eid, "item_code": "air_minum", "quantity": 1.0, "delivered_at": when,
                "shelter_id": sid, "person_id": None, "household_id": None, "notes": None, "created_by": None,
                "created_at": when}])
    with read_unit(database) as session:
        checked = delivery_totals.check(session, sc.eid, as_of, tz)
        verdict, totals = delivery_totals.read_checked(session, sc.eid, as_of, tz)
    assert checked == verdict == case
    assert totals == ([("air_minum", 5.0, when.timestamp(), sid, None, None)] if case == "ok" else [])


def test_age_groups_read_in_sql_match_the_domain_rule(admin: Api, database: Database) -> None:
    """balita/lansia come from comparing birth dates with bounds in SQL: the same sets as
    `effective_vulnerabilities` computing each age, around both bounds, with age_years only, with neither."""
    from datetime import date

    from shared.domain.vulnerability import effective_vulnerabilities

    tz = ZoneInfo("Asia/Jakarta")
    sc = build_scene(admin)
    start = datetime.fromisoformat(sc.event["started_at"]).astimezone(tz).date()
    births = [start.replace(year=start.year - years) + timedelta(days=shift)
              for years in (5, 60) for shift in (-1, 0, 1)] + [date(2000, 2, 29), date(1950, 3, 1)]
    wanted = {sc.person(birth_date=b.isoformat(), vulnerabilities=["disabilitas"] if i % 2 else [])["id"]:
              effective_vulnerabilities(["disabilitas"] if i % 2 else [], b, None, start) for i, b in enumerate(births)}
    for age in (4, 5, 59, 60):
        wanted[sc.person(birth_date=None, age_years=age)["id"]] = effective_vulnerabilities([], None, age, start)
    wanted[sc.person(birth_date=None)["id"]] = []
    with read_unit(database) as session:
        event = session.get(Event, sc.eid)
        assert event is not None
        inputs = load_needs_inputs(session, event, utcnow(), tz)
    assert {p.id: p.vulnerabilities for p in inputs.persons} == {k: frozenset(v) for k, v in wanted.items()}
    assert any(wanted.values()) and not all(wanted.values())
