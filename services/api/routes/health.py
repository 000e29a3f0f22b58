"""Liveness and readiness, at the server root and without a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.api.deps import DbDep, DispatcherDep, ReadSession, SettingsDep, UnitOfWorkRoute
from shared.db import utcnow
from shared.services import health

router = APIRouter(tags=["health"], route_class=UnitOfWorkRoute)


@router.get("/healthz", summary="Proses hidup (process is up)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Basis data, Redis, outbox, worker dan penjadwal sehat "
                                "(database and Redis reachable, outbox drained, worker and scheduler alive)")
def readyz(db: DbDep, dispatcher: DispatcherDep, settings: SettingsDep, session: ReadSession) -> JSONResponse:
    """503 naming what failed: an unreachable database or Redis, or a pipeline signal past its threshold
    (outbox lag, worker heartbeat, scheduler tick: shared/services/health.py). The snapshot verifier's
    counts (`verifier`) are shown and never fail it."""
    checks: dict[str, str] = {}
    ages: dict[str, Any] = {}
    verifier: dict[str, Any] | None = None
    try:
        with db.read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {exc.__class__.__name__}"
    try:
        dispatcher.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {exc.__class__.__name__}"
    unreachable = [k for k, v in checks.items() if v != "ok"]
    stale: list[str] = []
    if checks["database"] == "ok":
        try:
            signals = health.pipeline(session, settings, utcnow())
            checks.update(signals.checks)
            ages = signals.ages
            stale = signals.failed
        except Exception as exc:  # a database that answers SELECT 1 but not the tables (not migrated)
            checks["pipeline"] = f"down: {exc.__class__.__name__}"
            unreachable.append("pipeline")
        else:
            try:
                verifier = health.verifier(session)
            except Exception as exc:  # informational: never fails readiness
                verifier = {"unavailable": exc.__class__.__name__}
    ok = not unreachable and not stale
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks, "signals": ages}
    if verifier is not None:
        body["verifier"] = verifier
    if not ok:
        parts = []
        if unreachable:
            parts.append("tidak tersedia: " + ", ".join(unreachable) + " (not reachable: " + ", ".join(unreachable) + ")")
        if stale:
            parts.append(health.describe(stale))
        body["detail"] = "; ".join(parts)
    return JSONResponse(body, status_code=200 if ok else 503)
