"""Issue 9 items 1 and 4 from the command line: the generated secret shared by every process, the
refusal to listen on the network with a development secret, `posko user set-password`, and the
password rule for `posko user add` and the first admin. Real processes, real databases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from shared.config import DEFAULT_SECRET, Settings
from shared.db import Database, read_unit
from shared.models import AuditLog
from tests.api.live_server import ROOT, server_env
from tests.conftest import PASSWORD, create_user_row, login

RACE = """
import sys, time
from pathlib import Path
from shared.config import load_or_create_secret
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(load_or_create_secret(Path(sys.argv[1])))
"""


def posko(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def test_processes_racing_to_create_the_secret_all_get_the_same_one(tmp_path: Path) -> None:
    """`posko run` starts the API and the worker as separate processes: one file, one secret, 0600."""
    path = tmp_path / "var" / "secret_key"
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(path), str(go)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(6)]
    time.sleep(1.0)  # let them all start and wait on the go file
    go.touch()
    values = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(values) == 1
    value = values.pop()
    assert len(value.encode()) >= 32 and value == path.read_text().strip()
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(path.parent)) == ["secret_key"]  # no temporary files left behind


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "rahasia-pendek"])
def test_posko_api_refuses_the_network_with_a_development_secret(secret: str, tmp_path: Path) -> None:
    env = dict(os.environ, POSKO_HOST="0.0.0.0", POSKO_PORT="0", POSKO_SECRET_KEY=secret, POSKO_ENV="development",
               POSKO_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    result = posko(["api"], env, timeout=30)  # before: it started listening (and this timed out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "POSKO_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_the_listen_gate_itself() -> None:
    """The gate before the socket opens, for settings built in-process without validation."""
    from services.cli import is_loopback, listen_refusal

    public = Settings.model_construct(host="0.0.0.0", secret_key=DEFAULT_SECRET)
    assert listen_refusal(public) is not None and "menolak" in (listen_refusal(public) or "")
    assert listen_refusal(Settings.model_construct(host="127.0.0.1", secret_key=DEFAULT_SECRET)) is None
    assert listen_refusal(Settings.model_construct(host="0.0.0.0", secret_key="s" * 40)) is None
    assert listen_refusal(Settings.model_construct(host="0.0.0.0", secret_key=None)) is None  # generated
    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "::1", "localhost", "0.0.0.0", "192.168.1.5",
                                     "posko.local", "::")] == [True, True, True, True, False, False, False, False]


def test_set_password_resets_revokes_and_audits(settings: Settings, database: Database, client: TestClient) -> None:
    user_id, username = create_user_row(database, "admin")
    old_token = login(client, username)
    env = server_env(settings)
    weak = posko(["user", "set-password", username, "--password-stdin"], env, "bismillah123\n")
    assert weak.returncode == 2 and "kata sandi" in weak.stderr, weak.stderr
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    missing = posko(["user", "set-password", "tidak-ada-orang", "--password-stdin"], env, "kata-sandi-baru-77\n")
    assert missing.returncode == 1 and "tidak ditemukan" in missing.stderr
    ok = posko(["user", "set-password", username, "--password-stdin"], env, "kata-sandi-baru-77\n")
    assert ok.returncode == 0, ok.stderr
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD}).status_code == 401
    login(client, username, "kata-sandi-baru-77")
    with read_unit(database) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "user.password_reset",
                                             AuditLog.object_id == str(user_id))).all()
        assert len(rows) == 1


def test_user_add_obeys_the_password_rule(settings: Settings) -> None:
    env = server_env(settings)
    weak = posko(["user", "add", "lemah-sekali", "--role", "relawan", "--password-stdin"], env, "sayangku123\n")
    assert weak.returncode == 2 and "password" in weak.stderr and "umum" in weak.stderr, weak.stderr


def test_first_admin_password_obeys_the_rule(tmp_path: Path) -> None:
    from shared.domain.passwords import password_problem

    base = dict(os.environ, POSKO_ENV="test", POSKO_SECRET_KEY="t" * 40)
    weak_env = dict(base, POSKO_DATABASE_URL=f"sqlite:///{tmp_path / 'weak.db'}", POSKO_ADMIN_PASSWORD="admin12345")
    weak = posko(["db", "upgrade"], weak_env)
    assert weak.returncode != 0 and "POSKO_ADMIN_PASSWORD" in weak.stderr, weak.stdout + weak.stderr
    gen = posko(["db", "upgrade"], dict(base, POSKO_DATABASE_URL=f"sqlite:///{tmp_path / 'gen.db'}"))
    assert gen.returncode == 0, gen.stderr
    shown = [line.split("password:", 1)[1].strip() for line in gen.stdout.splitlines() if "password:" in line]
    assert len(shown) == 1 and len(shown[0]) >= 16 and password_problem(shown[0], "admin") is None


def test_posko_api_without_a_secret_generates_one_and_signs_with_it(settings: Settings, database: Database,
                                                                    tmp_path: Path) -> None:
    """`make run` never sets a secret: the API creates var/secret_key (0600) at start-up and its tokens
    verify with that file's value, not with the public default."""
    import httpx
    import jwt

    from tests.api.live_server import free_port

    _, username = create_user_row(database, "posko")
    port = free_port()
    key_file = tmp_path / "var" / "secret_key"
    env = server_env(settings)
    env.pop("POSKO_SECRET_KEY")
    env.update(POSKO_HOST="127.0.0.1", POSKO_PORT=str(port), POSKO_SECRET_FILE=str(key_file))
    log = (tmp_path / "api.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "api"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "api.log").read_text(errors="replace")
            try:
                if httpx.get(base + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert key_file.stat().st_mode & 0o777 == 0o600  # made at start-up, before any login
        r = httpx.post(base + "/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=10)
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        jwt.decode(token, key_file.read_text().strip(), algorithms=["HS256"])  # signed with the file's secret
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, DEFAULT_SECRET, algorithms=["HS256"])
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_posko_run_stopped_by_sigterm_stops_its_worker(tmp_path: Path) -> None:
    """A service manager stops `posko run` with SIGTERM to its process: the worker it started stops too
    (before: uvicorn re-raised the signal with the default handler and the worker was left running)."""
    import signal

    env = dict(os.environ, POSKO_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", POSKO_PORT="0",
               POSKO_SECRET_FILE=str(tmp_path / "secret_key"), POSKO_ADMIN_PASSWORD="Banjir-Binjai-2026!",
               POSKO_REDIS_KEY_PREFIX=f"posko-test-run-{os.getpid()}", POSKO_QUEUE_NAME=f"posko-test-run-{os.getpid()}")
    run = subprocess.Popen([sys.executable, "-m", "services.cli", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker: int | None = None
    try:
        deadline = time.monotonic() + 90
        while worker is None and time.monotonic() < deadline:
            found = subprocess.run(["pgrep", "-P", str(run.pid), "-f", "services.cli worker"], capture_output=True,
                                   text=True).stdout.split()
            worker = int(found[0]) if found else None
            time.sleep(0.2)
        assert worker is not None, "posko run started no worker"
        time.sleep(2)  # the API is up (or starting): either way SIGTERM must stop both
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and Path(f"/proc/{worker}").exists():
            time.sleep(0.1)
        assert not Path(f"/proc/{worker}").exists() or "zombie" in Path(f"/proc/{worker}/status").read_text().lower(), \
            "the worker outlived posko run"
    finally:
        if run.poll() is None:
            run.kill()
        if worker is not None and Path(f"/proc/{worker}").exists():
            os.kill(worker, signal.SIGKILL)  # never leave an orphan behind a failed run
