"""A request body over POSKO_MAX_BODY_BYTES is refused with 413, also when it is streamed (chunked,
no Content-Length), and nothing is written. Real uvicorn process, httpx streaming a generator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.config import Settings
from shared.db import Database
from shared.models import Household
from tests.api.live_server import LiveServer
from tests.conftest import PASSWORD, Api, build_scene, count, create_user_row, household_body

LIMIT = 20_000


@pytest.fixture(scope="module")
def small_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    mp = pytest.MonkeyPatch()
    mp.setenv("POSKO_MAX_BODY_BYTES", str(LIMIT))  # server_env copies os.environ
    try:
        with LiveServer(settings, tmp_path_factory.mktemp("uvicorn-limit")) as server:
            yield server
    finally:
        mp.undo()


def chunks(body: bytes, size: int = 4096) -> Iterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i:i + size]


def test_streamed_sync_body_over_the_limit_is_413_and_writes_nothing(
        small_server: LiveServer, admin: Api, database: Database) -> None:
    eid = build_scene(admin).eid
    before = count(database, Household, event_id=eid)
    records = [{"type": "household", "event_id": eid, "data": household_body()} for _ in range(200)]
    body = json.dumps({"records": records}).encode()
    assert len(body) > LIMIT
    _, username = create_user_row(database, "admin")
    token = small_server.login(username, PASSWORD)
    r = httpx.post(small_server.base_url + "/api/v1/sync", content=chunks(body), timeout=30.0,
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 413, r.text
    assert "terlalu besar" in r.json()["detail"]
    assert count(database, Household, event_id=eid) == before
    # the same batch under the limit is accepted: the limit, not the content, refused it
    small = json.dumps({"records": records[:3]}).encode()
    r = httpx.post(small_server.base_url + "/api/v1/sync", content=chunks(small), timeout=30.0,
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert count(database, Household, event_id=eid) == before + 3


@pytest.mark.parametrize("path,content_type", [
    ("/api/v1/auth/token", "application/x-www-form-urlencoded"),
    ("/api/v1/events", "application/json"),
])
def test_streamed_body_over_the_limit_is_413_everywhere(small_server: LiveServer, path: str, content_type: str) -> None:
    body: Any = b"username=" + b"a" * (LIMIT * 2) + b"&password=x" if "form" in content_type \
        else json.dumps({"name": "x" * (LIMIT * 2)}).encode()
    r = httpx.post(small_server.base_url + path, content=chunks(body), timeout=30.0,
                   headers={"Content-Type": content_type})
    assert r.status_code == 413, r.text
