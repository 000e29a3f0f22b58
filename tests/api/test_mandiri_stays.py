"""Mandiri stays over HTTP (docs/rules.md, "Mandiri stays"; docs/api.md, "Stays"): check-in outside the
shelters, transfers shelter ↔ mandiri, check-out, a person registered as mandiri, meals delivered to a
household or person, the same through `/sync`, and what the status and the report count. Every test
runs on SQLite and PostgreSQL; every rejected request is checked to have written nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx

from shared.db import Database, read_unit
from shared.models import Stay
from shared.schemas.people import CheckIn, PersonCreate
from shared.services.field_records import TIME_DEFAULTS
from shared.services.idempotency import content
from tests.conftest import (
    KELURAHAN,
    KELURAHAN_2,
    Api,
    Scene,
    add_member,
    build_scene,
    event_seq,
    iso,
    new_id,
    now_wib,
    person_body,
)


def hours_ago(h: float) -> str:
    return iso(now_wib() - timedelta(hours=h))


def check_in(api: Api, pid: str, **body: Any) -> httpx.Response:
    return api.post(f"/persons/{pid}/check-in", json={"id": new_id(), **body})


def mandiri_body(**over: Any) -> dict[str, Any]:
    return {"kind": "mandiri", "kelurahan_code": KELURAHAN_2, "address": "Rumah kakak, Jl. Gatot Subroto 12", **over}


def stays_of(api: Api, pid: str) -> list[dict[str, Any]]:
    r = api.get(f"/persons/{pid}/stays")
    assert r.status_code == 200, r.text
    return r.json()


def refused(api: Api, scene: Scene, pid: str, send: Any, field: str, *, ours: bool = True) -> None:
    """A 422 naming `field` (with our own message, Indonesian first, unless it is the schema's enumeration
    check), and nothing written: data_seq and the person's stays unchanged."""
    seq, stays = event_seq(api, scene.eid), stays_of(api, pid)
    r = send()
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    entry = next(e for e in detail if field in e["loc"])
    if ours:
        assert entry["msg"].rstrip().endswith(")") and "(" in entry["msg"], entry  # "Indonesian (English)"
    assert event_seq(api, scene.eid) == seq
    assert stays_of(api, pid) == stays


# ---------------------------------------------------------------- check-in, transfer, check-out


def test_check_in_mandiri_opens_a_stay_without_a_shelter(admin: Api) -> None:
    scene = build_scene(admin)
    p = scene.person(household_id=scene.household["id"])
    at = hours_ago(5)
    r = check_in(admin, p["id"], **mandiri_body(at=at))
    assert r.status_code == 201, r.text
    stay = r.json()
    assert (stay["kind"], stay["shelter_id"], stay["kelurahan_code"], stay["check_out"]) == (
        "mandiri", None, KELURAHAN_2, None)
    assert stay["address"] == "Rumah kakak, Jl. Gatot Subroto 12"
    assert r.headers["X-Data-Seq"] == str(event_seq(admin, scene.eid))
    person = admin.get(f"/persons/{p['id']}").json()
    assert (person["displacement"], person["shelter_id"], person["stay_kind"]) == ("mengungsi", None, "mandiri")


def test_checking_in_mandiri_again_at_the_same_place_changes_nothing(admin: Api) -> None:
    scene = build_scene(admin)
    p = scene.person()
    first = check_in(admin, p["id"], **mandiri_body(at=hours_ago(5)))
    assert first.status_code == 201, first.text
    seq = event_seq(admin, scene.eid)
    again = check_in(admin, p["id"], **mandiri_body(at=hours_ago(4)))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert event_seq(admin, scene.eid) == seq
    elsewhere = check_in(admin, p["id"], **mandiri_body(kelurahan_code=KELURAHAN, at=hours_ago(3)))
    assert elsewhere.status_code == 201, elsewhere.text  # moved to other relatives: a transfer
    assert [(s["kind"], s["kelurahan_code"], s["check_out"] is None) for s in stays_of(admin, p["id"])] == [
        ("mandiri", KELURAHAN_2, False), ("mandiri", KELURAHAN, True)]


def test_transfers_between_a_shelter_and_mandiri_close_the_open_stay(admin: Api) -> None:
    scene = build_scene(admin)
    p = scene.person(shelter_id=scene.shelter["id"], registered_at=hours_ago(10))
    to_relatives = check_in(admin, p["id"], **mandiri_body(at=hours_ago(6)))
    assert to_relatives.status_code == 201, to_relatives.text
    back = check_in(admin, p["id"], shelter_id=scene.shelter["id"], at=hours_ago(2))
    assert back.status_code == 201, back.text
    assert back.json()["kind"] == "shelter" and back.json()["kelurahan_code"] == scene.shelter["kelurahan_code"]
    stays = stays_of(admin, p["id"])
    assert [s["kind"] for s in stays] == ["shelter", "mandiri", "shelter"]
    assert stays[0]["check_out"] == stays[1]["check_in"] and stays[1]["check_out"] == stays[2]["check_in"]
    assert stays[0]["kelurahan_code"] == scene.shelter["kelurahan_code"]


def test_check_out_closes_a_mandiri_stay_and_then_there_is_none_open(admin: Api) -> None:
    scene = build_scene(admin)
    p = scene.person(mandiri={"kelurahan_code": KELURAHAN_2}, registered_at=hours_ago(8))
    r = admin.post(f"/persons/{p['id']}/check-out", json={"id": new_id(), "at": hours_ago(1)})
    assert r.status_code == 200, r.text
    assert (r.json()["kind"], r.json()["kelurahan_code"]) == ("mandiri", KELURAHAN_2)
    assert r.json()["check_out"] is not None
    assert admin.get(f"/persons/{p['id']}").json()["displacement"] == "kembali"
    again = admin.post(f"/persons/{p['id']}/check-out", json={"id": new_id()})
    assert again.status_code == 409, again.text


def test_bad_mandiri_check_ins_are_422_naming_the_field(admin: Api) -> None:
    scene = build_scene(admin)
    p = scene.person()
    pid = p["id"]
    refused(admin, scene, pid, lambda: check_in(admin, pid, kind="mandiri"), "kelurahan_code")
    refused(admin, scene, pid, lambda: check_in(admin, pid, **mandiri_body(shelter_id=scene.shelter["id"])),
            "shelter_id")
    refused(admin, scene, pid, lambda: check_in(admin, pid, **mandiri_body(kelurahan_code="12.75.09.9999")),
            "kelurahan_code")
    refused(admin, scene, pid, lambda: check_in(admin, pid), "shelter_id")
    refused(admin, scene, pid, lambda: check_in(admin, pid, shelter_id=scene.shelter["id"], address="Jl. X"),
            "address")
    refused(admin, scene, pid, lambda: check_in(admin, pid, kind="tenda", kelurahan_code=KELURAHAN), "kind",
            ours=False)


def test_a_relawan_member_records_mandiri_stays_and_pengamat_may_not(admin: Api, relawan: Api,
                                                                     pengamat: Api) -> None:
    scene = build_scene(admin)
    assert relawan.user_id is not None
    add_member(admin, scene.eid, relawan.user_id)
    p = scene.person()
    assert check_in(relawan, p["id"], **mandiri_body()).status_code == 201
    assert check_in(pengamat, p["id"], **mandiri_body()).status_code == 403


# ---------------------------------------------------------------- persons registered as mandiri


def test_a_person_created_with_mandiri_opens_a_mandiri_stay_at_registration(admin: Api) -> None:
    scene = build_scene(admin)
    body = person_body(household_id=scene.household["id"], registered_at=hours_ago(7),
                       mandiri={"kelurahan_code": KELURAHAN_2, "address": "Rumah mertua"})
    r = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["displacement"], r.json()["shelter_id"], r.json()["stay_kind"]) == ("mengungsi", None, "mandiri")
    replay = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json()["stay_kind"] == "mandiri"
    stays = stays_of(admin, body["id"])
    assert [(s["kind"], s["kelurahan_code"], s["address"], s["check_in"]) for s in stays] == [
        ("mandiri", KELURAHAN_2, "Rumah mertua", r.json()["registered_at"])]


def test_a_person_with_both_a_shelter_and_mandiri_is_422_naming_mandiri(admin: Api) -> None:
    scene = build_scene(admin)
    seq = event_seq(admin, scene.eid)
    r = admin.post(f"/events/{scene.eid}/persons",
                   json=person_body(shelter_id=scene.shelter["id"], mandiri={"kelurahan_code": KELURAHAN_2}))
    assert r.status_code == 422, r.text
    assert any("mandiri" in e["loc"] for e in r.json()["detail"])
    bad_code = admin.post(f"/events/{scene.eid}/persons",
                          json=person_body(mandiri={"kelurahan_code": "12.75.09.9999"}))
    assert bad_code.status_code == 422, bad_code.text
    assert any("kelurahan_code" in e["loc"] for e in bad_code.json()["detail"])
    assert event_seq(admin, scene.eid) == seq


def test_requests_without_mandiri_fields_keep_their_fingerprint() -> None:
    """A shelter check-in or person create queued on a phone before mandiri stays existed must still be
    recognised as the same content: the new fields at their defaults are not part of it."""
    assert content(CheckIn(shelter_id="s1"), TIME_DEFAULTS) == {"shelter_id": "s1", "at": None}
    person = PersonCreate(full_name="Siti", sex="P")
    assert "mandiri" not in content(person, TIME_DEFAULTS)
    mandiri = content(CheckIn(kind="mandiri", kelurahan_code=KELURAHAN), TIME_DEFAULTS)
    assert mandiri == {"kind": "mandiri", "shelter_id": None, "kelurahan_code": KELURAHAN, "at": None}


# ---------------------------------------------------------------- meals to households and persons


def test_meals_to_a_household_or_person_are_accepted_without_a_shelter(admin: Api) -> None:
    scene = build_scene(admin)
    p = scene.person(household_id=scene.household["id"], mandiri={"kelurahan_code": KELURAHAN_2},
                     registered_at=hours_ago(20))
    for recipient in ({"household_id": scene.household["id"]}, {"person_id": p["id"]}):
        r = admin.post(f"/events/{scene.eid}/distributions",
                       json={"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 3,
                             "delivered_at": hours_ago(1), **recipient})
        assert r.status_code == 201, r.text
    seq = event_seq(admin, scene.eid)
    nobody = admin.post(f"/events/{scene.eid}/distributions",
                        json={"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 3})
    assert nobody.status_code == 422, nobody.text
    assert any("shelter_id" in e["loc"] for e in nobody.json()["detail"])
    assert event_seq(admin, scene.eid) == seq


def test_status_counts_mandiri_persons_and_their_household_meals(admin: Api) -> None:
    """The snapshot: displaced now split into shelter residents and mandiri persons, per kelurahan;
    tempat_penampungan only for the resident; meals required for everyone present, and meals delivered
    to the household (no shelter) counted as delivered."""
    scene = build_scene(admin)
    hid = scene.household["id"]
    for i in range(2):
        scene.person(household_id=hid, full_name=f"Anggota {i}", registered_at=hours_ago(30),
                     mandiri={"kelurahan_code": KELURAHAN_2})
    scene.person(shelter_id=scene.shelter["id"], registered_at=hours_ago(30))
    status = admin.get(f"/events/{scene.eid}/status").json()
    people = status["people"]
    assert (people["displaced_now"], people["in_shelters_now"], people["mandiri_now"]) == (3, 1, 2)
    assert {r["kelurahan_code"]: (r["in_shelters_now"], r["mandiri_now"]) for r in people["staying_by_kelurahan"]} == {
        scene.shelter["kelurahan_code"]: (1, 0), KELURAHAN_2: (0, 2)}
    assert status["indicator"]["eligible"] == 3
    assert status["indicator"]["services"]["tempat_penampungan"] == {"eligible": 1, "fulfilled": 1}
    meals = next(n for n in status["needs"] if n["item_code"] == "makanan_siap_saji")
    assert meals["required"] >= 3 * 3  # 30 hours hold at least three meal times, for all three
    assert meals["required"] % 3 == 0
    r = admin.post(f"/events/{scene.eid}/distributions",
                   json={"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 4, "household_id": hid,
                         "delivered_at": hours_ago(2)})
    assert r.status_code == 201, r.text
    after = next(n for n in admin.get(f"/events/{scene.eid}/status").json()["needs"]
                 if n["item_code"] == "makanan_siap_saji")
    assert after["delivered"] == meals["delivered"] + 4


def test_the_report_shows_shelter_residents_and_mandiri_persons_side_by_side(admin: Api) -> None:
    scene = build_scene(admin)
    scene.person(household_id=scene.household["id"], mandiri={"kelurahan_code": KELURAHAN_2},
                 registered_at=hours_ago(3))
    scene.person(shelter_id=scene.shelter["id"], registered_at=hours_ago(3))
    report = admin.get(f"/events/{scene.eid}/report").json()
    people = report["people"]
    assert (people["in_shelters_now"], people["mandiri_now"]) == (1, 1)
    staying = {r["kelurahan_code"]: r for r in people["displaced_by_kelurahan"]}
    assert people["staying_by_kelurahan"] == admin.get(f"/events/{scene.eid}/status").json()["people"][
        "staying_by_kelurahan"]
    assert (staying[KELURAHAN]["in_shelters_now"], staying[KELURAHAN_2]["mandiri_now"]) == (1, 1)
    origin = {r["kelurahan_code"]: r for r in people["by_kelurahan"]}
    assert (origin[KELURAHAN]["in_shelters_now"], origin[KELURAHAN]["mandiri_now"]) == (0, 1)  # the household's
    assert report["shelters"][0]["occupants"] == 1
    text = admin.get(f"/events/{scene.eid}/report", params={"format": "csv"}).text
    assert "people_displaced_by_kelurahan" in text and "Mengungsi mandiri" in text
    rows = list(csv.reader(io.StringIO(text)))
    at = rows.index(["section:people_displaced_by_kelurahan"])
    heading, *section = rows[at + 1:at + 1 + len(people["displaced_by_kelurahan"]) + 1]
    assert heading == ["kelurahan_code", "kelurahan_name", "kecamatan_name", "in_shelters_now", "mandiri_now"]
    assert [KELURAHAN_2, "1"] == [next(r for r in section if r[0] == KELURAHAN_2)[i] for i in (0, 4)]
    pdf = admin.get(f"/events/{scene.eid}/report", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# ---------------------------------------------------------------- /sync


def rec(type_: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "event_id": event_id, "data": data}


def test_sync_records_mirror_the_mandiri_writes(admin: Api, database: Database) -> None:
    scene = build_scene(admin)
    eid, hid = scene.eid, scene.household["id"]
    pid, moved, back, meals_id = new_id(), new_id(), new_id(), new_id()
    records = [
        rec("person", eid, person_body(id=pid, household_id=hid, registered_at=hours_ago(30),
                                       mandiri={"kelurahan_code": KELURAHAN_2})),
        rec("check_in", eid, {"id": moved, "person_id": pid, "shelter_id": scene.shelter["id"], "at": hours_ago(20)}),
        rec("check_in", eid, {"id": back, "person_id": pid, "kind": "mandiri", "kelurahan_code": KELURAHAN,
                              "address": "Rumah paman", "at": hours_ago(10)}),
        rec("distribution", eid, {"id": meals_id, "item_code": "makanan_siap_saji", "quantity": 6,
                                  "household_id": hid, "delivered_at": hours_ago(9)}),
        rec("check_in", eid, {"id": new_id(), "person_id": pid, "kind": "mandiri", "at": hours_ago(5)}),
        rec("check_in", eid, {"id": new_id(), "person_id": pid, "kind": "mandiri", "kelurahan_code": KELURAHAN_2,
                              "shelter_id": scene.shelter["id"], "at": hours_ago(5)}),
    ]
    r = admin.post("/sync", json={"records": records})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created"] * 4 + ["invalid", "invalid"], results
    assert results[4]["error"].startswith("kelurahan_code: ")
    assert results[5]["error"].startswith("shelter_id: ")
    with read_unit(database) as s:
        stays = sorted(s.query(Stay).filter(Stay.person_id == pid).all(), key=lambda st: st.check_in)
        assert [(st.kind, st.shelter_id is None, st.kelurahan_code) for st in stays] == [
            ("mandiri", True, KELURAHAN_2), ("shelter", False, scene.shelter["kelurahan_code"]),
            ("mandiri", True, KELURAHAN)]
        assert [st.kind for st in stays] == ["mandiri", "shelter", "mandiri"]
        assert [st.check_out is None for st in stays] == [False, False, True]
        assert stays[2].address == "Rumah paman"
    again = admin.post("/sync", json={"records": records[:4]})
    assert [x["status"] for x in again.json()["results"]] == ["duplicate"] * 4
