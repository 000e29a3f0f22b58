"""The tracing match job under faults (issue 15): a real `posko worker` process killed in the middle of a
match pass loses nothing; the work is found again (abandoned job re-queued, or the relay) and a second
worker finishes it, with every candidate stored once. SQLite and PostgreSQL, a private Redis."""

from __future__ import annotations

import random
import signal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.registry import StartedJobRegistry
from sqlalchemy import func
from sqlmodel import col, select

from shared.db import Database, read_unit, write_unit
from shared.models import TracingMatch, TracingRequest
from shared.queue import make_queue
from shared.repositories.bulk import insert_many
from shared.services.tracing_matching import match_pass
from tests.conftest import build_scene, new_id
from tests.worker.conftest import App, KillableRedis, Workers, own_settings, wait_until
from tests.worker.test_duplicate_scan import FAMILY, GIVEN, MIDDLE, add_people


def add_requests(db: Database, n: int) -> None:
    """Bulk-file requests for names like the register's (each has candidates to score)."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows = [{"id": new_id(), "event_id": None, "kind": "orang", "subject_person_id": None,
             "full_name": " ".join(x for x in (rng.choice(GIVEN), rng.choice(MIDDLE), rng.choice(FAMILY)) if x),
             "sex": rng.choice("LP"), "birth_date": date(1940, 1, 1) + timedelta(days=rng.randrange(30_000)),
             "status": "dicari", "source": "posko", "version": 1, "matched_version": 0, "created_at": now,
             "updated_at": now} for _ in range(n)]
    with write_unit(db) as uow:
        insert_many(uow.session, TracingRequest, rows)


def unmatched(db: Database) -> int:
    with read_unit(db) as s:
        q = select(func.count()).select_from(TracingRequest).where(
            col(TracingRequest.matched_version) < col(TracingRequest.version))
        return int(s.execute(q).scalar_one())


def match_rows(db: Database, request_id: str) -> list[TracingMatch]:
    with read_unit(db) as s:
        return list(s.execute(select(TracingMatch).where(col(TracingMatch.request_id) == request_id)).scalars())


@pytest.mark.slow
def test_a_worker_killed_mid_match_is_healed(own_database_url: str, killable_redis: KillableRedis, workers: Workers,
                                            make_app: Any, tmp_path: Path) -> None:
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    add_people(app.db, sc.eid, 20_000)
    add_requests(app.db, 3_000)
    sought = sc.person(full_name="Tiurma Sari Situmorang", sex="P", birth_date="1979-11-03",
                       shelter_id=sc.shelter["id"])
    r = app.api.post("/tracing", json={"id": new_id(), "full_name": "Tiurma Situmorang", "sex": "P",
                                       "birth_date": "1979-11-03"})
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    conn = redis.Redis.from_url(killable_redis.url)
    started = StartedJobRegistry(queue=make_queue(s, conn))
    first = workers.start(s)

    def matching() -> bool:
        return any(j.startswith("tracing-") for j in started.get_job_ids(cleanup=False))

    wait_until(matching, 90, "the match pass started", interval=0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert unmatched(app.db) > 0  # killed in the middle: work left
    workers.start(s)
    wait_until(lambda: unmatched(app.db) == 0, 180, "the second worker matched every request")
    wait_until(lambda: len(match_rows(app.db, request_id)) >= 1, 60, "the sought person's match")
    rows = match_rows(app.db, request_id)
    assert [m.person_id for m in rows if m.strong] == [sought["id"]]
    with read_unit(app.db) as session:
        assert session.get(TracingRequest, request_id).status == "kemungkinan_cocok"  # type: ignore[union-attr]
    with write_unit(app.db) as uow:  # nothing left to do, nothing stored twice
        again = match_pass(uow)
    assert again.requests == 0 and again.new_strong == []
    assert len(match_rows(app.db, request_id)) == len(rows)
