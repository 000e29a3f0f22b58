"""Concurrent writers against real servers: identical creates racing each other store one row,
distinct creates each get their own data_seq, and two OS processes share one SQLite file without
"database is locked" or a lost write.

The in-process TestClient is not meant for threads, so these tests run `uvicorn` in a subprocess
(tests/api/live_server.py) and talk to it with one httpx client per thread.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared.config import Settings
from shared.db import Database, make_database, read_unit, write_unit
from shared.domain.access import SYSTEM
from shared.migrate import upgrade
from shared.models import ClientOperation, Distribution, Event, Household, Outbox, Person, Stay
from shared.schemas.events import EventCreate
from shared.services import events as event_service
from tests.api.live_server import ROOT, LiveServer
from tests.conftest import (
    PASSWORD,
    Api,
    build_scene,
    count,
    create_user_row,
    event_body,
    household_body,
    iso,
    make_settings,
    new_id,
    now_wib,
    person_body,
)

pytestmark = pytest.mark.slow  # every test here runs other OS processes

THREADS = 20


# ---- helpers ----



def data_seq(database: Database, event_id: str) -> int:
    with read_unit(database) as s:
        event = s.get(Event, event_id)
        assert event is not None
        return event.data_seq


def fire(server: LiveServer, token: str, requests: list[tuple[str, dict[str, Any]]]) -> list[tuple[int, Any, str]]:
    """POST every (path, body) at once, one thread and connection each; → [(status, json, X-Data-Seq)]."""
    barrier = threading.Barrier(len(requests))

    def one(item: tuple[str, dict[str, Any]]) -> tuple[int, Any, str]:
        path, body = item
        with server.client(token) as c:
            assert c.get(server.base_url + "/healthz").status_code == 200  # connection open before the start
            barrier.wait(timeout=30)
            r = c.post(path, json=body)
            try:
                payload = r.json()
            except ValueError:
                payload = r.text
            return r.status_code, payload, r.headers.get("X-Data-Seq", "")

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(one, requests))


@pytest.fixture(scope="module")
def live(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A uvicorn server on the test database (either backend)."""
    with LiveServer(settings, tmp_path_factory.mktemp("uvicorn")) as server:
        yield server


@pytest.fixture(scope="module")
def live_token(live: LiveServer, database: Database) -> str:
    _, username = create_user_row(database, "posko")
    return live.login(username, PASSWORD)


def assert_one_winner(answers: list[tuple[int, Any, str]]) -> dict[str, Any]:
    """Exactly one 201, every other answer 200, all with the same body; returns that body."""
    statuses = sorted(a[0] for a in answers)
    assert statuses == [200] * (len(answers) - 1) + [201], answers[:3]
    bodies = [a[1] for a in answers]
    assert all(b == bodies[0] for b in bodies), "every answer carries the same stored resource"
    seqs = {a[2] for a in answers}
    assert len(seqs) == 1, f"one write, one data_seq: {seqs}"
    return bodies[0]


# ---- identical creates racing each other ----


def _race_case(kind: str, admin: Api) -> tuple[str, str, dict[str, Any], list[tuple[Any, dict[str, Any]]]]:
    """(event id, path, body, [(model, where) that must match exactly one row])."""
    scene = build_scene(admin)
    eid = scene.eid
    if kind == "person":
        body = person_body(shelter_id=scene.shelter["id"], household_id=scene.household["id"])
        return eid, f"/events/{eid}/persons", body, [
            (Person, {"id": body["id"]}), (Stay, {"person_id": body["id"]}),
            (ClientOperation, {"kind": "person", "id": body["id"]})]
    if kind == "household":
        body = household_body()
        return eid, f"/events/{eid}/households", body, [
            (Household, {"id": body["id"]}), (ClientOperation, {"kind": "household", "id": body["id"]})]
    if kind == "distribution":
        body = {"id": new_id(), "item_code": "air_minum", "quantity": 300, "shelter_id": scene.shelter["id"],
                "delivered_at": iso(now_wib() - timedelta(hours=1))}
        return eid, f"/events/{eid}/distributions", body, [
            (Distribution, {"id": body["id"]}), (ClientOperation, {"kind": "distribution", "id": body["id"]})]
    if kind == "check_in":
        person = scene.person(registered_at=iso(now_wib() - timedelta(hours=5)))
        body = {"id": new_id(), "shelter_id": scene.shelter["id"], "at": iso(now_wib() - timedelta(hours=4))}
        return eid, f"/persons/{person['id']}/check-in", body, [
            (Stay, {"id": body["id"]}), (Stay, {"person_id": person["id"]}),
            (ClientOperation, {"kind": "check_in", "id": body["id"]})]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["person", "household", "distribution", "check_in"])
def test_identical_concurrent_creates_store_exactly_one_row(
        kind: str, admin: Api, database: Database, live: LiveServer, live_token: str) -> None:
    """20 identical creates at once on a real server: one 201, nineteen 200 with the same body, one row,
    and data_seq moved by exactly one."""
    eid, path, body, rows = _race_case(kind, admin)
    before = data_seq(database, eid)
    answers = fire(live, live_token, [(path, body)] * THREADS)
    stored = assert_one_winner(answers)
    assert stored["id"] == body["id"]
    for model, where in rows:
        assert count(database, model, **where) == 1, f"{model.__name__} {where}"
    assert data_seq(database, eid) == before + 1
    assert answers[0][2] == str(before + 1)


def test_distinct_concurrent_creates_each_get_their_own_data_seq(
        admin: Api, database: Database, live: LiveServer, live_token: str) -> None:
    """20 different persons at once: twenty 201, twenty rows, X-Data-Seq values exactly before+1 … before+20."""
    scene = build_scene(admin)
    before = data_seq(database, scene.eid)
    bodies = [person_body(full_name=f"Pengungsi {i}", shelter_id=scene.shelter["id"]) for i in range(THREADS)]
    answers = fire(live, live_token, [(f"/events/{scene.eid}/persons", b) for b in bodies])
    assert [a[0] for a in answers] == [201] * THREADS, [a for a in answers if a[0] != 201][:3]
    assert sorted(int(a[2]) for a in answers) == list(range(before + 1, before + THREADS + 1))
    assert count(database, Person, event_id=scene.eid) == THREADS
    assert count(database, Stay, event_id=scene.eid) == THREADS
    assert data_seq(database, scene.eid) == before + THREADS
    shelter = admin.get(f"/events/{scene.eid}/shelters/{scene.shelter['id']}").json()
    assert shelter["occupants"] == THREADS



def test_identical_concurrent_event_creates_open_one_event(
        database: Database, live: LiveServer, live_token: str) -> None:
    """20 identical POST /events at once: one 201, the rest 200 with the same event, one row."""
    body = event_body()
    stored = assert_one_winner(fire(live, live_token, [("/events", body)] * THREADS))
    assert stored["id"] == body["id"]
    assert count(database, Event, id=body["id"]) == 1
    assert data_seq(database, body["id"]) == stored["data_seq"]


def test_identical_sync_batches_racing_store_each_record_once(
        admin: Api, database: Database, live: LiveServer, live_token: str) -> None:
    """The same offline queue flushed by 10 clients at once: every record is created by exactly one batch
    and a duplicate in all others; one row per record; data_seq moved once per record."""
    scene = build_scene(admin)
    eid = scene.eid
    hh = household_body()
    people = [person_body(full_name=f"Anggota {i}", household_id=hh["id"]) for i in range(3)]
    check_in = {"id": new_id(), "person_id": people[0]["id"], "shelter_id": scene.shelter["id"],
                "at": iso(now_wib() - timedelta(minutes=30))}
    records = ([{"type": "household", "event_id": eid, "data": hh}]
               + [{"type": "person", "event_id": eid, "data": p} for p in people]
               + [{"type": "check_in", "event_id": eid, "data": check_in}])
    before = data_seq(database, eid)
    answers = fire(live, live_token, [("/sync", {"records": records})] * 10)
    assert {a[0] for a in answers} == {200}, [a for a in answers if a[0] != 200][:2]
    for index in range(len(records)):
        statuses = sorted(a[1]["results"][index]["status"] for a in answers)
        assert statuses == ["created"] + ["duplicate"] * 9, (index, statuses)
    assert count(database, Household, id=hh["id"]) == 1
    assert all(count(database, Person, id=p["id"]) == 1 for p in people)
    assert count(database, Stay, person_id=people[0]["id"]) == 1
    assert data_seq(database, eid) == before + len(records)


# ---- two OS processes on one SQLite file ----


def _fresh_sqlite(tmp_path: Path) -> tuple[Settings, Database, str]:
    settings = make_settings(f"sqlite:///{tmp_path / 'shared.db'}")
    upgrade(settings)
    db = make_database(settings)
    with write_unit(db) as uow:
        event, _ = event_service.create_event(uow, SYSTEM, EventCreate(**event_body()))
    return settings, db, event.id


def test_two_processes_writing_one_sqlite_file_lose_nothing(tmp_path: Path) -> None:
    """Two OS processes × 300 person creates through the write engine, one per transaction, at once:
    600 rows, no "database is locked", and data_seq counts every write exactly once."""
    settings, db, eid = _fresh_sqlite(tmp_path)
    try:
        before = data_seq(db, eid)
        go = tmp_path / "go"
        code = ("import sys; from tests.api.live_server import write_persons; "
                "write_persons(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])")
        procs = [subprocess.Popen([sys.executable, "-c", code, settings.database_url, eid, "300", str(go), tag],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for tag in ("A", "B")]
        try:
            for p in procs:
                assert p.stdout is not None
                line = p.stdout.readline().strip()
                assert line == "ready", (line, p.stderr.read() if p.stderr else "")
            go.touch()
            outputs = [p.communicate(timeout=180) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        reports = []
        for p, (out, err) in zip(procs, outputs, strict=True):
            assert p.returncode == 0, err[-3000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
        for report in reports:
            assert report["error_count"] == 0, report["errors"]
            assert report["created"] == 300
        assert count(db, Person, event_id=eid) == 600
        assert data_seq(db, eid) == before + 600
        with read_unit(db) as s:
            seqs = s.exec(select(Outbox.data_seq).where(Outbox.event_id == eid,
                                                          Outbox.action == "field_write")).all()
        assert sorted(seqs) == list(range(before + 1, before + 601)), "every write has its own data_seq"
    finally:
        db.dispose()


def test_two_api_servers_on_one_sqlite_file_lose_nothing(tmp_path: Path) -> None:
    """Two uvicorn processes on the same SQLite file, 8 clients each writing persons into one shelter:
    every write answered 201, each with a distinct X-Data-Seq, no error, and all rows stored."""
    settings, db, eid = _fresh_sqlite(tmp_path)
    per_client, clients_per_server = 10, 8
    try:
        _, username = create_user_row(db, "posko")
        servers = [LiveServer(settings, tmp_path) for _ in range(2)]
        try:
            for s in servers:
                s.launch()
            for s in servers:
                s.wait_ready()
            tokens = [s.login(username, PASSWORD) for s in servers]
            shelter = {"id": new_id(), "name": "Masjid Raya Binjai", "kelurahan_code": "12.75.04.1004",
                       "kind": "rumah_ibadah", "capacity_persons": 500,
                       "opened_at": iso(now_wib() - timedelta(days=1))}
            with servers[0].client(tokens[0]) as c:
                assert c.post(f"/events/{eid}/shelters", json=shelter).status_code == 201
            before = data_seq(db, eid)
            barrier = threading.Barrier(2 * clients_per_server)

            def client_run(k: int) -> list[tuple[int, str]]:
                server, token = servers[k % 2], tokens[k % 2]
                out = []
                with server.client(token) as c:
                    barrier.wait(timeout=30)
                    for i in range(per_client):
                        body = person_body(full_name=f"Warga {k}-{i}", shelter_id=shelter["id"])
                        r = c.post(f"/events/{eid}/persons", json=body)
                        out.append((r.status_code, r.headers.get("X-Data-Seq", r.text)))
                return out

            with ThreadPoolExecutor(max_workers=2 * clients_per_server) as pool:
                answers = [a for run in pool.map(client_run, range(2 * clients_per_server)) for a in run]
            logs = "\n".join(s.log_tail() for s in servers)
        finally:
            for s in servers:
                s.stop()
        total = per_client * clients_per_server * 2
        assert [a for a in answers if a[0] != 201] == []
        assert sorted(int(a[1]) for a in answers) == list(range(before + 1, before + total + 1))
        assert "database is locked" not in logs
        assert count(db, Person, event_id=eid) == total
        assert count(db, Stay, event_id=eid) == total
        assert data_seq(db, eid) == before + total
    finally:
        db.dispose()
