"""Login throttling: failed attempts per username and per client address within a window.

Counted in Redis so every API process shares them; when Redis is unavailable each process
counts on its own (still a limit, never an open door).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

import redis

from shared.config import Settings
from shared.errors import TooManyRequests
from shared.redis import Breaker, Keys, connect

PER_ADDRESS_FACTOR = 5  # one address may fail for several usernames (a shared posko laptop)


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        self.limit = settings.login_attempts_per_window
        self.window = settings.login_window_seconds
        self.keys = Keys(settings.redis_key_prefix)
        self.redis = connect(settings, timeout=0.25)
        self.breaker = Breaker()
        self._local: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _subjects(self, username: str, address: str) -> list[tuple[str, int]]:
        return [(f"user:{username.lower()}", self.limit), (f"addr:{address}", self.limit * PER_ADDRESS_FACTOR)]

    def check(self, username: str, address: str) -> None:
        """Raise 429 when either the username or the address has failed too often lately."""
        for subject, limit in self._subjects(username, address):
            count, ttl = self._count(subject)
            if count >= limit:
                raise TooManyRequests("terlalu banyak percobaan masuk; coba lagi nanti (too many login attempts)",
                                      retry_after=max(1, ttl))

    def failed(self, username: str, address: str) -> None:
        for subject, _ in self._subjects(username, address):
            self._add(subject)

    def _count(self, subject: str) -> tuple[int, int]:
        if self.breaker.allow():
            try:
                key = self.keys.login_attempts(subject)
                pipe = self.redis.pipeline()
                pipe.get(key)
                pipe.ttl(key)
                raw, ttl = pipe.execute()
                return int(raw or 0), int(ttl if ttl and ttl > 0 else self.window)
            except redis.RedisError:
                self.breaker.trip()
        with self._lock:
            q = self._local[subject]
            cutoff = time.monotonic() - self.window
            while q and q[0] < cutoff:
                q.popleft()
            return len(q), int(self.window - (time.monotonic() - q[0])) if q else self.window

    def _add(self, subject: str) -> None:
        if self.breaker.allow():
            try:
                key = self.keys.login_attempts(subject)
                pipe = self.redis.pipeline()
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
                pipe.execute()
                return
            except redis.RedisError:
                self.breaker.trip()
        with self._lock:
            self._local[subject].append(time.monotonic())
