"""Who may watch an event live: checked when a websocket opens, and again while it stays open.

The token is judged by the same public function as every HTTP request (deps.token_refusal, behind
deps.current_actor), so a token refused over HTTP is refused here with the same reason; the event's
visibility is the same rule as the HTTP status route (shared/services/events.py::visible_event: a
relawan must be a member). HTTP checks once per request; a websocket lives for hours, so `AccessGuard`
repeats the check every `live_recheck_seconds` and at the token's exact expiry.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import anyio
from fastapi import WebSocket

from services.api import deps
from shared.config import Settings
from shared.db import Database, read_unit
from shared.domain.text import control_character_problem
from shared.errors import NotFound
from shared.services.events import visible_event

log = logging.getLogger("posko.live")

TOKEN_EXPIRED = "token kedaluwarsa; silakan masuk lagi (token expired)"


def bearer_token(websocket: WebSocket) -> str | None:
    """The token of `?token=…` (browsers cannot set headers on a websocket), else of `Authorization: Bearer`."""
    token = websocket.query_params.get("token")
    if token:
        return token
    scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def watch_refusal(db: Database, settings: Settings, token: str | None, event_id: str) -> tuple[str | None, float]:
    """(why this token may not watch this event, or None; the token's expiry as a Unix time). Blocking.

    The rules of deps.current_actor plus the event's visibility; run when the socket opens and again
    every `live_recheck_seconds` while it is open."""
    actor, why, expires = deps.token_refusal(db, settings, token)
    if actor is None:
        return why or "token tidak sah (invalid token)", 0.0
    if control_character_problem(event_id):  # no event id holds one; PostgreSQL would refuse the NUL outright
        return "kejadian tidak ditemukan (event not found)", 0.0
    with read_unit(db) as session:
        try:
            visible_event(session, actor, event_id)
        except NotFound:
            return "kejadian tidak ditemukan (event not found)", 0.0
    return None, expires


@dataclass
class AccessGuard:
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
                return TOKEN_EXPIRED
            await anyio.sleep(min(self.settings.live_recheck_seconds, left))
            if time.time() >= self.expires:
                return TOKEN_EXPIRED
            try:
                why, _ = await anyio.to_thread.run_sync(watch_refusal, self.db, self.settings, self.token, self.event_id)
            except Exception:  # a database hiccup is not a revocation: try again at the next check
                log.warning("live: could not re-check a websocket's token for event %s", self.event_id,
                            exc_info=True)
                continue
            if why is not None:
                return why
