"""Issue 9 items 2 (websocket half) and 21: an open live websocket is closed 1008 with a reason when
its token expires or is revoked or its user loses the event, and 1001 with a reason when the server
stops. Real uvicorn processes, a real websocket client, real Redis and both database backends.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from shared.config import Settings
from shared.db import Database
from tests.api.live_server import ROOT, LiveServer, free_port, server_env
from tests.conftest import PASSWORD, Api, add_member, create_user_row, event_body

CLOSE_WITHIN = 5.0  # the server re-checks every 2 s (POSKO_LIVE_RECHECK_SECONDS)


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(settings, tmp_path_factory.mktemp("live-revocation")) as s:
        yield s


def new_event(admin: Api) -> str:
    r = admin.post("/events", json=event_body())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def open_live(base_url: str, event_id: str, token: str) -> ClientConnection:
    """A connected websocket that has received its first snapshot (so it passed the opening checks)."""
    ws = ws_connect(base_url.replace("http://", "ws://") + f"/api/v1/events/{event_id}/live?token={token}",
                    open_timeout=10)
    first = json.loads(ws.recv(timeout=10))
    assert first["type"] == "status", first
    return ws


def closed_with(ws: ClientConnection, timeout: float = CLOSE_WITHIN) -> tuple[int, str, float]:
    """(code, reason, seconds waited) of the close the server sends next; fails if none comes in time."""
    start = time.monotonic()
    with pytest.raises(ConnectionClosed) as info:
        while True:
            ws.recv(timeout=max(0.01, timeout - (time.monotonic() - start)))  # snapshots may still come
    assert info.value.rcvd is not None, f"no close frame from the server: {info.value!r}"
    return info.value.rcvd.code, info.value.rcvd.reason, time.monotonic() - start


Change = Callable[[Api, int, str], None]


def remove_membership(admin: Api, user_id: int, event_id: str) -> None:
    assert admin.delete(f"/events/{event_id}/members/{user_id}").status_code == 204


def disable(admin: Api, user_id: int, event_id: str) -> None:
    assert admin.patch(f"/users/{user_id}", json={"is_active": False}).status_code == 200


def change_password(admin: Api, user_id: int, event_id: str) -> None:
    assert admin.patch(f"/users/{user_id}", json={"password": "sandi-baru-sekali-42"}).status_code == 200


def change_role(admin: Api, user_id: int, event_id: str) -> None:
    assert admin.patch(f"/users/{user_id}", json={"role": "pengamat"}).status_code == 200


@pytest.mark.parametrize(("change", "reason_word"), [
    (remove_membership, "kejadian tidak ditemukan"),
    (disable, "tidak aktif"),
    (change_password, "dicabut"),
    (change_role, "dicabut"),
])
def test_open_websocket_is_closed_1008_when_access_ends(server: LiveServer, database: Database, admin: Api,
                                                        change: Change, reason_word: str) -> None:
    user_id, username = create_user_row(database, "relawan")
    eid = new_event(admin)
    add_member(admin, eid, user_id)
    token = server.login(username, PASSWORD)
    with open_live(server.base_url, eid, token) as ws:
        # still open a moment later: nothing happened yet
        with pytest.raises(TimeoutError):
            while True:
                ws.recv(timeout=0.5)
        change(admin, user_id, eid)
        code, reason, waited = closed_with(ws)
    assert code == 1008, (code, reason)
    assert reason_word in reason, reason
    assert waited <= CLOSE_WITHIN


def test_open_websocket_is_closed_1008_when_its_token_expires(server: LiveServer, settings: Settings,
                                                              database: Database, admin: Api) -> None:
    """Closed at the token's expiry (to the second), not only at the next periodic check."""
    user_id, _ = create_user_row(database, "posko")
    eid = new_event(admin)
    expires = datetime.now(UTC) + timedelta(seconds=3)
    token = jwt.encode({"sub": str(user_id), "role": "posko", "ver": 0, "iat": datetime.now(UTC), "exp": expires},
                       settings.secret_key, algorithm="HS256")
    with open_live(server.base_url, eid, token) as ws:
        code, reason, _ = closed_with(ws, timeout=8.0)
        closed_at = datetime.now(UTC)
    assert code == 1008 and "kedaluwarsa" in reason, (code, reason)
    # JWT expiry has whole-second resolution: the close comes within about a second of it
    assert -1.0 <= (closed_at - expires).total_seconds() <= 1.5


class CliServer:
    """`python -m services.cli api` (what `posko api` runs) on a free port with the test's settings."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"posko-api-{self.port}.log"
        env = server_env(settings)
        env.update(POSKO_HOST="127.0.0.1", POSKO_PORT=str(self.port))
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "services.cli", "api"], cwd=ROOT, env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("posko api did not start:\n" + self.log_path.read_text(errors="replace"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def test_sigterm_closes_websockets_1001_with_a_reason(settings: Settings, admin: Api, tmp_path: Path) -> None:
    server = CliServer(settings, tmp_path)
    try:
        eid = new_event(admin)
        assert admin.token is not None
        with open_live(server.base_url, eid, admin.token) as ws:
            server.proc.send_signal(signal.SIGTERM)
            code, reason, waited = closed_with(ws, timeout=10.0)
        assert code == 1001, (code, reason, server.log_path.read_text(errors="replace")[-2000:])
        assert "server berhenti" in reason
        # uvicorn finishes its graceful shutdown, then re-raises the signal it caught (exit by SIGTERM)
        assert server.proc.wait(timeout=15) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in server.log_path.read_text(errors="replace")
    finally:
        server.stop()
