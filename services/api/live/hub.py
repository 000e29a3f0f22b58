"""The live hub: ONE Redis subscription per API process, fanned out to that process's websockets.

The worker stores each new snapshot, then publishes it on the event's channel
(services/worker/jobs.py::publish). `LiveHub` holds one pub/sub connection per process: it subscribes
to an event's channel when the first websocket of that event arrives and unsubscribes when the last
one leaves; one reader task offers every message to the latest slot (slot.py) of each websocket of
its event. A process with a thousand watchers of one event holds one subscription, not a thousand.

The database stays the source of truth. A new websocket reads the current snapshot only once Redis
has confirmed its channel's subscription (`subscription` waits for it), so a snapshot published in
between cannot slip past it. If Redis drops, the hub reconnects with backoff, re-subscribes, and
re-reads the stored snapshot of every subscribed event, so nothing published during the outage is
missed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
import weakref
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import anyio
import redis.asyncio as aioredis
from anyio.abc import TaskGroup
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from services.api.live.slot import LatestSlot, StatusMessage
from shared.config import Settings
from shared.db import Database, read_unit
from shared.live_messages import is_tracing_message, message_seq, status_message_from_text
from shared.redis import Keys
from shared.repositories import status as status_repo

log = logging.getLogger("posko.live")

_hubs: weakref.WeakSet[LiveHub] = weakref.WeakSet()


async def close_all(timeout: float = 3.0) -> None:
    """Close every websocket of this process with 1001 and a reason, waiting at most `timeout` s.

    Called by `posko api` when it is told to stop, BEFORE uvicorn closes connections itself (uvicorn
    would send 1012 without a reason, and only then run the app's shutdown): clients learn that the
    server is going away and reconnect, with their last_seq, to another process or after the restart.
    The hub closes the slots; each websocket route sees its slot closed and sends the 1001.
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
    CLOSE_TIMEOUT_SECONDS = 5.0  # close() waits at most this long (twice) for the connection task to stop
    CONFIRM_TIMEOUT_SECONDS = 2.0  # a new client waits at most this long for its channel's confirmation

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.keys = Keys(settings.redis_key_prefix)
        # CLIENT LIST shows which connection is this hub's (one per process, so the name is unique).
        self.client_name = f"{settings.redis_key_prefix}:live:{uuid.uuid4().hex[:12]}"
        self._channel_prefix = self.keys.event_channel("")
        self._slots: dict[str, set[LatestSlot]] = {}  # per event: the slots of its websockets
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
        """How many websockets of this process watch `event_id`."""
        return len(self._slots.get(event_id, ()))

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
                await self._wait_stopped(runner)
        for slots in self._slots.values():
            for slot in slots:
                slot.close()

    async def _wait_stopped(self, runner: asyncio.Task[None]) -> None:
        """Wait for the cancelled connection task, but not for ever: a shutdown must not hang on Redis.
        (Seen once under heavy load in the test suite: a lifespan shutdown that never ended.) A task that
        does not stop in time is cancelled again and left behind, with its stack in the log."""
        for attempt in range(2):
            done, _ = await asyncio.wait({runner}, timeout=self.CLOSE_TIMEOUT_SECONDS)
            if done:
                return
            frames = "".join(f"\n  {f.f_code.co_filename}:{f.f_lineno} {f.f_code.co_name}" for f in runner.get_stack())
            log.warning("live: the Redis task did not stop within %.0f s of being cancelled (%s):%s",
                        self.CLOSE_TIMEOUT_SECONDS, "cancelling again" if attempt == 0 else "left behind", frames)
            runner.cancel()

    @asynccontextmanager
    async def subscription(self, event_id: str, last_seq: int) -> AsyncIterator[LatestSlot]:
        """A websocket's slot for `event_id`, once its channel is subscribed (or Redis is known to be down)."""
        self._ensure_running()
        slot = LatestSlot(event_id, last_seq)
        if self._closed:
            slot.close()
        self._slots.setdefault(event_id, set()).add(slot)
        try:
            await self._wait_subscribed(self.channel(event_id))
            yield slot
        finally:
            slots = self._slots.get(event_id)
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._slots[event_id]
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
            self._slots.clear()
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
            connection = aioredis.Redis.from_url(
                self.settings.redis_url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0,
                socket_keepalive=True, client_name=self.client_name)
            pubsub = connection.pubsub()
            connected_at: float | None = None
            try:
                await pubsub.connect()
                connected_at = loop.time()
                self._new_connection_state()
                self._catch_up = {self.channel(e) for e in self._slots}
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
                    await connection.aclose()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.BACKOFF_MAX_SECONDS)

    async def _command_loop(self, pubsub: PubSub) -> None:
        """Keep the subscriptions equal to the events that have clients."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            wanted = {self.channel(event_id) for event_id in self._slots}
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
        """Offer status messages to the slots of their event; note confirmations; notice a silent connection."""
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
        text = _text(data)
        if is_tracing_message(text):
            for slot in self._slots.get(channel[len(self._channel_prefix):], ()):
                slot.notify(text)
            return
        try:
            seq = message_seq(text)
        except ValueError:
            log.warning("live: ignoring a malformed message on %s", channel)
            return
        self._deliver(channel[len(self._channel_prefix):], StatusMessage(seq=seq, text=text))

    def _deliver(self, event_id: str, message: StatusMessage) -> None:
        for slot in self._slots.get(event_id, ()):
            slot.offer(message)

    async def _catch_up_event(self, event_id: str) -> None:
        """After a reconnect: the stored snapshot, in case it was published while we were away."""
        try:
            message = await anyio.to_thread.run_sync(self._stored_message, event_id)
        except Exception:
            log.exception("live: could not re-read the snapshot of event %s", event_id)
            return
        if message is not None:
            self._deliver(event_id, message)

    def _stored_message(self, event_id: str) -> StatusMessage | None:
        """The stored snapshot as a message; None before the worker's first (nothing was missed)."""
        with read_unit(self.db) as session:
            stored = status_repo.latest_body_text(session, event_id)
            return None if stored is None else StatusMessage(stored[0], status_message_from_text(event_id, *stored))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _first_error(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"
