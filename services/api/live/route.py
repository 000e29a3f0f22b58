"""The live websocket, `/events/{event_id}/live`: one socket's life from the opening check to its close.

It checks who is asking (access.py), takes a slot from the process's hub (hub.py), sends the current
snapshot, then whatever newer the hub offers, until the client leaves, the guard refuses (1008) or
the server stops (1001). The current snapshot is the one the HTTP status route serves
(shared/services/status.py::current_snapshot), encoded as the worker encodes its publications
(shared/live_messages.py), so the first message and the later ones look alike.
"""

from __future__ import annotations

import logging
from contextlib import suppress

import anyio
from anyio.abc import TaskGroup
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from services.api.live.access import AccessGuard, bearer_token, watch_refusal
from services.api.live.hub import LiveHub
from services.api.live.slot import LatestSlot, StatusMessage
from shared.config import Settings
from shared.db import Database, read_unit
from shared.live_messages import status_message, status_message_from_text
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.services.status import current_snapshot

log = logging.getLogger("posko.live")

router = APIRouter(tags=["live"])

POLICY_VIOLATION = 1008  # bad or missing token, an event the user may not see
GOING_AWAY = 1001  # the server is shutting down: reconnect (with last_seq) to another process
INTERNAL_ERROR = 1011


def current_message(db: Database, settings: Settings, event_id: str) -> StatusMessage | None:
    """The event's current snapshot as a status message (None if the event is gone). Blocking."""
    with read_unit(db) as session:
        stored = status_repo.latest_body_text(session, event_id)
        if stored is not None:  # the common case: sent on as stored, never decoded
            return StatusMessage(stored[0], status_message_from_text(event_id, *stored))
        event = event_repo.get_event(session, event_id)
        if event is None:
            return None
        body = current_snapshot(session, event, settings.tz)
    seq = int(body["seq"])
    return StatusMessage(seq, status_message(event_id, seq, body))


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
    token = bearer_token(websocket)
    why, expires = await anyio.to_thread.run_sync(watch_refusal, db, settings, token, event_id)
    if why is not None:
        await websocket.close(POLICY_VIOLATION, why)
        return
    hub.sockets += 1
    try:
        async with hub.subscription(event_id, last_seq) as slot:
            try:
                current = await anyio.to_thread.run_sync(current_message, db, settings, event_id)
            except Exception:
                log.exception("live: the current snapshot of event %s could not be read", event_id)
                await websocket.close(INTERNAL_ERROR, "status belum tersedia (status unavailable)")
                return
            if current is not None:
                slot.offer(current)
            revoked = await _pump(websocket, slot, AccessGuard(db, settings, token, event_id, expires))
        if websocket.client_state == WebSocketState.CONNECTED:
            if revoked is not None:
                with suppress(Exception):
                    await websocket.close(POLICY_VIOLATION, revoked)
            elif slot.closed:
                with suppress(Exception):
                    await websocket.close(GOING_AWAY, "server berhenti (server shutting down)")
        slot.clear()
    finally:
        hub.sockets -= 1


async def _pump(websocket: WebSocket, slot: LatestSlot, guard: AccessGuard) -> str | None:
    """Receive, send and guard in one task group: the client leaving, the hub closing or the guard
    refusing stops all three. Returns the guard's reason when it was the guard."""
    return await _Pump(websocket, slot, guard).run()


class _Pump:
    """One socket's three tasks. Once they have ended, `run` lets go of the socket, the slot and the guard.

    The tasks end cancelled and anyio keeps each CancelledError with its traceback: the tasks' frames sit
    in reference cycles that only a full collection frees, and those are rare in the API (services/api/
    main.py sets high thresholds). Through these frames the websocket stayed reachable, and with it
    uvicorn's protocol and its zlib state: at ten closes a second (bench/soak_bench.py) the API's RSS grew
    ~40 MB a minute. The frames reach only this object, emptied when the tasks are done."""

    def __init__(self, websocket: WebSocket, slot: LatestSlot, guard: AccessGuard) -> None:
        self.websocket = websocket
        self.slot = slot
        self.guard = guard
        self.revoked: str | None = None

    async def run(self) -> str | None:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._receive, tg)
                tg.start_soon(self._send, tg)
                tg.start_soon(self._watch, tg)
            return self.revoked
        finally:
            self.__dict__.clear()

    async def _watch(self, tg: TaskGroup) -> None:
        self.revoked = await self.guard.watch()
        tg.cancel_scope.cancel()

    async def _receive(self, tg: TaskGroup) -> None:  # what the client sends is not used; this notices it leaving
        try:
            while (await self.websocket.receive())["type"] != "websocket.disconnect":
                pass
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            tg.cancel_scope.cancel()

    async def _send(self, tg: TaskGroup) -> None:
        try:
            while (message := await self.slot.next()) is not None:
                await self.websocket.send_text(message.text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client is gone
        finally:
            tg.cancel_scope.cancel()
