"""The request's unit of work (services/api/deps.py WriteUnit): committed before the answer is sent,
rolled back on a domain error (whose callbacks never run), and never a deadlock when more requests
wait for SQLite's write lock than the thread pool has threads."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text

from services.api import errors
from services.api.deps import ReadSession, UnitOfWorkRoute, WriteUnit
from services.api.deps import write_unit as write_unit_dep
from shared.db import make_database, write_unit
from shared.errors import Conflict
from tests.conftest import make_settings


class Announcements:
    def __init__(self) -> None:
        self.events: list[str] = []

    def event_changed(self, event_id: str) -> bool:
        self.events.append(event_id)
        return True


def _app(tmp_path: Path) -> tuple[FastAPI, Announcements, Any]:
    db = make_database(make_settings(f"sqlite:///{tmp_path / 'units.db'}"))
    with write_unit(db) as uow:
        uow.session.execute(text("CREATE TABLE rows (n INTEGER)"))
    announced = Announcements()
    app = FastAPI()
    app.state.db, app.state.dispatcher = db, announced
    errors.install(app)
    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.post("/rows/{n}")
    def add(n: int, uow: WriteUnit) -> dict[str, int]:
        uow.session.execute(text("INSERT INTO rows VALUES (:n)"), {"n": n})
        uow.event_changed(f"e{n}")
        time.sleep(0.005)  # hold the write lock while other requests wait for it
        if n < 0:
            raise Conflict("refused after the insert")
        return {"n": n}

    @router.get("/rows")
    def count(session: ReadSession) -> dict[str, int]:
        return {"rows": int(session.execute(text("SELECT count(*) FROM rows")).scalar_one())}

    app.include_router(router)

    return app, announced, db


def test_a_write_commits_before_its_answer_and_an_error_rolls_back_without_announcing(tmp_path: Path) -> None:
    app, announced, db = _app(tmp_path)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.post("/rows/1")).status_code == 200
            assert (await client.get("/rows")).json() == {"rows": 1}  # committed before the answer
            assert (await client.post("/rows/-1")).status_code == 409
            assert (await client.get("/rows")).json() == {"rows": 1}  # rolled back

    try:
        asyncio.run(run())
        assert announced.events == ["e1"]  # the refused write announced nothing
        assert db.write_lock is not None and not db.write_lock.locked()
    finally:
        db.dispose()


def test_more_writers_than_threads_do_not_deadlock(tmp_path: Path) -> None:
    """120 concurrent writes (the default thread pool has 40 threads): requests blocked on the write lock
    hold pool threads, so the holder must be able to commit without one (it does, on its own limiter)."""
    app, announced, db = _app(tmp_path)

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            answers = await asyncio.wait_for(asyncio.gather(*(client.post(f"/rows/{n}") for n in range(120))), 60)
            assert (await client.get("/rows")).json() == {"rows": 120}
            return [a.status_code for a in answers]

    try:
        assert asyncio.run(run()) == [200] * 120
        assert sorted(announced.events) == sorted(f"e{n}" for n in range(120))
    finally:
        db.dispose()


def test_every_route_with_a_write_unit_ends_it_in_its_own_thread() -> None:
    """A WriteUnit route outside UnitOfWorkRoute would commit in the dependency's teardown: correct, but
    open to the deadlock above. Every API route that takes one is a UnitOfWorkRoute."""
    import pkgutil
    from importlib import import_module

    import services.api.routes as package

    def uses_write_unit(dependant: Any) -> bool:
        return any(d.call is write_unit_dep or uses_write_unit(d) for d in dependant.dependencies)

    routes = [route for info in pkgutil.iter_modules(package.__path__)
              for route in import_module(f"{package.__name__}.{info.name}").router.routes
              if isinstance(route, APIRoute)]
    writing = [r for r in routes if uses_write_unit(r.dependant)]
    assert len(writing) > 10 and all(isinstance(r, UnitOfWorkRoute) for r in writing), \
        [r.path for r in writing if not isinstance(r, UnitOfWorkRoute)]
