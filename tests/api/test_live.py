"""Live status websocket (`/api/v1/events/{id}/live`) and the per-process `LiveHub`.

Real Redis and both database backends. Snapshots are announced the way the worker does it
(services/worker/jobs.py): the row in `event_status` is stored first, then `jobs.publish` sends it
on the event's channel; stale messages are published without a row.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis
from fastapi.testclient import TestClient
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from services.api.live import LiveHub
from services.api.main import create_app
from services.worker import jobs
from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.queue import make_queue
from shared.redis import Keys
from shared.repositories import status as status_repo
from shared.security import create_access_token
from tests.api.live_server import ROOT, LiveServer, server_env
from tests.conftest import Api, add_member, build_scene, event_body, person_body

RECEIVE_TIMEOUT = 5.0


# ---- helpers ----

def live_path(event_id: str, token: str | None = None, last_seq: int | str | None = None) -> str:
    params = []
    if token is not None:
        params.append(f"token={token}")
    if last_seq is not None:
        params.append(f"last_seq={last_seq}")
    return f"/api/v1/events/{event_id}/live" + ("?" + "&".join(params) if params else "")


def receive(ws: WebSocketTestSession, timeout: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
    """The next message as JSON; TimeoutError if none comes in time; WebSocketDisconnect on a close.

    TestClient's own receive blocks forever; this reads the same in-memory stream with a deadline.
    """

    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()  # the stream TestClient's receive() reads

    message = ws.portal.call(next_message)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))
    return json.loads(message["text"])


def assert_silent(ws: WebSocketTestSession, seconds: float = 0.5) -> None:
    with pytest.raises(TimeoutError):
        receive(ws, timeout=seconds)


def snapshot_body(event_id: str, seq: int, data_seq: int | None = None) -> dict[str, Any]:
    """A stored snapshot body (shape of docs/api.md's snapshot; values are the test's own)."""
    return {"event_id": event_id, "seq": seq, "data_seq": seq if data_seq is None else data_seq,
            "as_of": datetime.now(UTC).isoformat(), "standard_code": "default",
            "people": {"registered": seq}, "indicator": {}, "needs": [], "shelters": []}


def store_status(database: Database, event_id: str, seq: int) -> dict[str, Any]:
    """What the worker stores before it publishes: the event's latest snapshot row."""
    body = snapshot_body(event_id, seq)
    with write_unit(database) as uow:
        current = status_repo.latest(uow.session, event_id, for_update=True)
        status_repo.save_latest(uow.session, current, event_id, seq, seq, datetime.now(UTC), body, [])
    return body


class Announcer:
    """Stores and publishes snapshots exactly as `jobs.recompute` does (row first, then `jobs.publish`)."""

    def __init__(self, settings: Settings, database: Database, redis_client: redis.Redis) -> None:
        self.database = database
        self.redis = redis_client
        self.keys = Keys(settings.redis_key_prefix)
        self.ctx = jobs.WorkerContext(settings=settings, db=database, redis=redis_client, keys=self.keys)

    def store(self, event_id: str, seq: int) -> dict[str, Any]:
        return store_status(self.database, event_id, seq)

    def announce(self, event_id: str, seq: int) -> None:
        jobs.publish(self.ctx, event_id, seq, self.store(event_id, seq))

    def publish_only(self, event_id: str, seq: int) -> None:
        """A message without a stored row: a stale or duplicate publication."""
        jobs.publish(self.ctx, event_id, seq, snapshot_body(event_id, seq))

    def publish_burst(self, event_id: str, seqs: range) -> None:
        """Many publications sent in one round trip (a client cannot read them as fast as they come)."""
        pipe = self.redis.pipeline(transaction=False)
        for seq in seqs:
            message = {"type": "status", "event_id": event_id, "seq": seq, "data": snapshot_body(event_id, seq)}
            pipe.publish(self.keys.event_channel(event_id), json.dumps(message))
        pipe.execute()

    def numsub(self, event_id: str) -> int:
        channel = self.keys.event_channel(event_id)
        return int(dict(self.redis.pubsub_numsub(channel))[channel.encode()])


@pytest.fixture
def announcer(settings: Settings, database: Database, redis_client: redis.Redis) -> Announcer:
    return Announcer(settings, database, redis_client)


@pytest.fixture
def hub(app: Any) -> LiveHub:
    return app.state.live


def new_event(api: Api) -> str:
    r = api.post("/events", json=event_body())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def on_loop(client: TestClient, fn: Callable[[], Any]) -> Any:
    """Run `fn` on the app's event loop (the hub's state belongs to it)."""
    assert client.portal is not None, "the session client is entered (lifespan running)"
    return client.portal.call(fn)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def wait_subscribed(client: TestClient, hub: LiveHub, event_id: str, clients: int = 1) -> None:
    """Until the hub has `clients` clients of the event and Redis confirmed the channel."""
    wait_until(lambda: on_loop(client, lambda: hub.client_count(event_id) == clients
                               and hub.channel(event_id) in hub.live_channels), what="the hub's subscription")


def refused(client: TestClient, path: str) -> WebSocketDisconnect:
    """Connect (the server accepts), then expect a close instead of a message."""
    with client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as info:
        receive(ws)
    return info.value


# ---- the snapshot on connect, and what follows ----

def test_connect_sends_the_current_stored_snapshot(admin: Api, announcer: Announcer) -> None:
    """A valid token on a visible event → `{type: "status", seq, data}` with the stored snapshot, at once."""
    eid = new_event(admin)
    body = announcer.store(eid, 3)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as ws:
        msg = receive(ws)
    assert msg["type"] == "status"
    assert msg["seq"] == 3
    assert msg["data"] == body
    assert msg["data"]["event_id"] == eid


def test_newer_publication_arrives_older_or_equal_never_does(admin: Api, announcer: Announcer) -> None:
    """After the snapshot (seq 3): seq 2 and 3 are never sent; seq 4 is; then 4 again is not, 5 is."""
    eid = new_event(admin)
    announcer.store(eid, 3)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as ws:
        assert receive(ws)["seq"] == 3
        announcer.publish_only(eid, 2)
        announcer.publish_only(eid, 3)
        announcer.announce(eid, 4)
        msg = receive(ws)
        assert (msg["seq"], msg["data"]["seq"]) == (4, 4)
        announcer.publish_only(eid, 4)
        announcer.publish_only(eid, 1)
        announcer.announce(eid, 5)
        assert receive(ws)["seq"] == 5
        assert_silent(ws, 0.3)


def test_reconnect_with_an_old_last_seq_gets_the_current_snapshot_at_once(admin: Api, announcer: Announcer) -> None:
    """last_seq below the current seq → the current snapshot is sent without waiting for a publication."""
    eid = new_event(admin)
    announcer.store(eid, 7)
    with admin.client.websocket_connect(live_path(eid, admin.token, last_seq=4)) as ws:
        msg = receive(ws, timeout=2.0)
    assert msg["seq"] == 7


def test_reconnect_with_the_current_last_seq_gets_nothing_until_the_next_publication(
        admin: Api, announcer: Announcer, hub: LiveHub) -> None:
    """last_seq == the current seq (or above) → no message; the next snapshot is then sent."""
    eid = new_event(admin)
    announcer.store(eid, 7)
    with admin.client.websocket_connect(live_path(eid, admin.token, last_seq=7)) as ws:
        wait_subscribed(admin.client, hub, eid)
        assert_silent(ws)
        announcer.announce(eid, 8)
        assert receive(ws)["seq"] == 8
    with admin.client.websocket_connect(live_path(eid, admin.token, last_seq=9)) as ws:
        wait_subscribed(admin.client, hub, eid)
        assert_silent(ws, 0.3)
        announcer.announce(eid, 9)  # not newer than what the client said it has
        announcer.announce(eid, 10)
        assert receive(ws)["seq"] == 10


def test_snapshot_stored_between_connect_and_subscription_is_not_lost(admin: Api, announcer: Announcer) -> None:
    """Announced right after connecting (before the hub may have subscribed): the client still gets it."""
    eid = new_event(admin)
    announcer.store(eid, 1)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as ws:
        announcer.announce(eid, 2)
        seqs = [receive(ws)["seq"]]
        if seqs[0] != 2:
            seqs.append(receive(ws)["seq"])
    assert seqs[-1] == 2
    assert seqs == sorted(set(seqs))


def test_token_in_the_authorization_header_is_accepted(admin: Api, announcer: Announcer) -> None:
    """Non-browser clients may send `Authorization: Bearer` instead of `?token=`."""
    eid = new_event(admin)
    announcer.store(eid, 2)
    with admin.client.websocket_connect(live_path(eid), headers={"Authorization": f"Bearer {admin.token}"}) as ws:
        assert receive(ws)["seq"] == 2


# ---- who may watch ----

def test_missing_token_closes_with_1008(admin: Api, announcer: Announcer) -> None:
    eid = new_event(admin)
    announcer.store(eid, 1)
    closed = refused(admin.client, live_path(eid))
    assert closed.code == 1008
    assert "token" in closed.reason


def test_bad_forged_or_expired_token_closes_with_1008(admin: Api, settings: Settings, announcer: Announcer) -> None:
    """Garbage, a token signed with another key, and an expired one: all closed with 1008."""
    eid = new_event(admin)
    announcer.store(eid, 1)
    assert admin.user_id is not None
    forged, _ = create_access_token(settings.model_copy(update={"secret_key": "another-key-" + "x" * 20}),
                                    user_id=admin.user_id, role="admin")
    expired, _ = create_access_token(settings.model_copy(update={"access_token_minutes": -1}),
                                     user_id=admin.user_id, role="admin")
    for token in ("not-a-token", forged, expired):
        closed = refused(admin.client, live_path(eid, token))
        assert closed.code == 1008, token
        assert "token" in closed.reason


def test_unknown_event_closes_with_1008(admin: Api) -> None:
    closed = refused(admin.client, live_path("00000000-0000-4000-8000-000000000000", admin.token))
    assert closed.code == 1008
    assert "not found" in closed.reason


def test_relawan_non_member_is_refused_member_is_served(admin: Api, relawan: Api, announcer: Announcer) -> None:
    """A relawan sees only events it is a member of: others close with 1008, like the 404 of GET /status."""
    eid = new_event(admin)
    announcer.store(eid, 4)
    assert relawan.get(f"/events/{eid}/status").status_code == 404
    closed = refused(relawan.client, live_path(eid, relawan.token))
    assert closed.code == 1008
    assert relawan.user_id is not None
    add_member(admin, eid, relawan.user_id)
    with relawan.client.websocket_connect(live_path(eid, relawan.token)) as ws:
        assert receive(ws)["seq"] == 4


def test_pengamat_and_posko_may_watch_any_event(admin: Api, posko: Api, pengamat: Api, announcer: Announcer) -> None:
    eid = new_event(admin)
    announcer.store(eid, 2)
    for api in (posko, pengamat):
        with api.client.websocket_connect(live_path(eid, api.token)) as ws:
            assert receive(ws)["seq"] == 2, api.role


def test_invalid_last_seq_closes_with_1008(admin: Api, announcer: Announcer) -> None:
    eid = new_event(admin)
    announcer.store(eid, 1)
    closed = refused(admin.client, live_path(eid, admin.token, last_seq="abc"))
    assert closed.code == 1008
    assert "last_seq" in closed.reason


def test_refused_clients_leave_no_subscription(admin: Api, relawan: Api, hub: LiveHub, announcer: Announcer) -> None:
    """A refused connection never reaches the hub: no client, no Redis subscription for the event."""
    eid = new_event(admin)
    refused(relawan.client, live_path(eid, relawan.token))
    assert on_loop(admin.client, lambda: hub.client_count(eid)) == 0
    assert hub.channel(eid) not in on_loop(admin.client, lambda: hub.subscribed_channels)
    assert announcer.numsub(eid) == 0


# ---- slow clients and sharing ----

def test_slow_client_gets_the_newest_snapshot_not_a_backlog(admin: Api, announcer: Announcer) -> None:
    """50 snapshots published while the client does not read → it soon reads seq 50, without the backlog."""
    eid = new_event(admin)
    announcer.store(eid, 0)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as ws:
        assert receive(ws)["seq"] == 0  # subscribed and served
        announcer.publish_burst(eid, range(1, 51))
        time.sleep(0.5)  # not reading
        started = time.monotonic()
        seqs = [receive(ws)["seq"]]
        while seqs[-1] != 50:
            seqs.append(receive(ws)["seq"])
        elapsed = time.monotonic() - started
        assert_silent(ws, 0.3)
    assert seqs == sorted(set(seqs)), seqs
    assert len(seqs) <= 5, f"a backlog was kept: {seqs}"
    assert elapsed < 2.0


def test_latest_slot_keeps_only_the_newest_pending_snapshot(admin: Api, hub: LiveHub, announcer: Announcer) -> None:
    """Hub level: a client slot nobody takes from holds one snapshot, the newest, after 50 publications."""
    eid = new_event(admin)
    client = admin.client

    async def join() -> Any:
        subscription = hub.subscription(eid, -1)
        return subscription, await subscription.__aenter__()

    subscription, slot = on_loop(client, join)
    try:
        wait_subscribed(client, hub, eid)
        announcer.publish_burst(eid, range(1, 51))
        wait_until(lambda: on_loop(client, lambda: slot.pending is not None and slot.pending.seq == 50),
                   what="seq 50 in the slot")
        first = on_loop(client, slot.next)
        assert first is not None and first.seq == 50
        assert json.loads(first.text)["data"]["seq"] == 50
        assert on_loop(client, lambda: slot.pending) is None  # nothing else was kept
        announcer.publish_burst(eid, range(10, 51))  # older or equal: ignored
        announcer.publish_burst(eid, range(51, 52))
        wait_until(lambda: on_loop(client, lambda: slot.pending is not None), what="seq 51 in the slot")
        second = on_loop(client, slot.next)
        assert second is not None and second.seq == 51
    finally:
        on_loop(client, lambda: subscription.__aexit__(None, None, None))


def test_two_clients_of_one_event_share_one_redis_subscription(admin: Api, posko: Api, hub: LiveHub,
                                                              announcer: Announcer, redis_client: redis.Redis) -> None:
    """One pub/sub channel in the hub and one subscriber in Redis for two clients; both get each snapshot.
    The channel is dropped when the last client leaves."""
    eid = new_event(admin)
    announcer.store(eid, 1)
    channel = hub.channel(eid)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as first, \
            posko.client.websocket_connect(live_path(eid, posko.token)) as second:
        assert receive(first)["seq"] == 1
        assert receive(second)["seq"] == 1
        wait_subscribed(admin.client, hub, eid, clients=2)
        assert [c for c in on_loop(admin.client, lambda: hub.subscribed_channels) if c == channel] == [channel]
        assert announcer.numsub(eid) == 1
        names = [c["name"] for c in redis_client.client_list() if c.get("name") == hub.client_name]
        assert names == [hub.client_name], "one hub connection per process"
        announcer.announce(eid, 2)
        assert receive(first)["seq"] == 2
        assert receive(second)["seq"] == 2
    wait_until(lambda: channel not in on_loop(admin.client, lambda: hub.subscribed_channels)
               and announcer.numsub(eid) == 0, what="the unsubscription after the last client left")


def test_one_client_leaving_keeps_the_subscription_for_the_other(admin: Api, hub: LiveHub,
                                                                announcer: Announcer) -> None:
    eid = new_event(admin)
    announcer.store(eid, 1)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as staying:
        assert receive(staying)["seq"] == 1
        with admin.client.websocket_connect(live_path(eid, admin.token)) as leaving:
            assert receive(leaving)["seq"] == 1
        wait_until(lambda: on_loop(admin.client, lambda: hub.client_count(eid)) == 1, what="one client left")
        assert announcer.numsub(eid) == 1
        announcer.announce(eid, 2)
        assert receive(staying)["seq"] == 2


# ---- Redis outages and shutdown ----

def kill_hub_connection(redis_client: redis.Redis, hub: LiveHub) -> None:
    ids = [c["id"] for c in redis_client.client_list() if c.get("name") == hub.client_name]
    assert len(ids) == 1, ids
    redis_client.client_kill_filter(_id=ids[0])


def test_after_redis_drops_the_hub_reconnects_and_catches_up_from_the_database(
        admin: Api, hub: LiveHub, announcer: Announcer, redis_client: redis.Redis) -> None:
    """The hub's connection is killed; a snapshot stored while it was away (its publication lost) reaches
    the client after the reconnect, and later publications arrive again (re-subscribed)."""
    eid = new_event(admin)
    announcer.store(eid, 1)
    with admin.client.websocket_connect(live_path(eid, admin.token)) as ws:
        assert receive(ws)["seq"] == 1
        wait_subscribed(admin.client, hub, eid)
        before = on_loop(admin.client, lambda: hub.connections)
        announcer.store(eid, 2)  # stored, never published: as if published while the hub was away
        kill_hub_connection(redis_client, hub)
        msg = receive(ws)
        assert msg["seq"] == 2
        assert msg["data"]["seq"] == 2
        assert on_loop(admin.client, lambda: hub.connections) == before + 1
        wait_subscribed(admin.client, hub, eid)
        assert announcer.numsub(eid) == 1
        announcer.announce(eid, 3)
        assert receive(ws)["seq"] == 3


def test_clients_are_told_to_go_away_when_the_hub_closes(settings: Settings, database: Database,
                                                        announcer: Announcer, admin: Api) -> None:
    """Shutting the hub (lifespan end) closes live clients with 1001, and a new start serves again."""
    eid = new_event(admin)
    announcer.store(eid, 1)
    app = create_app(settings)
    with TestClient(app) as client:
        hub: LiveHub = app.state.live
        with client.websocket_connect(live_path(eid, admin.token)) as ws:
            assert receive(ws)["seq"] == 1
            client.portal.call(hub.close)  # type: ignore[union-attr]
            with pytest.raises(WebSocketDisconnect) as info:
                receive(ws)
        assert info.value.code == 1001
        client.portal.call(hub.start)  # type: ignore[union-attr]
        with client.websocket_connect(live_path(eid, admin.token)) as ws:
            assert receive(ws)["seq"] == 1


def test_without_redis_a_client_still_gets_the_stored_snapshot(settings: Settings, admin: Api,
                                                               announcer: Announcer) -> None:
    """Redis unreachable: the hub keeps retrying in the background, and a client is served from the
    database at once instead of waiting for a subscription that cannot happen."""
    eid = new_event(admin)
    announcer.store(eid, 3)
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    with TestClient(app) as client, client.websocket_connect(live_path(eid, admin.token)) as ws:
        started = time.monotonic()
        assert receive(ws, timeout=3.0)["seq"] == 3
        assert time.monotonic() - started < 1.5
        assert not client.portal.call(lambda: app.state.live.connected)  # type: ignore[union-attr]


# ---- a real server ----

class InfoLoggedServer(LiveServer):
    """The test live server with uvicorn's log at level info, where it names each websocket's path."""

    def launch(self) -> InfoLoggedServer:
        env = server_env(self.settings)
        env["PYTHONUNBUFFERED"] = "1"
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "services.api.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "info"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self


@pytest.fixture
def uvicorn_server(settings: Settings, tmp_path: Path) -> Iterator[InfoLoggedServer]:
    server = InfoLoggedServer(settings, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_live_over_uvicorn(uvicorn_server: InfoLoggedServer, admin: Api, relawan: Api,
                           announcer: Announcer) -> None:
    """Through a real server and websocket client: snapshot, publication, 1008 for an unseen event; a
    clean shutdown closes the live client instead of hanging; the token never reaches the log."""
    eid = new_event(admin)
    announcer.store(eid, 5)
    base = uvicorn_server.base_url.replace("http://", "ws://")
    bad = base + live_path(eid, relawan.token)
    with ws_connect(bad, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as refusal:
        ws.recv(timeout=RECEIVE_TIMEOUT)
    assert refusal.value.rcvd is not None and refusal.value.rcvd.code == 1008
    with ws_connect(base + live_path(eid, admin.token), open_timeout=10) as ws:
        first = json.loads(ws.recv(timeout=RECEIVE_TIMEOUT))
        assert (first["type"], first["seq"]) == ("status", 5)
        announcer.announce(eid, 6)
        assert json.loads(ws.recv(timeout=RECEIVE_TIMEOUT))["seq"] == 6
        assert uvicorn_server.proc is not None
        uvicorn_server.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown, client still connected
        with pytest.raises(ConnectionClosed) as going:
            ws.recv(timeout=10)
        assert going.value.rcvd is not None and going.value.rcvd.code in (1001, 1012)
        assert uvicorn_server.proc.wait(timeout=15) == 0
    log = uvicorn_server.log_path.read_text(errors="replace")
    assert "WebSocket /api/v1/events/" in log, log[-2000:]
    assert admin.token is not None and admin.token not in log
    assert relawan.token is not None and relawan.token not in log


def test_status_row_helper_matches_what_get_status_serves(admin: Api, database: Database,
                                                         announcer: Announcer) -> None:
    """Sanity of the test's own fixture: a stored row is what GET /status (and so the websocket) serves."""
    eid = new_event(admin)
    body = announcer.store(eid, 3)
    with read_unit(database) as s:
        row = status_repo.latest(s, eid)
        assert row is not None and row.seq == 3
    r = admin.get(f"/events/{eid}/status")
    assert r.status_code == 200, r.text
    assert r.json() == body


# ---- through the real worker job ----

def run_worker(settings: Settings, connection: redis.Redis) -> None:
    """What `posko worker` does, once: run every queued job (JSON serializer, no fork)."""
    SimpleWorker([make_queue(settings, connection)], connection=connection, serializer=JSONSerializer).work(burst=True)


def test_before_the_first_recompute_the_snapshot_is_computed_with_seq_0(admin: Api, hub: LiveHub) -> None:
    """No stored snapshot yet → the one GET /status computes (seq 0) is sent; last_seq=0 waits instead."""
    sc = build_scene(admin)
    sc.person()
    status = admin.get(f"/events/{sc.eid}/status").json()
    assert status["seq"] == 0
    with admin.client.websocket_connect(live_path(sc.eid, admin.token)) as ws:
        msg = receive(ws)
    assert (msg["type"], msg["seq"]) == ("status", 0)
    assert {k: v for k, v in msg["data"].items() if k != "as_of"} == {k: v for k, v in status.items() if k != "as_of"}
    assert "unmet" not in msg["data"]
    with admin.client.websocket_connect(live_path(sc.eid, admin.token, last_seq=0)) as ws:
        wait_subscribed(admin.client, hub, sc.eid)
        assert_silent(ws, 0.3)


def test_a_write_reaches_the_live_client_through_the_real_recompute_job(
        admin: Api, settings: Settings, redis_client: redis.Redis, worker_ctx: jobs.WorkerContext) -> None:
    """Person write (X-Data-Seq n) → the queued recompute job runs → the client, which had the computed
    seq-0 snapshot, receives a stored one with seq ≥ 1 and data_seq ≥ n that counts the person."""
    sc = build_scene(admin)
    with admin.client.websocket_connect(live_path(sc.eid, admin.token)) as ws:
        first = receive(ws)
        r = admin.post(f"/events/{sc.eid}/persons", json=person_body(shelter_id=sc.shelter["id"]))
        assert r.status_code == 201, r.text
        written = int(r.headers["X-Data-Seq"])
        run_worker(settings, redis_client)
        seen = [first]
        while seen[-1]["data"]["data_seq"] < written:
            seen.append(receive(ws))
    assert first["seq"] == 0  # no job has run for this event before
    last = seen[-1]
    assert last["seq"] >= 1
    assert last["data"]["event_id"] == sc.eid
    assert last["data"]["people"]["registered"] >= 1
    assert last["data"]["people"]["displaced_now"] >= 1
    assert [m["seq"] for m in seen] == sorted({m["seq"] for m in seen})


def test_closing_the_hub_does_not_wait_for_ever_on_a_connection_task_that_will_not_stop(
        settings: Settings, database: Database, caplog: pytest.LogCaptureFixture) -> None:
    """A shutdown must end even when the Redis task ignores its cancellation (a lifespan shutdown once
    hung the test suite): close() waits a bounded time, cancels again, and logs where the task was."""
    import asyncio

    async def stubborn() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            pass  # swallows the first cancellation, as a task caught mid-cleanup may
        await asyncio.sleep(60)

    async def scenario() -> tuple[float, bool]:
        hub = LiveHub(settings, database)
        hub.CLOSE_TIMEOUT_SECONDS = 0.2  # type: ignore[misc]
        hub._loop = asyncio.get_running_loop()
        hub._runner = task = asyncio.get_running_loop().create_task(stubborn())
        await asyncio.sleep(0)
        started = time.monotonic()
        await hub.close()
        await asyncio.sleep(0)
        return time.monotonic() - started, task.done()

    with caplog.at_level("WARNING", logger="posko.live"):
        took, stopped = asyncio.run(scenario())
    assert took < 2.0 and stopped  # the second cancellation ended it
    assert "did not stop" in caplog.text and "stubborn" in caplog.text


def test_a_closed_socket_is_freed_at_once_not_left_to_the_cyclic_collector(admin: Api, hub: LiveHub,
                                                                           announcer: Announcer) -> None:
    """A closed websocket's tasks end cancelled, and their tracebacks form reference cycles that only a
    full collection frees (rare in the API: services/api/main.py). Nothing of the socket may hang on
    them: not the WebSocket (through it uvicorn's protocol and its zlib state), not the snapshot text in
    its slot. Before this, at ten reconnects a second, the soak's API grew ~40 MB a minute (issue 14)."""
    import gc

    from starlette.websockets import WebSocket

    from services.api.live.slot import LatestSlot

    eid = new_event(admin)
    announcer.store(eid, 2)

    def left() -> tuple[int, int]:
        objects = gc.get_objects()
        sockets = sum(1 for o in objects if isinstance(o, WebSocket) and o.scope.get("path", "").endswith(
            f"/events/{eid}/live"))
        held = sum(1 for o in objects if isinstance(o, LatestSlot) and o.event_id == eid and o.pending is not None)
        return sockets, held

    gc.collect()
    gc.disable()  # what the cyclic collector would free later must not be needed to free the sockets
    try:
        for _ in range(5):
            with admin.client.websocket_connect(live_path(eid, admin.token)) as ws:
                assert receive(ws)["seq"] == 2
        deadline = time.monotonic() + 5
        while left() != (0, 0) and time.monotonic() < deadline:  # the route finishes on the app's loop
            time.sleep(0.05)
        assert left() == (0, 0)
    finally:
        gc.enable()


class PoskoApiServer(LiveServer):
    """`posko api` itself (services/cli.py:cmd_api), with its websocket protocol (live/deflate.py)."""

    def launch(self) -> PoskoApiServer:
        env = server_env(self.settings)
        env.update(POSKO_HOST="127.0.0.1", POSKO_PORT=str(self.port))
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "services.cli", "api"], cwd=ROOT, env=env, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        return self


def test_posko_api_compresses_each_live_message_once_for_every_client(settings: Settings, tmp_path: Path,
                                                                     admin: Api, announcer: Announcer) -> None:
    """Two compressing clients of `posko api`: the server takes no context across messages (so one
    compressed message serves every client), and both read every snapshot correctly."""
    from services.api.live.deflate import SharedDeflateFactory, SharedPerMessageDeflate

    eid = new_event(admin)
    announcer.store(eid, 4)
    server = PoskoApiServer(settings, tmp_path).start()
    try:
        url = server.base_url.replace("http://", "ws://") + live_path(eid, admin.token)
        with ws_connect(url, open_timeout=10, compression="deflate") as a, \
                ws_connect(url, open_timeout=10, compression="deflate") as b:
            for ws in (a, b):
                assert ws.response is not None
                assert "server_no_context_takeover" in ws.response.headers["Sec-WebSocket-Extensions"]
                assert json.loads(ws.recv(timeout=RECEIVE_TIMEOUT))["seq"] == 4
            announcer.announce(eid, 5)
            assert [json.loads(ws.recv(timeout=RECEIVE_TIMEOUT))["seq"] for ws in (a, b)] == [5, 5]
    finally:
        server.stop()

    # the extension itself: the same message gives the same bytes on two connections, compressed once
    from websockets.extensions.permessage_deflate import PerMessageDeflate
    from websockets.frames import Frame, Opcode

    ours = [SharedDeflateFactory().process_request_params([], [])[1] for _ in range(2)]
    assert all(isinstance(e, SharedPerMessageDeflate) for e in ours)
    message = json.dumps({"type": "status", "seq": 9, "data": {"x": "y" * 20_000}}).encode()
    sent = [e.encode(Frame(Opcode.TEXT, message)) for e in ours]
    assert sent[0].data is sent[1].data and sent[0].rsv1  # one compression, kept and reused
    client = PerMessageDeflate(False, False, 12, 12)  # the client's side: remote takes no context
    for frame in sent + [ours[0].encode(Frame(Opcode.TEXT, message))]:
        assert client.decode(frame).data == message
    # another message of the same length is compressed on its own (looked up by length, then contents),
    # and each client's frame may be its own bytes object, as uvicorn makes them
    other = message.replace(b'"seq": 9', b'"seq": 8')
    assert len(other) == len(message) and other != message
    sent_other = [e.encode(Frame(Opcode.TEXT, bytes(bytearray(other)))) for e in ours]
    assert sent_other[0].data is sent_other[1].data and sent_other[0].data != sent[0].data
    assert client.decode(sent_other[0]).data == other
    assert ours[1].encode(Frame(Opcode.TEXT, bytearray(message))).data is sent[0].data  # still kept
