"""A second registration of a NIK names the person already registered (issue 11, section 1): the 409
of a person create or patch and the `conflict` of a /sync record carry `existing` {person_id,
full_name, event, household, shelter} for roles that may see names, with an Indonesian message; and a
household sent in the same batch whose every member was already registered is not left behind empty.
The answer: shared/services/nik_conflicts.py; the household rule: shared/services/field_records.py."""

from __future__ import annotations

from typing import Any

from shared.db import Database
from shared.domain.access import Actor
from shared.models import Household, Person
from shared.services.nik_conflicts import NIK_TAKEN, nik_taken
from tests.conftest import Api, Scene, add_member, count, fresh_nik, household_body, new_id, person_body


def registered(scene: Scene, nik: str) -> dict[str, Any]:
    """Siti Rahmawati, in the scene's household and shelter."""
    return scene.person(full_name="Siti Rahmawati", sex="P", nik=nik, household_id=scene.household["id"],
                        shelter_id=scene.shelter["id"])


def expected_existing(scene: Scene, person: dict[str, Any]) -> dict[str, Any]:
    return {"person_id": person["id"], "full_name": "Siti Rahmawati", "event_id": scene.eid,
            "event_name": scene.event["name"], "household_id": scene.household["id"],
            "household_head_name": scene.household["head_name"], "shelter_id": scene.shelter["id"],
            "shelter_name": scene.shelter["name"]}


def sync(api: Api, records: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    r = api.post("/sync", json={"records": [{"type": t, "event_id": e, "data": d} for t, e, d in records]})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_409_names_the_person_already_registered(scene: Scene, admin: Api, database: Database) -> None:
    nik = fresh_nik(female=True)
    siti = registered(scene, nik)
    r = admin.post(f"/events/{scene.eid}/persons", json=person_body(full_name="Siti Rahmawaty", nik=nik))
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["detail"].startswith("NIK sudah terdaftar di kejadian ini atas nama Siti Rahmawati")
    assert scene.shelter["name"] in body["detail"] and "(a person with this NIK" in body["detail"]
    assert body["existing"] == expected_existing(scene, siti)
    assert nik not in r.text  # the sender typed it; the answer never repeats it
    assert count(database, Person, event_id=scene.eid) == 1


def test_409_for_a_relawan_member_names_the_person_too(scene: Scene, admin: Api, relawan: Api) -> None:
    add_member(admin, scene.eid, relawan.user_id)  # type: ignore[arg-type]
    nik = fresh_nik(female=True)
    siti = registered(scene, nik)
    r = relawan.post(f"/events/{scene.eid}/persons", json=person_body(nik=nik))
    assert r.status_code == 409, r.text
    assert r.json()["existing"] == expected_existing(scene, siti)


def test_sync_conflict_names_the_person_stored_or_earlier_in_the_batch(scene: Scene, admin: Api) -> None:
    nik = fresh_nik(female=True)
    siti = registered(scene, nik)
    # Another NIK registered earlier in the same batch, in a new household and shelter of that batch.
    nik2 = fresh_nik()
    hh = household_body(head_name="Rudi Ginting")
    first = person_body(full_name="Rudi Ginting", sex="L", nik=nik2, household_id=hh["id"],
                        shelter_id=scene.shelter["id"])
    results = sync(admin, [
        ("person", scene.eid, person_body(full_name="Siti R.", nik=nik)),
        ("household", scene.eid, hh),
        ("person", scene.eid, first),
        ("person", scene.eid, person_body(full_name="Rudy Ginting", sex="L", nik=nik2, household_id=hh["id"])),
    ])
    assert [r["status"] for r in results] == ["conflict", "created", "created", "conflict"]
    assert results[0]["existing"] == expected_existing(scene, siti)
    assert results[0]["error"].startswith("NIK sudah terdaftar di kejadian ini atas nama Siti Rahmawati")
    assert results[3]["existing"] == {
        "person_id": first["id"], "full_name": "Rudi Ginting", "event_id": scene.eid,
        "event_name": scene.event["name"], "household_id": hh["id"], "household_head_name": "Rudi Ginting",
        "shelter_id": scene.shelter["id"], "shelter_name": scene.shelter["name"]}
    assert "existing" not in results[1] and "existing" not in results[2]


def test_patch_to_a_taken_nik_is_409_naming_the_person(scene: Scene, admin: Api) -> None:
    nik = fresh_nik(female=True)
    siti = registered(scene, nik)
    other = scene.person(full_name="Sri Wahyuni", sex="P")
    r = admin.patch(f"/persons/{other['id']}", json={"nik": nik})
    assert r.status_code == 409, r.text
    assert r.json()["existing"] == expected_existing(scene, siti)
    assert admin.get(f"/persons/{other['id']}").json()["nik"] is None


def test_roles_that_may_not_see_names_learn_nothing_personal() -> None:
    """Pengamat may not write at all (403 before any NIK is looked at); should a role without names ever
    meet a NIK conflict, the answer names nobody."""
    existing = {"person_id": "p", "full_name": "Siti Rahmawati", "event_id": "e", "event_name": "Banjir",
                "household_id": None, "household_head_name": None, "shelter_id": None, "shelter_name": None}
    hidden = nik_taken(Actor(id=9, username="o", role="pengamat"), existing)
    assert hidden.existing is None and hidden.message == NIK_TAKEN and "Siti" not in hidden.message
    shown = nik_taken(Actor(id=8, username="r", role="relawan"), existing)
    assert shown.existing == existing and "Siti Rahmawati" in shown.message
    assert "tidak di tempat penampungan" in shown.message


def test_pengamat_writing_a_taken_nik_is_403_without_names(scene: Scene, pengamat: Api) -> None:
    nik = fresh_nik(female=True)
    registered(scene, nik)
    r = pengamat.post(f"/events/{scene.eid}/persons", json=person_body(nik=nik))
    assert r.status_code == 403 and "Siti" not in r.text
    result = sync(pengamat, [("person", scene.eid, person_body(nik=nik))])[0]
    assert result["status"] == "forbidden" and "existing" not in result and "Siti" not in (result["error"] or "")


def test_a_household_whose_every_member_was_registered_is_not_created(scene: Scene, admin: Api,
                                                                        database: Database) -> None:
    nik = fresh_nik(female=True)
    registered(scene, nik)
    households = count(database, Household, event_id=scene.eid)
    hh = household_body(head_name="Siti Rahmawati")
    results = sync(admin, [("household", scene.eid, hh),
                           ("person", scene.eid, person_body(full_name="Siti Rahmawati", nik=nik,
                                                             household_id=hh["id"]))])
    assert [r["status"] for r in results] == ["conflict", "conflict"]
    assert results[0]["error"].startswith("keluarga tidak dibuat: semua anggotanya sudah terdaftar")
    assert results[1]["existing"]["full_name"] == "Siti Rahmawati"
    assert count(database, Household, event_id=scene.eid) == households
    assert admin.get(f"/events/{scene.eid}/households/{hh['id']}").status_code == 404
    # The id stays free: sent again with a new member, the family is created under it.
    again = sync(admin, [("household", scene.eid, hh),
                         ("person", scene.eid, person_body(full_name="Bayu", sex="L", household_id=hh["id"]))])
    assert [r["status"] for r in again] == ["created", "created"]
    assert count(database, Household, event_id=scene.eid) == households + 1


def test_a_household_with_one_new_member_or_other_records_is_kept(scene: Scene, admin: Api,
                                                                 database: Database) -> None:
    nik = fresh_nik(female=True)
    registered(scene, nik)
    mixed = household_body(head_name="Keluarga Campur")
    newcomer = person_body(full_name="Bayu Lubis", sex="L", household_id=mixed["id"])
    results = sync(admin, [("household", scene.eid, mixed),
                           ("person", scene.eid, person_body(nik=nik, household_id=mixed["id"])),
                           ("person", scene.eid, newcomer)])
    assert [r["status"] for r in results] == ["created", "conflict", "created"]
    assert admin.get(f"/persons/{newcomer['id']}").json()["household_id"] == mixed["id"]
    # A member refused for another reason may come back fixed: the household stays.
    waiting = household_body(head_name="Keluarga Menunggu")
    results = sync(admin, [("household", scene.eid, waiting),
                           ("person", scene.eid, person_body(nik=nik, household_id=waiting["id"])),
                           ("person", scene.eid, person_body(birth_date="1850-01-01", household_id=waiting["id"]))])
    assert [r["status"] for r in results] == ["created", "conflict", "invalid"]
    # Aid recorded for the household in the same batch keeps it too.
    helped = household_body(head_name="Keluarga Dibantu")
    results = sync(admin, [("household", scene.eid, helped),
                           ("person", scene.eid, person_body(nik=nik, household_id=helped["id"])),
                           ("distribution", scene.eid, {"id": new_id(), "item_code": "selimut", "quantity": 2,
                                                        "household_id": helped["id"]})])
    assert [r["status"] for r in results] == ["created", "conflict", "created"], results
    for hh in (mixed, waiting, helped):
        assert count(database, Household, id=hh["id"]) == 1
