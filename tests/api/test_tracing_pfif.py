"""PFIF 1.4 export and import of tracing requests (issue 15 part 5), SQLite and PostgreSQL: the export is
valid against the PFIF 1.4 schema (shared/data/pfif-1.4.xsd, written from the published field list) and
follows the roles; export → import round trip, idempotent by person_record_id; hostile files (billion
laughs, external entity, any DTD) and invalid ones refused with 4xx, nothing written; at most 10 MB."""

from __future__ import annotations

from typing import Any

from lxml import etree

from shared.db import Database
from shared.models import TracingRequest
from shared.services.pfif import NS, schema
from tests.api.test_personal_data import audit_rows
from tests.api.test_tracing import file
from tests.conftest import Api, add_member, build_scene, count

XML = {"Content-Type": "application/xml"}
P = f"{{{NS}}}"


def export(api: Api) -> bytes:
    r = api.get("/tracing/export.pfif.xml")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    return r.content


def persons(document: bytes) -> dict[str, Any]:
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema().validate(root), schema().error_log
    return {p.findtext(f"{P}person_record_id"): p for p in root.findall(f"{P}person")}


def test_export_is_valid_pfif_and_follows_the_roles(admin: Api, posko: Api, pengamat: Api, relawan: Api,
                                                    database: Database) -> None:
    sc = build_scene(admin)
    assert relawan.user_id is not None
    add_member(admin, sc.eid, relawan.user_id)
    mine = file(relawan, event_id=sc.eid, nik="1275044505900001")
    office = file(posko, birth_date=None, age_years=41, sex="L")
    found_person = sc.person(full_name="Budi Santoso", shelter_id=sc.shelter["id"], sex="L", birth_date="1980-01-01")
    r = posko.patch(f"/tracing/{office['id']}", json={"status": "ditemukan", "matched_person_id": found_person["id"]})
    assert r.status_code == 200, r.text
    everything = persons(export(posko))
    rec = everything[f"posko.binjaikota.go.id/tracing.{mine['id']}"]
    assert rec.findtext(f"{P}full_name") == mine["full_name"]
    assert rec.findtext(f"{P}sex") == "female" and rec.findtext(f"{P}date_of_birth") == "1990-05-05"
    assert rec.findtext(f"{P}author_name") == "Ahmad Siregar" and rec.findtext(f"{P}author_phone") == "0812-3456-7890"
    assert rec.find(f"{P}note").findtext(f"{P}status") == "information_sought"
    found = everything[f"posko.binjaikota.go.id/tracing.{office['id']}"]
    assert found.findtext(f"{P}age") == "41" and found.findtext(f"{P}sex") == "male"
    note = found.find(f"{P}note")
    assert note.findtext(f"{P}status") == "believed_alive"
    assert note.findtext(f"{P}last_known_location") == sc.shelter["name"]
    assert b"1275044505900001" not in export(posko)  # the NIK never leaves
    seen_by_relawan = persons(export(relawan))
    assert set(seen_by_relawan) == {f"posko.binjaikota.go.id/tracing.{mine['id']}"}  # member events only
    assert seen_by_relawan[f"posko.binjaikota.go.id/tracing.{mine['id']}"].find(f"{P}author_phone") is None
    assert pengamat.get("/tracing/export.pfif.xml").status_code == 403
    assert any(a.action == "tracing.export" and a.row_count for a in audit_rows(database, actor_id=posko.user_id))


def test_round_trip_is_idempotent_by_record_id(admin: Api, posko: Api, relawan: Api, database: Database) -> None:
    """Our export, imported (as another office would): each person record becomes one request; the same
    file again creates nothing."""
    a = file(posko, full_name="Sulastri br Ginting", last_seen_place="Pasar Tavip")
    b = file(posko, full_name="Hotman Sinaga", birth_date=None, age_years=60, sex="L")
    document = export(posko).replace(b"posko.binjaikota.go.id/", b"posko.langkat.example/")
    r = posko.post("/tracing/import", content=document, headers=XML)
    assert r.status_code == 200, r.text
    total = len(persons(document))
    assert r.json() == {"created": total, "existing": 0}
    again = posko.post("/tracing/import", content=document, headers=XML)
    assert again.json() == {"created": 0, "existing": total}
    for original in (a, b):
        rid = f"posko.langkat.example/tracing.{original['id']}"
        assert count(database, TracingRequest, pfif_record_id=rid) == 1
    imported = [i for i in posko.get("/tracing", params={"limit": 500}).json()["items"]
                if i["pfif_record_id"] == f"posko.langkat.example/tracing.{b['id']}"]
    (copy,) = imported
    assert (copy["full_name"], copy["age_years"], copy["sex"], copy["source"], copy["status"]) == (
        "Hotman Sinaga", 60, "L", "pfif", "dicari")
    (copy_a,) = [i for i in posko.get("/tracing", params={"limit": 500}).json()["items"]
                 if i["pfif_record_id"] == f"posko.langkat.example/tracing.{a['id']}"]
    assert copy_a["last_seen_place"] == "Pasar Tavip" and copy_a["birth_date"] == "1990-05-05"
    assert relawan.post("/tracing/import", content=document, headers=XML).status_code == 403


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:person_record_id>x.example/1</pfif:person_record_id>
<pfif:full_name>&lol9;</pfif:full_name></pfif:person></pfif:pfif>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE pfif [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:person_record_id>x.example/2</pfif:person_record_id>
<pfif:full_name>&secret;</pfif:full_name></pfif:person></pfif:pfif>"""

NOT_PFIF = b"""<?xml version="1.0"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:full_name>Tanpa id</pfif:full_name>
</pfif:person></pfif:pfif>"""


def test_hostile_and_invalid_files_are_refused(posko: Api, database: Database) -> None:
    before = count(database, TracingRequest, source="pfif")
    for body, kind in ((BILLION_LAUGHS, "pfif_refused"), (EXTERNAL_ENTITY, "pfif_refused"), (NOT_PFIF, "pfif_invalid"),
                       (b"<pfif", "pfif_invalid"), (b"", "pfif_invalid")):
        r = posko.post("/tracing/import", content=body, headers=XML)
        assert r.status_code == 422, (body[:40], r.text)
        detail = r.json()["detail"][0]
        assert detail["type"] == kind and detail["loc"] == ["body"] and "PFIF" in detail["msg"]
        assert b"root:" not in r.content  # no file was read
    assert count(database, TracingRequest, source="pfif") == before
    too_big = b"<pfif>" + b" " * (10 * 1024 * 1024) + b"</pfif>"
    r = posko.post("/tracing/import", content=too_big, headers=XML)
    assert r.status_code == 413
    nine_mb = b'<?xml version="1.0"?><!-- ' + b"x" * (9 * 1024 * 1024) + b' --><pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"/>'
    r = posko.post("/tracing/import", content=nine_mb, headers=XML)  # past the 4 MB of other bodies, within 10 MB
    assert r.status_code == 200 and r.json() == {"created": 0, "existing": 0}, r.text
