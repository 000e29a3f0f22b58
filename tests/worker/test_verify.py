"""The snapshot verifier (shared/services/verify.py, issue 14 §2) on SQLite and PostgreSQL: a healthy event
verifies clean; a corrupted running total or stored snapshot is found with its field path, counted in
/readyz, and repaired so that a second verification is clean and the stored snapshot is the reference;
`posko verify` exit codes; the scheduled job through a real worker and real Redis."""

from __future__ import annotations

import argparse
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from rq.serializers import JSONSerializer
from sqlalchemy import text

from services.cli import build_parser, cmd_verify
from services.worker import jobs
from services.worker.main import PoskoWorker, make_worker_queues
from services.worker.schedule import Scheduler
from shared.config import Settings
from shared.db import Database, read_unit, utcnow, write_unit
from shared.domain.snapshot_diff import snapshot_differences
from shared.needs.incremental import FLAGS
from shared.queue import VERIFY_SNAPSHOT_JOB, Dispatcher, make_background_queue
from shared.redis import Keys
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.repositories import worker_state
from shared.services import status as status_service
from shared.services.verify import verify_event
from tests.api.stock_helpers import add_gudang, receive
from tests.conftest import Api, Scene, build_scene, iso, new_id, now_wib, person_body


def busy_event(admin: Api) -> tuple[Scene, str]:
    """An event with persons in a shelter and a household, meals and water delivered, stock received at a
    gudang and the shelter; its snapshot stored by the worker's recompute. Returns the scene and the gudang."""
    sc = build_scene(admin)
    eid, shelter = sc.eid, sc.shelter["id"]
    for _ in range(3):
        assert admin.post(f"/events/{eid}/persons", json=person_body(shelter_id=shelter)).status_code == 201
    assert admin.post(f"/events/{eid}/persons", json=person_body(household_id=sc.household["id"])).status_code == 201
    for item, qty in (("makanan_siap_saji", 6), ("air_minum", 12.5), ("air_minum", 0.1), ("air_minum", 0.2)):
        r = admin.post(f"/events/{eid}/distributions", json={
            "id": new_id(), "item_code": item, "quantity": qty, "shelter_id": shelter,
            "delivered_at": iso(now_wib() - timedelta(minutes=30))})
        assert r.status_code == 201, r.text
    g = add_gudang(admin)
    receive(admin, eid, g["id"], [{"item_code": "air_minum", "quantity": 100}])
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 5}])
    jobs.recompute(eid)
    return sc, g["id"]


def stored_equals_reference(db: Database, settings: Settings, event_id: str) -> list[str]:
    """Where the stored snapshot differs from one computed from scratch at its own as_of (empty: equal)."""
    with read_unit(db) as session:
        stored = status_repo.latest(session, event_id)
        event = event_repo.get_event(session, event_id)
        assert stored is not None and event is not None
        assert stored.data_seq == event.data_seq
        reference, _ = status_service.compute_with_inputs(session, event, stored.as_of, settings.tz, from_scratch=True)
        unmet = status_repo.stored_unmet(session, stored)
    return [d.path for d in snapshot_differences({**stored.body, "unmet": unmet}, reference)]


def readyz_verifier(client: TestClient) -> dict[str, Any]:
    r = client.get("/readyz")
    assert "verifier" in r.json(), r.text
    return r.json()["verifier"]


def test_a_healthy_event_verifies_clean_twice(admin: Api, database: Database, settings: Settings,
                                             worker_ctx: jobs.WorkerContext) -> None:
    sc, _ = busy_event(admin)
    first = verify_event(database, sc.eid, settings.tz)
    assert first is not None and first.clean, (first.mismatches, first.stored_mismatches)
    assert first.stored_compared and not first.repaired and first.stored_seq is None
    second = verify_event(database, sc.eid, settings.tz)
    assert second is not None and second.clean and not second.repaired


def test_a_corrupted_delivery_total_is_found_counted_and_repaired(admin: Api, database: Database, settings: Settings,
                                                                 client: TestClient,
                                                                 worker_ctx: jobs.WorkerContext) -> None:
    sc, _ = busy_event(admin)
    before = readyz_verifier(client)
    with write_unit(database) as uow:  # a running sum that no longer matches its rows (and still counts them all)
        uow.session.execute(text("UPDATE delivery_totals SET quantity = quantity + 40 "
                                 "WHERE event_id = :e AND item_code = 'air_minum'"), {"e": sc.eid})
    found = verify_event(database, sc.eid, settings.tz)
    assert found is not None and not found.clean
    assert "needs[item_code=air_minum].delivered" in found.mismatches
    assert found.stored_mismatches == []  # the stored snapshot was computed before the corruption
    assert found.repaired and found.stored_seq is not None
    after = readyz_verifier(client)
    assert client.get("/readyz").json()["checks"]["database"] == "ok"
    assert after["events_checked"] == before["events_checked"] + 1
    assert after["mismatches_total"] == before["mismatches_total"] + 1
    assert after["last_mismatch"]["event_id"] == sc.eid
    assert "needs[item_code=air_minum].delivered" in after["last_mismatch"]["fields"]
    assert after["last_run_at"] is not None
    again = verify_event(database, sc.eid, settings.tz)
    assert again is not None and again.clean and again.stored_compared, (again.mismatches, again.stored_mismatches)
    assert stored_equals_reference(database, settings, sc.eid) == []
    assert readyz_verifier(client)["mismatches_total"] == after["mismatches_total"]


def test_a_corrupted_stock_total_is_found_and_repaired(admin: Api, database: Database, settings: Settings,
                                                      worker_ctx: jobs.WorkerContext) -> None:
    sc, gudang = busy_event(admin)
    with write_unit(database) as uow:
        uow.session.execute(text("UPDATE stock_totals SET inflow = inflow + 7 WHERE event_id = :e AND location_id = :g"),
                            {"e": sc.eid, "g": gudang})
    found = verify_event(database, sc.eid, settings.tz)
    assert found is not None
    assert f"stock.items[location_id={gudang},item_code=air_minum].on_hand" in found.mismatches
    assert found.repaired
    again = verify_event(database, sc.eid, settings.tz)
    assert again is not None and again.clean
    assert stored_equals_reference(database, settings, sc.eid) == []


def corrupt_stored_body(db: Database, event_id: str, registered: int) -> None:
    with write_unit(db) as uow:
        row = status_repo.latest(uow.session, event_id, for_update=True)
        assert row is not None
        row.body = {**row.body, "people": {**row.body["people"], "registered": registered}}
        uow.session.add(row)


def test_a_corrupted_stored_snapshot_is_found_and_replaced(admin: Api, database: Database, settings: Settings,
                                                          worker_ctx: jobs.WorkerContext) -> None:
    sc, _ = busy_event(admin)
    corrupt_stored_body(database, sc.eid, 999)
    found = verify_event(database, sc.eid, settings.tz, repair=False)
    assert found is not None and found.mismatches == [] and found.stored_mismatches == ["people.registered"]
    assert not found.repaired
    still = verify_event(database, sc.eid, settings.tz)  # --no-repair left it: found again, now repaired
    assert still is not None and still.stored_mismatches == ["people.registered"] and still.repaired
    assert admin.get(f"/events/{sc.eid}/status").json()["people"]["registered"] == 4
    assert stored_equals_reference(database, settings, sc.eid) == []
    again = verify_event(database, sc.eid, settings.tz)
    assert again is not None and again.clean


def test_an_ended_events_snapshot_is_replaced_at_the_same_as_of(admin: Api, database: Database, settings: Settings,
                                                               worker_ctx: jobs.WorkerContext) -> None:
    """A selesai event's snapshot is always taken at its end: the repair must replace one of the same
    data_seq and as_of, or it could never store the reference."""
    sc, _ = busy_event(admin)
    r = admin.patch(f"/events/{sc.eid}", json={"status": "selesai", "ended_at": iso(now_wib() - timedelta(minutes=5))})
    assert r.status_code == 200, r.text
    jobs.recompute(sc.eid)
    corrupt_stored_body(database, sc.eid, 1)
    found = verify_event(database, sc.eid, settings.tz)
    assert found is not None and found.stored_mismatches == ["people.registered"]
    assert found.repaired and found.stored_seq is not None
    assert stored_equals_reference(database, settings, sc.eid) == []
    assert admin.get(f"/events/{sc.eid}/status").json()["people"]["registered"] == 4


def test_a_gudang_created_after_the_stored_snapshot_skips_the_stored_comparison(admin: Api, database: Database,
                                                                       settings: Settings,
                                                                       worker_ctx: jobs.WorkerContext) -> None:
    """A gudang belongs to no event: creating one bumps no data_seq, yet changes every event's stock section.
    The stored snapshot, correct when it was stored, is then not compared (until the next recompute)."""
    sc, _ = busy_event(admin)
    add_gudang(admin)
    result = verify_event(database, sc.eid, settings.tz)
    assert result is not None and not result.stored_compared and result.clean, result.stored_mismatches
    assert not result.repaired
    jobs.recompute(sc.eid)
    result = verify_event(database, sc.eid, settings.tz)
    assert result is not None and result.stored_compared and result.clean, result.stored_mismatches


def run_cli(settings: Settings, *argv: str) -> int:
    args: argparse.Namespace = build_parser().parse_args(["verify", *argv])
    return cmd_verify(settings, args)


def test_cli_exit_codes(admin: Api, database: Database, settings: Settings, worker_ctx: jobs.WorkerContext,
                        capsys: pytest.CaptureFixture[str]) -> None:
    sc, _ = busy_event(admin)
    assert run_cli(settings, sc.eid) == 0
    assert "snapshot sesuai (snapshot matches)" in capsys.readouterr().out
    assert run_cli(settings, new_id()) == 2
    assert "tidak ditemukan (event not found)" in capsys.readouterr().err
    assert run_cli(settings) == 2  # neither an id nor --all
    corrupt_stored_body(database, sc.eid, 999)
    assert run_cli(settings, sc.eid, "--no-repair") == 1
    out = capsys.readouterr().out
    assert "BERBEDA (snapshot differs)" in out and "tersimpan (stored): people.registered" in out
    assert "tidak diperbaiki" in out
    assert run_cli(settings, sc.eid) == 1
    assert "diperbaiki (repaired)" in capsys.readouterr().out
    assert run_cli(settings, sc.eid) == 0
    assert run_cli(settings, "--all") == 0  # every open event of this database, this one among them
    assert f"kejadian {sc.eid}: snapshot sesuai" in capsys.readouterr().out


def run_background(ctx: jobs.WorkerContext) -> None:
    """The real worker (allow-list, both queues) until the queues are empty."""
    queues = make_worker_queues(ctx.settings, ctx.redis)
    PoskoWorker(queues, connection=ctx.redis, serializer=JSONSerializer, stop=threading.Event()).work(burst=True)


def test_the_job_verifies_and_repairs_through_the_worker_and_publishes(admin: Api, database: Database,
                                                                     settings: Settings, redis_client: redis.Redis,
                                                                     worker_ctx: jobs.WorkerContext) -> None:
    sc, _ = busy_event(admin)
    run_background(worker_ctx)  # whatever earlier writes queued
    with write_unit(database) as uow:
        uow.session.execute(text("UPDATE delivery_totals SET quantity = quantity * 3 WHERE event_id = :e"),
                            {"e": sc.eid})
    dispatcher = Dispatcher(settings)
    try:
        assert dispatcher.verify_snapshot(sc.eid) and dispatcher.verify_snapshot(sc.eid)
        queued = [j for j in make_background_queue(settings, redis_client).get_jobs() if j.args == [sc.eid]]
        assert [j.func_name for j in queued] == [VERIFY_SNAPSHOT_JOB]  # coalesced: one job
    finally:
        dispatcher.close()
    pubsub = redis_client.pubsub()
    pubsub.subscribe(Keys(settings.redis_key_prefix).event_channel(sc.eid))
    pubsub.get_message(timeout=1)
    run_background(worker_ctx)
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    assert message is not None and json.loads(message["data"])["type"] == "status"
    assert not redis_client.exists(Keys(settings.redis_key_prefix).pending_verify(sc.eid))
    with read_unit(database) as session:
        row = worker_state.verifier(session)
        assert row is not None and row.info is not None and row.info["last_mismatch"]["event_id"] == sc.eid
    assert stored_equals_reference(database, settings, sc.eid) == []
    assert jobs.verify_snapshot(sc.eid)["mismatches"] == []  # idempotent: the repaired event is clean
    assert jobs.verify_snapshot(new_id()) == {"verified": False}


def test_drifted_live_inputs_in_the_workers_memory_are_found_and_dropped(admin: Api, database: Database,
                                                                        settings: Settings,
                                                                        worker_ctx: jobs.WorkerContext) -> None:
    """The worker's live inputs are state too: a person whose sex drifted in its memory (the database is
    right, the row counts agree) is found by the job as a difference, and the worker forgets the event's
    inputs."""
    if not settings.live_inputs:
        pytest.skip("live inputs switched off")
    sc, _ = busy_event(admin)
    state = worker_ctx.live.states[sc.eid]
    pid, person = next(iter(state.persons.items()))
    state.persons[pid] = person._replace(sex="L" if person.sex == "P" else "P")
    result = jobs.verify_snapshot(sc.eid)
    assert "people.by_sex.L" in result["mismatches"] and result["stored_mismatches"] == []
    assert result["repaired"] and sc.eid not in worker_ctx.live.states
    assert jobs.verify_snapshot(sc.eid)["mismatches"] == []  # loaded afresh from the database: right again


def test_a_drifted_incremental_needs_state_is_found_and_dropped(admin: Api, database: Database, settings: Settings,
                                                              worker_ctx: jobs.WorkerContext) -> None:
    """The incremental needs state (shared/needs/incremental.py) is what the worker stores: a counter that
    drifted in its memory (the inputs and the database are right) is found as an "incremental"
    difference, repaired, and the state is dropped with the inputs."""
    if not (settings.live_inputs and settings.incremental_needs):
        pytest.skip("incremental needs state switched off")
    sc, _ = busy_event(admin)
    needs = worker_ctx.live.states[sc.eid].needs
    assert needs is not None
    needs.flag_counts[FLAGS.index("registered")] += 1
    result = jobs.verify_snapshot(sc.eid)
    assert "people.registered" in result["mismatches"] and result["repaired"]
    assert sc.eid not in worker_ctx.live.states
    assert stored_equals_reference(database, settings, sc.eid) == []
    assert jobs.verify_snapshot(sc.eid)["mismatches"] == []  # built again from fresh inputs: right again


def test_the_scheduler_queues_a_round_once_per_interval(admin: Api, database: Database, settings: Settings,
                                                       redis_client: redis.Redis,
                                                       worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    run_background(worker_ctx)
    scheduler = Scheduler(settings, database)
    background = make_background_queue(settings, redis_client)
    try:
        now = utcnow() + timedelta(days=1)  # past any round an earlier test of this database queued
        assert scheduler.queue_verification(now) is not None
        assert (VERIFY_SNAPSHOT_JOB, [sc.eid]) in [(j.func_name, j.args) for j in background.get_jobs()]
        assert scheduler.queue_verification(now + timedelta(seconds=60)) is None  # not due yet
        later = now + timedelta(seconds=settings.verify_interval_seconds + 1)
        assert scheduler.queue_verification(later) is not None
        assert len([j for j in background.get_jobs() if j.args == [sc.eid]]) == 1  # still queued: not twice
        with read_unit(database) as session:
            row = worker_state.verifier(session)
            assert row is not None and row.boundary_at == later
    finally:
        scheduler.release()
        scheduler.dispatcher.close()
    run_background(worker_ctx)
