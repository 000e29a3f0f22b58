"""The rows the reports read (shared/repositories/reports.py): each query's cut at `as_of`, its order, and
the person- or household-level filter, on one small event written through the API."""

from __future__ import annotations

from datetime import timedelta

from shared.db import Database, read_unit
from shared.repositories import reports as reports_repo
from tests.conftest import Api, build_scene, iso, now_wib, utc


def _ok(response: object) -> dict:
    assert response.status_code in (200, 201), response.text  # type: ignore[attr-defined]
    return response.json()  # type: ignore[attr-defined]


def test_rows_of_one_event_are_cut_at_as_of(admin: Api, database: Database) -> None:
    start = now_wib().replace(second=0, microsecond=0) - timedelta(days=3)
    sc = build_scene(admin, started_at=iso(start))
    sid, hid = sc.shelter["id"], sc.household["id"]
    a = sc.person(full_name="Ani", household_id=hid, registered_at=iso(start + timedelta(hours=1)))
    b = sc.person(full_name="Budi", sex="L", registered_at=iso(start + timedelta(hours=2)))
    _ok(admin.post(f"/persons/{a['id']}/check-in", json={"shelter_id": sid, "at": iso(start + timedelta(hours=2))}))
    _ok(admin.post(f"/persons/{b['id']}/check-in", json={"shelter_id": sid, "at": iso(start + timedelta(days=2))}))
    post = lambda body: _ok(admin.post(f"/events/{sc.eid}/distributions", json=body))  # noqa: E731
    post({"item_code": "paket_sandang", "quantity": 2, "household_id": hid, "delivered_at": iso(start + timedelta(hours=3))})
    post({"item_code": "paket_sandang", "quantity": 1, "person_id": b["id"], "delivered_at": iso(start + timedelta(hours=4))})
    post({"item_code": "air_minum", "quantity": 10, "shelter_id": sid, "delivered_at": iso(start + timedelta(hours=5))})
    post({"item_code": "air_minum", "quantity": 5, "shelter_id": sid, "delivered_at": iso(start + timedelta(days=2))})
    _ok(admin.post(f"/events/{sc.eid}/services", json={"person_id": a["id"], "kind": "psikososial",
                                                      "delivered_at": iso(start + timedelta(hours=6))}))
    _ok(admin.post(f"/events/{sc.eid}/services", json={"person_id": a["id"], "kind": "psikososial",
                                                      "delivered_at": iso(start + timedelta(hours=7))}))
    as_of = utc(iso(start + timedelta(hours=36)))  # after the shelter opened (two days ago), before day 2

    with read_unit(database) as s:
        persons = list(reports_repo.persons(s, sc.eid, with_names=False))
        named = list(reports_repo.persons(s, sc.eid, with_names=True))
        assert [p.id for p in persons] == [a["id"], b["id"]]  # registration-record order
        assert {p.full_name for p in persons} == {None}
        assert [p.full_name for p in named] == ["Ani", "Budi"]
        assert reports_repo.household_areas(s, sc.eid) == {hid: sc.household["kelurahan_code"]}

        assert [(st.person_id, st.shelter_id) for st in reports_repo.stays(s, sc.eid, as_of)] == [(a["id"], sid)]
        assert [sh.id for sh in reports_repo.shelters(s, sc.eid)] == [sid]
        assert reports_repo.opened_shelter_count(s, sc.eid, as_of) == 1

        totals = reports_repo.distribution_totals(s, sc.eid, as_of)
        assert [(t.item_code, t.records, t.quantity) for t in totals] == [("air_minum", 1, 10.0),
                                                                           ("paket_sandang", 2, 3.0)]
        rows = list(reports_repo.distributions(s, sc.eid, as_of))
        assert [(r.item_code, r.household_id, r.person_id, r.shelter_id) for r in rows] == [
            ("paket_sandang", hid, None, None), ("paket_sandang", None, b["id"], None), ("air_minum", None, None, sid)]
        recipients = reports_repo.recipient_totals(s, sc.eid, as_of, ("paket_sandang", "air_minum"))
        assert sorted((r.item_code, r.person_id or "", r.household_id or "", r.quantity) for r in recipients) == [
            ("paket_sandang", "", hid, 2.0), ("paket_sandang", b["id"], "", 1.0)]  # the shelter's water is neither

        services = reports_repo.service_totals(s, sc.eid, as_of)
        assert services == {"psikososial": reports_repo.ServiceTotal("psikososial", 2, 1)}
        assert [c.action for c in reports_repo.status_changes(s, sc.eid, ("event.create", "event.update"))] == [
            "event.create"]
        assert [e.id for e in reports_repo.events_started_between(s, utc(iso(start)), utc(iso(start)) + timedelta(seconds=1))
                if e.id == sc.eid] == [sc.eid]
        codes = {r.code for r in reports_repo.regions(s)}
        assert sc.household["kelurahan_code"] in codes
        assert reports_repo.item_names(s)["air_minum"].unit
