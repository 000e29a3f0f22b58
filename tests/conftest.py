"""Test fixtures: real SQLite and PostgreSQL databases, real Redis, the real app.

Every test that uses `api` (or anything built on it) runs once per backend: `sqlite` (a fresh
file per session) and `postgres` (a fresh database per session, dropped afterwards). Tests keep
out of each other's way by creating their own events and users, never by cleaning tables.
PostgreSQL tests skip, saying why, only when `scripts/test-services.sh` found no server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select

from services.api.main import create_app
from services.worker import jobs
from shared.config import Settings
from shared.db import Database, make_database, read_unit, write_unit
from shared.migrate import upgrade
from shared.models import User
from shared.security import hash_password

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("POSKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WIB = __import__("zoneinfo").ZoneInfo("Asia/Jakarta")
PASSWORD = "rahasia-uji-123"
KELURAHAN = "12.75.04.1004"  # a Binjai kelurahan from shared/data/wilayah_binjai.json
KELURAHAN_2 = "12.75.01.1001"


def postgres_admin_url() -> str | None:
    """The server URL found by scripts/test-services.sh (or POSKO_TEST_POSTGRES_URL)."""
    env = os.environ.get("POSKO_TEST_POSTGRES_URL")
    if env:
        return env
    f = ROOT / "var" / "test-postgres-url"
    if f.exists():
        return f.read_text().strip() or None
    default = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        psycopg.connect(default, connect_timeout=2).close()
        return default
    except psycopg.Error:
        return None


def _swap_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def redis_client() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:  # the test command starts Redis; without it nothing here is meaningful
        pytest.fail(f"Redis at {REDIS_URL} is not answering (make test starts it): {exc}")
    return client


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'posko-test.db'}"


def own_database(backend: str, directory: Path, tag: str) -> Iterator[str]:
    """A database of its own for a test or module: a SQLite file in `directory`, or a PostgreSQL
    database created for it and dropped afterwards (skips, saying why, when no server was found)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{tag}.db'}"
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL server could be started (scripts/test-services.sh): PostgreSQL tests skipped")
    name = f"posko_{tag}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _swap_db(admin, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from own_database("postgres", tmp_path_factory.getbasetemp(), "test")


def make_settings(database_url: str, **overrides: Any) -> Settings:
    tag = uuid.uuid4().hex[:8]
    values: dict[str, Any] = dict(env="test", database_url=database_url, redis_url=REDIS_URL,
                                  secret_key="test-secret-" + uuid.uuid4().hex,
                                  redis_key_prefix=f"posko-test-{tag}", queue_name=f"posko-test-{tag}",
                                  # jobs called in the test's process verify there and return the result;
                                  # tests/worker/test_verify_child.py runs them in a forked child, as the worker does
                                  verify_in_child=False)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def settings(backend: str, request: pytest.FixtureRequest, redis_client: redis.Redis) -> Settings:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    s = make_settings(url)
    upgrade(s)
    return s


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    db = make_database(settings)
    yield db
    db.dispose()


@pytest.fixture
def worker_ctx(settings: Settings) -> Iterator[jobs.WorkerContext]:
    """The worker's job context on the session's database and queue (jobs called in the test's process)."""
    ctx = jobs.configure(settings)
    yield ctx
    ctx.db.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Any:
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class Api:
    """A logged-in test client: `api.get(...)`, `api.post(...)` under /api/v1 with the bearer token."""

    client: TestClient
    token: str | None
    user_id: int | None
    username: str
    role: str
    headers: dict[str, str] = field(default_factory=dict)

    def _h(self, extra: dict[str, str] | None) -> dict[str, str]:
        h = dict(self.headers)
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get("/api/v1" + path, headers=self._h(kw.pop("headers", None)), **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.post("/api/v1" + path, headers=self._h(kw.pop("headers", None)), **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.patch("/api/v1" + path, headers=self._h(kw.pop("headers", None)), **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.put("/api/v1" + path, headers=self._h(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.delete("/api/v1" + path, headers=self._h(kw.pop("headers", None)), **kw)


def create_user_row(db: Database, role: str, username: str | None = None) -> tuple[int, str]:
    username = username or f"{role}-{uuid.uuid4().hex[:8]}"
    with write_unit(db) as uow:
        user = User(username=username, full_name=f"Uji {role.title()}", role=role, password_hash=hash_password(PASSWORD))
        uow.session.add(user)
        uow.session.flush()
        assert user.id is not None
        return user.id, username


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture(scope="session")
def make_api(client: TestClient, database: Database) -> Callable[..., Api]:
    """`make_api("relawan")` → a new user of that role, logged in."""

    def make(role: str) -> Api:
        user_id, username = create_user_row(database, role)
        return Api(client=client, token=login(client, username), user_id=user_id, username=username, role=role)

    return make


@pytest.fixture(scope="session")
def admin(make_api: Callable[..., Api]) -> Api:
    return make_api("admin")


@pytest.fixture(scope="session")
def posko(make_api: Callable[..., Api]) -> Api:
    return make_api("posko")


@pytest.fixture(scope="session")
def pengamat(make_api: Callable[..., Api]) -> Api:
    return make_api("pengamat")


@pytest.fixture
def relawan(make_api: Callable[..., Api]) -> Api:
    """A fresh relawan, member of nothing."""
    return make_api("relawan")


@pytest.fixture
def anon(client: TestClient) -> Api:
    return Api(client=client, token=None, user_id=None, username="", role="anon")


# ---- builders: small, realistic records ----

def new_id() -> str:
    return str(uuid.uuid4())


def iso(dt: datetime) -> str:
    return dt.isoformat()


def now_wib() -> datetime:
    return datetime.now(WIB)


def event_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "name": "Banjir Binjai Timur", "kind": "banjir",
            "started_at": iso(now_wib() - timedelta(days=2)), "kelurahan_codes": [KELURAHAN]}
    body.update(over)
    return body


def shelter_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "name": "SD Negeri 020 Binjai", "kelurahan_code": KELURAHAN, "kind": "sekolah",
            "capacity_persons": 120, "covered_area_m2": 300.0, "toilets": 4,
            "opened_at": iso(now_wib() - timedelta(days=2))}
    body.update(over)
    return body


def household_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "head_name": "Ahmad Siregar", "kk_number": "1275040101090001",
            "kelurahan_code": KELURAHAN, "address": "Jl. Sudirman Gg. Mawar No. 5"}
    body.update(over)
    return body


_nik_serial = iter(range(1, 10_000_000))


def fresh_nik(female: bool = False, born: str | None = None) -> str:
    """A plausible, unique NIK (Binjai Timur prefix, born 12-05-1985 unless `born` YYYY-MM-DD says otherwise:
    a NIK must agree with the birth date and sex it is registered with)."""
    year, month, day = (int(x) for x in (born or "1985-05-12").split("-"))
    return f"127504{day + (40 if female else 0):02d}{month:02d}{year % 100:02d}{next(_nik_serial) % 9000 + 1000:04d}"


def person_body(**over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "full_name": "Siti Aminah", "sex": "P", "birth_date": "1985-05-12",
            "registered_at": iso(now_wib() - timedelta(days=1))}
    body.update(over)
    return body


@dataclass
class Scene:
    """An event with one shelter and one household, written by `api` (admin unless said otherwise)."""

    api: Api
    event: dict[str, Any]
    shelter: dict[str, Any]
    household: dict[str, Any]

    @property
    def eid(self) -> str:
        return self.event["id"]

    def person(self, **over: Any) -> dict[str, Any]:
        r = self.api.post(f"/events/{self.eid}/persons", json=person_body(**over))
        assert r.status_code == 201, r.text
        return r.json()


def count(database: Database, model: Any, **where: Any) -> int:
    """Rows of `model` matching every `column == value`."""
    with read_unit(database) as s:
        q = select(func.count()).select_from(model)
        for name, value in where.items():
            q = q.where(getattr(model, name) == value)
        return int(s.exec(q).one())


def event_seq(api: Api, event_id: str) -> int:
    """The event's data_seq as GET /events/{id} answers it."""
    r = api.get(f"/events/{event_id}")
    assert r.status_code == 200, r.text
    return int(r.json()["data_seq"])


def build_scene(api: Api, **event_over: Any) -> Scene:
    ev = api.post("/events", json=event_body(**event_over))
    assert ev.status_code == 201, ev.text
    eid = ev.json()["id"]
    sh = api.post(f"/events/{eid}/shelters", json=shelter_body())
    assert sh.status_code == 201, sh.text
    hh = api.post(f"/events/{eid}/households", json=household_body())
    assert hh.status_code == 201, hh.text
    return Scene(api=api, event=ev.json(), shelter=sh.json(), household=hh.json())


@pytest.fixture
def scene(admin: Api) -> Scene:
    return build_scene(admin)


def add_member(api: Api, event_id: str, user_id: int) -> None:
    r = api.post(f"/events/{event_id}/members", json={"user_id": user_id})
    assert r.status_code in (200, 201), r.text


def utc(dt: str) -> datetime:
    return datetime.fromisoformat(dt).astimezone(UTC)
