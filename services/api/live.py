"""Live status over websockets: one Redis subscription per API process, fanned out to its clients.

The worker stores each new snapshot, then publishes it on the event's channel. `LiveHub` holds ONE
pub/sub connection per process: it subscribes to an event's channel when the first client of that
event arrives and unsubscribes when the last one leaves; one reader task hands every message to the
clients of its event. Each client has a "latest slot" (one pending snapshot, replaced by newer ones,
plus an `asyncio.Event`), so a slow client gets the newest snapshot instead of a growing backlog, and
is never sent a snapshot whose seq is at or below the last one it has.

The database stays the source of truth. A new client reads the current snapshot only once Redis has
confirmed its channel's subscription, so a snapshot published in between cannot slip past it. If
Redis drops, the hub reconnects with backoff, re-subscribes, and re-reads the stored snapshot of
every subscribed event, so nothing published during the outage is missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
import weakref
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import anyio
import redis.asyncio as aioredis
from anyio.abc import TaskGroup
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.encoders import jsonable_encoder
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.websockets import WebSocketState

from services.api import deps
from services.api.routes.status import current_snapshot
from shared.config import Settings
from shared.db import Database, read_unit
from shared.errors import NotFound
from shared.redis import Keys
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.services.events import visible_event

log = logging.getLogger("posko.live")

router = APIRouter(tags=["live"])

POLICY_VIOLATION = 1008  # bad or missing token, an event the user may not see
GOING_AWAY = 1001  # the server is shutting down: reconnect (with last_seq) to another process
INTERNAL_ERROR = 1011


@dataclass(frozen=True)
class Snapshot:
    """One status message as clients receive it: its seq and its JSON text (encoded once for all)."""

    seq: int
    text: str


def status_message(event_id: str, seq: int, body: dict[str, Any]) -> Snapshot:
    """The message the worker publishes (services/worker/jobs.py::publish), built from a stored body."""
    text = json.dumps({"type": "status", "event_id": event_id, "seq": seq, "data": jsonable_encoder(body)},
                      separators=(",", ":"))
    return Snapshot(seq=seq, text=text)


class LiveClient:
    """One websocket's latest slot: at most one pending snapshot, replaced by newer ones."""

    def __init__(self, event_id: str, last_seq: int) -> None:
        self.event_id = event_id
        self.sent_seq = last_seq  # the newest seq the client has: sent by us, or named by it (last_seq)
        self.pending: Snapshot | None = None
        self.closed = False
        self._ready = asyncio.Event()

    def offer(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` if it is newer than both what the client has and what waits for it."""
        newest = self.pending.seq if self.pending is not None else self.sent_seq
        if snapshot.seq > newest:
            self.pending = snapshot
            self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self) -> Snapshot | None:
        """The next snapshot to send (newer than any sent before), or None once the hub has closed."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            if self.closed:
                return None
            snapshot, self.pending = self.pending, None
            if snapshot is not None and snapshot.seq > self.sent_seq:
                self.sent_seq = snapshot.seq
                return snapshot


_hubs: weakref.WeakSet[LiveHub] = weakref.WeakSet()


async def close_all(timeout: float = 3.0) -> None:
    """Close every websocket of this process with 1001 and a reason, waiting at most `timeout` s.

    Called by `posko api` when it is told to stop, BEFORE uvicorn closes connections itself (uvicorn
    would send 1012 without a reason, and only then run the app's shutdown): clients learn that the
    server is going away and reconnect, with their last_seq, to another process or after the restart.
    """
    loop = asyncio.get_running_loop()
    hubs = [hub for hub in list(_hubs) if hub._loop is loop]
    for hub in hubs:
        await hub.close()
    deadline = loop.time() + timeout
    while any(hub.sockets > 0 for hub in hubs) and loop.time() < deadline:
        await asyncio.sleep(0.02)


class LiveHub:
    """One Redis pub/sub connection per API process, fanned out to the websocket clients.

    All state lives on one event loop (the server's; with TestClient, its portal's). A connection
    "generation" runs two tasks in one task group: the commander sends SUBSCRIBE/UNSUBSCRIBE to match
    the events that have clients, the reader dispatches what Redis sends. Any error ends the
    generation; the runner closes the connection, waits (backoff with jitter) and starts another.
    """

    IDLE_SECONDS = 10.0  # with nothing received for this long, PING; three silent periods → reconnect
    BACKOFF_MIN_SECONDS = 0.05
    BACKOFF_MAX_SECONDS = 5.0
    CONFIRM_TIMEOUT_SECONDS = 2.0  # a new client waits at most this long for its channel's confirmation

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.keys = Keys(settings.redis_key_prefix)
        # CLIENT LIST shows which connection is this hub's (one per process, so the name is unique).
        self.client_name = f"{settings.redis_key_prefix}:live:{uuid.uuid4().hex[:12]}"
        self._channel_prefix = self.keys.event_channel("")
        self._clients: dict[str, set[LiveClient]] = {}
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._dirty = asyncio.Event()
        self.connected = False
        self.connections = 0  # successful connections so far (more than one: it has reconnected)
        self.sockets = 0  # open websockets of this hub (the route counts them)
        self._new_connection_state()
        _hubs.add(self)

    def _new_connection_state(self) -> None:
        self._subscribed: set[str] = set()  # channels SUBSCRIBEd on the current connection
        self._outstanding: Counter[str] = Counter()  # SUBSCRIBE commands not yet confirmed, per channel
        self._live: set[str] = set()  # subscribed, and confirmed by Redis
        self._catch_up: set[str] = set()  # re-read from the database once confirmed

    # ---- what the websocket route and the tests use ----

    def channel(self, event_id: str) -> str:
        return self.keys.event_channel(event_id)

    @property
    def subscribed_channels(self) -> set[str]:
        """Channels subscribed on the current connection."""
        return set(self._subscribed)

    @property
    def live_channels(self) -> set[str]:
        """Channels subscribed on the current connection and confirmed by Redis."""
        return set(self._live)

    def client_count(self, event_id: str) -> int:
        return len(self._clients.get(event_id, ()))

    async def start(self) -> None:
        """Start the connection task on the running loop (also done by the first client)."""
        self._closed = False
        self._ensure_running()

    async def close(self) -> None:
        """Stop the connection task and tell every client to go away."""
        self._closed = True
        runner, self._runner = self._runner, None
        if runner is not None and not runner.done():
            runner.cancel()
            if runner.get_loop() is asyncio.get_running_loop():
                with suppress(asyncio.CancelledError):
                    await runner
        for clients in self._clients.values():
            for client in clients:
                client.close()

    @asynccontextmanager
    async def subscription(self, event_id: str, last_seq: int) -> AsyncIterator[LiveClient]:
        """A client slot for `event_id`, once its channel is subscribed (or Redis is known to be down)."""
        self._ensure_running()
        client = LiveClient(event_id, last_seq)
        if self._closed:
            client.close()
        self._clients.setdefault(event_id, set()).add(client)
        try:
            await self._wait_subscribed(self.channel(event_id))
            yield client
        finally:
            clients = self._clients.get(event_id)
            if clients is not None:
                clients.discard(client)
                if not clients:
                    del self._clients[event_id]
                    self._dirty.set()

    # ---- internals ----

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._closed:
            return
        if self._loop is not loop:
            # A hub serves one loop. A new loop means the old one is gone (a TestClient used without
            # `with` runs each connection on its own loop): its clients and tasks went with it.
            self._loop = loop
            self._runner = None
            self._clients.clear()
            self._waiters.clear()
            self._dirty = asyncio.Event()
            self.connected = False
            self._new_connection_state()
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run(), name="posko-live-hub")

    async def _wait_subscribed(self, channel: str) -> None:
        self._dirty.set()
        if channel in self._live or not self.connected:
            # Not connected: the next connection re-reads every subscribed event once it is subscribed.
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, set()).add(future)
        try:
            with anyio.move_on_after(self.CONFIRM_TIMEOUT_SECONDS):
                await future
        finally:
            waiters = self._waiters.get(channel)
            if waiters is not None:
                waiters.discard(future)
                if not waiters:
                    del self._waiters[channel]

    def _release_waiters(self, channel: str | None = None) -> None:
        channels = [channel] if channel is not None else list(self._waiters)
        for ch in channels:
            for future in self._waiters.pop(ch, set()):
                if not future.done():
                    future.set_result(None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.BACKOFF_MIN_SECONDS
        while not self._closed:
            client = aioredis.Redis.from_url(
                self.settings.redis_url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0,
                socket_keepalive=True, client_name=self.client_name)
            pubsub = client.pubsub()
            connected_at: float | None = None
            try:
                await pubsub.connect()
                connected_at = loop.time()
                self._new_connection_state()
                self._catch_up = {self.channel(e) for e in self._clients}
                self.connected = True
                self.connections += 1
                if self.connections > 1:
                    log.info("live: reconnected to Redis; re-subscribing %d event(s)", len(self._catch_up))
                self._dirty.set()
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._command_loop, pubsub)
                    tg.start_soon(self._read_loop, pubsub, tg)
            except Exception as exc:  # any failure ends this connection; the loop retries
                if connected_at is not None and loop.time() - connected_at > self.BACKOFF_MAX_SECONDS:
                    delay = self.BACKOFF_MIN_SECONDS  # it had been healthy: retry at once, back off only if it keeps failing
                log.warning("live: Redis subscription lost (%s); retrying in about %.2f s", _first_error(exc), delay)
            finally:
                self.connected = False
                self._new_connection_state()
                self._release_waiters()
                with suppress(Exception):
                    await pubsub.aclose()
                with suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.BACKOFF_MAX_SECONDS)

    async def _command_loop(self, pubsub: PubSub) -> None:
        """Keep the subscriptions equal to the events that have clients."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            wanted = {self.channel(event_id) for event_id in self._clients}
            gone = self._subscribed - wanted
            new = wanted - self._subscribed
            if gone:
                self._subscribed -= gone
                self._live -= gone
                self._catch_up -= gone
                await pubsub.unsubscribe(*sorted(gone))
            if new:
                self._subscribed |= new
                self._outstanding.update(new)
                await pubsub.subscribe(*sorted(new))

    async def _read_loop(self, pubsub: PubSub, tg: TaskGroup) -> None:
        """Dispatch snapshots to client slots; note confirmations; notice a silent connection."""
        silent = 0
        while True:
            message = await pubsub.get_message(timeout=self.IDLE_SECONDS)
            if message is None:
                silent += 1
                if silent >= 3:
                    raise RedisConnectionError("no answer from Redis to PING")
                await pubsub.ping()
                continue
            silent = 0
            kind = message["type"]
            if kind == "message":
                self._dispatch(_text(message["channel"]), message["data"])
            elif kind == "subscribe":
                self._confirmed(_text(message["channel"]), tg)

    def _confirmed(self, channel: str, tg: TaskGroup) -> None:
        self._outstanding[channel] -= 1
        if self._outstanding[channel] > 0:
            return  # a later SUBSCRIBE of this channel is still on its way
        del self._outstanding[channel]
        if channel not in self._subscribed:
            return  # unsubscribed meanwhile
        self._live.add(channel)
        self._release_waiters(channel)
        if channel in self._catch_up:
            self._catch_up.discard(channel)
            tg.start_soon(self._catch_up_event, channel[len(self._channel_prefix):])

    def _dispatch(self, channel: str, data: bytes | str) -> None:
        if not channel.startswith(self._channel_prefix):
            return
        text = data.decode() if isinstance(data, bytes) else data
        try:
            seq = int(json.loads(text)["seq"])
        except (ValueError, KeyError, TypeError):
            log.warning("live: ignoring a malformed message on %s", channel)
            return
        self._deliver(channel[len(self._channel_prefix):], Snapshot(seq=seq, text=text))

    def _deliver(self, event_id: str, snapshot: Snapshot) -> None:
        for client in self._clients.get(event_id, ()):
            client.offer(snapshot)

    async def _catch_up_event(self, event_id: str) -> None:
        """After a reconnect: the stored snapshot, in case it was published while we were away."""
        try:
            snapshot = await anyio.to_thread.run_sync(self._stored_snapshot, event_id)
        except Exception:
            log.exception("live: could not re-read the snapshot of event %s", event_id)
            return
        if snapshot is not None:
            self._deliver(event_id, snapshot)

    def _stored_snapshot(self, event_id: str) -> Snapshot | None:
        with read_unit(self.db) as session:
            row = status_repo.latest(session, event_id)
            return None if row is None else status_message(event_id, row.seq, row.body)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _first_error(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


# ---- the websocket route ----

def _refusal(db: Database, settings: Settings, token: str | None, event_id: str) -> tuple[str | None, float]:
    """(why this token may not watch this event, or None; the token's expiry as a Unix time).

    The rules of deps.current_actor plus the event's visibility (a relawan must be a member); run
    when the socket opens and again every `live_recheck_seconds` while it is open."""
    actor, refusal, expires = deps.token_refusal(db, settings, token)
    if actor is None:
        return refusal or "token tidak sah (invalid token)", 0.0
    with read_unit(db) as session:
        try:
            visible_event(session, actor, event_id)
        except NotFound:
            return "kejadian tidak ditemukan (event not found)", 0.0
    return None, expires


def _current(db: Database, settings: Settings, event_id: str) -> Snapshot | None:
    with read_unit(db) as session:
        event = event_repo.get_event(session, event_id)
        if event is None:
            return None
        body = current_snapshot(session, event, settings.tz)
    return status_message(event_id, int(body["seq"]), body)


def _token(websocket: WebSocket) -> str | None:
    token = websocket.query_params.get("token")
    if token:
        return token
    scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


@router.websocket("/events/{event_id}/live")
async def live_status(websocket: WebSocket, event_id: str) -> None:
    """`?token=…&last_seq=N` → `{type: "status", seq, data}` now (unless last_seq is current) and after
    every newer snapshot. A bad or missing token, or an event the user may not see: close 1008."""
    await websocket.accept()
    app = websocket.app
    db: Database = app.state.db
    settings: Settings = app.state.settings
    hub: LiveHub = app.state.live
    raw_last_seq = websocket.query_params.get("last_seq")
    try:
        last_seq = int(raw_last_seq) if raw_last_seq not in (None, "") else -1
    except ValueError:
        await websocket.close(POLICY_VIOLATION, "last_seq harus bilangan bulat (last_seq must be an integer)")
        return
    token = _token(websocket)
    refusal, expires = await anyio.to_thread.run_sync(_refusal, db, settings, token, event_id)
    if refusal is not None:
        await websocket.close(POLICY_VIOLATION, refusal)
        return
    hub.sockets += 1
    try:
        async with hub.subscription(event_id, last_seq) as client:
            try:
                current = await anyio.to_thread.run_sync(_current, db, settings, event_id)
            except Exception:
                log.exception("live: the current snapshot of event %s could not be read", event_id)
                await websocket.close(INTERNAL_ERROR, "status belum tersedia (status unavailable)")
                return
            if current is not None:
                client.offer(current)
            revoked = await _pump(websocket, client, _Guard(db, settings, token, event_id, expires))
        if websocket.client_state == WebSocketState.CONNECTED:
            if revoked is not None:
                with suppress(Exception):
                    await websocket.close(POLICY_VIOLATION, revoked)
            elif client.closed:
                with suppress(Exception):
                    await websocket.close(GOING_AWAY, "server berhenti (server shutting down)")
    finally:
        hub.sockets -= 1


@dataclass
class _Guard:
    """What an open socket re-checks: its token's expiry, its account and token version, its event."""

    db: Database
    settings: Settings
    token: str | None
    event_id: str
    expires: float

    async def watch(self) -> str:
        """Return (why the socket must close) once the token expires or stops being honoured.

        Sleeps until the next re-check or the token's exact expiry, whichever is sooner: revocation
        (a password, role or active-flag change, a removed membership) is seen within
        `live_recheck_seconds`, expiry on the second."""
        while True:
            left = self.expires - time.time()
            if left <= 0:
                return "token kedaluwarsa; silakan masuk lagi (token expired)"
            await anyio.sleep(min(self.settings.live_recheck_seconds, left))
            if time.time() >= self.expires:
                return "token kedaluwarsa; silakan masuk lagi (token expired)"
            try:
                refusal, _ = await anyio.to_thread.run_sync(_refusal, self.db, self.settings, self.token,
                                                            self.event_id)
            except Exception:  # a database hiccup is not a revocation: try again at the next check
                log.warning("live: could not re-check a websocket's token for event %s", self.event_id,
                            exc_info=True)
                continue
            if refusal is not None:
                return refusal


async def _pump(websocket: WebSocket, client: LiveClient, guard: _Guard) -> str | None:
    """Receive, send and guard in one task group: the client leaving, the hub closing or the guard
    refusing stops all three. Returns the guard's reason when it was the guard."""
    revoked: str | None = None
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            nonlocal revoked
            revoked = await guard.watch()
            tg.cancel_scope.cancel()

        async def receive() -> None:  # what the client sends is not used; this notices it leaving
            try:
                while (await websocket.receive())["type"] != "websocket.disconnect":
                    pass
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass
            finally:
                tg.cancel_scope.cancel()

        async def send() -> None:
            try:
                while (snapshot := await client.next()) is not None:
                    await websocket.send_text(snapshot.text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass  # the client is gone
            finally:
                tg.cancel_scope.cancel()

        tg.start_soon(receive)
        tg.start_soon(send)
        tg.start_soon(watch)
    return revoked
