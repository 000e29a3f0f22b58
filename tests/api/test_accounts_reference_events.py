"""Accounts, login, members, reference data, events, health and the OpenAPI document, on both backends.

Rules from DESIGN.md: "HTTP contract", "Who sees what" and "Rules every endpoint keeps".
Tests isolate by creating their own users, events and profile codes (never by editing shared ones).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from starlette.routing import WebSocketRoute

from services.api.main import create_app
from shared.config import Settings
from shared.db import Database
from shared.security import create_access_token
from shared.seed import DATA
from tests.conftest import (
    KELURAHAN,
    KELURAHAN_2,
    PASSWORD,
    Api,
    add_member,
    create_user_row,
    event_body,
    iso,
    make_settings,
    new_id,
    now_wib,
    person_body,
    shelter_body,
    utc,
)

DOCS_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


# ---- helpers ----

def locs(response: httpx.Response) -> list[list[Any]]:
    """The `loc` of every validation error in a 422 answer (FastAPI's shape)."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for d in detail:
        assert {"loc", "msg", "type"} <= set(d), d
    return [d["loc"] for d in detail]


def names_field(response: httpx.Response, field: str) -> bool:
    return any(field in loc for loc in locs(response))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_event(api: Api, **over: Any) -> httpx.Response:
    r = api.post("/events", json=event_body(**over))
    assert r.status_code == 201, r.text
    return r


@contextmanager
def side_app(settings: Settings, **over: Any) -> Iterator[tuple[Any, TestClient]]:
    """A second app on the same database with its own Redis key prefix (a fresh login counter)."""
    app = create_app(make_settings(settings.database_url, **over))
    with TestClient(app) as c:
        yield app, c


@pytest.fixture(scope="module")
def side(settings: Settings) -> Iterator[tuple[Settings, TestClient]]:
    """An app whose login throttle no other test file touches; failed logins go here."""
    with side_app(settings, secret_key=settings.secret_key) as (app, c):
        yield app.state.settings, c


def profile_codes_from_data() -> tuple[dict[str, str], dict[str, Any]]:
    data = json.loads((DATA / "needs_profiles.json").read_text(encoding="utf-8"))
    units: dict[str, str] = {}
    for p in data["profiles"]:
        for item in p["items"]:
            units.setdefault(item["code"], item["unit"])
    for item in data.get("extra_items", []):
        units.setdefault(item["code"], item["unit"])
    return units, data


def profile_payload(admin: Api, code: str, **over: Any) -> dict[str, Any]:
    """A valid POST /standards body: the current spm_binjai rules under another code."""
    r = admin.get("/standards/spm_binjai")
    assert r.status_code == 200, r.text
    latest = r.json()[-1]
    body = {k: latest[k] for k in ("name", "meal_times_local", "items", "services", "shelter_standards")}
    body["code"] = code
    body.update(over)
    return body


# ---- auth ----

def test_login_answers_bearer_token_with_role_and_lifetime(client: TestClient, database: Database,
                                                           settings: Settings) -> None:
    """POST /auth/token (OAuth2 form) → 200 {access_token, token_type bearer, role, expires_in}."""
    _, username = create_user_row(database, "posko")
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "posko"
    assert body["expires_in"] == settings.access_token_minutes * 60
    assert isinstance(body["access_token"], str) and body["access_token"]
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == username


def test_login_wrong_password_is_401(side: tuple[Settings, TestClient], database: Database) -> None:
    """Wrong credentials → 401 with a message, never a token."""
    _, c = side
    _, username = create_user_row(database, "relawan")
    r = c.post("/api/v1/auth/token", data={"username": username, "password": "salah-sandi-123"})
    assert r.status_code == 401
    assert "access_token" not in r.json()
    assert isinstance(r.json()["detail"], str)


def test_login_unknown_user_is_401(side: tuple[Settings, TestClient]) -> None:
    """An unknown username answers like a wrong password: 401."""
    _, c = side
    r = c.post("/api/v1/auth/token", data={"username": unique_name("tidak-ada"), "password": PASSWORD})
    assert r.status_code == 401
    assert "access_token" not in r.json()


def test_login_without_form_fields_is_422(client: TestClient) -> None:
    """The OAuth2 form needs username and password."""
    r = client.post("/api/v1/auth/token", data={"username": "x"})
    assert names_field(r, "password")


def test_missing_token_is_401(anon: Api) -> None:
    """Everything under /api/v1 needs a bearer token."""
    r = anon.get("/events")
    assert r.status_code == 401
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
    assert isinstance(r.json()["detail"], str)


def test_garbage_token_is_401(client: TestClient) -> None:
    """A token that is not a JWT → 401."""
    r = client.get("/api/v1/events", headers=bearer("bukan.token.sah"))
    assert r.status_code == 401


def test_expired_token_is_401_while_fresh_one_works(client: TestClient, admin: Api, settings: Settings) -> None:
    """A correctly signed token whose exp lies in the past → 401; the same claims unexpired → 200."""
    assert admin.user_id is not None
    past = datetime.now(UTC) - timedelta(minutes=5)
    expired = jwt.encode({"sub": str(admin.user_id), "role": "admin", "iat": past - timedelta(hours=1), "exp": past},
                         settings.secret_key, algorithm="HS256")
    assert client.get("/api/v1/events", headers=bearer(expired)).status_code == 401
    fresh, _ = create_access_token(settings, user_id=admin.user_id, role="admin")
    assert client.get("/api/v1/events", headers=bearer(fresh)).status_code == 200


def test_token_signed_with_another_key_is_401(client: TestClient, admin: Api) -> None:
    """A forged signature is refused."""
    forged = jwt.encode({"sub": str(admin.user_id), "role": "admin",
                         "exp": datetime.now(UTC) + timedelta(hours=1)}, "not-the-secret-but-long-enough-for-hs256-keys", algorithm="HS256")
    assert client.get("/api/v1/events", headers=bearer(forged)).status_code == 401


def test_token_of_unknown_user_is_401(client: TestClient, settings: Settings) -> None:
    """A valid signature naming a user that does not exist → 401."""
    token, _ = create_access_token(settings, user_id=987_654_321, role="admin")
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 401


def test_auth_me_returns_the_callers_account(posko: Api) -> None:
    """GET /auth/me → the caller's own id, username and role."""
    r = posko.get("/auth/me")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == posko.user_id
    assert body["username"] == posko.username
    assert body["role"] == "posko"
    assert body["is_active"] is True
    assert "password_hash" not in body and "password" not in body


def test_deactivated_user_cannot_log_in_nor_use_old_token(admin: Api, client: TestClient,
                                                          side: tuple[Settings, TestClient]) -> None:
    """PATCH /users/{id} {is_active: false} by admin: no more logins, and the old token stops working."""
    _, side_client = side
    username = unique_name("nonaktif")
    created = admin.post("/users", json={"username": username, "password": PASSWORD, "role": "relawan",
                                         "full_name": "Relawan Nonaktif"})
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    token = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()["access_token"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200

    r = admin.patch(f"/users/{uid}", json={"is_active": False})
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False

    again = side_client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert again.status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_only_admin_patches_users(posko: Api, admin: Api) -> None:
    """posko cannot change accounts (403), not even to deactivate one."""
    target = admin.post("/users", json={"username": unique_name("target"), "password": PASSWORD, "role": "relawan"})
    assert target.status_code == 201
    r = posko.patch(f"/users/{target.json()['id']}", json={"is_active": False})
    assert r.status_code == 403
    assert admin.get(f"/users/{target.json()['id']}").json()["is_active"] is True


def test_login_rate_limit_per_username_then_429_with_retry_after(settings: Settings, database: Database) -> None:
    """After login_attempts_per_window failures for one username, even the right password → 429 + Retry-After;
    another username from the same client still logs in."""
    _, victim = create_user_row(database, "posko")
    _, bystander = create_user_row(database, "posko")
    with side_app(settings) as (app, c):
        limit = app.state.settings.login_attempts_per_window
        window = app.state.settings.login_window_seconds
        for _ in range(limit):
            r = c.post("/api/v1/auth/token", data={"username": victim, "password": "salah-sandi-123"})
            assert r.status_code == 401, r.text
        blocked = c.post("/api/v1/auth/token", data={"username": victim, "password": PASSWORD})
        assert blocked.status_code == 429, blocked.text
        retry_after = int(blocked.headers["Retry-After"])
        assert 1 <= retry_after <= window
        assert isinstance(blocked.json()["detail"], str)
        # case-insensitive: the same account under another spelling is also held back
        assert c.post("/api/v1/auth/token",
                      data={"username": victim.upper(), "password": PASSWORD}).status_code == 429
        ok = c.post("/api/v1/auth/token", data={"username": bystander, "password": PASSWORD})
        assert ok.status_code == 200, ok.text


def test_login_below_the_limit_still_succeeds(settings: Settings, database: Database) -> None:
    """limit − 1 failures do not block the right password (a small configured limit keeps this quick)."""
    _, username = create_user_row(database, "relawan")
    with side_app(settings, login_attempts_per_window=3) as (app, c):
        for _ in range(app.state.settings.login_attempts_per_window - 1):
            assert c.post("/api/v1/auth/token",
                          data={"username": username, "password": "salah-sandi-123"}).status_code == 401
        assert c.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD}).status_code == 200


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


# ---- reference ----

def test_regions_envelope_and_kelurahan_filter(pengamat: Api) -> None:
    """GET /regions → {items,total,limit,offset}; Binjai has 37 kelurahan; level filter applies."""
    r = pengamat.get("/regions", params={"level": "kelurahan", "limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["total"] == 37
    assert len(body["items"]) == 37
    assert all(i["level"] == "kelurahan" for i in body["items"])
    codes = {i["code"] for i in body["items"]}
    assert {KELURAHAN, KELURAHAN_2} <= codes
    assert all(i["parent_code"] and i["code"].startswith(i["parent_code"] + ".") for i in body["items"])

    page = pengamat.get("/regions", params={"level": "kelurahan", "limit": 10, "offset": 30}).json()
    assert page["total"] == 37 and page["limit"] == 10 and page["offset"] == 30 and len(page["items"]) == 7

    everything = pengamat.get("/regions", params={"limit": 500}).json()
    assert everything["total"] == 1 + 1 + 5 + 37
    assert {i["level"] for i in everything["items"]} == {"provinsi", "kabupaten_kota", "kecamatan", "kelurahan"}


def test_regions_bad_level_and_limit_are_422(admin: Api) -> None:
    assert names_field(admin.get("/regions", params={"level": "desa"}), "level")
    assert names_field(admin.get("/regions", params={"limit": 501}), "limit")


def test_items_union_of_profiles_plus_cash(relawan: Api) -> None:
    """GET /items: every profile item plus uang_tunai (rupiah), with the units of the standards."""
    r = relawan.get("/items", params={"limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    units = {i["code"]: i["unit"] for i in body["items"]}
    expected, _ = profile_codes_from_data()
    assert set(expected) <= set(units)
    for code, unit in expected.items():
        assert units[code] == unit, code
    assert units["uang_tunai"] == "rupiah"


def test_items_admin_creates_others_403(admin: Api, posko: Api) -> None:
    """POST /items (admin) → 201 and listed; again → 409; posko → 403; bad code → 422."""
    code = f"terpal_{uuid.uuid4().hex[:8]}"
    assert posko.post("/items", json={"code": code, "name": "Terpal", "unit": "lembar"}).status_code == 403
    r = admin.post("/items", json={"code": code, "name": "Terpal", "unit": "lembar"})
    assert r.status_code == 201, r.text
    assert r.json() == {"code": code, "name": "Terpal", "unit": "lembar"}
    assert admin.post("/items", json={"code": code, "name": "Terpal", "unit": "lembar"}).status_code == 409
    listed = admin.get("/items", params={"limit": 500}).json()
    assert code in {i["code"] for i in listed["items"]} or listed["total"] > 500
    assert names_field(admin.post("/items", json={"code": "Bad Code", "name": "x", "unit": "x"}), "code")


def test_standards_list_the_shipped_profiles(pengamat: Api) -> None:
    """GET /standards: spm_binjai (default, first), bnpb_perka_7_2008 and sphere_2018 with their rules."""
    r = pengamat.get("/standards", params={"limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    by_code = {p["code"]: p for p in body["items"]}
    assert {"spm_binjai", "bnpb_perka_7_2008", "sphere_2018"} <= set(by_code)
    assert body["items"][0]["code"] == "spm_binjai"
    assert by_code["spm_binjai"]["is_default"] is True
    assert by_code["sphere_2018"]["is_default"] is False
    _, data = profile_codes_from_data()
    for shipped in data["profiles"]:
        got = by_code[shipped["code"]]
        assert got["version"] >= 1
        assert {i["code"] for i in got["items"]} >= {i["code"] for i in shipped["items"]} or got["version"] > 1
        assert got["meal_times_local"] and got["shelter_standards"]


def test_standards_new_version_pins_existing_events(admin: Api, posko: Api) -> None:
    """POST /standards stores version 1, then 2; an event opened under v1 keeps it, a new event gets v2."""
    code = f"uji_{uuid.uuid4().hex[:10]}"
    first = admin.post("/standards", json=profile_payload(admin, code, name="Profil uji v1"))
    assert first.status_code == 201, first.text
    assert first.json()["code"] == code and first.json()["version"] == 1
    assert first.json()["is_default"] is False

    old = create_event(posko, standard_code=code).json()
    assert (old["standard_code"], old["standard_version"]) == (code, 1)

    second = admin.post("/standards", json=profile_payload(admin, code, name="Profil uji v2",
                                                           meal_times_local=["06:30", "12:00", "18:30"]))
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    assert second.json()["meal_times_local"] == ["06:30", "12:00", "18:30"]

    assert admin.get(f"/events/{old['id']}").json()["standard_version"] == 1
    new = create_event(posko, standard_code=code).json()
    assert (new["standard_code"], new["standard_version"]) == (code, 2)

    versions = admin.get(f"/standards/{code}").json()
    assert [(v["version"], v["name"]) for v in versions] == [(1, "Profil uji v1"), (2, "Profil uji v2")]
    listed = {p["code"]: p for p in admin.get("/standards", params={"limit": 500}).json()["items"]}
    assert listed[code]["version"] == 2


def test_standards_post_forbidden_for_non_admin(admin: Api, posko: Api, relawan: Api, pengamat: Api) -> None:
    """posko, relawan, pengamat → 403 and no profile is stored."""
    code = f"uji_{uuid.uuid4().hex[:10]}"
    body = profile_payload(admin, code)
    for api in (posko, relawan, pengamat):
        assert api.post("/standards", json=body).status_code == 403, api.role
    assert admin.get(f"/standards/{code}").status_code == 404


def test_standards_invalid_profiles_are_422(admin: Api) -> None:
    """A meal time 25:00, or a per_vulnerable_once item without applies_to → 422 naming the field."""
    code = f"uji_{uuid.uuid4().hex[:10]}"
    bad_time = profile_payload(admin, code, meal_times_local=["07:00", "25:00"])
    assert names_field(admin.post("/standards", json=bad_time), "meal_times_local")

    body = profile_payload(admin, code)
    vulnerable = [i for i in body["items"] if i["basis"] == "per_vulnerable_once"]
    assert vulnerable, "spm_binjai ships per_vulnerable_once items"
    vulnerable[0].pop("applies_to", None)
    assert names_field(admin.post("/standards", json=body), "items")
    assert admin.get(f"/standards/{code}").status_code == 404


def test_event_with_unknown_standard_is_422(admin: Api) -> None:
    r = admin.post("/events", json=event_body(standard_code="tidak_ada_profil"))
    assert names_field(r, "standard_code")


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


# ---- health ----

def test_healthz_without_token(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_readyz_reports_database_and_redis_ok(client: TestClient) -> None:
    """Reachability only: the pipeline checks (outbox, worker, scheduler) depend on what earlier tests of
    this session left in the outbox; tests/api/test_readyz.py covers them on databases of their own."""
    r = client.get("/readyz")
    checks = r.json()["checks"]
    assert checks["database"] == "ok" and checks["redis"] == "ok", r.text
    assert {"outbox", "worker", "scheduler"} <= set(checks)


def test_health_lives_at_the_root_not_under_api(client: TestClient) -> None:
    assert client.get("/api/v1/healthz").status_code == 404


def test_readyz_503_names_redis_when_redis_is_down(settings: Settings) -> None:
    """An app whose Redis nothing listens on: /readyz → 503 and the body says redis is down, database ok."""
    with side_app(settings, redis_url="redis://127.0.0.1:1/0") as (_, c):
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"] != "ok"
        assert "redis" in body["detail"]
        assert "database" not in body["detail"]


# ---- OpenAPI ----

def http_routes(app: Any) -> list[tuple[str, set[str]]]:
    """Every HTTP route of the app as (path, methods), docs routes left out.

    FastAPI ≥ 0.16x keeps included routers as one entry each in `app.routes`; its public
    `iter_route_contexts` walks into them (older versions list the routes themselves).
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        candidates: list[Any] = list(app.routes)
    else:
        candidates = list(iter_route_contexts(app.routes))
    found = []
    for rt in candidates:
        path, methods = getattr(rt, "path", None), getattr(rt, "methods", None)
        if not path or path in DOCS_PATHS or isinstance(getattr(rt, "original_route", rt), WebSocketRoute):
            continue
        if methods is None or not getattr(rt, "include_in_schema", True):
            continue
        found.append((path, set(methods)))
    return found


def test_openapi_lists_every_route_and_key_schemas(client: TestClient, app: Any) -> None:
    """/openapi.json documents every HTTP route of the app (with its methods) and the main schemas."""
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    routes = http_routes(app)
    assert len(routes) > 20
    for path, methods in routes:
        assert path in paths, f"{path} missing from openapi.json"
        documented = {m.upper() for m in paths[path]}
        assert methods - {"HEAD", "OPTIONS"} <= documented, path
    for required in ("/api/v1/auth/token", "/api/v1/users", "/api/v1/events", "/api/v1/events/{event_id}",
                     "/api/v1/regions", "/api/v1/items", "/api/v1/standards", "/api/v1/sync", "/healthz", "/readyz"):
        assert required in paths, required
    schemas = doc["components"]["schemas"]
    assert {"EventPublic", "PersonPublic", "SyncRequest"} <= set(schemas)
    assert {"id", "kind", "category", "status", "data_seq", "version"} <= set(schemas["EventPublic"]["properties"])


def test_docs_page_is_served(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "swagger" in r.text.lower()
