"""Group commit for field records: one writer thread per API process batches concurrent requests.

Concurrent requests each wait for their own answer, but their commands are applied together: the
writer takes everything queued, applies it in one transaction (one prefetch, one set-based flush,
one commit) and hands each request its own outcome. Under load that turns 32 small transactions
into one, which is what lets an SQLite-backed process take hundreds of registrations a second;
with a single request waiting it costs nothing extra. It also removes writer contention inside the
process: only this thread writes field records.

If a group fails as a whole (a unique-key race with another process, say), each command is retried
on its own, so one request's problem never becomes another's error.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shared.db import Database, in_write_unit, write_unit
from shared.domain.access import Actor
from shared.services.field_records import Command, FieldWriter, Outcome

log = logging.getLogger("posko.writer")
MAX_GROUP = 256


@dataclass
class _Job:
    actor: Actor
    command: Command
    future: asyncio.Future[Outcome]
    loop: asyncio.AbstractEventLoop


class WriteBatcher:
    """Applies the field commands of concurrent requests together, in one transaction per group."""

    def __init__(self, db: Database, on_event_changed: Callable[[str], object] | None) -> None:
        self.db = db
        self.on_event_changed = on_event_changed
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def submit(self, actor: Actor, command: Command) -> Outcome:
        """Apply one command (together with whatever else is waiting) and return its outcome."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put(_Job(actor, command, future, loop))
        return await future

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="posko-writer", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = [first], False
            while len(jobs) < MAX_GROUP:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            self._apply(jobs)
            if stop:
                return

    def _apply(self, jobs: list[_Job]) -> None:
        try:
            results: list[Outcome | BaseException] = list(self._apply_together(jobs))
        except Exception:
            if len(jobs) > 1:
                log.info("group of %d failed as a whole; applying each on its own", len(jobs))
            results = [self._apply_alone(job) for job in jobs]
        for job, result in zip(jobs, results, strict=True):
            job.loop.call_soon_threadsafe(_resolve, job.future, result)

    def _apply_together(self, jobs: list[_Job]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(jobs)
        by_actor: dict[Actor, list[int]] = {}
        for i, job in enumerate(jobs):
            by_actor.setdefault(job.actor, []).append(i)
        with write_unit(self.db, self.on_event_changed) as uow:
            for actor, positions in by_actor.items():
                applied = FieldWriter(uow, actor).apply([jobs[i].command for i in positions])
                for i, outcome in zip(positions, applied, strict=True):
                    outcomes[i] = outcome
        return [o for o in outcomes if o is not None]

    def _apply_alone(self, job: _Job) -> Outcome | BaseException:
        try:
            return in_write_unit(self.db, lambda uow: FieldWriter(uow, job.actor).apply([job.command])[0],
                                 self.on_event_changed)
        except Exception as exc:
            return exc


def _resolve(future: asyncio.Future[Outcome], result: Outcome | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
