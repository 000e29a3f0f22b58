"""Security headers on every answer: each route of the app (walked from app.routes, so a new route
is covered), pages, static files, /docs, errors (401, 404, 405, 413, 422, 500).

`/docs` loads nothing from another origin; personal-data answers are `Cache-Control: no-store`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from services.api.middleware import SecurityHeadersMiddleware
from tests.conftest import Api, Scene

PUBLIC_API = ("/api/v1/regions", "/api/v1/items", "/api/v1/standards")


def assert_secure(r: Any, what: str) -> None:
    h = r.headers
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (what, csp)
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0] if "script-src" in csp else True, csp
    assert h.get("x-content-type-options") == "nosniff", what
    assert h.get("referrer-policy") in ("no-referrer", "same-origin"), what
    assert h.get("x-frame-options") == "DENY", what


def _fill(path: str, scene: Scene) -> str:
    values = {"event_id": scene.eid, "shelter_id": scene.shelter["id"], "household_id": scene.household["id"]}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def test_every_route_answers_with_security_headers(app: Any, admin: Api, scene: Scene) -> None:
    """Every path and method of the OpenAPI document (a new route is in it), plus every mount."""
    seen = 0
    for route_path, operations in app.openapi()["paths"].items():
        for method in operations:
            path = _fill(route_path, scene)
            r = admin.client.request(method.upper(), path, headers={"Authorization": f"Bearer {admin.token}"},
                                     json={} if method in ("post", "put", "patch") else None)
            assert_secure(r, f"{method} {route_path} → {r.status_code}")
            if path.startswith("/api/") and not path.startswith(PUBLIC_API):
                assert "no-store" in r.headers.get("cache-control", ""), f"{method} {route_path}"
            seen += 1
    for route in app.routes:
        if isinstance(route, Mount):
            r = admin.client.get(route.path + "/does-not-exist.js")
            assert r.status_code == 404
            assert_secure(r, f"mount {route.path}")
    assert seen > 40, seen  # the walk really went through the API


@pytest.mark.parametrize("path", ["/", "/lapangan/", "/lapangan/sw.js", "/lapangan/manifest.webmanifest",
                                  "/static/dashboard/app.js", "/static/lapangan/app.css", "/healthz", "/docs",
                                  "/docs/oauth2-redirect", "/openapi.json", "/nothing-here"])
def test_pages_files_and_404s(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert_secure(r, path)


def test_the_pages_allow_no_inline_script(client: TestClient) -> None:
    for path in ("/", "/lapangan/"):
        r = client.get(path)
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        script_src = csp.split("script-src")[1].split(";")[0].strip()
        assert script_src == "'self'", csp
        assert "<script>" not in r.text and "<script type=\"module\">" not in r.text
        assert " style=" not in r.text
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    r = client.get("/lapangan?x=1", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/lapangan/?x=1"


def test_docs_are_served_from_this_machine(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)""", r.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    for s in sources:
        asset = client.get(s)
        assert asset.status_code == 200 and len(asset.content) > 0, s
    csp = r.headers["content-security-policy"]
    assert "'sha256-" in csp and "cdn" not in csp
    assert client.get("/redoc").status_code == 404


def test_personal_data_answers_are_not_stored(admin: Api, scene: Scene) -> None:
    for path in (f"/events/{scene.eid}/persons", f"/events/{scene.eid}/households", f"/events/{scene.eid}/report",
                 f"/events/{scene.eid}/report?format=csv", f"/events/{scene.eid}/status", "/auth/me"):
        r = admin.get(path)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["cache-control"] == "no-store", path
    r = admin.client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    assert r.headers["cache-control"] == "no-store"


def test_errors_carry_the_headers(client: TestClient, admin: Api, app: Any) -> None:
    assert_secure(client.get("/api/v1/events"), "401")
    assert_secure(admin.get(f"/events/{uuid.uuid4()}"), "404")
    assert_secure(client.delete("/healthz"), "405")
    assert_secure(admin.get("/events?limit=9999"), "422")
    big = b"x" * (app.state.settings.max_body_bytes + 1)
    r = admin.post("/sync", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert_secure(r, "413")


def test_an_unhandled_error_answers_500_with_the_headers() -> None:
    async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    c = TestClient(SecurityHeadersMiddleware(broken), raise_server_exceptions=False)  # no lifespan: no `with`
    r = c.get("/api/v1/events")
    assert r.status_code == 500 and "boom" not in r.text
    assert_secure(r, "500")
    assert r.headers["cache-control"] == "no-store"
