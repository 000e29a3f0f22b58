"""What the register does for tracing by itself (issue 15 parts 3 and 4), SQLite and PostgreSQL:
separated and unaccompanied children (under 18 only, vulnerabilities needing penanganan khusus, a request
for their family), a person registered hilang has a request, and confirming the match updates the
register in one audited step without counting anyone twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.db import Database
from shared.models import Person, TracingRequest
from tests.api.helpers import locs
from tests.api.test_personal_data import audit_rows
from tests.api.test_roles_privacy import distinct_name
from tests.api.test_tracing import run_pass, settle, sought
from tests.conftest import Api, build_scene, count, person_body


def requests_about(api: Api, person_id: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/tracing", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return [i for i in r.json()["items"] if i["subject_person_id"] == person_id]


def test_separated_children_are_vulnerable_and_their_family_is_sought(posko: Api, database: Database) -> None:
    sc = build_scene(posko)
    child = sc.person(full_name=distinct_name("Putri Ginting"), birth_date="2016-04-01", sex="P",
                      vulnerabilities=["terpisah"], shelter_id=sc.shelter["id"])
    alone = sc.person(full_name=distinct_name("Rizki Tarigan"), birth_date=None, age_years=9, sex="L",
                      vulnerabilities=["tanpa_pendamping"], shelter_id=sc.shelter["id"])
    assert child["vulnerabilities"] == ["terpisah"]
    assert alone["vulnerabilities"] == ["tanpa_pendamping"]
    for p, flag in ((child, "terpisah"), (alone, "tanpa_pendamping")):
        (req,) = requests_about(posko, p["id"], kind="keluarga")
        assert req["status"] == "dicari" and req["event_id"] == sc.eid and req["child_flags"] == [flag]
        assert [a.action for a in audit_rows(database, object_id=req["id"])] == ["tracing.create"]
    status = posko.get(f"/events/{sc.eid}/status").json()
    assert status["people"]["vulnerable"]["terpisah"] == 1 and status["people"]["vulnerable"]["tanpa_pendamping"] == 1
    assert status["indicator"]["services"]["penanganan_khusus"] == {"eligible": 2, "fulfilled": 0}
    r = posko.post(f"/events/{sc.eid}/services", json={"person_id": child["id"], "kind": "penanganan_khusus"})
    assert r.status_code == 201, r.text
    status = posko.get(f"/events/{sc.eid}/status").json()
    assert status["indicator"]["services"]["penanganan_khusus"]["fulfilled"] == 1
    counts = posko.get("/tracing/counts", params={"event_id": sc.eid}).json()
    assert counts["children_separated"] == 2 and counts["children_reunited"] == 0
    report = posko.get(f"/events/{sc.eid}/report", params={"format": "json"}).json()
    assert report["tracing"] == {"sought": 2, "found": 0, "reunited": 0, "still_missing": 2, "closed": 0,
                                 "children_separated": 2, "children_reunited": 0}


def test_the_children_flags_are_for_children_only(posko: Api, database: Database) -> None:
    sc = build_scene(posko)
    for over in ({"birth_date": "1990-01-01"}, {"birth_date": None, "age_years": None}, {"birth_date": None, "age_years": 18}):
        body = person_body(vulnerabilities=["terpisah"], **over)
        r = posko.post(f"/events/{sc.eid}/persons", json=body)
        assert ["body", "vulnerabilities"] in locs(r), r.text
        assert "18" in r.json()["detail"][0]["msg"]
        assert count(database, Person, id=body["id"]) == 0
    adult = sc.person(full_name=distinct_name("Budi Lubis"), birth_date="1990-01-01", sex="L")
    r = posko.patch(f"/persons/{adult['id']}", json={"vulnerabilities": ["tanpa_pendamping"]})
    assert ["body", "vulnerabilities"] in locs(r)
    kid = sc.person(full_name=distinct_name("Dewi Purba"), birth_date=None, age_years=6, sex="P")
    assert requests_about(posko, kid["id"]) == []
    r = posko.patch(f"/persons/{kid['id']}", json={"vulnerabilities": ["terpisah"]})
    assert r.status_code == 200, r.text
    assert [q["kind"] for q in requests_about(posko, kid["id"])] == ["keluarga"]
    r = posko.patch(f"/persons/{kid['id']}", json={"vulnerabilities": ["terpisah", "tanpa_pendamping"]})
    assert r.status_code == 200 and len(requests_about(posko, kid["id"])) == 1  # one per child, ever


def test_a_person_registered_hilang_has_a_request_and_the_batch_too(posko: Api, database: Database) -> None:
    sc = build_scene(posko)
    name = distinct_name("Sulastri Nasution")
    missing = sc.person(full_name=name, birth_date="1970-02-02", sex="P", condition="hilang")
    (req,) = requests_about(posko, missing["id"])
    assert (req["kind"], req["full_name"], req["birth_date"], req["status"]) == ("orang", name, "1970-02-02", "dicari")
    body = person_body(full_name=distinct_name("Hotman Sinaga"), sex="L", birth_date="1960-01-01", condition="hilang")
    r = posko.post("/sync", json={"records": [{"type": "person", "event_id": sc.eid, "data": body},
                                              {"type": "person", "event_id": sc.eid, "data": body}]})
    assert [x["status"] for x in r.json()["results"]] == ["created", "duplicate"]
    assert count(database, TracingRequest, subject_person_id=body["id"]) == 1
    ok = sc.person(full_name=distinct_name("Agus Hasibuan"), birth_date="1970-02-02", sex="L")
    r = posko.patch(f"/persons/{ok['id']}", json={"condition": "hilang"})
    assert r.status_code == 200 and [q["kind"] for q in requests_about(posko, ok["id"])] == ["orang"]


def test_confirming_the_match_updates_the_register_once(posko: Api, database: Database) -> None:
    """Registered hilang at home, found later in a shelter of the same event: the confirmation merges the
    hilang record into the found one (one person, not missing, displaced), audited in one step."""
    settle(database)
    sc = build_scene(posko)
    name = distinct_name("Tiurma Siregar")
    missing = sc.person(full_name=name, birth_date="1975-07-07", sex="P", condition="hilang",
                        household_id=sc.household["id"])
    before = posko.get(f"/events/{sc.eid}/status").json()["people"]
    assert (before["registered"], before["missing"]) == (1, 1)
    found = sc.person(full_name=name, birth_date="1975-07-07", sex="P", shelter_id=sc.shelter["id"])
    run_pass(database)
    (req,) = requests_about(posko, missing["id"])
    assert req["status"] == "kemungkinan_cocok"
    cands = posko.get(f"/tracing/{req['id']}/matches").json()
    assert [c["person_id"] for c in cands] == [found["id"]]  # never the hilang record itself
    r = posko.patch(f"/tracing/{req['id']}", json={"status": "ditemukan", "matched_person_id": found["id"]},
                    headers={"If-Match": str(req["version"])})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ditemukan" and r.json()["matched_person_id"] == found["id"]
    after = posko.get(f"/events/{sc.eid}/status").json()
    people = after["people"]
    assert (people["registered"], people["missing"], people["displaced_now"]) == (1, 0, 1)
    assert after["indicator"]["eligible"] == 1  # counted once
    assert posko.get(f"/persons/{missing['id']}").json()["id"] == found["id"]  # the old id is an alias now
    assert {a.action for a in audit_rows(database, object_id=missing["id"])} >= {"person.create", "person.merge"}
    assert "tracing.ditemukan" in [a.action for a in audit_rows(database, object_id=req["id"])]
    report = posko.get(f"/events/{sc.eid}/report", params={"format": "json"}).json()
    assert (report["tracing"]["sought"], report["tracing"]["found"], report["tracing"]["still_missing"]) == (1, 1, 0)


def test_found_in_another_event_is_no_longer_missing_here(posko: Api, database: Database) -> None:
    settle(database)
    home, shelter = build_scene(posko), build_scene(posko)
    name = distinct_name("Parlin Sembiring")
    missing = home.person(full_name=name, birth_date="1980-03-03", sex="L", condition="hilang")
    found = shelter.person(full_name=name, birth_date="1980-03-03", sex="L", shelter_id=shelter.shelter["id"])
    run_pass(database)
    (req,) = requests_about(posko, missing["id"])
    r = posko.patch(f"/tracing/{req['id']}", json={"status": "ditemukan", "matched_person_id": found["id"],
                                                   "condition": "luka"})
    assert r.status_code == 200, r.text
    assert posko.get(f"/persons/{missing['id']}").json()["condition"] == "luka"
    assert posko.get(f"/events/{home.eid}/status").json()["people"]["missing"] == 0
    shelter_people = posko.get(f"/events/{shelter.eid}/status").json()["people"]
    assert (shelter_people["registered"], shelter_people["displaced_now"]) == (1, 1)


def test_anonymising_a_person_anonymises_the_request_about_them(admin: Api, database: Database) -> None:
    sc = build_scene(admin)
    name = distinct_name("Hotman Sinaga")
    missing = sc.person(full_name=name, birth_date="1960-01-01", sex="L", condition="hilang")
    (req,) = requests_about(admin, missing["id"])
    assert req["full_name"] == name
    exported = admin.get(f"/persons/{missing['id']}/export").json()
    assert [t["id"] for t in exported["tracing"]] == [req["id"]] and exported["tracing"][0]["full_name"] == name
    r = admin.post(f"/persons/{missing['id']}/anonymise")
    assert r.status_code == 200, r.text
    after = admin.get(f"/tracing/{req['id']}").json()
    assert (after["full_name"], after["birth_date"], after["nik"], after["description"]) == ("Anonim", None, None, None)
    assert after["status"] == "dicari" and after["kind"] == "orang"  # the counts stay


def test_the_report_counts_tracing_as_of_its_instant(posko: Api) -> None:
    """The report's tracing section is what was true at `as_of`, rebuilt from each request's instants."""
    sc = build_scene(posko)
    found = sc.person(full_name=distinct_name("Rina Sitepu"), birth_date="1990-05-05", sex="P",
                      shelter_id=sc.shelter["id"])
    moments = {"before": datetime.now(UTC)}
    a = posko.post("/tracing", json=sought(event_id=sc.eid))
    b = posko.post("/tracing", json=sought(event_id=sc.eid, full_name=distinct_name("Lamhot Purba"), sex="L"))
    assert a.status_code == b.status_code == 201, (a.text, b.text)
    moments["filed"] = datetime.now(UTC)
    rid = a.json()["id"]
    r = posko.patch(f"/tracing/{rid}", json={"status": "ditemukan", "matched_person_id": found["id"]})
    assert r.status_code == 200, r.text
    # the reunion's recorded time is before the request was marked found: it counts from the finding
    r = posko.patch(f"/tracing/{rid}", json={"status": "dipertemukan", "reunited_at": moments["filed"].isoformat(),
                                             "reunited_place": "Masjid Raya Binjai", "reunited_by": "Petugas TAGANA"})
    assert r.status_code == 200, r.text
    moments["reunited"] = datetime.now(UTC)
    r = posko.patch(f"/tracing/{b.json()['id']}", json={"status": "ditutup", "closed_reason": "laporan dicabut"})
    assert r.status_code == 200, r.text

    def tracing(at: datetime | None) -> tuple[int, ...]:
        params = {"format": "json", **({"as_of": at.isoformat()} if at else {})}
        report = posko.get(f"/events/{sc.eid}/report", params=params)
        assert report.status_code == 200, report.text
        t = report.json()["tracing"]
        return t["sought"], t["found"], t["reunited"], t["still_missing"], t["closed"]

    assert tracing(moments["before"]) == (0, 0, 0, 0, 0)
    assert tracing(moments["filed"]) == (2, 0, 0, 2, 0)
    assert tracing(moments["reunited"]) == (2, 1, 1, 1, 0)
    assert tracing(None) == (2, 1, 1, 0, 1)
