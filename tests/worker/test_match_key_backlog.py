"""The match keys of new persons are written by the worker (the person key backlog), and a worker killed
while it writes them loses nothing: shown with real `posko worker` processes on SQLite and PostgreSQL."""

from __future__ import annotations

import signal
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from shared.db import read_unit, write_unit
from shared.models import Person, PersonMatchKey
from shared.repositories import matching as matching_repo
from shared.repositories.bulk import insert_many
from shared.services import match_keys
from tests.conftest import build_scene, new_id
from tests.worker.conftest import App, KillableRedis, Workers, own_settings, wait_until

GIVEN = ["Siti", "Ahmad", "Rina", "Budi", "Dewi", "Joko", "Nur", "Hendra"]
FAMILY = ["Lubis", "Nasution", "Sitepu", "Ginting", "Harahap", "Tarigan", "Purba"]


def _queue_persons(app: App, event_id: str, n: int) -> dict[str, tuple[str, date]]:
    """n persons stored and queued for their keys as a registration does (bulk, so there is a lot to drain)."""
    now = datetime.now(UTC)
    people = {new_id(): (f"{GIVEN[i % 8]} {FAMILY[(i // 8) % 7]} {i}", date(1950, 1, 1) + timedelta(days=i % 20_000))
              for i in range(n)}
    rows = [{"id": pid, "event_id": event_id, "household_id": None, "full_name": name, "sex": "L",
             "birth_date": bd, "age_years": None, "nik": None, "vulnerabilities": [], "needs_psychosocial": False,
             "condition": "selamat", "registered_at": now, "version": 1, "created_by": None, "created_at": now}
            for pid, (name, bd) in people.items()]
    with write_unit(app.db) as uow:
        insert_many(uow.session, Person, rows)
        match_keys.queue_person_keys(uow.session, rows)
    return people


def _backlog(app: App) -> int:
    with read_unit(app.db) as session:
        return matching_repo.backlog_size(session)


def _waiting(app: App) -> set[str]:
    with read_unit(app.db) as session:
        return {entry[1] for entry in matching_repo.backlog_page(session, 100_000)}


def _keys(app: App) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    with read_unit(app.db) as session:
        for key, pid in session.execute(select(PersonMatchKey.match_key, PersonMatchKey.person_id)):  # type: ignore[call-overload]
            out.setdefault(pid, set()).add(key)
    return out


def test_a_worker_killed_while_writing_match_keys_loses_none(
        own_database_url: str, killable_redis: KillableRedis, workers: Workers, make_app: Any) -> None:
    s = own_settings(own_database_url, killable_redis.url)
    app: App = make_app(s)
    sc = build_scene(app.api)
    people = _queue_persons(app, sc.eid, 25_000)
    probe_id, (probe_name, probe_bd) = next(iter(people.items()))

    def found() -> bool:
        r = app.api.get("/persons/matches", params={"name": probe_name, "birth_date": probe_bd.isoformat(),
                                                   "event_id": sc.eid})
        assert r.status_code == 200, r.text
        return probe_id in [m["person_id"] for m in r.json()]

    assert found()  # before any worker: from the backlog
    first = workers.start(s)
    wait_until(lambda: _backlog(app) < 25_000, 60, "the first worker started draining", interval=0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    keyed = _keys(app)
    assert keyed and set(people) <= _waiting(app) | set(keyed)  # no person both off the backlog and unkeyed
    assert found()
    workers.start(s)
    wait_until(lambda: _backlog(app) == 0, 90, "the backlog drained by the next worker")
    keyed = _keys(app)
    assert {pid: keyed.get(pid, set()) for pid in people} == {
        pid: match_keys.key_hashes_of(name, bd, None) for pid, (name, bd) in people.items()}
    with read_unit(app.db) as session:
        assert session.execute(select(func.count()).select_from(PersonMatchKey)).scalar_one() == sum(
            len(match_keys.key_hashes_of(n, b, None)) for n, b in people.values())
    assert found()
