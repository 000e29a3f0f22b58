"""Trace the path of one person write, from the HTTP request to the websocket message, as file:function hops.

docs/architecture.md ("The path of one write") describes this path by hand; this script measures it, so
the description can be checked and two versions of the code compared (run it from either checkout:
it uses only `create_app`, the settings, the migrations and the worker's `recompute` job).

One process, real SQLite and Redis: a fresh database with an admin, an event with a shelter, a
websocket client on the event's live status; then, traced, `POST /events/{id}/persons` with a
`shelter_id`, the worker job `recompute(event_id)` run in-process (the RQ worker would run the same
function) and the websocket receiving the snapshot. Every call of a project function (`services/`,
`shared/`) made from another project file is a hop; calls inside one file are the file's own business.

It prints the hops in order (`file:function`, caller's line), then: distinct functions, distinct
files, and **upward hops** — calls against the layering (routes → services → repositories → database;
the needs rules and domain rules below the services), such as a shared module calling back into the
API, or a repository calling a service.

    .venv/bin/python scripts/trace_write_path.py [--redis redis://127.0.0.1:6379/0] [--all]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path.cwd().resolve()
sys.path.insert(0, str(ROOT))

# Layers from the top (0) down; a hop from a lower layer to a higher one is "upward" (a callback or a
# reach back, such as the database's unit of work calling the queue, or a presenter of the route called
# from the write path). Pure modules (rules, schemas, settings) sit at the bottom: anyone may call them.
LAYERS: tuple[tuple[str, int], ...] = (
    ("services/api/middleware", 0), ("services/api/main", 0), ("services/api/errors", 0),
    ("services/api/deps", 1), ("services/api/routes/", 2), ("services/api/live/route", 2),
    ("services/api/live.py", 2), ("services/api/", 3),
    ("services/worker/main", 1), ("services/worker/", 2),
    ("shared/services/", 4), ("shared/reports/", 4), ("shared/queue", 5), ("shared/redis", 6),
    ("shared/repositories/", 6), ("shared/db", 7), ("shared/models/", 7),
    ("shared/needs/", 9), ("shared/domain/", 9), ("shared/schemas/", 9), ("shared/config", 9),
    ("shared/live_messages", 9), ("shared/memory", 9), ("shared/", 5),
)
PURE = 9


def layer(path: str) -> int:
    for prefix, rank in LAYERS:
        if path.startswith(prefix):
            return rank
    return 5


class Tracer:
    """Collects cross-file calls of project functions while `on` is set, from every thread."""

    def __init__(self) -> None:
        self.on = False
        self.hops: list[tuple[str, str, str, int]] = []  # (callee file, callee function, caller file, caller line)
        self.called: set[str] = set()  # every project function called, as file:function (same-file calls too)
        self.lock = threading.Lock()

    def _project(self, filename: str) -> str | None:
        try:
            rel = Path(filename).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return None
        return rel if rel.startswith(("services/", "shared/")) else None

    def profile(self, frame: FrameType, event: str, _arg: Any) -> None:
        if not self.on or event != "call":
            return
        callee = self._project(frame.f_code.co_filename)
        if callee is None:
            return
        name = frame.f_code.co_qualname if hasattr(frame.f_code, "co_qualname") else frame.f_code.co_name
        self.called.add(f"{callee}:{name}")
        back = frame.f_back
        # the nearest project frame below: a call through a library (FastAPI, anyio, SQLAlchemy events)
        # still counts as a hop from the project code that started it
        while back is not None and self._project(back.f_code.co_filename) is None:
            back = back.f_back
        caller = self._project(back.f_code.co_filename) if back is not None else None
        if caller == callee:
            return
        if name.startswith("<") and name not in ("<lambda>",):
            return  # module bodies, comprehensions
        with self.lock:
            self.hops.append((callee, name, caller or "-", back.f_lineno if back is not None else 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--all", action="store_true", help="print repeated hops too (default: first of each)")
    parser.add_argument("--json", metavar="FILE", help="also write the hops and every function called as JSON")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from services.api.main import create_app
    from services.worker import jobs
    from shared.config import Settings
    from shared.db import make_database, write_unit
    from shared.migrate import upgrade
    from shared.models import User
    from shared.security import hash_password

    tmp = Path(tempfile.mkdtemp(prefix="posko-trace-"))
    tag = uuid.uuid4().hex[:8]
    settings = Settings(env="test", database_url=f"sqlite:///{tmp / 'trace.db'}", redis_url=args.redis,
                        secret_key="trace-secret-" + uuid.uuid4().hex, redis_key_prefix=f"posko-trace-{tag}",
                        queue_name=f"posko-trace-{tag}")
    upgrade(settings)
    db = make_database(settings)
    password = "Banjir-Binjai-2026!"
    with write_unit(db) as uow:
        uow.session.add(User(username="admin", full_name="Admin", role="admin", password_hash=hash_password(password)))
    jobs.configure(settings)

    tracer = Tracer()
    threading.setprofile(tracer.profile)
    sys.setprofile(tracer.profile)
    try:
        with TestClient(create_app(settings)) as client:
            token = client.post("/api/v1/auth/token", data={"username": "admin", "password": password}).json()
            h = {"Authorization": f"Bearer {token['access_token']}"}
            started = (datetime.now(UTC) - timedelta(days=1)).isoformat()
            event = client.post("/api/v1/events", headers=h, json={
                "id": str(uuid.uuid4()), "name": "Banjir jejak", "kind": "banjir", "started_at": started,
                "kelurahan_codes": ["12.75.04.1004"]}).json()
            shelter = client.post(f"/api/v1/events/{event['id']}/shelters", headers=h, json={
                "id": str(uuid.uuid4()), "name": "Masjid Raya", "kelurahan_code": "12.75.04.1004",
                "kind": "rumah_ibadah", "capacity_persons": 100}).json()
            jobs.recompute(event["id"])  # the first snapshot, so the traced one is an ordinary update
            with client.websocket_connect(f"/api/v1/events/{event['id']}/live?token={token['access_token']}") as ws:
                first = ws.receive_json()
                tracer.on = True
                r = client.post(f"/api/v1/events/{event['id']}/persons", headers=h, json={
                    "id": str(uuid.uuid4()), "full_name": "Siti Rahmawati", "sex": "P",
                    "birth_date": "1990-05-04", "shelter_id": shelter["id"]})
                assert r.status_code == 201, r.text
                jobs.recompute(event["id"])
                while True:
                    message = ws.receive_json()
                    if message.get("seq", 0) > first.get("seq", 0):
                        break
                tracer.on = False
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        db.dispose()

    seen: set[tuple[str, str]] = set()
    upward = 0
    print(f"{'#':>3}  {'hop (file:function)':<75} from")
    n = 0
    for callee, name, caller, line in tracer.hops:
        key = (callee, name)
        is_up = caller != "-" and layer(callee) < layer(caller)
        if key in seen and not args.all:
            continue
        seen.add(key)
        upward += is_up
        n += 1
        print(f"{n:>3}  {callee + ':' + name:<75} {caller}:{line}{'  ↑' if is_up else ''}")
    files = {c for c, _ in seen}
    impure = {(c, f) for c, f in seen if layer(c) != PURE}
    print(f"\nfunctions: {len(seen)} in {len(files)} files; without the pure modules (rules, schemas, settings): "
          f"{len(impure)} in {len({c for c, _ in impure})} files; upward hops: {upward}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "hops": [f"{c}:{f}" for c, f, _, _ in tracer.hops], "called": sorted(tracer.called),
            "functions": len(seen), "files": len(files), "upward": upward}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
