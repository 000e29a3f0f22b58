"""Login throttling that slows guessing down without letting anyone lock an account out.

Three counters of failed logins, each remembered for `login_window_seconds`:

- per (username, address): after `login_attempts_per_window` failures the next attempt must wait
  1, 2, 4 … seconds (capped at `login_backoff_max_seconds`), answered 429 with Retry-After. It is a
  delay, never a lockout: whoever knows the password gets in once the short wait is over.
- per username from every address together: the same growing delay, but only after
  `PER_ADDRESS_FACTOR` times as many failures, so a single guessing address cannot even slow the real
  user down (it hits its own address limit first); many addresses can slow the account to one attempt
  per `login_backoff_max_seconds`, never lock it.
- per address: a hard limit for the window (`PER_ADDRESS_FACTOR` × the per-user number, so a shared
  posko laptop where several people mistype still works). Stricter is fine here: it only ever stops
  the address that failed.

A successful login clears the username's counters. Usernames are hashed (sha256) in Redis keys: no
user names in Redis, and no unbounded key length. Counted in Redis so every API process shares the
counters; when Redis is unavailable each process counts on its own (still a limit, never an open door).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable

import redis

from shared.config import Settings
from shared.errors import TooManyRequests
from shared.redis import Breaker, Keys, connect

PER_ADDRESS_FACTOR = 5  # one address may fail for several usernames (a shared posko laptop)
BACKOFF_BASE_SECONDS = 1
TOO_MANY = "terlalu banyak percobaan masuk; coba lagi sebentar lagi (too many login attempts)"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    """`POSKO_TRUSTED_PROXIES`: comma-separated addresses or CIDRs ("10.0.0.1, 172.16.0.0/12")."""
    networks: list[Network] = []
    for part in text.split(","):
        part = part.strip()
        if part:
            networks.append(ipaddress.ip_network(part, strict=False))
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The address a login is counted against.

    X-Forwarded-For is believed only when the direct peer is a trusted proxy (anyone else could
    write any address there and spread guesses over made-up addresses). Then the header is read
    from the right, skipping trusted proxies: the first address that is not one is the client.
    """
    trusted = list(trusted)
    if peer is None:
        return "unknown"

    def is_trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return addr is not None and any(addr in net for net in trusted)

    if not forwarded_for or not is_trusted(_address(peer)):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        addr = _address(hop)
        if addr is None:
            return peer  # garbage in the chain: count against the proxy itself rather than guess
        if not is_trusted(addr):
            return str(addr)
    return peer


def _username_hash(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        self.limit = settings.login_attempts_per_window
        self.window = settings.login_window_seconds
        self.max_delay = settings.login_backoff_max_seconds
        self.trusted_proxies = parse_networks(settings.trusted_proxies)
        self.keys = Keys(settings.redis_key_prefix)
        self.redis = connect(settings, timeout=0.25)
        self.breaker = Breaker()
        self._local: dict[str, deque[float]] = defaultdict(deque)
        self._local_block: dict[str, float] = {}
        self._lock = threading.Lock()

    # subject → (failures before a delay or a block, growing delay (True) or hard block for the window)
    def _subjects(self, username: str, address: str) -> list[tuple[str, int, bool]]:
        user = _username_hash(username)
        return [(f"pair:{user}:{address}", self.limit, True),
                (f"user:{user}", self.limit * PER_ADDRESS_FACTOR, True),
                (f"addr:{address}", self.limit * PER_ADDRESS_FACTOR, False)]

    def check(self, username: str, address: str) -> None:
        """Raise 429 (with Retry-After) while the username, this pair or the address must wait."""
        waits = [self._wait(subject) for subject, _, _ in self._subjects(username, address)]
        wait = max(waits)
        if wait > 0:
            raise TooManyRequests(TOO_MANY, retry_after=max(1, math.ceil(wait)))

    def failed(self, username: str, address: str) -> None:
        for subject, threshold, grows in self._subjects(username, address):
            count = self._add(subject)
            if count >= threshold:
                delay = (min(self.max_delay, BACKOFF_BASE_SECONDS * 2 ** min(count - threshold, 30))
                         if grows else self.window)
                self._block(subject, delay)

    def succeeded(self, username: str, address: str) -> None:
        """The password was right: forget this username's failures (the address keeps its count)."""
        user_subjects = [s for s, _, grows in self._subjects(username, address) if grows]
        if self.breaker.allow():
            try:
                keys = [self.keys.login_attempts(s) for s in user_subjects]
                keys += [self.keys.login_attempts("wait:" + s) for s in user_subjects]
                self.redis.delete(*keys)
            except redis.RedisError:
                self.breaker.trip()
        with self._lock:
            for s in user_subjects:
                self._local.pop(s, None)
                self._local_block.pop(s, None)

    # ---- storage: Redis, or this process when Redis is away ----

    def _wait(self, subject: str) -> float:
        """Seconds this subject must still wait (0: it may try)."""
        if self.breaker.allow():
            try:
                ms = self.redis.pttl(self.keys.login_attempts("wait:" + subject))
                return max(0.0, int(ms) / 1000) if ms and int(ms) > 0 else 0.0
            except redis.RedisError:
                self.breaker.trip()
        with self._lock:
            return max(0.0, self._local_block.get(subject, 0.0) - time.monotonic())

    def _add(self, subject: str) -> int:
        """Count one failure; the number of failures within the window."""
        if self.breaker.allow():
            try:
                key = self.keys.login_attempts(subject)
                pipe = self.redis.pipeline()
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
                count, _ = pipe.execute()
                return int(count)
            except redis.RedisError:
                self.breaker.trip()
        with self._lock:
            q = self._local[subject]
            now = time.monotonic()
            while q and q[0] < now - self.window:
                q.popleft()
            q.append(now)
            return len(q)

    def _block(self, subject: str, seconds: float) -> None:
        if self.breaker.allow():
            try:
                self.redis.set(self.keys.login_attempts("wait:" + subject), "1", px=max(1, int(seconds * 1000)))
                return
            except redis.RedisError:
                self.breaker.trip()
        with self._lock:
            self._local_block[subject] = time.monotonic() + seconds
