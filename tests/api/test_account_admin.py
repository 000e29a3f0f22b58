"""Account management as the dashboard does it (docs/accounts-and-tokens.md, "Managing accounts"):
reset a password (a new one shown once), disable and re-enable, change role, list a user's events,
and the last active admin kept. Real SQLite and PostgreSQL; every change audited.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from shared.db import Database, read_unit, write_unit
from shared.domain.passwords import password_problem
from shared.models import AuditLog, User
from shared.services.accounts import generated_password
from tests.api.helpers import unique_name
from tests.conftest import PASSWORD, Api, add_member, build_scene, count


def new_user(admin: Api, role: str = "relawan") -> dict[str, Any]:
    r = admin.post("/users", json={"username": unique_name("akun"), "password": PASSWORD, "role": role,
                                   "full_name": "Siti Aminah"})
    assert r.status_code == 201, r.text
    return r.json()


def token_of(client: TestClient, username: str, password: str) -> int:
    """The status of a login attempt (200 or 401)."""
    return client.post("/api/v1/auth/token", data={"username": username, "password": password}).status_code


def test_reset_password_gives_a_new_one_once_and_revokes_the_old(admin: Api, client: TestClient,
                                                                 database: Database) -> None:
    user = new_user(admin)
    old_token = client.post("/api/v1/auth/token", data={"username": user["username"], "password": PASSWORD}).json()
    r = admin.post(f"/users/{user['id']}/password-reset")
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert set(body) == {"user", "password"} and body["user"]["id"] == user["id"]
    new_password = body["password"]
    assert len(new_password) == 16 and password_problem(new_password, user["username"]) is None
    assert token_of(client, user["username"], PASSWORD) == 401  # the old password no longer works
    assert token_of(client, user["username"], new_password) == 200
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token['access_token']}"})
    assert me.status_code == 401  # tokens issued before the reset are revoked
    assert count(database, AuditLog, action="user.password_reset", object_id=str(user["id"])) == 1
    with read_unit(database) as s:  # stored only as a hash
        stored = s.exec(select(User).where(User.id == user["id"])).one()
        assert new_password not in stored.password_hash
    again = admin.post(f"/users/{user['id']}/password-reset").json()["password"]
    assert again != new_password  # each reset makes a new one


def test_generated_passwords_pass_the_rules_and_differ() -> None:
    seen = {generated_password() for _ in range(200)}
    assert len(seen) == 200
    assert all(password_problem(p) is None and not set(p) & set("0O1lI") for p in seen)


@pytest.mark.parametrize("role", ["posko", "relawan", "pengamat"])
def test_only_admin_resets_passwords(request: pytest.FixtureRequest, role: str, admin: Api, client: TestClient,
                                     database: Database) -> None:
    api = request.getfixturevalue(role)
    user = new_user(admin)
    r = api.post(f"/users/{user['id']}/password-reset")
    assert r.status_code == 403, r.text
    assert token_of(client, user["username"], PASSWORD) == 200  # nothing changed
    assert count(database, AuditLog, action="user.password_reset", object_id=str(user["id"])) == 0


def test_reset_of_an_unknown_user_is_404_and_a_bad_id_422(admin: Api) -> None:
    assert admin.post("/users/2000000000/password-reset").status_code == 404
    r = admin.post("/users/abc/password-reset")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "user_id"]
    assert r.json()["detail"][0]["msg"] == "user_id harus bilangan bulat"


def test_disable_refuses_login_and_enable_restores_it(admin: Api, client: TestClient, database: Database) -> None:
    user = new_user(admin)
    r = admin.patch(f"/users/{user['id']}", json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert token_of(client, user["username"], PASSWORD) == 401
    r = admin.patch(f"/users/{user['id']}", json={"is_active": True})
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert token_of(client, user["username"], PASSWORD) == 200
    assert count(database, AuditLog, action="user.disable", object_id=str(user["id"])) == 1
    assert count(database, AuditLog, action="user.enable", object_id=str(user["id"])) == 1


def test_role_change_is_audited_and_bad_role_named(admin: Api, database: Database) -> None:
    user = new_user(admin)
    r = admin.patch(f"/users/{user['id']}", json={"role": "posko"})
    assert r.status_code == 200 and r.json()["role"] == "posko"
    assert count(database, AuditLog, action="user.role_change", object_id=str(user["id"])) == 1
    r = admin.patch(f"/users/{user['id']}", json={"role": "raja"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "role"] and r.json()["detail"][0]["msg"].startswith("role harus")


def test_the_last_active_admin_is_kept(admin: Api, database: Database) -> None:
    """Disabling or demoting the only active admin → 409 naming the field; nothing changes."""
    with write_unit(database) as uow:  # make the test's admin the only active one, for a moment
        others = list(uow.session.exec(select(User).where(User.role == "admin", User.id != admin.user_id,
                                                          User.is_active == True)).all())  # noqa: E712
        for u in others:
            u.is_active = False
            uow.session.add(u)
    try:
        r = admin.patch(f"/users/{admin.user_id}", json={"is_active": False})
        assert r.status_code == 409 and r.json()["detail"].startswith("is_active: ini admin aktif terakhir"), r.text
        r = admin.patch(f"/users/{admin.user_id}", json={"role": "posko"})
        assert r.status_code == 409 and r.json()["detail"].startswith("role:"), r.text
        assert admin.get("/auth/me").json()["role"] == "admin"
        other = new_user(admin, role="admin")  # with a second active admin, the first may step down
        r = admin.patch(f"/users/{other['id']}", json={"role": "posko"})
        assert r.status_code == 200, r.text
    finally:
        with write_unit(database) as uow:
            for u in others:
                row = uow.session.get(User, u.id)
                assert row is not None
                row.is_active = True
                uow.session.add(row)


def test_user_events_lists_assignments(admin: Api, posko: Api, pengamat: Api) -> None:
    user = new_user(admin)
    first, second = build_scene(admin), build_scene(admin)
    add_member(admin, first.eid, user["id"])
    add_member(posko, second.eid, user["id"])
    r = admin.get(f"/users/{user['id']}/events")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2
    assert [e["event_id"] for e in body["items"]] == [first.eid, second.eid]
    assert body["items"][0]["name"] == first.event["name"] and body["items"][0]["status"] == first.event["status"]
    assert admin.delete(f"/events/{first.eid}/members/{user['id']}").status_code == 204
    assert [e["event_id"] for e in posko.get(f"/users/{user['id']}/events").json()["items"]] == [second.eid]
    assert pengamat.get(f"/users/{user['id']}/events").status_code == 403
    assert admin.get("/users/2000000000/events").status_code == 404
