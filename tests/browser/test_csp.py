"""The pages work under their Content-Security-Policy: no violation, no console error, nothing from
another origin. Each page is used for real (log in, an event with bars and the live websocket on the
dashboard; log in and the offline service worker in the field app; /docs renders the API) while
`securitypolicyviolation` events and console errors are collected from the start of every document.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.live_server import LiveServer
from tests.conftest import PASSWORD, event_body, iso, now_wib, person_body, shelter_body

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(context: Any, web_server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """A page whose CSP violations, console errors and outside requests end up in one list."""
    problems: list[str] = []
    context.add_init_script(WATCH)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" or "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("request", lambda r: problems.append(f"outside request: {r.url}")
            if not r.url.startswith((web_server.base_url, "data:")) else None)
    yield page, problems


def violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__cspViolations || []"))


def test_dashboard_runs_under_its_csp(watched: tuple[Any, list[str]], web_server: LiveServer,
                                      web_users: dict[str, str]) -> None:
    page, problems = watched
    with web_server.client(web_server.login(web_users["admin"], PASSWORD)) as api:
        ev = api.post("/events", json=event_body(name=f"Banjir CSP {uuid.uuid4().hex[:6]}",
                                                 started_at=iso(now_wib() - timedelta(days=1))))
        assert ev.status_code == 201, ev.text
        eid = ev.json()["id"]
        sh = api.post(f"/events/{eid}/shelters", json=shelter_body(capacity_persons=10))
        assert sh.status_code == 201, sh.text
        for sex in ("L", "P", "P"):
            r = api.post(f"/events/{eid}/persons", json=person_body(sex=sex, shelter_id=sh.json()["id"]))
            assert r.status_code == 201, r.text
    response = page.goto(web_server.base_url + f"/#event={eid}")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#login-username", web_users["admin"])
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_function("id => document.body.dataset.eventId === id", arg=eid, timeout=15_000)
    page.wait_for_selector("#indicator-percent", timeout=15_000)
    page.wait_for_selector("#live[data-state='live']", timeout=15_000)  # the websocket passed connect-src
    # bars get their width from data-width through the CSSOM, not from a (refused) style attribute
    page.wait_for_function("() => document.querySelector('.sex-bar-l')?.style.width.endsWith('%')", timeout=15_000)
    widths = page.evaluate("() => [...document.querySelectorAll('[data-width]')].map(e => e.style.width)")
    assert widths and all(w.endswith("%") for w in widths), widths
    time.sleep(0.5)
    assert violations(page) == [] and problems == [], (violations(page), problems)


def test_field_app_runs_under_its_csp(watched: tuple[Any, list[str]], web_server: LiveServer,
                                      web_users: dict[str, str]) -> None:
    page, problems = watched
    response = page.goto(web_server.base_url + "/lapangan")  # redirected to /lapangan/ by the server
    assert response is not None and response.url.endswith("/lapangan/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=username]", web_users["posko"])
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("form.login", state="detached", timeout=15_000)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    assert violations(page) == [] and problems == [], (violations(page), problems)


def test_docs_render_from_local_assets_under_a_csp(watched: tuple[Any, list[str]], web_server: LiveServer) -> None:
    page, problems = watched
    response = page.goto(web_server.base_url + "/docs")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    page.wait_for_selector(".opblock-tag", timeout=15_000)  # Swagger UI rendered the OpenAPI 3.1 document
    page.wait_for_selector("[data-path='/api/v1/auth/token']", timeout=15_000)
    assert violations(page) == [] and problems == [], (violations(page), problems)
    assert "cdn" not in httpx.get(web_server.base_url + "/docs").text.lower()
