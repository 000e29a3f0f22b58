"""A real uvicorn server in a subprocess, for tests that need true concurrency over HTTP.

The FastAPI TestClient runs requests through one in-process transport and is not meant for
threads; concurrency tests start `python -m uvicorn services.api.main:create_app --factory` on a
free port with the test's settings passed as `POSKO_*` environment variables, and talk to it with
one `httpx.Client` per thread.

The module also holds `write_persons`, run in child processes (`python -c`) by the SQLite
multi-process test: it applies person creates through the write engine, one per transaction.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a fresh process build the same Settings as `settings`."""
    env = dict(os.environ)
    env.update({
        "POSKO_ENV": settings.env,
        "POSKO_DATABASE_URL": settings.database_url,
        "POSKO_REDIS_URL": settings.redis_url,
        "POSKO_SECRET_KEY": settings.secret_key,
        "POSKO_REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "POSKO_QUEUE_NAME": settings.queue_name,
        "POSKO_TIMEZONE": settings.timezone,
        "POSKO_ACCESS_LOG": "false",
    })
    return env


class LiveServer:
    """`with LiveServer(settings, log_dir) as server:` → `server.base_url`, `server.login(username)`."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> LiveServer:
        """Start the process without waiting for it (start several, then `wait_ready` each)."""
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "services.api.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=server_env(self.settings), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    def wait_ready(self, timeout: float = 60.0) -> LiveServer:
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"uvicorn did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def start(self, timeout: float = 60.0) -> LiveServer:
        return self.launch().wait_ready(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def login(self, username: str, password: str) -> str:
        r = httpx.post(self.base_url + "/api/v1/auth/token", data={"username": username, "password": password},
                       timeout=10.0)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                            timeout=60.0)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ---- child process: person creates through the write engine ----

def write_persons(database_url: str, event_id: str, count: int, go_file: str, tag: str) -> None:
    """Wait for `go_file`, then apply `count` person creates, one command per transaction.

    Prints one JSON line: {"created": n, "errors": [...]}; a database error never stops the loop,
    it is reported.
    """
    import uuid

    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.schemas.people import PersonCreate
    from shared.services.field_records import Command, FieldWriter

    settings = Settings(env="test", database_url=database_url)
    db = make_database(settings)
    print("ready", flush=True)
    go = Path(go_file)
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    created, errors = 0, []
    for i in range(count):
        body = PersonCreate(id=str(uuid.uuid4()), full_name=f"Warga {tag} {i}", sex="L" if i % 2 else "P",
                            age_years=30)
        try:
            with write_unit(db) as uow:
                outcome = FieldWriter(uow, SYSTEM).apply([Command("person", event_id, body)])[0]
            if outcome.error is not None:
                errors.append(f"{type(outcome.error).__name__}: {outcome.error.message}")
            elif outcome.status == "created":
                created += 1
        except Exception as exc:  # reported to the parent, which fails the test with it
            errors.append(f"{type(exc).__name__}: {exc}")
    db.dispose()
    print(json.dumps({"created": created, "errors": errors[:20], "error_count": len(errors)}), flush=True)
