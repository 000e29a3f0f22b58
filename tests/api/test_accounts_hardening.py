"""Issue 9 items 1–4: unforgeable tokens, revocation across processes, login throttling that cannot
lock anyone out, and the password rule. Real SQLite/PostgreSQL and real Redis.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import select

from services.api.main import create_app
from shared.config import DEFAULT_SECRET, Settings
from shared.db import Database, read_unit
from shared.models import AuditLog
from tests.conftest import PASSWORD, Api, add_member, create_user_row, event_body, login, make_settings

TOKEN = "/api/v1/auth/token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def app_client(settings: Settings, *, client: tuple[str, int] = ("testclient", 50000),
               **over: Any) -> Iterator[tuple[Any, TestClient]]:
    """Another app (another "API process") on the same database, with its own login counters."""
    app = create_app(make_settings(settings.database_url, **over))
    with TestClient(app, client=client) as c:
        yield app, c


def audit_actions(database: Database, user_id: int) -> list[str]:
    with read_unit(database) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.object_type == "user",
                                             AuditLog.object_id == str(user_id))).all()
        return [r.action for r in rows]


# ---- item 1: no forgeable tokens ----

@pytest.mark.parametrize("secret", ["x" * 31, "pendek", DEFAULT_SECRET, "é" * 15])
def test_short_or_public_secrets_are_refused_in_every_environment(secret: str) -> None:
    for env in ("development", "test", "production"):
        with pytest.raises(ValidationError) as info:
            Settings(env=env, secret_key=secret)
        assert "POSKO_SECRET_KEY" in str(info.value)


def test_production_is_compared_case_insensitively_and_needs_an_explicit_secret(tmp_path: Path) -> None:
    for env in ("Production", " PRODUCTION ", "production"):
        with pytest.raises(ValidationError) as info:
            Settings(env=env, secret_file=tmp_path / "secret_key")
        assert "wajib" in str(info.value)
    assert Settings(env="Production", secret_key="p" * 40).is_production


def test_a_token_signed_with_the_old_public_default_is_refused(settings: Settings, admin: Api,
                                                              tmp_path: Path) -> None:
    """An install that never set POSKO_SECRET_KEY signs with its own generated secret: a token forged
    with the public default (what every install accepted before) gets 401."""
    generated = Settings(env="test", database_url=settings.database_url, redis_url=settings.redis_url,
                         redis_key_prefix=settings.redis_key_prefix, secret_file=tmp_path / "secret_key")
    now = datetime.now(UTC)
    forged = jwt.encode({"sub": str(admin.user_id), "role": "admin", "ver": 0, "iat": now,
                         "exp": now + timedelta(hours=1)}, DEFAULT_SECRET, algorithm="HS256")
    with TestClient(create_app(generated)) as c:
        assert c.get("/api/v1/auth/me", headers=bearer(forged)).status_code == 401
        good = login(c, admin.username)
        assert c.get("/api/v1/auth/me", headers=bearer(good)).status_code == 200
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip().encode()) >= 32
    # another process of the same install (same var/) verifies the same tokens
    again = generated.model_copy()
    with TestClient(create_app(again)) as c:
        assert c.get("/api/v1/auth/me", headers=bearer(good)).status_code == 200


# ---- item 2: revocation at once, across API processes ----

@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_account_changes_revoke_tokens_at_once_in_another_process(settings: Settings, database: Database,
                                                                 admin: Api, change: str) -> None:
    """Two apps on one database: the token is used on B (so B has seen it), the change is made on A,
    and B refuses the token on the very next request."""
    user_id, username = create_user_row(database, "posko")
    with app_client(settings, secret_key=settings.secret_key) as (_, a), \
            app_client(settings, secret_key=settings.secret_key) as (_, b):
        token = login(b, username)
        assert b.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
        admin_token = login(a, admin.username)
        body = {"password": {"password": "kata-sandi-baru-789"}, "role": {"role": "relawan"},
                "disable": {"is_active": False}}[change]
        r = a.patch(f"/api/v1/users/{user_id}", json=body, headers=bearer(admin_token))
        assert r.status_code == 200, r.text
        refused = b.get("/api/v1/auth/me", headers=bearer(token))
        assert refused.status_code == 401, refused.text
        assert "dicabut" in refused.json()["detail"] or "tidak aktif" in refused.json()["detail"]
        if change != "disable":  # a fresh login works and sees the change
            new_password = "kata-sandi-baru-789" if change == "password" else PASSWORD
            fresh = login(b, username, new_password)
            assert b.get("/api/v1/auth/me", headers=bearer(fresh)).json()["role"] == (
                "relawan" if change == "role" else "posko")
    expected = {"password": "user.password_change", "role": "user.role_change", "disable": "user.disable"}[change]
    assert expected in audit_actions(database, user_id)


def test_a_change_that_does_not_touch_access_keeps_tokens(settings: Settings, database: Database,
                                                          admin: Api) -> None:
    """Renaming a user is not a reason to log them out."""
    user_id, username = create_user_row(database, "posko")
    with app_client(settings, secret_key=settings.secret_key) as (_, c):
        token = login(c, username)
        assert admin.patch(f"/users/{user_id}", json={"full_name": "Nama Baru"}).status_code == 200
        assert c.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200


def test_removed_member_loses_the_event_at_once_in_another_process(settings: Settings, database: Database,
                                                                  admin: Api) -> None:
    user_id, username = create_user_row(database, "relawan")
    ev = admin.post("/events", json=event_body())
    assert ev.status_code == 201, ev.text
    eid = ev.json()["id"]
    add_member(admin, eid, user_id)
    with app_client(settings, secret_key=settings.secret_key) as (_, b):
        token = login(b, username)
        assert b.get(f"/api/v1/events/{eid}", headers=bearer(token)).status_code == 200
        assert admin.delete(f"/events/{eid}/members/{user_id}").status_code == 204
        assert b.get(f"/api/v1/events/{eid}", headers=bearer(token)).status_code == 404
    with read_unit(database) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "member.remove", AuditLog.event_id == eid)).all()
        assert [r.object_id for r in rows] == [str(user_id)]


def test_a_token_without_a_version_is_refused(settings: Settings, admin: Api, client: TestClient) -> None:
    """Tokens issued before versions existed carry no `ver`: they cannot be revoked, so they are refused."""
    now = datetime.now(UTC)
    old = jwt.encode({"sub": str(admin.user_id), "role": "admin", "iat": now, "exp": now + timedelta(hours=1)},
                     settings.secret_key, algorithm="HS256")
    assert client.get("/api/v1/auth/me", headers=bearer(old)).status_code == 401


# ---- item 3: throttling that cannot lock anyone out ----

def fail(c: TestClient, username: str, headers: dict[str, str] | None = None) -> int:
    return c.post(TOKEN, data={"username": username, "password": "salah-sandi-123"}, headers=headers).status_code


def test_an_attacker_cannot_lock_the_admin_out(settings: Settings, database: Database) -> None:
    """Many failures for one username from one address: that address waits, the real user on another
    address logs in at once (a hard per-username lockout let anyone keep the admin out)."""
    _, victim = create_user_row(database, "admin")
    over = dict(login_attempts_per_window=3)
    with app_client(settings, client=("203.0.113.66", 4000), **over) as (app, attacker):
        codes = [fail(attacker, victim) for _ in range(40)]
        assert codes[:3] == [401, 401, 401] and 429 in codes
        # the real admin, from the posko's own address, same counters (same Redis prefix)
        real = TestClient(app, client=("192.168.1.20", 5000))  # no `with`: the app is already started
        r = real.post(TOKEN, data={"username": victim, "password": PASSWORD})
        assert r.status_code == 200, r.text


def test_per_user_delay_grows_and_is_capped(settings: Settings, database: Database) -> None:
    """After N failures the next attempt waits 1 s, then 2 s, … never more than the configured maximum;
    while waiting the answer is 429 with Retry-After, and once the wait is over the right password works."""
    _, username = create_user_row(database, "posko")
    with app_client(settings, login_attempts_per_window=2, login_backoff_max_seconds=2) as (_, c):
        assert [fail(c, username) for _ in range(2)] == [401, 401]
        blocked = c.post(TOKEN, data={"username": username, "password": PASSWORD})
        assert blocked.status_code == 429
        assert blocked.headers["Retry-After"] == "1"
        time.sleep(1.1)
        assert fail(c, username) == 401  # the third failure: the next wait doubles
        second = c.post(TOKEN, data={"username": username, "password": PASSWORD})
        assert second.status_code == 429 and second.headers["Retry-After"] == "2"
        time.sleep(2.1)
        assert fail(c, username) == 401
        capped = c.post(TOKEN, data={"username": username, "password": PASSWORD})
        assert capped.status_code == 429 and capped.headers["Retry-After"] == "2"  # 4 s capped at 2
        time.sleep(2.1)
        assert c.post(TOKEN, data={"username": username, "password": PASSWORD}).status_code == 200


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings: Settings, database: Database) -> None:
    """Behind a trusted proxy each client counts on its own address; from anyone else the header is
    ignored, so rotating made-up addresses does not escape the limit."""
    _, victim = create_user_row(database, "posko")
    _, other = create_user_row(database, "posko")
    over = dict(login_attempts_per_window=2, trusted_proxies="10.9.9.9, 172.16.0.0/12")
    with app_client(settings, client=("10.9.9.9", 1000), **over) as (app, proxy):
        # one client behind the proxy exhausts its address (hard limit 2 × 5 = 10 failures)
        for i in range(12):
            fail(proxy, f"nobody-{i}", {"X-Forwarded-For": "198.51.100.7"})
        assert fail(proxy, victim, {"X-Forwarded-For": "198.51.100.7"}) == 429
        # another client behind the same proxy is not held back by that (the proxy's own address
        # was all anyone saw before)
        ok = proxy.post(TOKEN, data={"username": other, "password": PASSWORD},
                        headers={"X-Forwarded-For": "203.0.113.9, 172.16.4.4"})
        assert ok.status_code == 200, ok.text
        direct = TestClient(app, client=("192.0.2.50", 2000))  # not a trusted proxy
        codes = [fail(direct, victim, {"X-Forwarded-For": f"198.18.0.{i}"}) for i in range(4)]
        assert codes == [401, 401, 429, 429]


def test_long_usernames_are_422_and_usernames_are_hashed_in_redis(settings: Settings, database: Database,
                                                                  redis_client: redis.Redis) -> None:
    _, username = create_user_row(database, "relawan")
    with app_client(settings) as (app, c):
        r = c.post(TOKEN, data={"username": "a" * 65, "password": "salah-sandi-123"})
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert detail[0]["loc"] == ["body", "username"] and "maksimal 64" in detail[0]["msg"]
        assert fail(c, username) == 401
        prefix = app.state.settings.redis_key_prefix
        keys = [k.decode() for k in redis_client.scan_iter(f"{prefix}:*")]
        assert keys, "the failure was counted in Redis"
        assert not any(username in k for k in keys), keys
        assert any(len(part) == 32 for k in keys for part in k.split(":")), keys


# ---- item 4: passwords ----

@pytest.mark.parametrize("password", ["rahasia12", "indonesia123", "Bismillah123", "SAYANGKU12345", "posko12345",
                                      "1234567890", "qwertyuiop"])
def test_weak_passwords_are_refused_on_create(admin: Api, password: str) -> None:
    r = admin.post("/users", json={"username": f"lemah-{uuid.uuid4().hex[:8]}", "password": password,
                                   "role": "relawan"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["loc"] == ["body", "password"]
    assert "kata sandi" in detail[0]["msg"]


def test_password_equal_to_the_username_is_refused(admin: Api) -> None:
    username = f"petugas-{uuid.uuid4().hex[:6]}"
    r = admin.post("/users", json={"username": username, "password": username.upper(), "role": "posko"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]
    created = admin.post("/users", json={"username": username, "password": PASSWORD, "role": "posko"})
    assert created.status_code == 201
    uid = created.json()["id"]
    same = admin.patch(f"/users/{uid}", json={"password": username})
    assert same.status_code == 422 and same.json()["detail"][0]["loc"] == ["body", "password"]
    common = admin.patch(f"/users/{uid}", json={"password": "alhamdulillah123"})
    assert common.status_code == 422 and "umum" in common.json()["detail"][0]["msg"]
    short = admin.patch(f"/users/{uid}", json={"password": "pendek-9c"})
    assert short.status_code == 422 and "minimal 10" in short.json()["detail"][0]["msg"]


def test_the_shipped_list_is_a_real_list() -> None:
    from shared.domain.passwords import common_passwords

    words = common_passwords()
    assert 300 <= len(words) <= 10_000
    for w in ("indonesia123", "bismillah", "sayangku", "posko12345", "password", "123456789"):
        assert w in words
