"""`posko run --lan` as a real process, and the field app over HTTPS in a Chromium that trusts the
local authority the way a phone does after installing it (an NSS database with the authority as a
trusted root, not an "ignore certificate errors" switch).

The page is opened by the machine's host name (mapped to 127.0.0.1 inside Chromium): such an origin
is not "potentially trustworthy" over plain HTTP, so the service worker registers only because the
HTTPS certificate is valid — exactly a phone's situation on the posko's Wi-Fi.
"""

from __future__ import annotations

import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from services.lan.address import host_name
from shared.config import Settings
from shared.db import make_database
from shared.migrate import upgrade
from tests.api.live_server import free_port, server_env
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, OUTPUT
from tests.browser.test_field_app import (
    FieldScene,
    counts,
    fill_household,
    fill_member,
    go_online_and_send,
    log_in,
    reload_under_service_worker,
)
from tests.conftest import PASSWORD, ROOT, create_user_row, event_body, make_settings, shelter_body


class LanProcess:
    """`python -m services.cli run --lan --host 127.0.0.1` with its own database, ports and TLS dir."""

    def __init__(self, settings: Settings, tls_dir: Path, log_path: Path) -> None:
        self.settings = settings
        self.tls_dir = tls_dir
        self.port, self.https_port, self.http_port = free_port(), free_port(), free_port()
        self.log_path = log_path
        env = server_env(settings)
        env.update({"POSKO_PORT": str(self.port), "POSKO_LAN_PORT": str(self.https_port),
                    "POSKO_LAN_HTTP_PORT": str(self.http_port), "POSKO_TLS_DIR": str(tls_dir)})
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--lan", "--host", "127.0.0.1"],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.tls_dir / "ca.pem"))

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"posko run --lan exited with {self.proc.returncode}:\n{self.log()}")
            if (self.tls_dir / "ca.pem").exists():
                try:
                    r = httpx.get(f"https://127.0.0.1:{self.https_port}/healthz", verify=self.trust(), timeout=1.0)
                    if r.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"posko run --lan did not answer over HTTPS within {timeout} s:\n{self.log()}")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def lan(tmp_path: Path) -> Iterator[LanProcess]:
    settings = make_settings(f"sqlite:///{tmp_path / 'lan.db'}")
    upgrade(settings)
    server = LanProcess(settings, tmp_path / "tls", tmp_path / "run.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def trusting_home(tmp_path: Path, ca_pem: Path) -> Path:
    """A HOME whose NSS database trusts the local authority, as a phone does after installing it."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.fail("certutil not found (scripts/bootstrap.sh test installs libnss3-tools)")
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "Posko otoritas lokal",
                    "-i", str(ca_pem)], check=True)
    return home


def make_scene(lan: LanProcess, origin: str) -> FieldScene:
    db = make_database(lan.settings)
    try:
        _, admin_name = create_user_row(db, "admin")
    finally:
        db.dispose()
    api = f"https://127.0.0.1:{lan.https_port}/api/v1"
    token = httpx.post(f"{api}/auth/token", data={"username": admin_name, "password": PASSWORD},
                       verify=lan.trust()).json()["access_token"]
    admin = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, verify=lan.trust(), timeout=60)
    tag = uuid.uuid4().hex[:6]
    ev = admin.post("/events", json=event_body(name=f"Banjir Uji LAN {tag}"))
    assert ev.status_code == 201, ev.text
    eid = ev.json()["id"]
    sh = admin.post(f"/events/{eid}/shelters", json=shelter_body(name=f"SD Negeri 020 {tag}"))
    sh2 = admin.post(f"/events/{eid}/shelters", json=shelter_body(name=f"Masjid Raya {tag}", kind="rumah_ibadah"))
    assert sh.status_code == sh2.status_code == 201, sh.text + sh2.text
    username = f"relawan-lan-{tag}"
    user = admin.post("/users", json={"username": username, "password": PASSWORD, "role": "relawan",
                                      "full_name": "Rina Tarigan"})
    assert user.status_code == 201, user.text
    assert admin.post(f"/events/{eid}/members", json={"user_id": user.json()["id"]}).status_code in (200, 201)
    return FieldScene(admin=admin, event=ev.json(), shelter=sh.json(), shelter2=sh2.json(), username=username,
                      base_url=origin)


def test_plain_http_on_the_lan_serves_only_the_certificate(lan: LanProcess) -> None:
    """Over plain HTTP the LAN port hands out the page and the certificate; everything else goes to HTTPS."""
    plain = f"http://127.0.0.1:{lan.http_port}"
    page = httpx.get(plain + "/sertifikat")
    assert page.status_code == 200 and "Sertifikat CA" in page.text
    assert f"https://127.0.0.1:{lan.https_port}/lapangan/" in page.text
    cert = httpx.get(plain + "/sertifikat/posko-ca.crt")
    assert cert.headers["content-type"] == "application/x-x509-ca-cert"
    from cryptography import x509
    assert x509.load_der_x509_certificate(cert.content).subject == \
        x509.load_pem_x509_certificate((lan.tls_dir / "ca.pem").read_bytes()).subject
    for path in ("/lapangan/", "/api/v1/auth/token", "/"):
        r = httpx.get(plain + path)
        assert r.status_code == 307, (path, r.status_code)
    assert httpx.get(plain + "/lapangan/").headers["location"] == f"https://127.0.0.1:{lan.https_port}/lapangan/"
    assert httpx.post(plain + "/api/v1/auth/token", data={"username": "x", "password": "y"}).status_code == 307


def test_dashboard_shows_operators_the_field_app_qr_code(lan: LanProcess, tmp_path: Path, browser: Any) -> None:
    """Over the laptop's plain localhost address, an admin sees "Ponsel lapangan" with the QR code of
    the HTTPS field app; a relawan does not."""
    db = make_database(lan.settings)
    try:
        _, admin_name = create_user_row(db, "admin")
        _, relawan_name = create_user_row(db, "relawan")
    finally:
        db.dispose()
    # the session's browser (one Playwright per test session: a second sync_playwright() in the same
    # thread is refused while the first runs)
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    try:
        for username, sees in ((admin_name, True), (relawan_name, False)):
            page.goto(f"http://127.0.0.1:{lan.port}/")
            page.fill("#login-username", username)
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            expect(page.locator("#who")).to_be_visible()
            box = page.locator("#lan-qr")
            if not sees:
                page.wait_for_timeout(1000)  # the /lan answer (403) has come back
                expect(box).to_be_hidden()
                break
            expect(box).to_be_visible()
            box.locator("summary").click()
            expect(box.locator("svg title")).to_have_text("Aplikasi lapangan Posko")
            url = f"https://127.0.0.1:{lan.https_port}/lapangan/"
            expect(box.locator(f"a[href='{url}']")).to_be_visible()
            assert box.locator("svg").bounding_box()["width"] > 150  # scaled to the panel, scannable
            OUTPUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUTPUT / "lan-dashboard-qr.png"))
            page.click("#logout")
            expect(box).to_be_hidden()
    finally:
        context.close()


def test_field_app_over_lan_https_installs_goes_offline_reloads_and_syncs(lan: LanProcess, tmp_path: Path,
                                                                          browser: Any) -> None:
    name = host_name()
    origin = f"https://{name}:{lan.https_port}"
    scene = make_scene(lan, origin)
    home = trusting_home(tmp_path, lan.tls_dir / "ca.pem")
    # a Chromium of its own (its HOME holds the NSS database that trusts the local authority), launched
    # by the session's Playwright: a second sync_playwright() in the same thread is refused
    phone = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, env={"HOME": str(home)},
                                        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {name} 127.0.0.1"])
    context = phone.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    try:
        _drive(page, scene)
    except BaseException:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "lan-https.png"), full_page=True)
        raise
    finally:
        context.close()
        phone.close()
        scene.admin.close()


def _drive(page: Any, scene: FieldScene) -> None:
    log_in(page, scene)
    assert page.evaluate("() => window.isSecureContext && location.protocol") == "https:"
    reload_under_service_worker(page)  # installed and controlling

    page.context.set_offline(True)
    page.reload()  # no network: the shell comes from the service worker
    expect(page.locator("#household-form")).to_be_visible()
    expect(page.locator("#net")).to_have_text("Luring")
    fill_household(page, "Dewi Sembiring")
    fill_member(page, 0, name="Dewi Sembiring", sex="P", age=29, shelter_id=scene.shelter["id"])
    page.click("#save-household")
    counts(page, pending=2, accepted=0, rejected=0, timeout=5_000)
    page.reload()
    counts(page, pending=2, accepted=0, rejected=0, timeout=5_000)
    assert scene.total("persons") == 0

    go_online_and_send(page)
    counts(page, pending=0, accepted=2, rejected=0)
    assert [p["full_name"] for p in scene.persons()] == ["Dewi Sembiring"]
