"""Events: create (idempotent), read, PATCH with If-Match and status transitions, X-Data-Seq (docs/api.md).

Tests isolate by creating their own users, events and profile codes (never by editing shared ones).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.helpers import create_event, names_field
from tests.conftest import (
    KELURAHAN,
    KELURAHAN_2,
    Api,
    add_member,
    event_body,
    iso,
    new_id,
    now_wib,
    person_body,
    shelter_body,
    utc,
)

# ---- events: create ----

@pytest.mark.parametrize(("kind", "category"), [
    ("banjir", "alam"), ("kebakaran_permukiman", "non_alam"), ("konflik_sosial", "sosial"),
])
def test_create_event_answers_full_resource(posko: Api, kind: str, category: str) -> None:
    """POST /events → 201 with every contract field; defaults tanggap_darurat and spm_binjai; answers in UTC."""
    started = now_wib() - timedelta(days=1, minutes=7)
    body = event_body(kind=kind, started_at=iso(started), kelurahan_codes=[KELURAHAN, KELURAHAN_2])
    r = posko.post("/events", json=body)
    assert r.status_code == 201, r.text
    ev = r.json()
    assert {"id", "name", "kind", "category", "status", "started_at", "ended_at", "kelurahan_codes",
            "standard_code", "data_seq", "version"} <= set(ev)
    assert ev["id"] == body["id"]
    assert ev["name"] == body["name"]
    assert ev["kind"] == kind
    assert ev["category"] == category
    assert ev["status"] == "tanggap_darurat"
    assert ev["ended_at"] is None
    assert ev["kelurahan_codes"] == [KELURAHAN, KELURAHAN_2]
    assert ev["standard_code"] == "spm_binjai"
    assert ev["version"] == 1
    assert isinstance(ev["data_seq"], int)
    assert r.headers["X-Data-Seq"] == str(ev["data_seq"])
    assert ev["started_at"].endswith("+00:00")
    assert utc(ev["started_at"]) == started.astimezone(UTC)
    got = posko.get(f"/events/{ev['id']}")
    assert got.status_code == 200
    assert utc(got.json()["started_at"]) == utc(ev["started_at"])
    assert got.json()["kelurahan_codes"] == [KELURAHAN, KELURAHAN_2]


def test_create_event_without_id_and_with_status_siaga(admin: Api) -> None:
    """id is optional (the server makes one); status may start at siaga_darurat."""
    body = event_body(status="siaga_darurat")
    body.pop("id")
    r = admin.post("/events", json=body)
    assert r.status_code == 201, r.text
    assert uuid.UUID(r.json()["id"])
    assert r.json()["status"] == "siaga_darurat"


def test_create_event_as_selesai_is_422(admin: Api) -> None:
    assert names_field(admin.post("/events", json=event_body(status="selesai")), "status")


def test_create_event_replay_is_200_and_other_content_409(admin: Api) -> None:
    """The same id and body → 200 with the stored event; the same id with other content → 409."""
    body = event_body()
    first = admin.post("/events", json=body)
    assert first.status_code == 201
    again = admin.post("/events", json=body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["data_seq"] == first.json()["data_seq"]
    other = admin.post("/events", json={**body, "name": "Banjir lain"})
    assert other.status_code == 409
    assert admin.get(f"/events/{body['id']}").json()["name"] == body["name"]


def test_unknown_kelurahan_is_422(admin: Api) -> None:
    """An unknown kelurahan code → 422 naming kelurahan_codes, and nothing is created."""
    body = event_body(kelurahan_codes=[KELURAHAN, "12.75.09.9999"])
    r = admin.post("/events", json=body)
    assert names_field(r, "kelurahan_codes")
    assert admin.get(f"/events/{body['id']}").status_code == 404


def test_malformed_kelurahan_is_422(admin: Api) -> None:
    assert names_field(admin.post("/events", json=event_body(kelurahan_codes=["1275041004"])), "kelurahan_codes")
    assert names_field(admin.post("/events", json=event_body(kelurahan_codes=[])), "kelurahan_codes")


def test_started_at_far_future_is_422_small_skew_accepted(admin: Api) -> None:
    """started_at more than 5 minutes ahead → 422; 2 minutes ahead is clock skew → 201."""
    far = admin.post("/events", json=event_body(started_at=iso(now_wib() + timedelta(minutes=10))))
    assert names_field(far, "started_at")
    near = admin.post("/events", json=event_body(started_at=iso(now_wib() + timedelta(minutes=2))))
    assert near.status_code == 201, near.text


def test_naive_started_at_is_422(admin: Api) -> None:
    """A timestamp without an offset → 422."""
    naive = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert names_field(admin.post("/events", json=event_body(started_at=naive)), "started_at")


def test_unknown_kind_is_422(admin: Api) -> None:
    assert names_field(admin.post("/events", json=event_body(kind="meteor")), "kind")


@pytest.mark.parametrize("role", ["relawan", "pengamat"])
def test_relawan_and_pengamat_cannot_create_events(request: pytest.FixtureRequest, admin: Api, role: str) -> None:
    body = event_body()
    assert request.getfixturevalue(role).post("/events", json=body).status_code == 403
    assert admin.get(f"/events/{body['id']}").status_code == 404


# ---- events: read ----

def test_event_list_envelope_and_relawan_sees_only_member_events(admin: Api, posko: Api, pengamat: Api,
                                                                 relawan: Api) -> None:
    """admin/posko/pengamat see every event; a relawan lists only member events and gets 404 for others."""
    mine = create_event(admin, name="Kejadian anggota").json()["id"]
    other = create_event(admin, name="Kejadian lain").json()["id"]
    add_member(admin, mine, relawan.user_id)  # type: ignore[arg-type]

    listed = relawan.get("/events", params={"limit": 500})
    assert listed.status_code == 200
    body = listed.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["total"] == 1
    assert [e["id"] for e in body["items"]] == [mine]
    assert relawan.get(f"/events/{mine}").status_code == 200
    assert relawan.get(f"/events/{other}").status_code == 404

    for api in (admin, posko, pengamat):
        assert api.get(f"/events/{other}").status_code == 200
        page = api.get("/events", params={"limit": 2}).json()
        assert page["limit"] == 2 and len(page["items"]) <= 2 and page["total"] >= 2


def test_event_list_is_ordered_by_creation(admin: Api) -> None:
    """Lists are ordered by creation time then id: two new events appear in creation order, at the end."""
    a = create_event(admin).json()["id"]
    b = create_event(admin).json()["id"]
    total = admin.get("/events", params={"limit": 1}).json()["total"]
    tail = admin.get("/events", params={"limit": 500, "offset": max(0, total - 500)}).json()["items"]
    ids = [e["id"] for e in tail]
    assert a in ids and b in ids and ids.index(a) < ids.index(b)


def test_unknown_event_is_404(admin: Api) -> None:
    r = admin.get(f"/events/{new_id()}")
    assert r.status_code == 404
    assert isinstance(r.json()["detail"], str)


def test_event_list_limit_over_500_is_422(admin: Api) -> None:
    assert names_field(admin.get("/events", params={"limit": 501}), "limit")


# ---- events: PATCH ----

def patch_event(api: Api, eid: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return api.patch(f"/events/{eid}", json=body, **kw)


def test_allowed_status_path_siaga_to_selesai(posko: Api) -> None:
    """siaga_darurat → tanggap_darurat → transisi_darurat → selesai; each step 200, version +1, X-Data-Seq grows."""
    ev = create_event(posko, status="siaga_darurat").json()
    seq, version = ev["data_seq"], ev["version"]
    for status in ("tanggap_darurat", "transisi_darurat", "selesai"):
        r = patch_event(posko, ev["id"], {"status": status})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == status
        assert body["version"] == version + 1
        assert int(r.headers["X-Data-Seq"]) == body["data_seq"] > seq
        seq, version = body["data_seq"], body["version"]
    assert body["ended_at"] is not None
    assert abs(utc(body["ended_at"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_tanggap_to_selesai_with_given_ended_at(admin: Api) -> None:
    """tanggap_darurat → selesai is allowed; a given ended_at is kept (answered in UTC)."""
    ev = create_event(admin).json()
    ended = now_wib() - timedelta(hours=3)
    r = patch_event(admin, ev["id"], {"status": "selesai", "ended_at": iso(ended)})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "selesai"
    assert r.json()["ended_at"].endswith("+00:00")
    assert utc(r.json()["ended_at"]) == ended.astimezone(UTC)


@pytest.mark.parametrize(("start", "path", "target"), [
    ("siaga_darurat", [], "selesai"),
    ("siaga_darurat", [], "transisi_darurat"),
    ("tanggap_darurat", ["transisi_darurat"], "tanggap_darurat"),
    ("tanggap_darurat", [], "siaga_darurat"),
    ("tanggap_darurat", ["selesai"], "tanggap_darurat"),
    ("tanggap_darurat", ["selesai"], "transisi_darurat"),
    ("tanggap_darurat", ["selesai"], "selesai"),
])
def test_disallowed_transitions_are_409(admin: Api, start: str, path: list[str], target: str) -> None:
    """A transition not allowed → 409, and the event is unchanged (status and version)."""
    eid = create_event(admin, status=start).json()["id"]
    for step in path:
        assert patch_event(admin, eid, {"status": step}).status_code == 200
    before = admin.get(f"/events/{eid}").json()
    r = patch_event(admin, eid, {"status": target})
    assert r.status_code == 409, r.text
    assert isinstance(r.json()["detail"], str)
    after = admin.get(f"/events/{eid}").json()
    assert (after["status"], after["version"], after["data_seq"]) == (
        before["status"], before["version"], before["data_seq"])


def test_selesai_event_refuses_rename(admin: Api) -> None:
    """Nothing leaves selesai, and a closed event takes no other change either: 409."""
    eid = create_event(admin).json()["id"]
    assert patch_event(admin, eid, {"status": "selesai"}).status_code == 200
    assert patch_event(admin, eid, {"name": "Nama baru"}).status_code == 409
    assert admin.get(f"/events/{eid}").json()["name"] == "Banjir Binjai Timur"


@pytest.mark.parametrize("field", ["kind", "started_at", "category", "data_seq"])
def test_fixed_fields_cannot_be_patched(admin: Api, field: str) -> None:
    """kind and started_at are fixed (extra fields forbidden → 422 naming the field)."""
    ev = create_event(admin).json()
    value = {"kind": "gempa_bumi", "started_at": iso(now_wib() - timedelta(days=5)), "category": "sosial",
             "data_seq": 99}[field]
    r = patch_event(admin, ev["id"], {field: value})
    assert names_field(r, field)
    after = admin.get(f"/events/{ev['id']}").json()
    assert after["kind"] == ev["kind"] and after["started_at"] == ev["started_at"]
    assert after["version"] == ev["version"]


def test_patch_name_and_kelurahan(posko: Api) -> None:
    """name and kelurahan_codes can be changed; an unknown kelurahan → 422."""
    eid = create_event(posko).json()["id"]
    r = patch_event(posko, eid, {"name": "Banjir Binjai Utara", "kelurahan_codes": [KELURAHAN_2]})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Banjir Binjai Utara"
    assert r.json()["kelurahan_codes"] == [KELURAHAN_2]
    assert names_field(patch_event(posko, eid, {"kelurahan_codes": ["12.75.09.9999"]}), "kelurahan_codes")
    assert posko.get(f"/events/{eid}").json()["kelurahan_codes"] == [KELURAHAN_2]


def test_standard_code_patch_admin_only(admin: Api, posko: Api) -> None:
    """standard_code via PATCH: admin → 200 (latest version of that profile); posko → 403, unchanged."""
    eid = create_event(posko).json()["id"]
    denied = patch_event(posko, eid, {"standard_code": "sphere_2018"})
    assert denied.status_code == 403
    assert admin.get(f"/events/{eid}").json()["standard_code"] == "spm_binjai"
    r = patch_event(admin, eid, {"standard_code": "sphere_2018"})
    assert r.status_code == 200, r.text
    assert r.json()["standard_code"] == "sphere_2018"
    latest = {p["code"]: p["version"] for p in admin.get("/standards", params={"limit": 500}).json()["items"]}
    assert r.json()["standard_version"] == latest["sphere_2018"]
    assert names_field(patch_event(admin, eid, {"standard_code": "tidak_ada"}), "standard_code")


@pytest.mark.parametrize("role", ["relawan", "pengamat"])
def test_relawan_and_pengamat_cannot_patch_events(request: pytest.FixtureRequest, admin: Api, role: str) -> None:
    """Even a member relawan cannot change the event itself (403); pengamat writes nothing (403)."""
    api = request.getfixturevalue(role)
    eid = create_event(admin).json()["id"]
    if role == "relawan":
        add_member(admin, eid, api.user_id)  # type: ignore[arg-type]
    assert patch_event(api, eid, {"name": "Diubah"}).status_code == 403
    assert admin.get(f"/events/{eid}").json()["version"] == 1


def test_patch_non_member_relawan_is_404(admin: Api, relawan: Api) -> None:
    eid = create_event(admin).json()["id"]
    assert patch_event(relawan, eid, {"name": "Diubah"}).status_code == 404


@pytest.mark.parametrize("stale", ["3", '"3"'])
def test_if_match_stale_is_412(admin: Api, stale: str) -> None:
    """If-Match with a version that is not the current one (bare or quoted) → 412, nothing changes."""
    eid = create_event(admin).json()["id"]
    r = patch_event(admin, eid, {"name": "Tidak jadi"}, headers={"If-Match": stale})
    assert r.status_code == 412, r.text
    assert isinstance(r.json()["detail"], str)
    after = admin.get(f"/events/{eid}").json()
    assert after["name"] == "Banjir Binjai Timur" and after["version"] == 1


def test_if_match_current_succeeds_and_increments(admin: Api) -> None:
    """If-Match equal to the current version (bare, then quoted) → 200 and version + 1; the old one is then stale."""
    eid = create_event(admin).json()["id"]
    r1 = patch_event(admin, eid, {"name": "Satu"}, headers={"If-Match": "1"})
    assert r1.status_code == 200 and r1.json()["version"] == 2
    r2 = patch_event(admin, eid, {"name": "Dua"}, headers={"If-Match": '"2"'})
    assert r2.status_code == 200 and r2.json()["version"] == 3
    assert patch_event(admin, eid, {"name": "Tiga"}, headers={"If-Match": "2"}).status_code == 412
    assert admin.get(f"/events/{eid}").json()["name"] == "Dua"


def test_if_match_not_a_number_is_422(admin: Api) -> None:
    eid = create_event(admin).json()["id"]
    r = patch_event(admin, eid, {"name": "X"}, headers={"If-Match": "abc"})
    assert r.status_code == 422


def test_every_write_answers_growing_data_seq(admin: Api) -> None:
    """Event create, shelter, person and event PATCH each answer X-Data-Seq; the counter grows and GET shows it."""
    created = create_event(admin)
    eid = created.json()["id"]
    seqs = [int(created.headers["X-Data-Seq"])]
    shelter = admin.post(f"/events/{eid}/shelters", json=shelter_body())
    assert shelter.status_code == 201
    seqs.append(int(shelter.headers["X-Data-Seq"]))
    person = admin.post(f"/events/{eid}/persons", json=person_body(shelter_id=shelter.json()["id"]))
    assert person.status_code == 201
    seqs.append(int(person.headers["X-Data-Seq"]))
    patched = patch_event(admin, eid, {"name": "Banjir Besar"})
    seqs.append(int(patched.headers["X-Data-Seq"]))
    assert seqs == sorted(set(seqs)), seqs
    assert patched.json()["data_seq"] == seqs[-1]
    assert admin.get(f"/events/{eid}").json()["data_seq"] == seqs[-1]


def test_member_writes_answer_x_data_seq(admin: Api, relawan: Api) -> None:
    """Adding and removing a member change the event's data_seq; like every write in an event they answer X-Data-Seq."""
    ev = create_event(admin).json()
    eid = ev["id"]
    added = admin.post(f"/events/{eid}/members", json={"user_id": relawan.user_id})
    assert added.status_code == 201
    seq_after_add = admin.get(f"/events/{eid}").json()["data_seq"]
    assert "X-Data-Seq" in added.headers, "POST /events/{id}/members answered no X-Data-Seq"
    assert int(added.headers["X-Data-Seq"]) == seq_after_add
    removed = admin.delete(f"/events/{eid}/members/{relawan.user_id}")
    assert removed.status_code == 204
    assert int(removed.headers["X-Data-Seq"]) == admin.get(f"/events/{eid}").json()["data_seq"]


def test_selesai_event_refuses_new_records_but_answers_identical_replays(admin: Api, relawan: Api) -> None:
    """After selesai: a new shelter or person → 409 (nothing stored); an identical replay of an earlier create → 200."""
    eid = create_event(admin).json()["id"]
    add_member(admin, eid, relawan.user_id)  # type: ignore[arg-type]
    sh_body = shelter_body()
    shelter = admin.post(f"/events/{eid}/shelters", json=sh_body)
    assert shelter.status_code == 201
    p_body = person_body(shelter_id=sh_body["id"])
    person = relawan.post(f"/events/{eid}/persons", json=p_body)
    assert person.status_code == 201
    closed = patch_event(admin, eid, {"status": "selesai"})
    assert closed.status_code == 200
    seq = closed.json()["data_seq"]

    new_shelter = admin.post(f"/events/{eid}/shelters", json=shelter_body())
    assert new_shelter.status_code == 409
    new_person = relawan.post(f"/events/{eid}/persons", json=person_body())
    assert new_person.status_code == 409
    assert admin.get(f"/events/{eid}/persons").json()["total"] == 1
    assert admin.get(f"/events/{eid}/shelters").json()["total"] == 1

    replay_person = relawan.post(f"/events/{eid}/persons", json=p_body)
    assert replay_person.status_code == 200, replay_person.text
    assert replay_person.json()["id"] == p_body["id"]
    replay_shelter = admin.post(f"/events/{eid}/shelters", json=sh_body)
    assert replay_shelter.status_code == 200, replay_shelter.text
    assert replay_shelter.json()["id"] == sh_body["id"]
    changed = relawan.post(f"/events/{eid}/persons", json={**p_body, "full_name": "Nama Lain"})
    assert changed.status_code == 409
    assert admin.get(f"/events/{eid}").json()["data_seq"] == seq
