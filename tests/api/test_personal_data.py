"""Personal-data rights (issue 9 items 11, 12, 14; docs/personal-data.md), on SQLite and PostgreSQL.

- anonymising a person (admin only) overwrites name, NIK, KK, birth date, address and notes, leaves an
  audit row, and changes no count in the status snapshot or the event report;
- the replay copy of a create holds a fingerprint, never a name or NIK, and replays still behave;
- after a NIK correction the old NIK is nowhere in the database (every text/JSON column of every table);
- an admin exports everything held about one person; the export is audited;
- person lists, NIK searches and the unmet list are audited without the searched value; GET /audit filters.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from services.worker import jobs
from shared.db import Database, read_unit
from shared.models import AuditLog, ClientOperation, Distribution, Household, Person, Service
from tests.api.test_roles_privacy import distinct_kk, distinct_name, distinct_nik
from tests.conftest import Api, Scene, add_member, build_scene, household_body, new_id, now_wib, person_body


def ok(r: Any, code: int = 201) -> dict[str, Any]:
    assert r.status_code == code, r.text
    return r.json()


def audit_rows(database: Database, **where: Any) -> list[AuditLog]:
    with read_unit(database) as s:
        q = select(AuditLog)
        for name, value in where.items():
            q = q.where(getattr(AuditLog, name) == value)
        return list(s.exec(q.order_by(col(AuditLog.id))).all())


def columns_containing(database: Database, needle: str) -> list[str]:
    """`table.column` of every column, in every table the database has, whose text holds `needle`."""
    engine = database.write_engine
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    found = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for column in table.columns:
                hit = conn.execute(sa.select(sa.literal(1)).select_from(table)
                                   .where(sa.cast(column, sa.Text).like(f"%{needle}%")).limit(1)).first()
                if hit is not None:
                    found.append(f"{table.name}.{column.name}")
    assert len(meta.sorted_tables) > 15  # the scan saw the real schema
    return found


# ---------------------------------------------------------------------------------------------
# 11. Anonymisation
# ---------------------------------------------------------------------------------------------

def _people(scene: Scene) -> dict[str, dict[str, Any]]:
    """A balita, a lansia, an adult with NIK in a household of their own (a KK and an address no other test
    uses); all in the shelter, with notes about them. `scene.household` becomes that household."""
    api, eid = scene.api, scene.eid
    scene.household = ok(api.post(f"/events/{eid}/households", json=household_body(
        head_name=distinct_name("Ahmad"), kk_number=distinct_kk(), address=f"Jl. Mawar {uuid.uuid4().hex[:10]}")))
    start = datetime.fromisoformat(scene.event["started_at"]).astimezone(UTC)
    born_balita = (start - timedelta(days=365 * 3)).date().isoformat()
    born_lansia = (start - timedelta(days=365 * 70)).date().isoformat()
    adult = scene.person(full_name=distinct_name("Siti"), nik=distinct_nik(True), household_id=scene.household["id"],
                         shelter_id=scene.shelter["id"], vulnerabilities=["ibu_hamil"])
    balita = scene.person(full_name=distinct_name("Budi"), sex="L", birth_date=born_balita,
                          household_id=scene.household["id"], shelter_id=scene.shelter["id"])
    lansia = scene.person(full_name=distinct_name("Opung"), sex="L", birth_date=born_lansia,
                          shelter_id=scene.shelter["id"])
    at = (now_wib() - timedelta(hours=2)).isoformat()
    ok(api.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 3,
                                                      "shelter_id": scene.shelter["id"], "person_id": adult["id"],
                                                      "delivered_at": at, "notes": "untuk Siti, alergi udang"}))
    ok(api.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "paket_sandang", "quantity": 2,
                                                      "household_id": scene.household["id"], "delivered_at": at,
                                                      "notes": "keluarga Ahmad di tenda 3"}))
    ok(api.post(f"/events/{eid}/services", json={"id": new_id(), "person_id": adult["id"], "kind": "psikososial",
                                                 "delivered_at": at, "notes": "trauma, kehilangan rumah"}))
    return {"adult": adult, "balita": balita, "lansia": lansia}


def _counts(api: Api, eid: str, as_of: str) -> tuple[dict[str, Any], dict[str, Any]]:
    status = ok(api.get(f"/events/{eid}/status"), 200)
    report = ok(api.get(f"/events/{eid}/report", params={"format": "json", "as_of": as_of}), 200)
    kept = {k: status[k] for k in ("people", "indicator", "needs", "shelters")}
    return kept, {k: v for k, v in report.items() if k not in ("generated_at", "event", "data_seq")}


def test_anonymise_overwrites_identity_keeps_counts_and_is_audited(admin: Api, posko: Api, pengamat: Api,
                                                                    make_api: Callable[..., Api],
                                                                    database: Database) -> None:
    scene = build_scene(admin)
    people = _people(scene)
    member = make_api("relawan")
    add_member(admin, scene.eid, member.user_id)  # type: ignore[arg-type]
    as_of = (now_wib() - timedelta(minutes=1)).isoformat()
    before = _counts(pengamat, scene.eid, as_of)
    before_people = {k: ok(admin.get(f"/persons/{p['id']}"), 200) for k, p in people.items()}

    for api in (posko, member, pengamat):
        refused = api.post(f"/persons/{people['adult']['id']}/anonymise")
        assert refused.status_code == 403, (api.role, refused.text)
    assert ok(admin.get(f"/persons/{people['adult']['id']}"), 200)["full_name"] == people["adult"]["full_name"]

    for key, p in people.items():
        answer = ok(admin.post(f"/persons/{p['id']}/anonymise"), 200)
        assert answer["full_name"] == "Anonim" and answer["nik"] is None and answer["birth_date"] is None, answer
        assert answer["age"] == before_people[key]["age"], (key, answer)
        assert answer["vulnerabilities"] == before_people[key]["vulnerabilities"], (key, answer)
        assert answer["sex"] == before_people[key]["sex"] and answer["shelter_id"] == scene.shelter["id"]
        rows = audit_rows(database, object_id=p["id"], action="person.anonymise")
        assert [(r.actor_id, r.object_type) for r in rows] == [(admin.user_id, "person")], rows
    again = ok(admin.post(f"/persons/{people['adult']['id']}/anonymise"), 200)  # idempotent: nothing more recorded
    assert again["version"] == ok(admin.get(f"/persons/{people['adult']['id']}"), 200)["version"]
    assert len(audit_rows(database, object_id=people["adult"]["id"], action="person.anonymise")) == 1

    assert _counts(pengamat, scene.eid, as_of) == before
    with read_unit(database) as s:
        hh = s.get(Household, scene.household["id"])
        assert hh is not None and (hh.head_name, hh.kk_number, hh.address) == ("Anonim", None, None)
        notes = s.exec(select(Distribution.notes).where(Distribution.event_id == scene.eid)).all()
        notes += s.exec(select(Service.notes).where(Service.event_id == scene.eid)).all()
        assert notes and all(n is None for n in notes), notes
        person = s.get(Person, people["adult"]["id"])
        assert person is not None and person.anonymised_at is not None
    for name in (people["adult"]["full_name"], people["adult"]["nik"], people["balita"]["full_name"],
                 scene.household["kk_number"], scene.household["head_name"], scene.household["address"]):
        assert columns_containing(database, name) == [], name


def test_anonymise_unknown_person_is_404(admin: Api) -> None:
    assert admin.post(f"/persons/{uuid.uuid4()}/anonymise").status_code == 404


# ---------------------------------------------------------------------------------------------
# 11. The replay copy is a fingerprint; a NIK correction leaves no trace
# ---------------------------------------------------------------------------------------------

def test_replay_copy_is_a_fingerprint_and_replays_still_behave(scene: Scene, admin: Api, database: Database) -> None:
    name, nik = distinct_name("Rina"), distinct_nik(True)
    body = person_body(full_name=name, nik=nik, household_id=scene.household["id"])
    del body["registered_at"]  # a "now" default the client left out
    first = ok(admin.post(f"/events/{scene.eid}/persons", json=body))
    with read_unit(database) as s:
        payload = s.exec(select(ClientOperation.payload).where(ClientOperation.kind == "person",
                                                                ClientOperation.id == body["id"])).one()
    text = json.dumps(payload)
    assert name not in text and nik not in text and "Rina" not in text and "1985" not in text, text
    assert set(payload) == {"fp", "h", "t"}
    # same content (+ an explicit registered_at the original omitted, + an explicit default) → 200, same resource
    same = ok(admin.post(f"/events/{scene.eid}/persons",
                         json={**body, "registered_at": now_wib().isoformat(), "condition": "selamat"}), 200)
    assert same["id"] == first["id"]
    other = admin.post(f"/events/{scene.eid}/persons", json={**body, "full_name": name + " X"})
    assert other.status_code == 409, other.text


def test_after_a_nik_correction_the_old_nik_is_nowhere(scene: Scene, admin: Api, database: Database,
                                                       worker_ctx: jobs.WorkerContext) -> None:
    old, new, synced_old = distinct_nik(), distinct_nik(), distinct_nik(True)
    person = scene.person(full_name=distinct_name("Joko"), nik=old, sex="L", shelter_id=scene.shelter["id"])
    synced_id = new_id()
    sync = ok(admin.post("/sync", json={"records": [{"type": "person", "event_id": scene.eid,
                                                      "data": person_body(id=synced_id, nik=synced_old)}]}), 200)
    assert sync["results"][0]["status"] == "created", sync
    assert ok(admin.get(f"/events/{scene.eid}/persons", params={"q": old}), 200)["total"] == 1
    ok(admin.get(f"/persons/{person['id']}"), 200)
    jobs.recompute(scene.eid)  # snapshots hold what the worker computes
    assert columns_containing(database, old) == ["persons.nik"]  # the scan finds what is there

    for pid, _old_nik, new_nik in ((person["id"], old, new), (synced_id, synced_old, distinct_nik(True))):
        fixed = ok(admin.patch(f"/persons/{pid}", json={"nik": new_nik}), 200)
        assert fixed["nik"] == new_nik
    ok(admin.get(f"/events/{scene.eid}/persons", params={"q": new}), 200)
    jobs.recompute(scene.eid)
    assert columns_containing(database, old) == []
    assert columns_containing(database, synced_old) == []


# ---------------------------------------------------------------------------------------------
# 12. A person's own data
# ---------------------------------------------------------------------------------------------

def test_admin_exports_everything_about_one_person_and_the_export_is_audited(
        admin: Api, posko: Api, pengamat: Api, make_api: Callable[..., Api], database: Database) -> None:
    scene = build_scene(admin)
    people = _people(scene)
    adult = people["adult"]
    member = make_api("relawan")
    add_member(admin, scene.eid, member.user_id)  # type: ignore[arg-type]
    ok(admin.get(f"/persons/{adult['id']}"), 200)
    for api in (posko, member, pengamat):
        assert api.get(f"/persons/{adult['id']}/export").status_code == 403, api.role
    assert admin.get(f"/persons/{uuid.uuid4()}/export").status_code == 404

    r = admin.get(f"/persons/{adult['id']}/export")
    data = ok(r, 200)
    assert "no-store" in r.headers["cache-control"]
    assert data["person"]["id"] == adult["id"] and data["person"]["nik"] == adult["nik"]
    assert data["person"]["full_name"] == adult["full_name"]
    assert data["household"]["id"] == scene.household["id"]
    assert data["household"]["kk_number"] == scene.household["kk_number"]
    assert [s["shelter_id"] for s in data["stays"]] == [scene.shelter["id"]]
    assert sorted(d["notes"] for d in data["distributions"]) == ["keluarga Ahmad di tenda 3", "untuk Siti, alergi udang"]
    assert [s["notes"] for s in data["services"]] == ["trauma, kehilangan rumah"]
    actions = {(a["action"], a["object_id"]) for a in data["audit"]}
    assert {("person.create", adult["id"]), ("person.read", adult["id"]),
            ("household.create", scene.household["id"]),
            ("service.create", data["services"][0]["id"])} <= actions
    rows = audit_rows(database, object_id=adult["id"], action="person.export")
    assert len(rows) == 1 and rows[0].actor_id == admin.user_id and rows[0].row_count and rows[0].row_count >= 6


# ---------------------------------------------------------------------------------------------
# 14. Audit completeness and GET /audit
# ---------------------------------------------------------------------------------------------

def test_lists_searches_and_unmet_are_audited_without_the_searched_nik(
        scene: Scene, admin: Api, make_api: Callable[..., Api], database: Database) -> None:
    member = make_api("relawan")
    add_member(admin, scene.eid, member.user_id)  # type: ignore[arg-type]
    nik = distinct_nik()
    name = distinct_name("Sahat")
    scene.person(full_name=name, nik=nik, sex="L", shelter_id=scene.shelter["id"])
    scene.person(shelter_id=scene.shelter["id"])
    kk = distinct_kk()
    ok(admin.post(f"/events/{scene.eid}/households", json=household_body(kk_number=kk)))

    assert ok(member.get(f"/events/{scene.eid}/persons", params={"q": nik}), 200)["total"] == 1
    assert ok(member.get(f"/events/{scene.eid}/persons", params={"q": name.split()[-1]}), 200)["total"] == 1
    listed = ok(member.get(f"/events/{scene.eid}/persons", params={"shelter_id": scene.shelter["id"], "limit": 1}), 200)
    assert ok(member.get(f"/events/{scene.eid}/households", params={"q": kk}), 200)["total"] == 1
    unmet = ok(member.get(f"/events/{scene.eid}/unmet"), 200)

    rows = [(r.action, r.detail, r.row_count) for r in audit_rows(database, event_id=scene.eid, actor_id=member.user_id)]
    assert rows == [("person.list", "search=nik", 1), ("person.list", "search=name", 1),
                    ("person.list", "search=none,shelter_id", len(listed["items"])),
                    ("household.list", "search=kk", 1), ("unmet.list", None, len(unmet["items"]))], rows
    assert columns_containing(database, nik) == ["persons.nik"]
    assert columns_containing(database, name.split()[-1]) == ["persons.full_name"]


def test_audit_endpoint_filters_and_is_admin_only(admin: Api, posko: Api, pengamat: Api,
                                                   make_api: Callable[..., Api], database: Database) -> None:
    t0 = datetime.now(UTC) - timedelta(seconds=1)
    username = f"petugas-{uuid.uuid4().hex[:8]}"
    user = ok(admin.post("/users", json={"username": username, "password": "Kuat-sekali-2026-xyz",
                                          "role": "relawan", "full_name": "Petugas Uji"}))
    ok(admin.patch(f"/users/{user['id']}", json={"full_name": "Petugas Uji Dua"}), 200)
    scene = build_scene(admin)
    t1 = datetime.now(UTC) + timedelta(seconds=1)

    page = ok(admin.get("/audit", params={"action": "user.", "object_id": str(user["id"])}), 200)
    assert set(page) == {"items", "total", "limit", "offset"} and page["total"] == 2
    assert [i["action"] for i in page["items"]] == ["user.create", "user.update"]
    assert all(i["actor_id"] == admin.user_id and i["object_type"] == "user" for i in page["items"])
    by_actor = ok(admin.get("/audit", params={"actor_id": admin.user_id, "object_type": "user",
                                              "since": t0.isoformat(), "until": t1.isoformat(), "limit": 500}), 200)
    assert {i["object_id"] for i in by_actor["items"]} >= {str(user["id"])}
    assert all(i["object_type"] == "user" for i in by_actor["items"])
    by_event = ok(admin.get("/audit", params={"event_id": scene.eid}), 200)
    assert {i["action"] for i in by_event["items"]} == {"event.create", "shelter.create", "household.create"}
    paged = ok(admin.get("/audit", params={"event_id": scene.eid, "limit": 1, "offset": 1}), 200)
    assert (paged["total"], paged["limit"], paged["offset"], len(paged["items"])) == (3, 1, 1, 1)
    later = ok(admin.get("/audit", params={"object_id": str(user["id"]), "since": t1.isoformat()}), 200)
    assert later["total"] == 0
    assert admin.get("/audit", params={"since": "2026-01-01T00:00:00"}).status_code == 422
    for api in (posko, pengamat, make_api("relawan")):
        assert api.get("/audit").status_code == 403, api.role
