"""POST /sync (docs/api.md, "Batch sync"): the offline queue, applied in order, each record answered
on its own (created | duplicate | conflict | invalid | forbidden), never more than 1,000 records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from shared.db import Database, read_unit
from shared.models import ClientOperation, Distribution, Household, Person, Service, Stay
from tests.conftest import (
    Api,
    Scene,
    add_member,
    build_scene,
    event_seq,
    household_body,
    iso,
    new_id,
    now_wib,
    person_body,
)

# ---- helpers ----


def hours_ago(h: float) -> str:
    return iso(now_wib() - timedelta(hours=h))


def rec(type_: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "event_id": event_id, "data": data}


def sync(api: Api, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = api.post("/sync", json={"records": records})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["index"] for x in results] == list(range(len(records)))
    return results


def row_counts(database: Database, event_id: str) -> dict[str, int]:
    """Every kind of row a sync record can make, for one event."""
    out = {}
    with read_unit(database) as s:
        for model in (Household, Person, Stay, Distribution, Service, ClientOperation):
            q = select(func.count()).select_from(model).where(model.event_id == event_id)
            out[model.__name__] = int(s.exec(q).one())
    return out



def member_scene(admin: Api, relawan: Api) -> Scene:
    scene = build_scene(admin)
    assert relawan.user_id is not None
    add_member(admin, scene.eid, relawan.user_id)
    return scene


def field_batch(scene: Scene) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A realistic offline queue: a household, a member, check-in, check-out, a distribution, a service."""
    eid, shelter = scene.eid, scene.shelter["id"]
    ids = {k: new_id() for k in ("household", "person", "check_in", "check_out", "distribution", "service")}
    records = [
        rec("household", eid, household_body(id=ids["household"], head_name="Junaidi Sembiring")),
        rec("person", eid, person_body(id=ids["person"], full_name="Junaidi Sembiring", sex="L",
                                       household_id=ids["household"], registered_at=hours_ago(30))),
        rec("check_in", eid, {"id": ids["check_in"], "person_id": ids["person"], "shelter_id": shelter,
                              "at": hours_ago(29)}),
        rec("check_out", eid, {"id": ids["check_out"], "person_id": ids["person"], "at": hours_ago(3)}),
        rec("distribution", eid, {"id": ids["distribution"], "item_code": "paket_sandang", "quantity": 1,
                                  "person_id": ids["person"], "delivered_at": hours_ago(20)}),
        rec("service", eid, {"id": ids["service"], "person_id": ids["person"], "kind": "psikososial",
                             "delivered_at": hours_ago(10), "notes": "konseling"}),
    ]
    return records, ids


# ---- a clean batch ----


def test_batch_of_every_record_type_is_created_in_order(admin: Api, relawan: Api, database: Database) -> None:
    """Household → member (referring to it) → check-in → check-out → distribution → service: all created,
    each with its id and an increasing data_seq; the stored state is what the records say."""
    scene = member_scene(admin, relawan)
    before = event_seq(admin, scene.eid)
    records, ids = field_batch(scene)
    results = sync(relawan, records)

    assert [r["status"] for r in results] == ["created"] * 6, results
    assert [r["id"] for r in results] == [rec_["data"]["id"] for rec_ in records]
    seqs = [r["data_seq"] for r in results]
    assert seqs == list(range(before + 1, before + 7))
    assert all(r.get("error") is None for r in results)
    assert event_seq(admin, scene.eid) == seqs[-1]

    person = relawan.get(f"/persons/{ids['person']}")
    assert person.status_code == 200, person.text
    assert person.json()["household_id"] == ids["household"]
    assert person.json()["displacement"] == "kembali"
    stays = relawan.get(f"/persons/{ids['person']}/stays").json()
    assert [s["id"] for s in stays] == [ids["check_in"]]
    assert stays[0]["check_out"] is not None
    hh = relawan.get(f"/events/{scene.eid}/households/{ids['household']}")
    assert hh.status_code == 200 and hh.json()["members"] == 1
    dist = relawan.get(f"/events/{scene.eid}/distributions/{ids['distribution']}")
    assert dist.status_code == 200 and dist.json()["person_id"] == ids["person"]
    services = relawan.get(f"/events/{scene.eid}/services", params={"person_id": ids["person"]}).json()
    assert [s["id"] for s in services["items"]] == [ids["service"]]
    counts = row_counts(database, scene.eid)
    assert counts["Household"] == 2 and counts["Person"] == 1 and counts["Stay"] == 1  # scene has one household


def test_resending_the_same_batch_is_all_duplicate_and_stores_nothing(
        admin: Api, relawan: Api, database: Database) -> None:
    """The whole batch sent twice: the second answer is all duplicate (same ids, current data_seq); rows unchanged."""
    scene = member_scene(admin, relawan)
    records, _ = field_batch(scene)
    first = sync(relawan, records)
    assert {r["status"] for r in first} == {"created"}
    counts, seq = row_counts(database, scene.eid), event_seq(admin, scene.eid)

    second = sync(relawan, records)
    assert [r["status"] for r in second] == ["duplicate"] * len(records), second
    assert [r["id"] for r in second] == [r["id"] for r in first]
    assert all(r["data_seq"] == seq for r in second)
    assert row_counts(database, scene.eid) == counts
    assert event_seq(admin, scene.eid) == seq

    third = sync(relawan, records)
    assert [r["status"] for r in third] == ["duplicate"] * len(records)
    assert row_counts(database, scene.eid) == counts


def test_a_record_created_by_its_single_endpoint_is_a_duplicate_in_sync(
        scene: Scene, admin: Api, database: Database) -> None:
    """One engine: a person and a check-in first sent to their endpoints, then resent through /sync → duplicate."""
    body = person_body(registered_at=hours_ago(10))
    assert admin.post(f"/events/{scene.eid}/persons", json=body).status_code == 201
    check_in = {"id": new_id(), "shelter_id": scene.shelter["id"], "at": hours_ago(9)}
    assert admin.post(f"/persons/{body['id']}/check-in", json=check_in).status_code == 201
    counts, seq = row_counts(database, scene.eid), event_seq(admin, scene.eid)

    results = sync(admin, [rec("person", scene.eid, body),
                           rec("check_in", scene.eid, {**check_in, "person_id": body["id"]})])
    assert [r["status"] for r in results] == ["duplicate", "duplicate"], results
    assert row_counts(database, scene.eid) == counts
    assert event_seq(admin, scene.eid) == seq


# ---- a mixed batch: every record answered on its own ----


def test_mixed_batch_answers_each_record_and_stores_only_the_good_ones(
        admin: Api, relawan: Api, database: Database) -> None:
    """Good, duplicate, conflicting, invalid and forbidden records in one batch: each gets its own status,
    invalid ones name the field, and the bad ones never block the good ones after them."""
    scene = member_scene(admin, relawan)
    earlier, ids = field_batch(scene)
    assert {r["status"] for r in sync(relawan, earlier)} == {"created"}

    other = member_scene(admin, relawan)  # another event the relawan may write in
    stranger = other.person()
    foreign = build_scene(admin)  # an event the relawan is not a member of
    eid = scene.eid
    good_person = person_body(registered_at=hours_ago(2), shelter_id=scene.shelter["id"])
    good_dist = {"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 60,
                 "shelter_id": scene.shelter["id"], "delivered_at": hours_ago(1)}
    good_household = household_body()
    bad_nik_id, forbidden_id, conflict_person = new_id(), new_id(), dict(earlier[1]["data"])
    conflict_person["full_name"] = "Nama Lain"
    check_in_without_at = {"id": new_id(), "person_id": ids["person"], "shelter_id": scene.shelter["id"]}
    foreign_service = {"id": new_id(), "person_id": stranger["id"], "kind": "psikososial"}
    records = [
        rec("person", eid, good_person),                                                  # 0 created
        earlier[0],                                                                        # 1 duplicate
        rec("person", eid, conflict_person),                                               # 2 conflict
        rec("person", eid, person_body(id=bad_nik_id, nik="1275049913850001")),            # 3 invalid nik
        rec("household", eid, {k: v for k, v in household_body().items() if k != "id"}),  # 4 invalid id
        rec("check_in", eid, check_in_without_at),                                         # 5 invalid at
        rec("shelter_visit", eid, {"id": new_id()}),                                       # 6 invalid type
        rec("service", eid, foreign_service),                                              # 7 invalid person_id
        rec("household", foreign.eid, household_body(id=forbidden_id)),                    # 8 forbidden
        rec("distribution", eid, good_dist),                                               # 9 created
        rec("household", eid, good_household),                                             # 10 created
    ]
    seq = event_seq(admin, eid)
    foreign_seq = event_seq(admin, foreign.eid)
    results = sync(relawan, records)
    status = [r["status"] for r in results]
    assert status == ["created", "duplicate", "conflict", "invalid", "invalid", "invalid", "invalid", "invalid",
                      "forbidden", "created", "created"], results

    by = dict(enumerate(results))
    assert by[0]["id"] == good_person["id"] and by[9]["id"] == good_dist["id"]
    assert by[0]["data_seq"] == seq + 1 and by[9]["data_seq"] == seq + 2 and by[10]["data_seq"] == seq + 3
    assert by[1]["id"] == ids["household"] and by[1]["data_seq"] == seq + 3  # a replay: visible at the current seq
    for i in (2, 8):
        assert by[i]["error"], by[i]
        assert by[i].get("data_seq") is None
    assert by[3]["error"].startswith("nik"), by[3]
    assert "1275049913850001" not in by[3]["error"]  # the value (a NIK) is never echoed
    assert by[4]["id"] is None and by[4]["error"].startswith("id"), by[4]
    assert by[5]["error"].startswith("at"), by[5]
    assert by[6]["error"].startswith("type"), by[6]
    assert by[7]["error"].startswith("person_id"), by[7]

    # the good ones are stored, the bad ones are not
    got = relawan.get(f"/persons/{good_person['id']}")
    assert got.status_code == 200 and got.json()["shelter_id"] == scene.shelter["id"]
    assert relawan.get(f"/events/{eid}/distributions/{good_dist['id']}").status_code == 200
    assert relawan.get(f"/events/{eid}/households/{good_household['id']}").status_code == 200
    assert relawan.get(f"/persons/{ids['person']}").json()["full_name"] == "Junaidi Sembiring"
    assert admin.get(f"/persons/{bad_nik_id}").status_code == 404
    assert admin.get(f"/events/{foreign.eid}/households/{forbidden_id}").status_code == 404
    assert admin.get(f"/persons/{ids['person']}/stays").json()[0]["id"] == ids["check_in"]
    assert len(admin.get(f"/persons/{ids['person']}/stays").json()) == 1
    assert admin.get(f"/events/{eid}/services", params={"person_id": stranger["id"]}).json()["total"] == 0
    assert admin.get(f"/events/{other.eid}/services", params={"person_id": stranger["id"]}).json()["total"] == 0
    assert event_seq(admin, eid) == seq + 3
    assert event_seq(admin, foreign.eid) == foreign_seq


def test_a_member_referring_to_a_rejected_household_is_invalid_and_the_rest_proceeds(
        admin: Api, relawan: Api) -> None:
    """A household refused in the batch does not exist for the member after it (invalid household_id);
    a record after both is still created."""
    scene = member_scene(admin, relawan)
    bad_household = household_body(kk_number="12")  # not a KK number
    member = person_body(household_id=bad_household["id"])
    tail = household_body()
    results = sync(relawan, [rec("household", scene.eid, bad_household), rec("person", scene.eid, member),
                             rec("household", scene.eid, tail)])
    assert [r["status"] for r in results] == ["invalid", "invalid", "created"], results
    assert results[0]["error"].startswith("kk_number")
    assert results[1]["error"].startswith("household_id")
    assert admin.get(f"/persons/{member['id']}").status_code == 404


def test_pengamat_batch_is_forbidden_record_by_record(admin: Api, pengamat: Api, database: Database) -> None:
    """A pengamat sees events but writes nothing: every record → forbidden, nothing stored."""
    scene = build_scene(admin)
    counts, seq = row_counts(database, scene.eid), event_seq(admin, scene.eid)
    records, _ = field_batch(scene)
    results = sync(pengamat, records)
    assert {r["status"] for r in results} == {"forbidden"}, results
    assert all(r["error"] for r in results)
    assert row_counts(database, scene.eid) == counts
    assert event_seq(admin, scene.eid) == seq


def test_relawan_outside_the_event_is_forbidden_while_its_own_event_is_written(
        admin: Api, relawan: Api, database: Database) -> None:
    """Records for a member event and a non-member event in one batch: created there, forbidden here."""
    mine, theirs = member_scene(admin, relawan), build_scene(admin)
    hh_mine, hh_theirs = household_body(), household_body()
    results = sync(relawan, [rec("household", theirs.eid, hh_theirs), rec("household", mine.eid, hh_mine)])
    assert [r["status"] for r in results] == ["forbidden", "created"], results
    with read_unit(database) as s:
        assert s.get(Household, hh_theirs["id"]) is None
        assert s.get(Household, hh_mine["id"]) is not None


# ---- a selesai event ----


def test_selesai_event_refuses_new_records_but_recognises_resends(
        admin: Api, relawan: Api, database: Database) -> None:
    """Once the event is selesai: new records → conflict; identical resends → duplicate; nothing is stored."""
    scene = member_scene(admin, relawan)
    records, ids = field_batch(scene)
    assert {r["status"] for r in sync(relawan, records)} == {"created"}
    closed = admin.patch(f"/events/{scene.eid}", json={"status": "selesai"})
    assert closed.status_code == 200, closed.text
    counts, seq = row_counts(database, scene.eid), event_seq(admin, scene.eid)

    changed = dict(records[0]["data"], head_name="Lain")
    fresh = household_body()
    results = sync(relawan, [records[0], rec("household", scene.eid, fresh), records[4],
                             rec("household", scene.eid, changed), records[5]])
    assert [r["status"] for r in results] == ["duplicate", "conflict", "duplicate", "conflict", "duplicate"], results
    assert "selesai" in results[1]["error"]
    assert row_counts(database, scene.eid) == counts
    assert event_seq(admin, scene.eid) == seq
    assert admin.get(f"/events/{scene.eid}/households/{fresh['id']}").status_code == 404


# ---- size limit ----


def test_more_than_1000_records_is_413_and_stores_nothing(admin: Api, database: Database) -> None:
    """1,001 records → 413 with a message; not one of them is stored, data_seq unchanged."""
    scene = build_scene(admin)
    counts, seq = row_counts(database, scene.eid), event_seq(admin, scene.eid)
    records = [rec("household", scene.eid, household_body(head_name=f"Kepala {i}")) for i in range(1001)]
    r = admin.post("/sync", json={"records": records})
    assert r.status_code == 413, r.text[:300]
    assert isinstance(r.json()["detail"], str)
    assert row_counts(database, scene.eid) == counts
    assert event_seq(admin, scene.eid) == seq
    with read_unit(database) as s:
        ids = [x["data"]["id"] for x in records[:50]]
        assert s.exec(select(func.count()).select_from(Household).where(Household.id.in_(ids))).one() == 0


def test_exactly_1000_records_are_accepted(admin: Api, database: Database) -> None:
    """The limit is inclusive: 1,000 records → 200, all created, data_seq moves by 1,000."""
    n = 1000
    scene = build_scene(admin)
    seq = event_seq(admin, scene.eid)
    records = [rec("household", scene.eid, household_body(head_name=f"Kepala {i}")) for i in range(n)]
    results = sync(admin, records)
    assert {r["status"] for r in results} == {"created"}
    assert [r["data_seq"] for r in results] == list(range(seq + 1, seq + n + 1))
    assert row_counts(database, scene.eid)["Household"] == n + 1
    assert event_seq(admin, scene.eid) == seq + n


# ---- a malformed record envelope ----


@pytest.mark.parametrize("bad", ["long_type", "long_event_id", "data_not_object", "missing_event_id"])
def test_one_malformed_record_envelope_does_not_block_the_batch(bad: str, admin: Api) -> None:
    """A record whose envelope is bad (over-long type or event_id, data not an object) is answered on its own;
    the good record beside it is still created."""
    scene = build_scene(admin)
    good = rec("household", scene.eid, household_body())
    broken = {"long_type": {"type": "x" * 31, "event_id": scene.eid, "data": household_body()},
              "long_event_id": {"type": "household", "event_id": "e" * 40, "data": household_body()},
              "data_not_object": {"type": "household", "event_id": scene.eid, "data": "rusak"},
              "missing_event_id": {"type": "household", "data": household_body()}}[bad]
    r = admin.post("/sync", json={"records": [good, broken]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results[0]["status"] == "created"
    assert results[1]["status"] == "invalid" and results[1]["error"]
    assert results[1]["error"].split(":")[0] == {"long_type": "type", "long_event_id": "event_id",
                                                  "data_not_object": "data", "missing_event_id": "event_id"}[bad]
