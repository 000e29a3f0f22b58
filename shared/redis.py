"""Redis connections and key names, built in one place.

Writes must never depend on Redis, so the clients used on the request path have short timeouts,
and a failed call opens a short circuit breaker instead of making every following request wait.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

from shared.config import Settings

log = logging.getLogger(__name__)


def connect(settings: Settings, *, timeout: float = 0.5) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                health_check_interval=30)


class Keys:
    """Every Redis key and channel name Posko uses."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def pending_job(self, event_id: str) -> str:
        return f"{self.prefix}:pending:{event_id}"

    def pending_scan(self, event_id: str) -> str:
        return f"{self.prefix}:pending-scan:{event_id}"

    def pending_verify(self, event_id: str) -> str:
        return f"{self.prefix}:pending-verify:{event_id}"

    def pending_tracing(self) -> str:
        return f"{self.prefix}:pending-tracing"

    def event_channel(self, event_id: str) -> str:
        return f"{self.prefix}:event:{event_id}"

    def event_stream(self, event_id: str) -> str:
        """The last few snapshots of an event, for a client that joins between two publications."""
        return f"{self.prefix}:stream:{event_id}"

    def login_attempts(self, who: str) -> str:
        return f"{self.prefix}:login:{who}"

    def worker_alive(self, worker_name: str) -> str:
        """Set by a live worker with a short expiry; a started job whose worker's key is gone was abandoned."""
        return f"{self.prefix}:alive:{worker_name}"

    def event_owner(self, event_id: str) -> str:
        """The worker whose in-memory state of the event is warm (set, with a short expiry, by the worker
        that last recomputed it): other workers hand the event's recomputes to it (services/worker/jobs.py)."""
        return f"{self.prefix}:owner:{event_id}"

    def scheduler_lock(self) -> str:
        """Held (SET NX PX, renewed) by the one worker whose scheduler fires meal-time/midnight boundaries."""
        return f"{self.prefix}:scheduler-lock"


class Breaker:
    """Skips Redis calls for a moment after one failed, so a Redis outage costs one timeout, not one per write."""

    def __init__(self, cooldown: float = 2.0) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        return time.monotonic() >= self._open_until

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown
