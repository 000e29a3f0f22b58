"""Tracing requests (issue 15): lifecycle, idempotency, validation, roles, matching before and after the
registration, on SQLite and PostgreSQL. The worker's pass is called directly (tests/worker covers the
real worker process)."""

from __future__ import annotations

from typing import Any

from shared.db import Database, write_unit
from shared.models import TracingRequest
from shared.services.tracing_matching import GRACE, PassResult, RecentlyMatched, match_pass
from tests.api.helpers import locs
from tests.api.test_personal_data import audit_rows
from tests.api.test_roles_privacy import distinct_name
from tests.conftest import KELURAHAN, Api, add_member, build_scene, count, new_id


def sought(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": new_id(), "full_name": distinct_name("Siti Rahmawati"), "sex": "P", "birth_date": "1990-05-05",
        "kelurahan_code": KELURAHAN, "address": "Jl. Sudirman No. 5", "last_seen_at": "2026-12-01T10:00:00+07:00",
        "last_seen_place": "Pasar Tavip", "description": "baju merah, tahi lalat di pipi kiri",
        "reporter": {"name": "Ahmad Siregar", "relation": "suami", "phone": "0812-3456-7890",
                     "contact": "Posko Masjid Raya"}}
    body.update(over)
    return body


def file(api: Api, **over: Any) -> dict[str, Any]:
    r = api.post("/tracing", json=sought(**over))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def run_pass(database: Database) -> PassResult:
    with write_unit(database) as uow:
        result = match_pass(uow)
    return result


def settle(database: Database) -> None:
    """Passes until nothing is left (the first pass of a fresh database only sets the cursor)."""
    for _ in range(10):
        if not run_pass(database).more:
            return


def test_create_is_idempotent_and_audited(posko: Api, database: Database) -> None:
    body = sought()
    first = posko.post("/tracing", json=body)
    assert first.status_code == 201, first.text
    data = first.json()
    assert data["status"] == "dicari" and data["version"] == 1 and data["kind"] == "orang"
    assert data["reporter"] == {"name": "Ahmad Siregar", "relation": "suami", "phone": "0812-3456-7890",
                                "contact": "Posko Masjid Raya", "person_id": None, "household_id": None}
    assert data["last_seen_at"] == "2026-12-01T03:00:00+00:00"
    again = posko.post("/tracing", json=body)
    assert again.status_code == 200 and again.json() == data
    other = posko.post("/tracing", json={**body, "description": "lain"})
    assert other.status_code == 409
    assert count(database, TracingRequest, id=body["id"]) == 1
    assert [a.action for a in audit_rows(database, object_id=body["id"])] == ["tracing.create"]


def test_bad_input_names_the_field_and_writes_nothing(posko: Api, database: Database, relawan: Api) -> None:
    cases = [({"full_name": None, "nik": None}, "full_name"), ({"kelurahan_code": "12.75.04.9999"}, "kelurahan_code"),
             ({"reporter": {"phone": "telepon saya"}}, "phone"), ({"nik": "123"}, "nik"),
             ({"age_years": 30}, "age_years"), ({"status": "ditemukan"}, "status"),
             ({"last_seen_at": "2026-12-01T10:00:00"}, "last_seen_at")]
    for over, field in cases:
        body = sought(**over)
        r = posko.post("/tracing", json=body)
        assert any(field in loc for loc in locs(r)), (field, r.text)
        assert "(" in r.json()["detail"][0]["msg"] or r.json()["detail"][0]["type"] != "value_error"
        assert count(database, TracingRequest, id=body["id"]) == 0
    r = relawan.post("/tracing", json=sought())
    assert ["body", "event_id"] in locs(r)


def test_lifecycle_with_versions(posko: Api, database: Database) -> None:
    scene = build_scene(posko)
    found = scene.person(full_name=distinct_name("Rina Sitepu"), shelter_id=scene.shelter["id"])
    req = file(posko, event_id=scene.eid)
    rid = req["id"]
    r = posko.patch(f"/tracing/{rid}", json={"status": "dipertemukan"})
    assert r.status_code == 409 and "dipertemukan" in r.json()["detail"]
    r = posko.patch(f"/tracing/{rid}", json={"status": "ditemukan"})
    assert ["body", "matched_person_id"] in locs(r)
    r = posko.patch(f"/tracing/{rid}", json={"description": "kaos biru"}, headers={"If-Match": '"7"'})
    assert r.status_code == 412
    r = posko.patch(f"/tracing/{rid}", json={"description": "kaos biru"}, headers={"If-Match": "1"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["description"] == "kaos biru"
    r = posko.patch(f"/tracing/{rid}", json={"status": "ditemukan", "matched_person_id": found["id"]},
                    headers={"If-Match": "2"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ditemukan" and r.json()["matched_person_id"] == found["id"] and r.json()["found_at"]
    r = posko.patch(f"/tracing/{rid}", json={"status": "dipertemukan", "reunited_at": "2026-12-05T09:00:00+07:00"})
    assert ["body", "reunited_place"] in locs(r)
    r = posko.patch(f"/tracing/{rid}", json={"status": "dipertemukan", "reunited_at": "2026-12-05T09:00:00+07:00",
                                             "reunited_place": "Masjid Raya Binjai", "reunited_by": "Petugas TAGANA"})
    assert r.status_code == 200 and r.json()["status"] == "dipertemukan", r.text
    assert posko.patch(f"/tracing/{rid}", json={"status": "ditutup", "closed_reason": "x"}).status_code == 409
    actions = [a.action for a in audit_rows(database, object_id=rid)]
    assert actions == ["tracing.create", "tracing.update", "tracing.ditemukan", "tracing.dipertemukan"]
    other = file(posko)
    r = posko.patch(f"/tracing/{other['id']}", json={"status": "ditutup"})
    assert ["body", "closed_reason"] in locs(r)
    r = posko.patch(f"/tracing/{other['id']}", json={"status": "ditutup", "closed_reason": "laporan dicabut"})
    assert r.status_code == 200 and r.json()["closed_reason"] == "laporan dicabut" and r.json()["closed_at"]


def test_role_matrix(admin: Api, posko: Api, pengamat: Api, relawan: Api, make_api: Any) -> None:
    own = build_scene(admin)
    other = build_scene(admin)
    assert relawan.user_id is not None
    add_member(admin, own.eid, relawan.user_id)
    nik = "1275044505900001"
    mine = file(relawan, event_id=own.eid, nik=nik, birth_date="1990-05-05")
    theirs = file(posko, event_id=other.eid)
    office = file(admin)
    # relawan: their member events only, phone and NIK masked
    seen = relawan.get("/tracing", params={"limit": 500}).json()
    ids = {i["id"] for i in seen["items"]}
    assert mine["id"] in ids and theirs["id"] not in ids and office["id"] not in ids
    one = relawan.get(f"/tracing/{mine['id']}").json()
    assert one["reporter"]["phone"] == "**********7890" and one["nik"] == "************0001"
    assert relawan.get(f"/tracing/{theirs['id']}").status_code == 404
    assert relawan.get(f"/tracing/{office['id']}").status_code == 404
    assert relawan.post("/tracing", json=sought(event_id=other.eid)).status_code == 404
    assert relawan.patch(f"/tracing/{theirs['id']}", json={"description": "x"}).status_code == 404
    # posko and admin: everything, unmasked
    for api in (admin, posko):
        full = api.get(f"/tracing/{mine['id']}").json()
        assert full["reporter"]["phone"] == "0812-3456-7890" and full["nik"] == nik
    # pengamat: counts only
    assert pengamat.get("/tracing").status_code == 403
    assert pengamat.get(f"/tracing/{mine['id']}").status_code == 403
    assert pengamat.get(f"/tracing/{mine['id']}/matches").status_code == 403
    assert pengamat.post("/tracing", json=sought()).status_code == 403
    counts = pengamat.get("/tracing/counts", params={"event_id": own.eid})
    assert counts.status_code == 200 and counts.json()["dicari"] == 1 and counts.json()["still_missing"] == 1
    assert set(counts.json()) == {"dicari", "kemungkinan_cocok", "ditemukan", "dipertemukan", "ditutup",
                                  "still_missing", "children_separated", "children_reunited"}


def _candidates(api: Api, rid: str) -> list[dict[str, Any]]:
    r = api.get(f"/tracing/{rid}/matches")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_match_when_the_request_comes_after_the_registration(posko: Api, database: Database) -> None:
    settle(database)
    shelter_event = build_scene(posko)
    name = distinct_name("Siti Rahmawati")
    person = shelter_event.person(full_name=name, birth_date="1990-05-05", sex="P", shelter_id=shelter_event.shelter["id"],
                                  household_id=shelter_event.household["id"])
    req = file(posko, full_name=f"St. Rachmawati {name.split()[-1]}")  # another spelling, filed at the posko
    assert _candidates(posko, req["id"]) == []  # nothing until the worker's pass: never in the write
    settle(database)
    found = _candidates(posko, req["id"])
    # the best and only strong one (the session's database holds other tests' weaker namesakes)
    assert [c["person_id"] for c in found if c["strong"]] == [person["id"]] == [found[0]["person_id"]]
    c = found[0]
    assert c["strong"] and c["score"] >= 0.7 and {"name_fuzzy", "birth_date", "kelurahan"} <= set(c["reasons"])
    assert c["shelter_name"] == shelter_event.shelter["name"] and c["event_id"] == shelter_event.eid
    again = posko.get(f"/tracing/{req['id']}").json()
    assert again["status"] == "kemungkinan_cocok" and again["strong_matches"] == 1
    assert any(a.action == "tracing.kemungkinan_cocok" for a in audit_rows(database, object_id=req["id"]))
    assert run_pass(database).new_strong == []  # idempotent: nothing new the second time


def test_match_when_the_registration_comes_after_the_request(posko: Api, database: Database) -> None:
    settle(database)
    name = distinct_name("Rina br Sitepu")
    req = file(posko, full_name=name, birth_date=None, age_years=34, sex="P")
    settle(database)
    assert [c for c in _candidates(posko, req["id"]) if c["strong"]] == []  # other tests' namesakes are weak
    elsewhere = build_scene(posko)  # another event, another shelter
    person = elsewhere.person(full_name=name.replace(" br ", " Boru "), birth_date="1992-03-01", sex="P",
                              shelter_id=elsewhere.shelter["id"], household_id=elsewhere.household["id"])
    namesake_too_old = elsewhere.person(full_name=name, birth_date="1950-03-01", sex="P",
                                        shelter_id=elsewhere.shelter["id"])
    result = run_pass(database)
    assert (req["id"], person["id"], elsewhere.eid, None) in result.new_strong
    found = _candidates(posko, req["id"])
    assert [c["person_id"] for c in found if c["strong"]] == [person["id"]] == [found[0]["person_id"]]
    assert namesake_too_old["id"] not in {c["person_id"] for c in found}
    assert posko.get(f"/tracing/{req['id']}").json()["status"] == "kemungkinan_cocok"


def test_a_phone_files_requests_through_sync(admin: Api, relawan: Api, database: Database) -> None:
    """The field app's offline queue: a tracing record is created once, a resend is a duplicate, a bad one
    is invalid without blocking the rest, another event is forbidden."""
    sc, other = build_scene(admin), build_scene(admin)
    assert relawan.user_id is not None
    add_member(admin, sc.eid, relawan.user_id)
    good = sought(event_id=sc.eid)
    no_name = sought(full_name=None)
    records = [{"type": "tracing", "event_id": sc.eid, "data": good},
               {"type": "tracing", "event_id": sc.eid, "data": no_name},
               {"type": "tracing", "event_id": other.eid, "data": sought()},
               {"type": "tracing", "event_id": sc.eid, "data": good}]
    r = relawan.post("/sync", json={"records": records})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "invalid", "forbidden", "duplicate"]
    assert "full_name" in results[1]["error"]
    assert count(database, TracingRequest, id=good["id"]) == 1
    stored = relawan.get(f"/tracing/{good['id']}").json()
    assert (stored["event_id"], stored["full_name"], stored["status"]) == (sc.eid, good["full_name"], "dicari")
    again = relawan.post("/sync", json={"records": records[:1]}).json()["results"]
    assert again[0]["status"] == "duplicate"
    assert [a.action for a in audit_rows(database, object_id=good["id"])] == ["tracing.create", "tracing.read"]


def test_a_corrected_registration_is_matched_again(posko: Api, database: Database) -> None:
    settle(database)
    name = distinct_name("Parlindungan Nasution")
    req = file(posko, full_name=name, birth_date="1977-07-17", sex="L")
    settle(database)
    sc = build_scene(posko)
    typo = sc.person(full_name="Budi Santoso", birth_date="1990-01-01", sex="L", shelter_id=sc.shelter["id"])
    settle(database)
    assert _candidates(posko, req["id"]) == []
    r = posko.patch(f"/persons/{typo['id']}", json={"full_name": name, "birth_date": "1977-07-17"})
    assert r.status_code == 200, r.text
    assert posko.get(f"/tracing/{req['id']}").json()["version"] == req["version"]  # clients' version unchanged
    settle(database)
    assert [c["person_id"] for c in _candidates(posko, req["id"])] == [typo["id"]]


def test_the_pass_moves_on_past_many_registrations_of_one_instant(posko: Api, database: Database,
                                                                 monkeypatch: Any) -> None:
    """More persons registered at one instant than a pass reads (a /sync batch shares its "now"; a bulk
    load): the (created_at, id) keyset moves on, and the registration after them is still matched. With a
    cursor of instants alone, every pass read the same first page again and never got further."""
    from datetime import UTC, datetime

    from shared.models import Person
    from shared.repositories.bulk import insert_many
    from shared.services import tracing_matching

    settle(database)
    monkeypatch.setattr(tracing_matching, "PERSONS_PER_PASS", 20)
    name = distinct_name("Nurhayati Lubis")
    req = file(posko, full_name=name, birth_date="1985-07-07", sex="P")
    settle(database)
    scene = build_scene(posko)
    at = datetime.now(UTC)
    crowd = [{"id": new_id(), "event_id": scene.eid, "household_id": None, "full_name": f"Orang Ramai {i}",
              "sex": "L", "birth_date": None, "age_years": 30, "nik": None, "vulnerabilities": [],
              "needs_psychosocial": False, "condition": "selamat", "registered_at": at, "version": 1,
              "created_by": None, "created_at": at} for i in range(75)]
    with write_unit(database) as uow:
        insert_many(uow.session, Person, crowd)
    person = scene.person(full_name=name, birth_date="1985-07-07", sex="P", shelter_id=scene.shelter["id"])
    passes = 0
    while passes < 12 and run_pass(database).more:
        passes += 1
    assert passes >= 3  # 75 at one instant, 20 a pass
    assert person["id"] in [c["person_id"] for c in _candidates(posko, req["id"])]


def test_a_worker_does_not_match_its_grace_window_again(posko: Api, database: Database) -> None:
    """Each pass reads the registrations of the grace window behind the cursor again (for transactions
    that committed late); those this worker's committed passes matched already are left out, and a
    late-committed one is still matched."""
    from datetime import UTC, datetime

    from shared.models import Person
    from shared.repositories.bulk import insert_many

    settle(database)
    name = distinct_name("Sri Wahyuni Harahap")
    req = file(posko, full_name=name, birth_date="1988-08-08", sex="P")
    settle(database)
    recent = RecentlyMatched()
    sc = build_scene(posko)
    person = sc.person(full_name=name, birth_date="1988-08-08", sex="P", shelter_id=sc.shelter["id"])

    def run(memory: RecentlyMatched | None) -> PassResult:
        with write_unit(database) as uow:
            result = match_pass(uow, recent=memory)
        if memory is not None:
            memory.remember(result)
        return result

    first = run(recent)
    assert person["id"] in [pid for pid, _ in first.matched]
    assert (req["id"], person["id"], sc.eid, None) in first.new_strong
    assert first.horizon is not None and person["id"] in recent.seen
    second = run(recent)
    assert person["id"] not in [pid for pid, _ in second.matched]  # in the window, matched already
    assert person["id"] in [pid for pid, _ in run(None).matched]  # without the memory it is read again
    # staged before the cursor's instant, committed after the pass moved past it: still matched
    at = recent.seen[person["id"]] - GRACE / 2
    late = {"id": new_id(), "event_id": sc.eid, "household_id": None, "full_name": "Orang Terlambat",
            "sex": "L", "birth_date": None, "age_years": 30, "nik": None, "vulnerabilities": [],
            "needs_psychosocial": False, "condition": "selamat", "registered_at": at, "version": 1,
            "created_by": None, "created_at": at.astimezone(UTC) if at.tzinfo else at}
    with write_unit(database) as uow:
        insert_many(uow.session, Person, [late])
    third = run(recent)
    assert [pid for pid, _ in third.matched] == [late["id"]]
    assert run(recent).matched == []
    # the memory keeps only what a later window can hold
    old = datetime(2000, 1, 1, tzinfo=UTC)
    recent.seen["someone-long-ago"] = old
    recent.remember(PassResult(horizon=old.replace(year=2001)))
    assert "someone-long-ago" not in recent.seen and person["id"] in recent.seen


def test_candidate_reads_take_any_number_of_persons(posko: Api, database: Database) -> None:
    """A pass over a large register asks for the rows and shelters of tens of thousands of candidates at
    once: more ids than PostgreSQL's 65,535 parameters per statement must still be read (in chunks)."""
    from shared.db import read_unit, utcnow
    from shared.repositories import matching as matching_repo
    from shared.repositories import tracing as tracing_repo
    from shared.repositories.bulk import in_chunks

    assert [len(p) for p in in_chunks(["a", "b", "a", "c"], 2)] == [2, 1]  # distinct values, bounded lists
    scene = build_scene(posko)
    housed = scene.person(full_name=distinct_name("Rina Sitepu"), shelter_id=scene.shelter["id"])
    ids = [new_id() for _ in range(70_000)]
    ids.insert(40_000, housed["id"])
    with read_unit(database) as s:
        rows = tracing_repo.person_rows(s, ids)
        assert [r["person_id"] for r in rows] == [housed["id"]]
        shelters = matching_repo.open_shelters(s, ids, utcnow())
        assert shelters == {housed["id"]: (scene.shelter["id"], scene.shelter["name"], scene.shelter["kelurahan_code"])}
        assert [r.id for r in tracing_repo.requests_by_ids(s, ids)] == []
        assert [r["person_id"] for r in matching_repo.candidate_rows(s, ids)] == [housed["id"]]
