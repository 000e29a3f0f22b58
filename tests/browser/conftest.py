"""Browser tests: Debian's Chromium driven by Playwright against a real API server and worker.

`make test` installs Chromium with apt-get (scripts/bootstrap.sh); Playwright never downloads a
browser. A failing test leaves screenshots of every page it opened in test-output/browser/.
SQLite only: the pages talk HTTP, and the API tests cover PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings
from shared.migrate import upgrade
from tests.api.live_server import LiveServer, server_env
from tests.conftest import PASSWORD, ROOT, create_user_row, make_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash.setdefault(_failed_key, report.failed)  # type: ignore[arg-type]


_failed_key = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = f"sqlite:///{tmp_path_factory.mktemp('webdb') / 'web.db'}"
    s = make_settings(url)
    upgrade(s)
    return s


@pytest.fixture(scope="session")
def web_server(web_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One API process and one worker process for the browser tests."""
    logs = tmp_path_factory.mktemp("weblogs")
    server = LiveServer(web_settings, logs).start()
    worker_log = open(logs / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], env=server_env(web_settings),
                              cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT)
    yield server
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
    server.stop()


@pytest.fixture(scope="session")
def web_users(web_settings: Settings) -> dict[str, str]:
    """username per role, all with tests.conftest.PASSWORD."""
    from shared.db import make_database

    db = make_database(web_settings)
    try:
        return {role: create_user_row(db, role)[1] for role in ("admin", "posko", "relawan", "pengamat")}
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser profile per test; on failure every open page is saved as a screenshot."""
    ctx = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1280, "height": 900})
    yield ctx
    if request.node.stash.get(_failed_key, False):
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(ctx.pages):
            try:
                page.screenshot(path=str(OUTPUT / f"{request.node.name}-{i}.png"), full_page=True)
            except Exception:  # a crashed page must not hide the test's own failure
                pass
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


__all__ = ["PASSWORD", "Path"]
