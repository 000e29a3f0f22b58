"""GET /persons/matches: find before register (issue 11, section 1), on SQLite and PostgreSQL.

Ranked candidates with reasons across every event the caller may see; a relawan only their member
events; pengamat 403; at least one of nik or name (422 naming nik); Indonesian messages; audited
without the typed values; anonymised persons never candidates; keys follow creates (single and
/sync) and corrections."""

from __future__ import annotations

from typing import Any

from shared.db import Database
from shared.models import PersonMatchKey
from tests.api.helpers import locs
from tests.api.test_personal_data import audit_rows
from tests.api.test_roles_privacy import distinct_name
from tests.conftest import KELURAHAN, Api, Scene, add_member, build_scene, count, new_id, person_body

CONTRACT = {"person_id", "event_id", "full_name", "birth_date", "sex", "household_id", "shelter_id", "shelter_name",
            "kelurahan_code", "score", "reasons"}
REASONS = {"nik", "nik_birth_sex", "name_fuzzy", "name_phonetic", "birth_date", "kelurahan"}


def nik_for(day: int, month: int, yy: int, female: bool, serial: int) -> str:
    return f"327301{day + (40 if female else 0):02d}{month:02d}{yy:02d}{serial:04d}"


def register(scene: Scene, name: str, **over: Any) -> dict[str, Any]:
    body = {"household_id": scene.household["id"], "shelter_id": scene.shelter["id"], "full_name": name, **over}
    return scene.person(**body)


def matches(api: Api, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/persons/matches", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_ranked_candidates_with_reasons(admin: Api) -> None:
    scene = build_scene(admin)
    base = distinct_name("Siti Rahmawati")
    suffix = base.split()[-1]
    nik = nik_for(5, 5, 90, True, 7001)
    target = register(scene, base, birth_date="1990-05-05", sex="P", nik=nik)
    no_date = register(scene, base, birth_date=None, age_years=30, sex="P")
    namesake = register(scene, base, birth_date="1968-02-01", sex="P")
    # the same birth date and nothing else: no household, no shelter, so no kelurahan either. With the scene's
    # kelurahan, birth date and kelurahan score just under the 0.5 candidate floor, and the two random name
    # suffixes looked alike enough to lift 157 of 20,000 simulated pairs over it (score 0.505): a flaky test
    # (it failed once in CI on PostgreSQL)
    other = scene.person(full_name=distinct_name("Rina br Sitepu"), birth_date="1990-05-05", sex="P")

    found = matches(admin, name=f"Hj. St. Rachmawati {suffix}", birth_date="1990-05-05", sex="P",
                    kelurahan_code=KELURAHAN, event_id=scene.eid)
    ids = [m["person_id"] for m in found]
    assert ids[:2] == [target["id"], no_date["id"]]
    assert namesake["id"] not in ids and other["id"] not in ids
    first = found[0]
    assert set(first) == CONTRACT
    assert first["reasons"] == ["nik_birth_sex", "name_fuzzy", "name_phonetic", "birth_date", "kelurahan"]
    assert (first["event_id"], first["household_id"], first["shelter_id"], first["shelter_name"],
            first["kelurahan_code"], first["birth_date"], first["sex"], first["full_name"]) == (
        scene.eid, scene.household["id"], scene.shelter["id"], scene.shelter["name"], KELURAHAN, "1990-05-05", "P",
        base)
    scores = [m["score"] for m in found]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert all(set(m["reasons"]) <= REASONS for m in found)

    by_nik = matches(admin, nik=nik)
    assert [m["person_id"] for m in by_nik] == [target["id"]]
    assert by_nik[0]["reasons"][0] == "nik" and by_nik[0]["score"] >= 0.9


def test_twin_is_offered_below_the_typed_person_not_as_them(admin: Api) -> None:
    scene = build_scene(admin)
    family = distinct_name("Lubis").split()[-1]
    hasan = register(scene, f"Muhammad Hasan {family}", birth_date="2015-06-01", sex="L")
    husein = register(scene, f"Muhammad Husein {family}", birth_date="2015-06-01", sex="L")
    found = matches(admin, name=f"M. Hasan {family}", birth_date="2015-06-01", event_id=scene.eid)
    assert found[0]["person_id"] == hasan["id"]
    twin = [m for m in found if m["person_id"] == husein["id"]]
    assert not twin or twin[0]["score"] < 0.75


def test_across_the_events_the_caller_may_see(admin: Api, make_api: Any) -> None:
    a, b = build_scene(admin), build_scene(admin)
    name = distinct_name("Joko Susilo")
    in_a = register(a, name, birth_date="1975-03-04", sex="L")
    in_b = register(b, name.replace("Joko", "Djoko"), birth_date="1975-03-04", sex="L")
    everywhere = matches(admin, name=name, birth_date="1975-03-04")
    assert {m["person_id"] for m in everywhere} == {in_a["id"], in_b["id"]}
    assert {m["event_id"] for m in everywhere} == {a.eid, b.eid}
    only_b = matches(admin, name=name, birth_date="1975-03-04", event_id=b.eid)
    assert [m["person_id"] for m in only_b] == [in_b["id"]]

    relawan = make_api("relawan")
    add_member(admin, a.eid, relawan.user_id)
    seen = matches(relawan, name=name, birth_date="1975-03-04")
    assert [m["person_id"] for m in seen] == [in_a["id"]]  # not the person of an event they are not in
    assert all("nik" not in m for m in seen)  # no NIK field at all (masked by absence)
    assert relawan.get("/persons/matches", params={"name": name, "event_id": b.eid}).status_code == 404


def test_relawan_never_sees_a_nik_and_pengamat_is_refused(admin: Api, make_api: Any, pengamat: Api) -> None:
    scene = build_scene(admin)
    nik = nik_for(9, 9, 99, False, 7002)
    person = register(scene, distinct_name("Rudi Ginting"), birth_date="1999-09-09", sex="L", nik=nik)
    relawan = make_api("relawan")
    add_member(admin, scene.eid, relawan.user_id)
    r = relawan.get("/persons/matches", params={"nik": nik})
    assert r.status_code == 200 and [m["person_id"] for m in r.json()] == [person["id"]]
    assert nik not in r.text
    refused = pengamat.get("/persons/matches", params={"nik": nik})
    assert refused.status_code == 403
    assert "pengamat" in refused.json()["detail"]


def test_validation_names_the_field_in_indonesian(admin: Api) -> None:
    r = admin.get("/persons/matches", params={"birth_date": "1990-01-01"})
    assert locs(r) == [["query", "nik"]]
    assert "NIK atau nama" in r.json()["detail"][0]["msg"]
    r = admin.get("/persons/matches", params={"nik": "12345"})
    assert locs(r) == [["query", "nik"]] and "16 digit" in r.json()["detail"][0]["msg"]
    r = admin.get("/persons/matches", params={"name": "Siti", "birth_date": "01-02-1990"})
    assert locs(r) == [["query", "birth_date"]] and "tanggal lahir" in r.json()["detail"][0]["msg"]
    r = admin.get("/persons/matches", params={"name": "Siti", "sex": "X"})
    assert locs(r) == [["query", "sex"]] and "jenis kelamin" in r.json()["detail"][0]["msg"]
    assert locs(admin.get("/persons/matches", params={"name": "Siti", "limit": 0})) == [["query", "limit"]]
    assert admin.get("/persons/matches", params={"name": "Siti", "event_id": new_id()}).status_code == 404


def test_every_search_is_audited_without_what_was_typed(admin: Api, database: Database) -> None:
    scene = build_scene(admin)
    name = distinct_name("Nurhayati")
    nik = nik_for(1, 2, 88, True, 7003)
    register(scene, name, birth_date="1988-02-01", sex="P", nik=nik)
    found = matches(admin, nik=nik, name=name, event_id=scene.eid)
    assert len(found) == 1
    rows = [r for r in audit_rows(database, action="person.match", actor_id=admin.user_id)
            if r.event_id == scene.eid]
    assert len(rows) == 1
    row = rows[0]
    assert (row.object_type, row.object_id, row.row_count, row.detail) == ("event", scene.eid, 1,
                                                                          "match=nik+name+event_id")
    assert nik not in str(row.detail) and name.split()[-1] not in str(row.detail)
    matches(admin, name=distinct_name("Tidak Ada"))
    across = audit_rows(database, action="person.match", actor_id=admin.user_id)[-1]
    assert (across.object_id, across.event_id, across.row_count, across.detail) == ("*", None, 0, "match=name")


def test_anonymised_persons_are_never_candidates(admin: Api, database: Database) -> None:
    scene = build_scene(admin)
    name = distinct_name("Zainal Abidin")
    person = register(scene, name, birth_date="1960-01-02", sex="L")
    assert [m["person_id"] for m in matches(admin, name=name)] == [person["id"]]
    assert admin.post(f"/persons/{person['id']}/anonymise").status_code == 200
    assert matches(admin, name=name) == []
    assert matches(admin, name="Anonim", event_id=scene.eid) == []
    assert count(database, PersonMatchKey, person_id=person["id"]) == 0


def test_keys_follow_a_correction(admin: Api) -> None:
    scene = build_scene(admin)
    old, new = distinct_name("Sugeng Riyadi"), distinct_name("Slamet Raharjo")
    person = register(scene, old, birth_date="1970-07-07", sex="L")
    r = admin.patch(f"/persons/{person['id']}", json={"full_name": new}, headers={"If-Match": "1"})
    assert r.status_code == 200, r.text
    assert matches(admin, name=old, event_id=scene.eid) == []
    assert [m["person_id"] for m in matches(admin, name=new, event_id=scene.eid)] == [person["id"]]


def test_persons_sent_through_sync_are_found(admin: Api) -> None:
    scene = build_scene(admin)
    name = distinct_name("Tiurma br Sinaga")
    pid = new_id()
    body = person_body(id=pid, full_name=name, birth_date="2001-03-04", household_id=scene.household["id"])
    r = admin.post("/sync", json={"records": [{"type": "person", "event_id": scene.eid, "data": body}]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "created", r.text
    found = matches(admin, name=name.replace(" br ", " boru "), birth_date="2001-03-04")
    assert [m["person_id"] for m in found] == [pid]
    assert found[0]["shelter_id"] is None and found[0]["kelurahan_code"] == KELURAHAN
