"""Merging a duplicate person into its survivor, the alias the old id becomes, and unmerge (issue 11 §2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from shared.db import Database, read_unit
from shared.models import AuditLog, Distribution, PersonMerge, Service, Stay
from tests.conftest import (
    Api,
    Scene,
    add_member,
    build_scene,
    event_seq,
    fresh_nik,
    iso,
    new_id,
    now_wib,
    shelter_body,
)


def hours_ago(h: float) -> str:
    return iso(now_wib() - timedelta(hours=h))


def status(api: Api, eid: str) -> dict[str, Any]:
    r = api.get(f"/events/{eid}/status")
    assert r.status_code == 200, r.text
    return r.json()


def owners(database: Database, model: Any, ids: list[str]) -> dict[str, str]:
    with read_unit(database) as s:
        return dict(s.execute(select(col(model.id), col(model.person_id)).where(col(model.id).in_(ids))).all())


def stays_of(database: Database, person_id: str) -> list[tuple[str, str, Any]]:
    with read_unit(database) as s:
        return [(sid, sh, out) for sid, sh, out in s.execute(
            select(col(Stay.id), col(Stay.shelter_id), col(Stay.check_out)).where(col(Stay.person_id) == person_id)
            .order_by(col(Stay.check_in)))]


def duplicate_pair(scene: Scene, database: Database) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """Two records of one woman: the first in the shelter with a sandang package and a service, the second
    registered again (no NIK) at another shelter later, with her own service."""
    api = scene.api
    other_shelter = api.post(f"/events/{scene.eid}/shelters", json=shelter_body(name="Masjid Al-Ikhlas")).json()
    nik = fresh_nik(female=True)
    a = scene.person(full_name="Siti Rahmawati", nik=nik, household_id=scene.household["id"],
                     shelter_id=scene.shelter["id"], registered_at=hours_ago(40))
    b = scene.person(full_name="St. Rahmawati", birth_date="1985-05-12", shelter_id=other_shelter["id"],
                     household_id=scene.household["id"], registered_at=hours_ago(20), needs_psychosocial=True)
    rows: dict[str, list[str]] = {"distributions": [], "services": []}
    for person, hours in ((a, 30), (b, 10)):
        d = api.post(f"/events/{scene.eid}/distributions", json={
            "id": new_id(), "item_code": "paket_sandang", "quantity": 1, "person_id": person["id"],
            "delivered_at": hours_ago(hours)})
        assert d.status_code == 201, d.text
        s = api.post(f"/events/{scene.eid}/services", json={
            "id": new_id(), "person_id": person["id"], "kind": "psikososial", "delivered_at": hours_ago(hours)})
        assert s.status_code == 201, s.text
        if person is b:
            rows["distributions"].append(d.json()["id"])
            rows["services"].append(s.json()["id"])
    rows["stays"] = [sid for sid, _, _ in stays_of(database, b["id"])]
    return a, b, rows


def test_merge_moves_everything_and_the_survivor_is_counted_once(scene: Scene, admin: Api, posko: Api,
                                                                    database: Database) -> None:
    a, b, rows = duplicate_pair(scene, database)
    before = status(admin, scene.eid)
    assert before["people"]["registered"] == 2 and before["people"]["displaced_now"] == 2
    household = f"/events/{scene.eid}/households/{scene.household['id']}"
    assert admin.get(household).json()["members"] == 2
    seq = event_seq(admin, scene.eid)

    r = posko.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": {"needs_psychosocial": True}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["merged_id"], body["survivor_id"], body["event_id"]) == (b["id"], a["id"], scene.eid)
    assert body["moved"] == {"stays": 1, "distributions": 1, "services": 1}
    assert body["survivor"]["id"] == a["id"] and body["survivor"]["needs_psychosocial"] is True
    assert body["survivor"]["full_name"] == "Siti Rahmawati" and body["survivor"]["nik"] == a["nik"]
    assert int(r.headers["X-Data-Seq"]) == seq + 1 == event_seq(admin, scene.eid)

    # every row of b now belongs to a
    assert set(owners(database, Distribution, rows["distributions"]).values()) == {a["id"]}
    assert set(owners(database, Service, rows["services"]).values()) == {a["id"]}
    assert set(owners(database, Stay, rows["stays"]).values()) == {a["id"]}
    # overlapping open stays: the later check-in (b's, 20 h ago) stays open, a's is closed at it
    stays = stays_of(database, a["id"])
    assert [out is None for _, _, out in stays] == [False, True]
    assert stays[1][0] == rows["stays"][0] and body["closed_stays"] == 1

    after = status(admin, scene.eid)
    assert after["people"]["registered"] == 1 and after["people"]["displaced_now"] == 1
    assert after["indicator"]["eligible"] == 1
    assert after["indicator"]["services"]["psikososial"] == {"eligible": 1, "fulfilled": 1}
    sandang = next(n for n in after["needs"] if n["item_code"] == "paket_sandang")
    assert sandang["required"] == 1 and sandang["delivered"] == 2  # needs count the survivor once
    report = admin.get(f"/events/{scene.eid}/report", params={"format": "json"})
    assert report.status_code == 200, report.text
    people = report.json()["people"]
    assert people["registered"] == 1 and sum(people["by_condition"].values()) == 1  # reports count her once
    assert people["needs_psychosocial"] == 1
    listed = admin.get(f"/events/{scene.eid}/persons").json()
    assert listed["total"] == 1 and [p["id"] for p in listed["items"]] == [a["id"]]
    assert admin.get(household).json()["members"] == 1

    # audited: who, both ids, what moved
    with read_unit(database) as s:
        audit = s.execute(select(AuditLog).where(col(AuditLog.action) == "person.merge",
                                                 col(AuditLog.object_id) == b["id"])).scalars().one()
    assert audit.actor_username == posko.username and audit.event_id == scene.eid
    assert audit.detail == f"into={a['id']};stays=1;distributions=1;services=1;closed_stays=1"


def test_unmerge_restores_exactly(scene: Scene, admin: Api, database: Database) -> None:
    a, b, rows = duplicate_pair(scene, database)
    stays_a, stays_b = stays_of(database, a["id"]), stays_of(database, b["id"])
    person_a, person_b = admin.get(f"/persons/{a['id']}").json(), admin.get(f"/persons/{b['id']}").json()
    snapshot = status(admin, scene.eid)
    # a birth date the survivor's NIK does not encode: confirmed, as a person update would need
    chosen = {"full_name": "Siti Rahmawati Br Ginting", "birth_date": "1985-05-13", "needs_psychosocial": True,
              "nik_mismatch_confirmed": True}
    merged = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": chosen})
    assert merged.status_code == 200, merged.text
    assert merged.json()["survivor"]["nik_mismatch_confirmed"] is True
    assert merged.json()["survivor"]["full_name"] == chosen["full_name"]
    assert merged.json()["survivor"]["version"] == person_a["version"] + 1

    r = admin.post(f"/persons/{b['id']}/unmerge")
    assert r.status_code == 200, r.text
    assert r.json()["undone_at"] is not None and r.json()["merged"]["id"] == b["id"]
    assert stays_of(database, a["id"]) == stays_a and stays_of(database, b["id"]) == stays_b
    assert set(owners(database, Distribution, rows["distributions"]).values()) == {b["id"]}
    assert set(owners(database, Service, rows["services"]).values()) == {b["id"]}
    again_a, again_b = admin.get(f"/persons/{a['id']}").json(), admin.get(f"/persons/{b['id']}").json()
    fields = ("full_name", "birth_date", "needs_psychosocial", "nik", "household_id", "sex", "vulnerabilities",
              "condition", "shelter_id", "nik_mismatch_confirmed")
    assert {f: again_a[f] for f in fields} == {f: person_a[f] for f in fields}
    assert again_b == person_b
    assert status(admin, scene.eid)["people"] == snapshot["people"]
    assert status(admin, scene.eid)["indicator"] == snapshot["indicator"]
    assert admin.get(f"/events/{scene.eid}/persons").json()["total"] == 2
    assert admin.post(f"/persons/{b['id']}/unmerge").status_code == 409  # nothing left to undo
    with read_unit(database) as s:
        record = s.execute(select(PersonMerge).where(col(PersonMerge.merged_id) == b["id"])).scalars().one()
    assert record.undone_at is not None and record.undone_by == admin.user_id


def test_the_old_id_is_an_alias_for_http_and_sync(scene: Scene, admin: Api, database: Database) -> None:
    a, b, _ = duplicate_pair(scene, database)
    assert admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"]}).status_code == 200

    got = admin.get(f"/persons/{b['id']}")
    assert got.status_code == 200 and got.json()["id"] == a["id"]  # the answer names the survivor
    out = admin.post(f"/persons/{b['id']}/check-out", json={"at": hours_ago(2)})
    assert out.status_code == 200, out.text
    assert out.json()["person_id"] == a["id"]
    back = admin.post(f"/persons/{b['id']}/check-in", json={"id": new_id(), "shelter_id": scene.shelter["id"],
                                                            "at": hours_ago(1)})
    assert back.status_code == 201 and back.json()["person_id"] == a["id"]
    d = admin.post(f"/events/{scene.eid}/distributions", json={"item_code": "paket_sandang", "quantity": 1,
                                                                "person_id": b["id"]})
    assert d.status_code == 201 and d.json()["person_id"] == a["id"]
    sv = admin.post(f"/events/{scene.eid}/services", json={"person_id": b["id"], "kind": "penanganan_khusus"})
    assert sv.status_code == 201 and sv.json()["person_id"] == a["id"]
    patched = admin.patch(f"/persons/{b['id']}", json={"condition": "luka"})
    assert patched.status_code == 200 and patched.json()["id"] == a["id"] and patched.json()["condition"] == "luka"

    ids = {k: new_id() for k in ("out", "dist", "service")}
    r = admin.post("/sync", json={"records": [
        {"type": "check_out", "event_id": scene.eid, "data": {"id": ids["out"], "person_id": b["id"], "at": hours_ago(0.5)}},
        {"type": "distribution", "event_id": scene.eid, "data": {
            "id": ids["dist"], "item_code": "paket_sandang", "quantity": 1, "person_id": b["id"],
            "delivered_at": hours_ago(0.5)}},
        {"type": "service", "event_id": scene.eid, "data": {
            "id": ids["service"], "person_id": b["id"], "kind": "psikososial", "delivered_at": hours_ago(0.5)}},
    ]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["created"] * 3
    assert owners(database, Distribution, [ids["dist"]]) == {ids["dist"]: a["id"]}
    assert owners(database, Service, [ids["service"]]) == {ids["service"]: a["id"]}
    assert stays_of(database, b["id"]) == []
    assert all(out is not None for _, _, out in stays_of(database, a["id"]))  # the sync check-out closed a's stay
    assert status(admin, scene.eid)["people"]["registered"] == 1


def test_who_may_merge_and_what_is_refused(scene: Scene, admin: Api, posko: Api, pengamat: Api, relawan: Api,
                                           database: Database) -> None:
    a, b, _ = duplicate_pair(scene, database)
    assert relawan.user_id is not None
    add_member(admin, scene.eid, relawan.user_id)
    seq = event_seq(admin, scene.eid)
    assert relawan.post(f"/persons/{b['id']}/merge", json={"into": a["id"]}).status_code == 403
    assert pengamat.post(f"/persons/{b['id']}/merge", json={"into": a["id"]}).status_code == 403
    assert relawan.post(f"/persons/{b['id']}/unmerge").status_code == 403
    assert admin.post(f"/persons/{b['id']}/merge", json={"into": b["id"]}).status_code == 422
    unknown = admin.post(f"/persons/{b['id']}/merge", json={"into": new_id()})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "into"]
    bad = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": {"sex": "X"}})
    assert bad.status_code == 422
    hh = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": {"household_id": new_id()}})
    assert hh.status_code == 422 and hh.json()["detail"][0]["loc"] == ["body", "fields", "household_id"]
    other = build_scene(admin)
    elsewhere = other.person(full_name="Siti Rahmawati")
    across = admin.post(f"/persons/{b['id']}/merge", json={"into": elsewhere["id"]})
    assert across.status_code == 409 and "kejadian yang sama" in across.json()["detail"]
    assert admin.post(f"/persons/{b['id']}/unmerge").status_code == 409  # not merged
    assert event_seq(admin, scene.eid) == seq  # nothing refused wrote anything
    assert posko.post(f"/persons/{b['id']}/merge", json={"into": a["id"]}).status_code == 200
    again = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"]})
    assert again.status_code == 409
    # a chain: c into b resolves b (an alias) to a — merging into an alias is refused with the pointer
    c = scene.person(full_name="Siti R.")
    into_alias = admin.post(f"/persons/{c['id']}/merge", json={"into": b["id"]})
    assert into_alias.status_code == 409 and a["id"] in into_alias.json()["detail"]


def test_merge_chain_unmerges_in_reverse_order(scene: Scene, admin: Api, database: Database) -> None:
    a, b, rows = duplicate_pair(scene, database)
    c = scene.person(full_name="Siti Rahmawaty", shelter_id=scene.shelter["id"], registered_at=hours_ago(5))
    assert admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"]}).status_code == 200
    assert admin.post(f"/persons/{a['id']}/merge", json={"into": c["id"]}).status_code == 200
    # b's old id resolves through a to c
    d = admin.post(f"/events/{scene.eid}/services", json={"person_id": b["id"], "kind": "psikososial"})
    assert d.status_code == 201 and d.json()["person_id"] == c["id"]
    assert admin.post(f"/persons/{b['id']}/unmerge").status_code == 409  # a was merged in turn: undo that first
    assert admin.post(f"/persons/{a['id']}/unmerge").status_code == 200
    assert admin.post(f"/persons/{b['id']}/unmerge").status_code == 200
    assert set(owners(database, Distribution, rows["distributions"]).values()) == {b["id"]}
    assert status(admin, scene.eid)["people"]["registered"] == 3


def test_merge_values_must_agree_with_the_nik_like_an_update(scene: Scene, admin: Api, database: Database) -> None:
    """The chosen birth date or sex is checked against the survivor's NIK (docs/validation.md): 422 naming
    `fields.<field>` and nothing moves, unless the merge confirms the mismatch."""
    a, b, rows = duplicate_pair(scene, database)
    r = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": {"birth_date": "1985-05-13"}})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "fields", "birth_date"]
    assert set(owners(database, Distribution, rows["distributions"]).values()) == {b["id"]}
    r = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": {"sex": "L"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "fields", "sex"], r.text
    r = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"], "fields": {"birth_date": "1985-05-12"}})
    assert r.status_code == 200, r.text
    assert r.json()["survivor"]["nik_mismatch_confirmed"] is False
