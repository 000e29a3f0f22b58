"""The office registers behind the Renstra preparedness rows (docs/api.md, "Renstra registers"): the TAGANA
roster with its trainings and derived deployments, and preparedness activities. On SQLite and PostgreSQL:
Indonesian 422s naming the field (nothing written), idempotent creates by client id, role rules (phone
numbers are personal data), and audit rows for every write and every roster read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from shared.db import Database, read_unit
from shared.models import AuditLog, ClientOperation, PreparednessActivity, TaganaTraining, TaganaVolunteer
from tests.api.helpers import locs
from tests.conftest import (
    KELURAHAN,
    KELURAHAN_2,
    Api,
    add_member,
    count,
    event_body,
    iso,
    new_id,
    now_wib,
    person_body,
    shelter_body,
)


def volunteer_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "full_name": "Rahmat Sembiring", "level": "muda", "phone": "0812-6000 1234",
            "kelurahan_code": KELURAHAN, "joined_on": "2021-03-01"}
    body.update(over)
    return body


def training_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "kind": "pelatihan", "title": "Diklat Dasar TAGANA", "organizer": "Dinsos Sumut",
            "started_on": "2024-05-06", "ended_on": "2024-05-10", "evidence": "Sertifikat 045/DIKLAT/2024"}
    body.update(over)
    return body


def activity_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "kind": "sosialisasi_kie", "title": "Sosialisasi siaga banjir", "held_on": "2024-08-17",
            "kelurahan_code": KELURAHAN, "participants_male": 12, "participants_female": 18,
            "evidence": "Daftar hadir dan BA No. 460/123/2024"}
    body.update(over)
    return body


def audit_actions(database: Database, object_id: str) -> list[str]:
    with read_unit(database) as s:
        return list(s.exec(select(AuditLog.action).where(col(AuditLog.object_id) == object_id)
                           .order_by(col(AuditLog.id))).all())


def message(r: Any, field: str) -> str:
    assert any(field in loc for loc in locs(r)), r.text
    return next(d["msg"] for d in r.json()["detail"] if field in d["loc"])


# ---- TAGANA roster ------------------------------------------------------------------------------------------

def test_volunteer_create_read_update_and_audit(admin: Api, posko: Api, database: Database) -> None:
    body = volunteer_body()
    r = posko.post("/tagana", json=body)
    assert r.status_code == 201, r.text
    v = r.json()
    assert (v["id"], v["level"], v["level_label"], v["phone"], v["active"]) == (
        body["id"], "muda", "Tagana Muda", "081260001234", True)  # separators dropped
    assert v["trainings"] == [] and v["deployments"] == [] and v["version"] == 1

    got = admin.get(f"/tagana/{v['id']}")
    assert got.status_code == 200 and got.json()["full_name"] == "Rahmat Sembiring"
    r = admin.patch(f"/tagana/{v['id']}", json={"level": "madya", "phone": None}, headers={"If-Match": "1"})
    assert r.status_code == 200, r.text
    assert (r.json()["level"], r.json()["phone"], r.json()["version"]) == ("madya", None, 2)
    stale = admin.patch(f"/tagana/{v['id']}", json={"level": "utama"}, headers={"If-Match": "1"})
    assert stale.status_code == 412
    assert audit_actions(database, v["id"]) == ["tagana.create", "tagana.read", "tagana.update"]


def test_volunteer_idempotent_by_client_id(posko: Api, database: Database) -> None:
    body = volunteer_body()
    first = posko.post("/tagana", json=body)
    again = posko.post("/tagana", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = posko.post("/tagana", json={**body, "full_name": "Orang Lain"})
    assert other.status_code == 409 and other.json()["detail"].startswith("id:")
    assert count(database, TaganaVolunteer, id=body["id"]) == 1
    with read_unit(database) as s:
        op = s.get(ClientOperation, ("tagana", body["id"]))
        assert op is not None and "081260001234" not in str(op.payload)  # a fingerprint, not the phone
    assert audit_actions(database, body["id"]) == ["tagana.create"]


def test_volunteer_validation_is_indonesian_and_writes_nothing(admin: Api, database: Database) -> None:
    cases = [
        ({"level": "senior"}, "level", "tingkat harus salah satu dari"),
        ({"phone": "12345"}, "phone", "nomor telepon tidak sah"),
        ({"joined_on": "1990-01-01"}, "joined_on", "sebelum tahun 2000"),
        ({"joined_on": (now_wib() + timedelta(days=30)).date().isoformat()}, "joined_on", "masa depan"),
        ({"kelurahan_code": "12.75.99.9999"}, "kelurahan_code", "tidak dikenal"),
        ({"user_id": 2_000_000_000}, "user_id", "tidak ada"),
        ({"full_name": "Rah\x00mat"}, "full_name", "karakter kendali"),
    ]
    for over, field, text in cases:
        body = volunteer_body(**over)
        r = admin.post("/tagana", json=body)
        assert r.status_code == 422, (over, r.text)
        assert text in message(r, field), (over, r.text)
        assert count(database, TaganaVolunteer, id=body["id"]) == 0


def test_roster_roles_phone_is_personal_data(admin: Api, posko: Api, pengamat: Api, make_api: Callable[..., Api],
                                             database: Database) -> None:
    """admin and posko read and write; pengamat and relawan get 403 on the roster (names and phones)."""
    v = admin.post("/tagana", json=volunteer_body()).json()
    relawan = make_api("relawan")
    for api in (pengamat, relawan):
        assert api.get("/tagana").status_code == 403
        assert api.get(f"/tagana/{v['id']}").status_code == 403
        body = volunteer_body()
        assert api.post("/tagana", json=body).status_code == 403
        assert count(database, TaganaVolunteer, id=body["id"]) == 0
        assert api.patch(f"/tagana/{v['id']}", json={"level": "utama"}).status_code == 403
        assert api.post(f"/tagana/{v['id']}/trainings", json=training_body()).status_code == 403
    page = posko.get("/tagana", params={"q": "sembiring", "limit": 500})
    assert page.status_code == 200 and any(i["id"] == v["id"] for i in page.json()["items"])
    with read_unit(database) as s:
        rows = s.exec(select(AuditLog).where(col(AuditLog.action) == "tagana.list",
                                             col(AuditLog.actor_username) == posko.username)).all()
    assert rows and rows[-1].detail == "filter=q" and rows[-1].row_count == len(page.json()["items"])


def test_one_account_links_one_volunteer(admin: Api, make_api: Callable[..., Api]) -> None:
    relawan = make_api("relawan")
    assert admin.post("/tagana", json=volunteer_body(user_id=relawan.user_id)).status_code == 201
    r = admin.post("/tagana", json=volunteer_body(user_id=relawan.user_id))
    assert r.status_code == 409 and r.json()["detail"].startswith("user_id:")


def test_trainings_are_recorded_listed_and_deleted(admin: Api, database: Database) -> None:
    v = admin.post("/tagana", json=volunteer_body(level="madya")).json()
    body = training_body(kind="sertifikasi", certificate_number="SERT/TGN/2024/077")
    r = admin.post(f"/tagana/{v['id']}/trainings", json=body)
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["level_at_training"], t["kind_label"], t["ended_on"]) == ("madya", "Sertifikasi", "2024-05-10")
    assert admin.post(f"/tagana/{v['id']}/trainings", json=body).status_code == 200  # replay
    other = admin.post(f"/tagana/{v['id']}/trainings", json={**body, "title": "Lain"})
    assert other.status_code == 409
    listed = admin.get(f"/tagana/{v['id']}/trainings").json()
    assert [x["id"] for x in listed["items"]] == [body["id"]]
    assert admin.get(f"/tagana/{v['id']}").json()["trainings"][0]["certificate_number"] == "SERT/TGN/2024/077"

    wrong = training_body(started_on="2024-05-10", ended_on="2024-05-01")
    r = admin.post(f"/tagana/{v['id']}/trainings", json=wrong)
    assert "tanggal selesai sebelum tanggal mulai" in message(r, "ended_on")
    assert count(database, TaganaTraining, id=wrong["id"]) == 0
    assert admin.post(f"/tagana/{new_id()}/trainings", json=training_body()).status_code == 404

    assert admin.delete(f"/tagana/{v['id']}/trainings/{body['id']}").status_code == 204
    assert count(database, TaganaTraining, id=body["id"]) == 0
    assert audit_actions(database, body["id"]) == ["tagana.training.create", "tagana.training.delete"]


def test_deployments_come_from_membership_and_recorded_check_ins(admin: Api, make_api: Callable[..., Api]) -> None:
    """A volunteer's account assigned to an event, and the registrations and check-ins it recorded there."""
    relawan = make_api("relawan")
    ev = admin.post("/events", json=event_body(name="Banjir Sungai Bingei")).json()
    add_member(admin, ev["id"], relawan.user_id)
    sh = relawan.post(f"/events/{ev['id']}/shelters", json=shelter_body()).json()
    person = relawan.post(f"/events/{ev['id']}/persons", json=person_body())
    assert person.status_code == 201, person.text
    stay = relawan.post(f"/persons/{person.json()['id']}/check-in",
                        json={"id": new_id(), "shelter_id": sh["id"], "at": iso(now_wib() - timedelta(hours=3))})
    assert stay.status_code == 201, stay.text
    v = admin.post("/tagana", json=volunteer_body(user_id=relawan.user_id)).json()
    got = admin.get(f"/tagana/{v['id']}").json()
    assert got["username"] == relawan.username
    [dep] = got["deployments"]
    assert (dep["event_id"], dep["event_name"], dep["assigned"], dep["registrations"], dep["check_ins"]) == (
        ev["id"], "Banjir Sungai Bingei", True, 1, 1)
    assert dep["first_record_at"] is not None


def test_delete_volunteer_removes_trainings_and_the_replay_stays_refused(admin: Api, database: Database) -> None:
    body = volunteer_body()
    v = admin.post("/tagana", json=body).json()
    admin.post(f"/tagana/{v['id']}/trainings", json=training_body())
    assert admin.delete(f"/tagana/{v['id']}").status_code == 204
    assert count(database, TaganaVolunteer, id=v["id"]) == 0 and count(database, TaganaTraining, volunteer_id=v["id"]) == 0
    assert admin.post("/tagana", json=body).status_code == 409  # never created twice
    assert admin.get(f"/tagana/{v['id']}").status_code == 404


# ---- preparedness activities -----------------------------------------------------------------------------

def test_activity_create_list_edit_delete(posko: Api, pengamat: Api, database: Database) -> None:
    body = activity_body(held_on="2023-02-11")
    r = posko.post("/preparedness-activities", json=body)
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["kind_label"], a["participants_total"], a["kelurahan_name"], a["created_by_username"]) == (
        "Sosialisasi / penyuluhan KIE", 30, a["kelurahan_name"], posko.username)
    assert a["kelurahan_name"]
    assert posko.post("/preparedness-activities", json=body).status_code == 200  # replay
    assert posko.post("/preparedness-activities", json={**body, "participants_male": 1}).status_code == 409
    listed = pengamat.get("/preparedness-activities", params={"year": 2023, "kind": "sosialisasi_kie", "limit": 500})
    assert listed.status_code == 200 and body["id"] in [i["id"] for i in listed.json()["items"]]
    assert pengamat.get("/preparedness-activities", params={"kind": "rapat"}).status_code == 422

    r = posko.patch(f"/preparedness-activities/{a['id']}", json={"participants_female": 20, "kelurahan_code": KELURAHAN_2},
                    headers={"If-Match": "1"})
    assert r.status_code == 200, r.text
    assert (r.json()["participants_total"], r.json()["kelurahan_code"], r.json()["version"]) == (32, KELURAHAN_2, 2)
    assert pengamat.patch(f"/preparedness-activities/{a['id']}", json={"title": "x"}).status_code == 403
    assert posko.delete(f"/preparedness-activities/{a['id']}").status_code == 204
    assert count(database, PreparednessActivity, id=a["id"]) == 0
    assert audit_actions(database, a["id"]) == ["preparedness.create", "preparedness.update", "preparedness.delete"]


def test_activity_validation_is_indonesian_and_writes_nothing(admin: Api, database: Database) -> None:
    cases = [
        ({"kind": "rapat"}, "kind", "jenis kegiatan harus salah satu dari"),
        ({"held_on": (now_wib() + timedelta(days=10)).date().isoformat()}, "held_on", "masa depan"),
        ({"kelurahan_code": "12.75.99.9999"}, "kelurahan_code", "tidak dikenal"),
        ({"participants_male": 0, "participants_female": 0}, "participants_female", "minimal 1"),
        ({"kelurahan_code": "Tanah Seribu"}, "kelurahan_code", "kode kelurahan harus berbentuk"),
        ({"evidence": ""}, "evidence", ""),
    ]
    for over, field, text in cases:
        body = activity_body(**over)
        r = admin.post("/preparedness-activities", json=body)
        assert r.status_code == 422, (over, r.text)
        assert text in message(r, field), (over, r.text)
        assert count(database, PreparednessActivity, id=body["id"]) == 0
    a = admin.post("/preparedness-activities", json=activity_body()).json()
    r = admin.patch(f"/preparedness-activities/{a['id']}", json={"participants_male": 0, "participants_female": 0})
    assert "minimal 1" in message(r, "participants_female")
    assert admin.get(f"/preparedness-activities/{a['id']}").json()["participants_total"] == 30  # unchanged


def test_relawan_may_not_read_or_write_activities(make_api: Callable[..., Api], database: Database) -> None:
    relawan = make_api("relawan")
    assert relawan.get("/preparedness-activities").status_code == 403
    body = activity_body()
    assert relawan.post("/preparedness-activities", json=body).status_code == 403
    assert count(database, PreparednessActivity, id=body["id"]) == 0
