"""The duplicate scan job (issue 11 §2): finds planted pairs, is idempotent, keeps decisions, is queued
after writes pause, and heals after a worker is killed in the middle of a scan."""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlmodel import col, select

from services.worker import jobs
from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.models import DuplicatePair, Person
from shared.queue import Dispatcher, make_background_queue, make_queue
from shared.repositories import duplicates as dup_repo
from shared.repositories.bulk import insert_many
from tests.conftest import Api, Scene, build_scene, fresh_nik, new_id
from tests.worker.conftest import App, KillableRedis, Workers, own_settings, wait_until


@pytest.fixture
def worker_ctx(settings: Settings) -> Iterator[jobs.WorkerContext]:
    """The job's context on a live queue of its own: the session's queue holds recomputes that no worker
    runs here, and a scan gives way to any waiting recompute (it would store nothing)."""
    ctx = jobs.configure(settings.model_copy(update={"queue_name": f"{settings.queue_name}-scan-{new_id()[:8]}"}))
    yield ctx
    ctx.db.dispose()


def pairs(db: Database, event_id: str) -> dict[frozenset[str], DuplicatePair]:
    with read_unit(db) as s:
        rows = s.execute(select(DuplicatePair).where(
            (col(DuplicatePair.event_id) == event_id) | (col(DuplicatePair.other_event_id) == event_id))).scalars()
        return {frozenset((p.person_a, p.person_b)): p for p in rows}


def planted(scene: Scene) -> dict[str, dict[str, Any]]:
    """Clear duplicates among people who are clearly different."""
    p = scene.person
    return {
        "siti": p(full_name="Siti Rahmawati", sex="P", birth_date="1985-05-12", nik=fresh_nik(female=True)),
        "siti2": p(full_name="St. Rahmawati", sex="P", birth_date="1985-05-12"),
        "rizki": p(full_name="Muhammad Rizki Siregar", sex="L", birth_date="1999-09-09"),
        "rizki2": p(full_name="M. Rizki Siregar", sex="L", birth_date="1999-09-09"),
        "budi": p(full_name="Budi Santoso", sex="L", birth_date="1970-01-30"),
        "aisyah": p(full_name="Aisyah Lubis", sex="P", birth_date="2012-07-04"),
    }


def test_the_scan_finds_planted_pairs_and_is_idempotent(admin: Api, database: Database,
                                                        worker_ctx: jobs.WorkerContext) -> None:
    scene = build_scene(admin)
    ps = planted(scene)
    first = jobs.scan_duplicates(scene.eid)
    assert first["persons"] == 6
    found = pairs(database, scene.eid)
    siti, rizki = frozenset((ps["siti"]["id"], ps["siti2"]["id"])), frozenset((ps["rizki"]["id"], ps["rizki2"]["id"]))
    assert siti in found and rizki in found
    assert frozenset((ps["budi"]["id"], ps["aisyah"]["id"])) not in found
    pair = found[siti]
    assert pair.status == "open" and pair.person_a < pair.person_b and 0 < pair.score <= 1 and pair.reasons
    assert pair.id == dup_repo.pair_id(ps["siti2"]["id"], ps["siti"]["id"])
    assert (pair.event_id, pair.other_event_id) == (scene.eid, scene.eid)
    again = jobs.scan_duplicates(scene.eid)
    assert (again["inserted"], again["updated"], again["removed"]) == (0, 0, 0)
    assert pairs(database, scene.eid).keys() == found.keys()


def test_decisions_stand_and_corrected_persons_leave_the_queue(admin: Api, database: Database,
                                                               worker_ctx: jobs.WorkerContext) -> None:
    scene = build_scene(admin)
    ps = planted(scene)
    jobs.scan_duplicates(scene.eid)
    siti = pairs(database, scene.eid)[frozenset((ps["siti"]["id"], ps["siti2"]["id"]))]
    assert admin.post(f"/events/{scene.eid}/duplicates/{siti.id}/dismiss").status_code == 200
    rizki = pairs(database, scene.eid)[frozenset((ps["rizki"]["id"], ps["rizki2"]["id"]))]
    assert admin.post(f"/persons/{ps['rizki2']['id']}/merge", json={"into": ps["rizki"]["id"]}).status_code == 200
    jobs.scan_duplicates(scene.eid)
    now = pairs(database, scene.eid)
    assert now[frozenset((ps["siti"]["id"], ps["siti2"]["id"]))].status == "dismissed"  # never reopened
    assert now[frozenset((ps["rizki"]["id"], ps["rizki2"]["id"]))].status == "merged"
    assert now[frozenset((ps["rizki"]["id"], ps["rizki2"]["id"]))].id == rizki.id
    # a second registration corrected to another person leaves the open queue at the next scan
    extra = scene.person(full_name="Budi Santoso", sex="L", birth_date="1970-01-30")
    jobs.scan_duplicates(scene.eid)
    budi = frozenset((ps["budi"]["id"], extra["id"]))
    assert pairs(database, scene.eid)[budi].status == "open"
    fix = admin.patch(f"/persons/{extra['id']}", json={"full_name": "Yohanes Sitepu", "birth_date": "2001-02-03"})
    assert fix.status_code == 200, fix.text
    assert jobs.scan_duplicates(scene.eid)["removed"] >= 1  # (also any strong match in another test's event)
    assert budi not in pairs(database, scene.eid)


def test_the_same_nik_in_two_events_is_a_cross_event_pair(admin: Api, database: Database,
                                                          worker_ctx: jobs.WorkerContext) -> None:
    first, second = build_scene(admin), build_scene(admin)
    nik = fresh_nik()
    a = first.person(full_name="Hotman Sinaga", sex="L", birth_date="1985-05-12", nik=nik)
    b = second.person(full_name="Hotman Sinaga", sex="L", birth_date="1985-05-12", nik=nik)
    jobs.scan_duplicates(first.eid)
    pair = pairs(database, first.eid)[frozenset((a["id"], b["id"]))]
    assert {pair.event_id, pair.other_event_id} == {first.eid, second.eid}
    listed = admin.get(f"/events/{second.eid}/duplicates").json()["items"]
    assert pair.id in [p["id"] for p in listed]  # visible from both events
    across = admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"]})
    assert across.status_code == 409  # merged only within one event; the pair can be dismissed
    assert admin.post(f"/events/{second.eid}/duplicates/{pair.id}/dismiss").status_code == 200


def test_a_scan_is_queued_once_writes_pause_and_coalesced(admin: Api, settings: Settings, database: Database,
                                                          redis_client: redis.Redis,
                                                          worker_ctx: jobs.WorkerContext) -> None:
    scene = build_scene(admin)
    planted(scene)
    now = datetime.now(UTC)
    with read_unit(database) as s:
        busy = dup_repo.events_due_for_scan(s, now - timedelta(seconds=60), now - timedelta(hours=1))
        quiet = dup_repo.events_due_for_scan(s, now + timedelta(seconds=1), now - timedelta(hours=1))
    assert scene.eid not in busy and scene.eid in quiet  # writes within the last minute: wait for the pause
    dispatcher = Dispatcher(settings)
    queue = make_background_queue(settings, redis_client)  # scans wait behind the live queue
    try:
        before = len(queue)
        assert dispatcher.scan_duplicates(scene.eid) and dispatcher.scan_duplicates(scene.eid)
        assert len(queue) == before + 1  # one queued scan per event
    finally:
        dispatcher.close()
    jobs.scan_duplicates(scene.eid)  # frees the mark and records how far it read
    assert not redis_client.exists(worker_ctx.keys.pending_scan(scene.eid))
    with read_unit(database) as s:
        assert scene.eid not in dup_repo.events_due_for_scan(s, now + timedelta(seconds=1), now - timedelta(hours=1))
    scene.person(full_name="Lasma Pardede", sex="P", birth_date="1960-06-06")
    with read_unit(database) as s:
        assert scene.eid in dup_repo.events_due_for_scan(s, datetime.now(UTC) + timedelta(seconds=1),
                                                         now - timedelta(hours=1))


# ---------------------------------------------------------------- a worker killed mid-scan


GIVEN = ["Ahmad", "Budi", "Rizky", "Fajar", "Hendra", "Dedi", "Joko", "Agus", "Siti", "Nur", "Dewi", "Sri", "Rina",
         "Putri", "Aisyah", "Fitri", "Lasma", "Tiurma", "Hotman", "Parlin", "Sahat", "Tigor", "Usman", "Wahyu"]
MIDDLE = ["", "Aminah", "Rahman", "Sari", "Putra", "Hidayat", "Indah", "Prasetyo", "Maulana", "Rizal", "Ayu", "Eka"]
FAMILY = ["Siregar", "Nasution", "Lubis", "Harahap", "Sembiring", "Ginting", "Tarigan", "Hasibuan", "Saragih",
          "Sitepu", "Purba", "Damanik", "Sinaga", "Pane", "Situmorang", "Manurung", "Pardede", "Barus", "Kaban"]


def add_people(db: Database, event_id: str, n: int) -> None:
    """Bulk-load distinct persons (so the scan takes long enough to be killed in the middle)."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    rows = [{"id": new_id(), "event_id": event_id, "household_id": None,
             "full_name": " ".join(x for x in (rng.choice(GIVEN), rng.choice(MIDDLE), rng.choice(FAMILY)) if x),
             "sex": rng.choice("LP"), "birth_date": date(1940, 1, 1) + timedelta(days=rng.randrange(30_000)),
             "age_years": None, "nik": None, "vulnerabilities": [], "needs_psychosocial": False,
             "condition": "selamat", "registered_at": now, "version": 1, "created_by": None, "created_at": now}
            for _ in range(n)]
    with write_unit(db) as uow:
        insert_many(uow.session, Person, rows)


@pytest.mark.slow
def test_a_worker_killed_mid_scan_is_healed_by_the_rerun(
        own_database_url: str, killable_redis: KillableRedis, workers: Workers, make_app: Any, tmp_path: Path) -> None:
    """SIGKILL of the worker while a scan runs: no pair is lost; the abandoned scan is re-queued and run
    by another worker, and the queue is what a clean scan stores."""
    s = own_settings(own_database_url, killable_redis.url, duplicate_scan_quiet_seconds=0.0)
    app: App = make_app(s)
    sc = build_scene(app.api)
    add_people(app.db, sc.eid, 45_000)
    a = sc.person(full_name="Siti Rahmawati Ginting", sex="P", birth_date="1985-05-12")
    b = sc.person(full_name="St. Rahmawati Ginting", sex="P", birth_date="1985-05-12")
    conn = redis.Redis.from_url(killable_redis.url)
    started = StartedJobRegistry(queue=make_background_queue(s, conn))
    env = {"POSKO_DUPLICATE_SCAN_QUIET_SECONDS": "0"}
    first = workers.start(s, **env)

    def scan_running() -> bool:
        return any(j.startswith("scan-") for j in started.get_job_ids(cleanup=False))

    wait_until(scan_running, 90, "the scan started", interval=0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with read_unit(app.db) as session:
        assert dup_repo.scan_state(session, sc.eid) is None  # killed in the middle: nothing recorded
    workers.start(s, **env)
    wait_until(lambda: frozenset((a["id"], b["id"])) in pairs(app.db, sc.eid), 120, "the rerun stored the pairs")
    with read_unit(app.db) as session:
        state = dup_repo.scan_state(session, sc.eid)
        assert state is not None and state.finished_at is not None
    ctx = jobs.configure(s)
    try:
        rerun = jobs.scan_duplicates(sc.eid)
    finally:
        ctx.db.dispose()
    assert (rerun["inserted"], rerun["updated"], rerun["removed"]) == (0, 0, 0)


def test_a_scan_gives_way_to_a_waiting_recompute(admin: Api, settings: Settings, database: Database) -> None:
    """The live status never waits seconds behind a scan: with a recompute waiting on the queue the scan
    stops, stores nothing and frees its mark (the relay queues it again once writes pause)."""
    from tests.conftest import make_settings

    scene = build_scene(admin)
    add_people(database, scene.eid, 20_000)
    own = make_settings(settings.database_url, secret_key=settings.secret_key)  # a queue of its own
    worker_ctx = jobs.configure(own)
    key = make_queue(own, worker_ctx.redis).key
    worker_ctx.redis.rpush(key, "recompute-waiting-test")
    try:
        assert jobs.scan_duplicates(scene.eid) == {"yielded": True}
    finally:
        worker_ctx.redis.lrem(key, 0, "recompute-waiting-test")
    with read_unit(database) as s:
        assert dup_repo.scan_state(s, scene.eid) is None
    assert not worker_ctx.redis.exists(worker_ctx.keys.pending_scan(scene.eid))
    done = jobs.scan_duplicates(scene.eid)
    worker_ctx.db.dispose()
    assert done["persons"] == 20_000 and "yielded" not in done


def test_a_worker_takes_recomputes_before_queued_scans(admin: Api, settings: Settings) -> None:
    """Scans wait on the background queue: a recompute queued after them still runs first, so a burst of
    scans (after a restart, every changed event is due) never delays the live status."""
    import threading

    from services.worker.main import PoskoWorker, make_worker_queues
    from tests.conftest import make_settings

    own = make_settings(settings.database_url, secret_key=settings.secret_key)  # queues of its own
    scenes = [build_scene(admin) for _ in range(3)]
    ctx = jobs.configure(own)
    dispatcher = Dispatcher(own)
    try:
        for scene in scenes:
            assert dispatcher.scan_duplicates(scene.eid)
        assert dispatcher.event_changed(scenes[0].eid)
        queues = make_worker_queues(own, ctx.redis)
        assert [len(q) for q in queues] == [1, 3]
        PoskoWorker(queues, connection=ctx.redis, serializer=JSONSerializer, stop=threading.Event()).work(burst=True)
        done = sorted((j.started_at, j.func_name) for q in queues
                      for j in (q.fetch_job(i) for i in q.finished_job_registry.get_job_ids()) if j is not None)
        # the recompute queues a tracing pass on the live queue (issue 15): it runs before the scans too
        names = [name.rsplit(".", 1)[-1] for _, name in done if not name.endswith("match_tracing")]
        assert names == ["recompute"] + ["scan_duplicates"] * 3
    finally:
        dispatcher.close()
        ctx.db.dispose()
