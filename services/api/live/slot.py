"""One websocket's latest slot: what the hub hands over and what the socket sends, never a backlog.

The hub offers every status message of an event to the slot of each of its websockets. A slot keeps
at most one pending message, replaced by newer ones, and wakes its sender with an `asyncio.Event`: a
slow client gets the newest snapshot instead of a growing queue, and is never sent a seq at or below
the one it already has (sent by us, or named by the client as `last_seq`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

NOTICES_KEPT = 20


@dataclass(frozen=True)
class StatusMessage:
    """One status message as clients receive it: its seq and its JSON text (encoded once for all)."""

    seq: int
    text: str


class LatestSlot:
    """At most one pending status message for one websocket, replaced by newer ones."""

    def __init__(self, event_id: str, last_seq: int) -> None:
        self.event_id = event_id
        self.sent_seq = last_seq  # the newest seq the client has: sent by us, or named by it (last_seq)
        self.pending: StatusMessage | None = None
        self.closed = False
        self.notices: deque[str] = deque(maxlen=NOTICES_KEPT)  # tracing notices: news, sent in order, not replaced
        self._ready = asyncio.Event()

    def offer(self, message: StatusMessage) -> None:
        """Keep `message` if it is newer than both what the client has and what waits for it."""
        newest = self.pending.seq if self.pending is not None else self.sent_seq
        if message.seq > newest:
            self.pending = message
            self._ready.set()

    def notify(self, text: str) -> None:
        """A notice that is news rather than state (a new strong tracing match): sent once, in order; a
        slow client keeps only the newest few."""
        self.notices.append(text)
        self._ready.set()

    def clear(self) -> None:
        """Drop what waits (the socket has ended): a slot still referenced from its ended tasks' frames,
        until the cyclic collector frees them, then holds no snapshot text (route.py:_pump)."""
        self.pending = None
        self.notices.clear()

    def close(self) -> None:
        """The hub is going away: wake the sender so it stops (`next` returns None)."""
        self.closed = True
        self._ready.set()

    async def next(self) -> StatusMessage | None:
        """The next message to send (newer than any sent before), or None once the hub has closed."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            if self.closed:
                return None
            if self.notices:
                text = self.notices.popleft()
                if self.notices or self.pending is not None:
                    self._ready.set()  # more to send after this one
                return StatusMessage(self.sent_seq, text)
            message, self.pending = self.pending, None
            if message is not None and message.seq > self.sent_seq:
                self.sent_seq = message.seq
                return message
