"""User accounts: who creates and lists them, and what a bad body answers (docs/api.md, "Roles").

Tests isolate by creating their own users, events and profile codes (never by editing shared ones).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import names_field, unique_name
from tests.conftest import (
    PASSWORD,
    Api,
)

# ---- users ----

def test_admin_creates_user_201(admin: Api, client: TestClient) -> None:
    """POST /users by admin → 201 {id, username, role, full_name}; the new account can log in."""
    username = unique_name("relawan")
    r = admin.post("/users", json={"username": username, "password": PASSWORD, "role": "relawan",
                                   "full_name": "Budi Santoso"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["username"] == username
    assert body["role"] == "relawan"
    assert body["full_name"] == "Budi Santoso"
    assert "password" not in body and "password_hash" not in body
    token = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200 and token.json()["role"] == "relawan"


def test_taken_username_is_409(admin: Api) -> None:
    """A taken username → 409 {detail: message}."""
    username = unique_name("ganda")
    first = admin.post("/users", json={"username": username, "password": PASSWORD, "role": "posko"})
    assert first.status_code == 201
    again = admin.post("/users", json={"username": username, "password": "lain-sandi-456", "role": "relawan"})
    assert again.status_code == 409
    assert isinstance(again.json()["detail"], str)


@pytest.mark.parametrize(("field", "override"), [
    ("role", {"role": "superuser"}),
    ("password", {"password": "pendek"}),
    ("username", {"username": "Bad User!"}),
    ("username", {"username": "ab"}),
])
def test_user_validation_names_the_field(admin: Api, field: str, override: dict[str, Any]) -> None:
    """Bad role, short password or bad username → 422 whose detail names the field."""
    body = {"username": unique_name("valid"), "password": PASSWORD, "role": "relawan", "full_name": "X"}
    body.update(override)
    r = admin.post("/users", json=body)
    assert names_field(r, field), r.text
    assert PASSWORD not in r.text and "pendek" not in r.text  # no echo of the submitted secret


def test_unknown_user_field_is_422(admin: Api) -> None:
    """Extra fields are refused (a typo never passes silently)."""
    r = admin.post("/users", json={"username": unique_name("x"), "password": PASSWORD, "role": "relawan",
                                   "is_admin": True})
    assert names_field(r, "is_admin")


@pytest.mark.parametrize("role", ["posko", "relawan", "pengamat"])
def test_only_admin_creates_users(request: pytest.FixtureRequest, role: str, admin: Api) -> None:
    """posko/relawan/pengamat POST /users → 403, and nothing is created."""
    api = request.getfixturevalue(role)
    username = unique_name("dilarang")
    r = api.post("/users", json={"username": username, "password": PASSWORD, "role": "admin"})
    assert r.status_code == 403
    listed = admin.get("/users", params={"limit": 500, "role": "admin"}).json()
    assert username not in {u["username"] for u in listed["items"]}


@pytest.mark.parametrize("role", ["admin", "posko"])
def test_admin_and_posko_list_users(request: pytest.FixtureRequest, role: str, backend: str) -> None:
    """GET /users for admin and posko → the list envelope, including the caller."""
    # `backend` is requested so that getfixturevalue() resolves the role fixture for this backend
    api = request.getfixturevalue(role)
    r = api.get("/users", params={"role": role, "limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["limit"] == 500 and body["offset"] == 0
    assert all(u["role"] == role for u in body["items"])
    assert api.user_id in {u["id"] for u in body["items"]} or body["total"] > 500


@pytest.mark.parametrize("role", ["relawan", "pengamat"])
def test_relawan_and_pengamat_cannot_list_users(request: pytest.FixtureRequest, role: str, admin: Api) -> None:
    """GET /users and /users/{id} → 403 for relawan and pengamat."""
    api = request.getfixturevalue(role)
    assert api.get("/users").status_code == 403
    assert api.get(f"/users/{admin.user_id}").status_code == 403
