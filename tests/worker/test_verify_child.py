"""Verifications in a forked child process (services/worker/verify_child.py) on SQLite and PostgreSQL: the job
returns at once and the worker goes on; the child finds what drifted in the worker's memory as forked and
repairs the database; the worker forgets its drifted state when it reaps the child, before its next job; a
child killed mid-verification commits nothing, is reaped, frees the event's mark, and the next verification
repairs what the killed one did not."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import text

from services.worker import jobs
from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.needs.incremental import FLAGS
from shared.queue import VERIFY_SNAPSHOT_JOB, Dispatcher, make_background_queue
from shared.redis import Keys
from shared.repositories import worker_state
from tests.conftest import Api, new_id
from tests.worker.test_pipeline import add_persons
from tests.worker.test_verify import busy_event, run_background, stored_equals_reference


@pytest.fixture
def child_ctx(settings: Settings, worker_ctx: jobs.WorkerContext) -> Iterator[jobs.WorkerContext]:
    """The worker's context, verifying in a child as the worker does by default."""
    worker_ctx.settings = settings.model_copy(update={"verify_in_child": True})
    yield worker_ctx
    worker_ctx.verifiers.reap(wait=True)  # no child outlives its test


def reap_all(ctx: jobs.WorkerContext) -> list[jobs.Finished]:
    """Wait for every child, then reap them the way the worker does between jobs."""
    deadline = time.monotonic() + 120
    while ctx.verifiers.running and time.monotonic() < deadline:
        found = jobs.reap_verifications(ctx)
        if found:
            return found
        time.sleep(0.02)
    assert not ctx.verifiers.running, "the verification child never ended"
    return []


def totals_sum(db: Database, event_id: str) -> float:
    with read_unit(db) as session:
        return float(session.execute(text("SELECT sum(quantity) FROM delivery_totals WHERE event_id = :e"),
                                     {"e": event_id}).scalar_one())


def test_the_child_finds_drifted_memory_repairs_and_the_worker_forgets_it(
        admin: Api, database: Database, settings: Settings, child_ctx: jobs.WorkerContext) -> None:
    if not (settings.live_inputs and settings.incremental_needs):
        pytest.skip("incremental needs state switched off")
    sc, _ = busy_event(admin)
    needs = child_ctx.live.states[sc.eid].needs
    assert needs is not None
    needs.flag_counts[FLAGS.index("registered")] += 1  # drifted in the worker's memory only
    started = jobs.verify_snapshot(sc.eid)
    assert started["verified"] == "in_child" and started["pid"] != os.getpid()
    assert jobs.verify_snapshot(sc.eid) == {"verified": False, "running": True}  # one child per event at a time
    # the parent's state is untouched by the child's work until it is reaped
    assert sc.eid in child_ctx.live.states
    finished = reap_all(child_ctx)
    assert [f.event_id for f in finished] == [sc.eid]
    result = finished[0].result
    assert result is not None and finished[0].status == "exit code 0"
    assert "people.registered" in result["mismatches"] and result["repaired"]
    assert sc.eid not in child_ctx.live.states  # forgotten on reaping: the next recompute builds it afresh
    assert stored_equals_reference(database, settings, sc.eid) == []
    with read_unit(database) as session:
        row = worker_state.verifier(session)
        assert row is not None and row.info is not None and row.info["last_mismatch"]["event_id"] == sc.eid
    jobs.verify_snapshot(sc.eid)
    again = reap_all(child_ctx)
    assert again[0].result is not None and again[0].result["mismatches"] == []  # clean after the repair


def test_through_the_worker_the_job_returns_and_the_next_job_reaps(
        admin: Api, database: Database, settings: Settings, redis_client: redis.Redis,
        child_ctx: jobs.WorkerContext) -> None:
    """The real worker (PoskoWorker) runs the job, which forks and returns; the child repairs corrupted running
    totals and frees the pending mark; the worker reaps the child before the next job it runs."""
    sc, _ = busy_event(admin)
    run_background(child_ctx)
    before = totals_sum(database, sc.eid)
    with write_unit(database) as uow:
        uow.session.execute(text("UPDATE delivery_totals SET quantity = quantity * 3 WHERE event_id = :e"),
                            {"e": sc.eid})
    dispatcher = Dispatcher(settings)
    try:
        assert dispatcher.verify_snapshot(sc.eid)
        run_background(child_ctx)  # the job forks the child and returns
        assert sc.eid in child_ctx.verifiers.running  # the job has returned; the child is reaped by a later job
        deadline = time.monotonic() + 120
        while redis_client.exists(Keys(settings.redis_key_prefix).pending_verify(sc.eid)):
            assert time.monotonic() < deadline, "the child never freed the pending mark"
            time.sleep(0.02)
        assert totals_sum(database, sc.eid) == pytest.approx(before)  # recounted from the rows by the child
        assert stored_equals_reference(database, settings, sc.eid) == []
        for child in list(child_ctx.verifiers.running.values()):
            while not _ended(child.pid):
                time.sleep(0.02)
        assert child_ctx.verifiers.running  # ended, not yet reaped
        assert dispatcher.event_changed(sc.eid, force=True)
        run_background(child_ctx)  # the next job: the worker reaps the ended child first
        assert child_ctx.verifiers.running == {}
    finally:
        dispatcher.close()


def _ended(pid: int) -> bool:
    """Whether the child has exited (a zombie until reaped), without reaping it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_child_killed_mid_verification_commits_nothing_and_the_next_one_repairs(
        admin: Api, database: Database, settings: Settings, redis_client: redis.Redis,
        child_ctx: jobs.WorkerContext) -> None:
    sc, _ = busy_event(admin)
    add_persons(database, sc.eid, 40_000)  # a verification takes long enough to be killed in the middle
    jobs.recompute(sc.eid)
    before = totals_sum(database, sc.eid)
    with write_unit(database) as uow:
        uow.session.execute(text("UPDATE delivery_totals SET quantity = quantity * 3 WHERE event_id = :e"),
                            {"e": sc.eid})
    mark = Keys(settings.redis_key_prefix).pending_verify(sc.eid)
    redis_client.set(mark, "1")  # as the dispatcher leaves it while the verification is queued and running
    started = jobs.verify_snapshot(sc.eid)
    time.sleep(0.3)
    assert not _ended(started["pid"]), "the verification ended before it could be killed"
    os.kill(started["pid"], signal.SIGKILL)
    finished = reap_all(child_ctx)
    assert finished[0].result is None and finished[0].status == f"killed by signal {signal.SIGKILL}"
    assert not redis_client.exists(mark)  # freed by the reaping worker: the next round can queue it again
    assert child_ctx.verifiers.running == {}
    assert totals_sum(database, sc.eid) == pytest.approx(3 * before)  # killed before its one commit: nothing written
    jobs.verify_snapshot(sc.eid)
    result = reap_all(child_ctx)[0].result
    assert result is not None and result["repaired"] and "needs" in " ".join(result["mismatches"])
    assert totals_sum(database, sc.eid) == pytest.approx(before)
    jobs.verify_snapshot(new_id())
    assert reap_all(child_ctx)[0].result == {"verified": False}  # no such event


def test_one_child_at_a_time_the_next_event_waits_on_the_queue(
        admin: Api, database: Database, settings: Settings, redis_client: redis.Redis,
        child_ctx: jobs.WorkerContext) -> None:
    """A round over many events forks one child at a time: another event's verification goes back to the
    background queue, its pending mark still held, and is verified once the running child has ended."""
    first, _ = busy_event(admin)
    add_persons(database, first.eid, 40_000)  # long enough to be running when the second job comes
    second, _ = busy_event(admin)
    keys = Keys(settings.redis_key_prefix)
    redis_client.set(keys.pending_verify(second.eid), "1")
    started = jobs.verify_snapshot(first.eid)
    assert started["verified"] == "in_child"
    assert jobs.verify_snapshot(second.eid) == {"verified": False, "waiting": True}
    waiting = [j for j in make_background_queue(settings, redis_client).get_jobs() if j.args == [second.eid]]
    assert [j.func_name for j in waiting] == [VERIFY_SNAPSHOT_JOB]
    assert redis_client.exists(keys.pending_verify(second.eid))  # still held: no second job is queued meanwhile
    assert list(child_ctx.verifiers.running) == [first.eid]
    reap_all(child_ctx)
    assert jobs.verify_snapshot(second.eid)["verified"] == "in_child"
    result = reap_all(child_ctx)[0].result
    assert result is not None and result["verified"] is True and result["event_id"] == second.eid
    assert not redis_client.exists(keys.pending_verify(second.eid))
