"""services/api/live/access.py: who may watch an event live, by the same rules as HTTP."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from starlette.websockets import WebSocket

from services.api.live.access import TOKEN_EXPIRED, AccessGuard, bearer_token, watch_refusal
from shared.config import Settings
from shared.db import Database, write_unit
from shared.repositories import bookkeeping
from tests.conftest import Api, add_member, event_body


def websocket(query: str = "", headers: dict[str, str] | None = None) -> WebSocket:
    scope: dict[str, Any] = {
        "type": "websocket", "path": "/", "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    return WebSocket(scope, receive=None, send=None)  # type: ignore[arg-type]


def test_the_query_token_wins_then_a_bearer_header() -> None:
    assert bearer_token(websocket("token=q", {"Authorization": "Bearer h"})) == "q"
    assert bearer_token(websocket("", {"Authorization": "bearer h "})) == "h"
    assert bearer_token(websocket("token=", {"Authorization": "Basic h"})) is None
    assert bearer_token(websocket("", {"Authorization": "Bearer "})) is None
    assert bearer_token(websocket()) is None


@pytest.fixture
def event_id(admin: Api, database: Database) -> str:
    """A new event, its outbox covered as if the worker had run: these tests run first in the session,
    and an uncovered row would age past /readyz's outbox limit before later tests ask /readyz."""
    r = admin.post("/events", json=event_body())
    assert r.status_code == 201, r.text
    with write_unit(database) as uow:
        bookkeeping.mark_outbox_processed(uow.session, r.json()["id"], r.json()["data_seq"])
    return str(r.json()["id"])


def test_a_usable_token_on_a_visible_event_is_let_in_until_its_expiry(
        database: Database, settings: Settings, admin: Api, event_id: str) -> None:
    why, expires = watch_refusal(database, settings, admin.token, event_id)
    assert why is None
    assert expires > time.time()


def test_refusals_give_the_reason_the_socket_is_closed_with(
        database: Database, settings: Settings, admin: Api, relawan: Api, event_id: str) -> None:
    assert watch_refusal(database, settings, None, event_id)[0] == (
        "perlu masuk: kirim header Authorization: Bearer <token> (authentication required)")
    assert watch_refusal(database, settings, "not-a-token", event_id)[0] == (
        "token tidak sah atau kedaluwarsa (invalid or expired token)")
    assert watch_refusal(database, settings, admin.token, "no-such-event")[0] == "kejadian tidak ditemukan (event not found)"
    assert watch_refusal(database, settings, relawan.token, event_id)[0] == "kejadian tidak ditemukan (event not found)"

    assert relawan.user_id is not None
    add_member(admin, event_id, relawan.user_id)
    assert watch_refusal(database, settings, relawan.token, event_id)[0] is None


def test_the_guard_ends_at_the_tokens_expiry(database: Database, settings: Settings, admin: Api,
                                             event_id: str) -> None:
    guard = AccessGuard(database, settings, admin.token, event_id, expires=time.time() + 0.2)
    start = time.monotonic()
    assert anyio.run(guard.watch) == TOKEN_EXPIRED
    assert time.monotonic() - start < 2.0
    assert anyio.run(AccessGuard(database, settings, admin.token, event_id, expires=time.time() - 1).watch) == TOKEN_EXPIRED


def test_an_event_id_with_a_control_character_is_not_found_not_a_server_error(
        database: Database, settings: Settings, admin: Api, event_id: str) -> None:
    """PostgreSQL refuses NUL in a query parameter: the socket must still close with the plain refusal."""
    for bad in (event_id + "\x00", "\x00", event_id[:8] + "\x1b" + event_id[9:]):
        assert watch_refusal(database, settings, admin.token, bad)[0] == "kejadian tidak ditemukan (event not found)"
