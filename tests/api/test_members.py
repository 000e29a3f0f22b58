"""Event members: who adds, lists and removes volunteers of an event (docs/api.md, "Roles").

Tests isolate by creating their own users, events and profile codes (never by editing shared ones).
"""

from __future__ import annotations

from shared.db import Database
from tests.api.helpers import create_event, names_field
from tests.conftest import (
    Api,
    add_member,
    create_user_row,
    new_id,
)

# ---- members ----

def test_members_add_by_admin_201_then_200(admin: Api, relawan: Api) -> None:
    """POST /events/{id}/members by admin → 201; again → 200, still one member row."""
    eid = create_event(admin).json()["id"]
    r = admin.post(f"/events/{eid}/members", json={"user_id": relawan.user_id})
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] == relawan.user_id
    assert r.json()["event_id"] == eid
    assert r.json()["username"] == relawan.username
    again = admin.post(f"/events/{eid}/members", json={"user_id": relawan.user_id})
    assert again.status_code == 200
    listed = admin.get(f"/events/{eid}/members").json()
    assert listed["total"] == 1
    assert [m["user_id"] for m in listed["items"]] == [relawan.user_id]


def test_members_add_by_posko_201(posko: Api, relawan: Api) -> None:
    """posko assigns volunteers too, and the volunteer then sees the event."""
    eid = create_event(posko).json()["id"]
    assert relawan.get(f"/events/{eid}").status_code == 404
    r = posko.post(f"/events/{eid}/members", json={"user_id": relawan.user_id})
    assert r.status_code == 201, r.text
    assert posko.post(f"/events/{eid}/members", json={"user_id": relawan.user_id}).status_code == 200
    assert relawan.get(f"/events/{eid}").status_code == 200


def test_members_add_forbidden_for_relawan_and_pengamat(admin: Api, relawan: Api, pengamat: Api,
                                                        database: Database) -> None:
    """relawan (even a member) and pengamat cannot assign members: 403, nothing added."""
    eid = create_event(admin).json()["id"]
    add_member(admin, eid, relawan.user_id)  # type: ignore[arg-type]
    other_id, _ = create_user_row(database, "relawan")
    assert relawan.post(f"/events/{eid}/members", json={"user_id": other_id}).status_code == 403
    assert pengamat.post(f"/events/{eid}/members", json={"user_id": other_id}).status_code == 403
    ids = {m["user_id"] for m in admin.get(f"/events/{eid}/members").json()["items"]}
    assert ids == {relawan.user_id}


def test_member_unknown_user_is_422(admin: Api) -> None:
    """An unknown user_id → 422 naming user_id."""
    eid = create_event(admin).json()["id"]
    r = admin.post(f"/events/{eid}/members", json={"user_id": 987_654_321})
    assert names_field(r, "user_id")
    assert admin.get(f"/events/{eid}/members").json()["total"] == 0


def test_member_of_unknown_event_is_404(admin: Api, relawan: Api) -> None:
    r = admin.post(f"/events/{new_id()}/members", json={"user_id": relawan.user_id})
    assert r.status_code == 404


def test_members_list_and_delete(admin: Api, posko: Api, relawan: Api, pengamat: Api) -> None:
    """GET members (admin, posko; others 403); DELETE → 204, then the member is gone and sees nothing; again → 404."""
    eid = create_event(admin).json()["id"]
    add_member(admin, eid, relawan.user_id)  # type: ignore[arg-type]
    for api in (admin, posko):
        r = api.get(f"/events/{eid}/members")
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"items", "total", "limit", "offset"}
        assert [(m["user_id"], m["role"]) for m in body["items"]] == [(relawan.user_id, "relawan")]
    assert relawan.get(f"/events/{eid}/members").status_code == 403
    assert pengamat.get(f"/events/{eid}/members").status_code == 403
    assert relawan.get(f"/events/{eid}").status_code == 200

    assert relawan.delete(f"/events/{eid}/members/{relawan.user_id}").status_code == 403
    gone = posko.delete(f"/events/{eid}/members/{relawan.user_id}")
    assert gone.status_code == 204
    assert admin.get(f"/events/{eid}/members").json()["total"] == 0
    assert relawan.get(f"/events/{eid}").status_code == 404
    assert admin.delete(f"/events/{eid}/members/{relawan.user_id}").status_code == 404
