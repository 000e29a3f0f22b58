"""Snapshot verifications in a forked child process, so that the worker's recomputes never wait for one.

A verification (shared/services/verify.py) computes the event from scratch and compares it with the
worker's own ways of computing it, its in-memory state included. At 50,000 persons that is seconds of
CPU, at 300,000 over a minute (bench/freshness_bench.py saw an 84 s first round): run as an ordinary job
it held the worker's only thread, and every write of that minute reached the dashboards a minute late.

`os.fork` gives the child the worker's memory as it was at the fork, copy-on-write: the live inputs and
the incremental needs state the verifier must compare are there without being copied or reloaded, and
whatever the child does to its copy (catching up on the outbox, computing) leaves the parent's alone.
The child opens its own database engines and Redis connection (a forked connection must not be shared:
the parent keeps using its own) and does what the job did before: compares, logs, counts, repairs the
database, publishes a repaired snapshot and frees the event's pending mark. The one thing only the
parent can do — forget its in-memory state for an event the child repaired, since that state may be what
drifted — it does when it reaps the child, before the next job runs (`Verifiers.reap`, called by the
worker between jobs), so no recompute after the repair uses the state that drifted.

Faults: a child killed mid-verification commits nothing (one write transaction, at its end); the parent
reaps it, logs how it ended and frees the pending mark, and the scheduler's next round verifies again.
If the worker dies first, the child finishes on its own (it needs nothing of the parent) and a new
worker builds its state afresh anyway.

The child runs at a lower priority (`CHILD_NICENESS`): it is background work. One runs at a time
(`jobs.verify_snapshot` puts the others back on the background queue).

The cyclic collector is frozen across the fork (`gc.freeze`): the child's collections then leave the
parent's objects alone instead of writing to (and so copying) every page that holds one.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
# The child is background work: on a two-core machine the API's writes and the worker's snapshots come
# first, and the verification takes what CPU they leave (a round every 10 s at 50,000 persons: freshness
# p50 339 ms without this, the API starved of its core; bench/freshness_bench.py).
CHILD_NICENESS = 10


@dataclass
class Running:
    """A verification child: its pid, where it writes its result, when it started (monotonic)."""

    event_id: str
    pid: int
    result_path: Path
    started: float


@dataclass
class Finished:
    """A reaped child: its result (None when it did not finish: killed, crashed) and how it ended."""

    event_id: str
    pid: int
    result: dict[str, Any] | None
    status: str
    seconds: float


@dataclass
class Verifiers:
    """The worker's verification children, by event (at most one per event at a time)."""

    running: dict[str, Running] = field(default_factory=dict)

    def start(self, event_id: str, verify: Callable[[], dict[str, Any]]) -> int | None:
        """Fork a child that runs `verify` (it must use connections of its own) and writes its result;
        None when a child for the event still runs (its result will be as fresh)."""
        if event_id in self.running:
            return None
        fd, name = tempfile.mkstemp(prefix="posko-verify-", suffix=".json")
        os.close(fd)
        gc.freeze()  # the parent's objects move out of the collector's reach: the child's collections don't copy them
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            Path(name).unlink(missing_ok=True)
            raise
        if pid == 0:  # the child: never returns
            _run_child(verify, Path(name))
        gc.unfreeze()
        self.running[event_id] = Running(event_id, pid, Path(name), time.monotonic())
        return pid

    def reap(self, *, wait: bool = False) -> list[Finished]:
        """The children that have ended (all of them, waiting, with `wait`), their results read and
        their files removed."""
        done: list[Finished] = []
        for event_id, child in list(self.running.items()):
            try:
                pid, status = os.waitpid(child.pid, 0 if wait else os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: its result file still says how it went
                pid, status = child.pid, -1
            if pid == 0:
                continue  # still running
            del self.running[event_id]
            result = _read_result(child.result_path)
            done.append(Finished(event_id, child.pid, result, _describe(status),
                                 time.monotonic() - child.started))
        return done


def _run_child(verify: Callable[[], dict[str, Any]], result_path: Path) -> None:
    """The child's whole life: verify, write the result, exit without running the parent's exit handlers
    (the parent's atexit hooks, its open files' buffers and its test session belong to the parent)."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's warm-shutdown handler is not the child's
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.nice(CHILD_NICENESS)
        result = verify()
        tmp = result_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, default=str))
        tmp.replace(result_path)  # whole or absent
        code = 0
    except BaseException:  # noqa: BLE001 - the child must always exit here, whatever happened
        log.exception("snapshot verification in child process %s failed", os.getpid())
    finally:
        logging.shutdown()
        os._exit(code)


def _read_result(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    finally:
        path.unlink(missing_ok=True)
        path.with_suffix(".tmp").unlink(missing_ok=True)
    try:
        found = json.loads(text) if text else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _describe(status: int) -> str:
    if status < 0:
        return "reaped elsewhere"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.WEXITSTATUS(status)}"
