"""The FastAPI application: `create_app(settings)` wires engines, Redis, routes and error mapping."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from services.api import errors
from services.api.deps import clean_text_params
from services.api.docs import DOCS_URL, install_docs
from services.api.live import LiveHub
from services.api.live import router as live_router
from services.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware, install_log_redaction
from services.api.routes import (
    auth,
    event_reports,
    events,
    health,
    lan,
    logistics,
    matching,
    people,
    privacy,
    reference,
    registers,
    renstra,
    shelters,
    status,
    stock,
    sync,
    tracing,
    users,
    web,
)
from services.api.routes import duplicates as duplicate_routes
from services.api.write_batcher import WriteBatcher
from shared.config import Settings, get_settings
from shared.db import make_database, start_checkpoints
from shared.memory import release_heap
from shared.queue import Dispatcher
from shared.services.ratelimit import LoginThrottle

API_PREFIX = "/api/v1"

log = logging.getLogger("posko.api")

DESCRIPTION = """Posko: pencatatan logistik tanggap darurat bencana untuk Dinas Sosial dan TAGANA.

Semua jalur di bawah `/api/v1` memerlukan `Authorization: Bearer <token>` dari `POST /api/v1/auth/token`.
Every path under `/api/v1` needs a bearer token from `POST /api/v1/auth/token`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = make_database(settings)
    dispatcher = Dispatcher(settings)
    writer = WriteBatcher(db, dispatcher.event_changed)
    live = LiveHub(settings, db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        install_log_redaction()
        # Everything loaded at start-up lives as long as the process: moving it out of the collector's
        # reach, and collecting less often, keeps full collections from stalling requests (p99).
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 100)
        stop_checkpoints = start_checkpoints(db)
        await live.start()
        collector = asyncio.create_task(_collect_periodically(settings.api_gc_seconds), name="posko-gc")
        yield
        collector.cancel()
        await live.close()
        stop_checkpoints()
        writer.close()
        dispatcher.close()
        db.dispose()

    # /docs is served from local assets under its own CSP (services/api/docs.py); no CDN page, no ReDoc
    app = FastAPI(title="Posko", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, docs_url=None,
                  redoc_url=None, swagger_ui_oauth2_redirect_url=None)
    app.state.settings = settings
    app.state.db = db
    app.state.dispatcher = dispatcher
    app.state.writer = writer  # read through deps.WriterDep
    app.state.live = live
    app.state.lan = None  # a services.lan.site.LanSite under `posko run --lan`
    app.state.login_throttle = LoginThrottle(settings)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(web.router)
    app.include_router(lan.pages)  # `posko run --lan`: the phone's certificate page
    app.mount("/static", StaticFiles(directory=web.WEB), name="static")
    # matching before people: /persons/matches is not a person id
    for module in (auth, users, reference, events, shelters, matching, people, logistics, stock, sync, status,
                   event_reports, renstra, registers, privacy, lan, tracing):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=[Depends(clean_text_params)])
    app.include_router(duplicate_routes.router, prefix=API_PREFIX, dependencies=[Depends(clean_text_params)])
    app.include_router(live_router, prefix=API_PREFIX)
    docs_csp = install_docs(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       larger={f"{API_PREFIX}/tracing/import": settings.pfif_max_bytes})
    # outermost: its headers are on every answer, the body limit's 413 included
    app.add_middleware(SecurityHeadersMiddleware, docs_csp=docs_csp, docs_prefix=(DOCS_URL, "/docs-static"))
    return app


async def _collect_periodically(interval: float) -> None:
    """Every `interval` seconds (POSKO_API_GC_SECONDS; 0: never) a full collection, and every
    TRIM_EVERY-th time the freed heap back to the OS. The thresholds set at start-up make full collections
    rare, which keeps them off the requests' p99 but lets garbage in reference cycles (closed websockets,
    cancelled tasks, uvicorn's connections) pile up for minutes; one collection every few seconds finds
    little and takes milliseconds (the objects loaded at start-up are frozen, outside its walk). The trim
    walks every free chunk of every malloc arena, locking each (~80 ms on a fragmented 300 MB heap), so
    it runs less often."""
    if interval <= 0:
        return
    rounds = 0
    while True:
        await asyncio.sleep(interval)
        started = time.perf_counter()
        found = gc.collect()
        took = time.perf_counter() - started
        rounds += 1
        if rounds % TRIM_EVERY == 0:
            await anyio.to_thread.run_sync(release_heap)
        if took > 0.2:
            log.warning("a full garbage collection took %.0f ms (%d objects freed)", took * 1000, found)


TRIM_EVERY = 6
