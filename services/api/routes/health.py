"""Liveness and readiness, at the server root and without a token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Proses hidup (process is up)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Basis data dan Redis terjangkau (database and Redis reachable)")
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with request.app.state.db.read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {exc.__class__.__name__}"
    try:
        request.app.state.dispatcher.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {exc.__class__.__name__}"
    ok = all(v == "ok" for v in checks.values())
    down = [k for k, v in checks.items() if v != "ok"]
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    if down:
        body["detail"] = "tidak tersedia: " + ", ".join(down) + " (not reachable: " + ", ".join(down) + ")"
    return JSONResponse(body, status_code=200 if ok else 503)
