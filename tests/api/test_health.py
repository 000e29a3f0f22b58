"""Health endpoints and the OpenAPI document (docs/api.md, docs/operations.md)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import WebSocketRoute

from shared.config import Settings
from tests.api.helpers import side_app

DOCS_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


# ---- health ----

def test_healthz_without_token(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_readyz_reports_database_and_redis_ok(client: TestClient) -> None:
    """Reachability only: the pipeline checks (outbox, worker, scheduler) depend on what earlier tests of
    this session left in the outbox; tests/api/test_readyz.py covers them on databases of their own."""
    r = client.get("/readyz")
    checks = r.json()["checks"]
    assert checks["database"] == "ok" and checks["redis"] == "ok", r.text
    assert {"outbox", "worker", "scheduler"} <= set(checks)


def test_health_lives_at_the_root_not_under_api(client: TestClient) -> None:
    assert client.get("/api/v1/healthz").status_code == 404


def test_readyz_503_names_redis_when_redis_is_down(settings: Settings) -> None:
    """An app whose Redis nothing listens on: /readyz → 503 and the body says redis is down, database ok."""
    with side_app(settings, redis_url="redis://127.0.0.1:1/0") as (_, c):
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"] != "ok"
        assert "redis" in body["detail"]
        assert "database" not in body["detail"]


# ---- OpenAPI ----

def http_routes(app: Any) -> list[tuple[str, set[str]]]:
    """Every HTTP route of the app as (path, methods), docs routes left out.

    FastAPI ≥ 0.16x keeps included routers as one entry each in `app.routes`; its public
    `iter_route_contexts` walks into them (older versions list the routes themselves).
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        candidates: list[Any] = list(app.routes)
    else:
        candidates = list(iter_route_contexts(app.routes))
    found = []
    for rt in candidates:
        path, methods = getattr(rt, "path", None), getattr(rt, "methods", None)
        if not path or path in DOCS_PATHS or isinstance(getattr(rt, "original_route", rt), WebSocketRoute):
            continue
        if methods is None or not getattr(rt, "include_in_schema", True):
            continue
        found.append((path, set(methods)))
    return found


def test_openapi_lists_every_route_and_key_schemas(client: TestClient, app: Any) -> None:
    """/openapi.json documents every HTTP route of the app (with its methods) and the main schemas."""
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    routes = http_routes(app)
    assert len(routes) > 20
    for path, methods in routes:
        assert path in paths, f"{path} missing from openapi.json"
        documented = {m.upper() for m in paths[path]}
        assert methods - {"HEAD", "OPTIONS"} <= documented, path
    for required in ("/api/v1/auth/token", "/api/v1/users", "/api/v1/events", "/api/v1/events/{event_id}",
                     "/api/v1/regions", "/api/v1/items", "/api/v1/standards", "/api/v1/sync", "/healthz", "/readyz"):
        assert required in paths, required
    schemas = doc["components"]["schemas"]
    assert {"EventPublic", "PersonPublic", "SyncRequest"} <= set(schemas)
    assert {"id", "kind", "category", "status", "data_seq", "version"} <= set(schemas["EventPublic"]["properties"])


def test_docs_page_is_served(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "swagger" in r.text.lower()
