"""Login, tokens, deactivation and the login throttle, on both backends (docs/api.md, "Roles" and "Errors").

Tests isolate by creating their own users, events and profile codes (never by editing shared ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from shared.config import Settings
from shared.db import Database
from shared.security import create_access_token
from tests.api.helpers import bearer, names_field, side_app, unique_name
from tests.conftest import (
    PASSWORD,
    Api,
    create_user_row,
)


@pytest.fixture(scope="module")
def side(settings: Settings) -> Iterator[tuple[Settings, TestClient]]:
    """An app whose login throttle no other test file touches; failed logins go here."""
    with side_app(settings, secret_key=settings.secret_key) as (app, c):
        yield app.state.settings, c


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
