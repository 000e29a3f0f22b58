"""The event's audit tab in plain Indonesian (docs/api.md, "Event audit"): each row names the actor by name,
says what was done in Indonesian and names the object (person, household, shelter, stay, service,
distribution, volunteer) — on SQLite and PostgreSQL; the stored fields stay as they were."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Scene, add_member, new_id, person_body, shelter_body


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def test_audit_rows_name_actors_and_objects_in_indonesian(scene: Scene, admin: Api, posko: Api, relawan: Api,
                                                          pengamat: Api) -> None:
    eid = scene.eid
    person = scene.person(full_name="Siti Rahmawati", shelter_id=scene.shelter["id"], household_id=scene.household["id"])
    ok(posko.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "makanan_siap_saji",
                                                        "quantity": 1500, "shelter_id": scene.shelter["id"]}), 201)
    ok(posko.post(f"/events/{eid}/services", json={"id": new_id(), "person_id": person["id"], "kind": "psikososial"}), 201)
    add_member(admin, eid, relawan.user_id or 0)
    mosque = ok(admin.post(f"/events/{eid}/shelters", json=shelter_body(name="Masjid Raya Binjai")), 201)
    ok(admin.post(f"/persons/{person['id']}/check-in", json={"id": new_id(), "shelter_id": mosque["id"]}), 201)
    ok(admin.get(f"/events/{eid}/unmet"))
    rows = ok(admin.get(f"/events/{eid}/audit", params={"limit": 100}))["items"]
    said = {(r["actor_name"], r["action_label"], r["object_label"]) for r in rows}
    assert ("Uji Admin", "membuka kejadian", "Banjir Binjai Timur") in said
    assert ("Uji Admin", "membuka tempat penampungan", "SD Negeri 020 Binjai") in said
    assert ("Uji Admin", "mendaftarkan keluarga", "keluarga Ahmad Siregar") in said
    assert ("Uji Admin", "mendaftarkan orang", "Siti Rahmawati") in said
    assert ("Uji Admin", "mencatat pindah tempat", "Siti Rahmawati (Masjid Raya Binjai)") in said
    assert any(r[:2] == ("Uji Posko", "mencatat penyaluran") and r[2].startswith("1.500 porsi ") for r in said)
    assert ("Uji Posko", "mencatat layanan", "dukungan psikososial untuk Siti Rahmawati") in said
    assert ("Uji Admin", "menugaskan relawan", "Uji Relawan") in said
    assert ("Uji Admin", "membuka daftar belum terpenuhi", "Banjir Binjai Timur") in said
    for r in rows:  # the stored fields stay beside the words
        assert {"id", "at", "actor_id", "actor_username", "action", "object_type", "object_id"} <= set(r)
        assert r["object_kind"] and "." not in r["action_label"]
    for other in (posko, relawan, pengamat):
        assert other.get(f"/events/{eid}/audit").status_code == 403


def test_a_gone_object_has_no_label_but_keeps_its_id(scene: Scene, admin: Api) -> None:
    body = person_body(full_name="Hamdan Lubis")
    ok(admin.post(f"/events/{scene.eid}/persons", json=body), 201)
    ok(admin.post(f"/persons/{body['id']}/anonymise"), 200)
    rows = ok(admin.get(f"/events/{scene.eid}/audit", params={"object_id": body["id"]}))["items"]
    assert rows and all(r["object_label"] in ("Anonim", None) for r in rows)
    assert {r["action_label"] for r in rows} >= {"mendaftarkan orang", "menganonimkan orang"}
