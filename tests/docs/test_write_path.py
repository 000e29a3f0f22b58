"""docs/architecture.md, "The path of one write", against the code: every `file.py:function` the section
names exists, and those on the path of one person write are called when one is traced
(scripts/trace_write_path.py: a real request, the worker's job and the websocket, on SQLite and Redis)."""

from __future__ import annotations

import functools
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REDIS_URL, ROOT

SECTION = re.compile(r"^## The path of one write$(.*?)^## ", re.S | re.M)
HOP = re.compile(r"`((?:services|shared)/[\w/]+\.py):([\w.]+)`")

# Named in the section but not called by the traced person write, each for a reason the section gives.
NOT_ON_THE_TRACED_PATH = {
    "services/api/deps.py:WriteUnit": "a dependency type, not a function",
    "shared/schemas/people.py:PersonCreate": "a request model: validated by FastAPI, not called",
    "services/worker/jobs.py:JOBS": "the job allow-list, a table",
    "services/worker/main.py:PoskoWorker.execute_job": "the RQ worker; the trace runs the job in-process",
    "shared/db.py:in_write_unit": "the retry of a group that failed as a whole",
    "services/api/live/route.py:live_status": "runs when the socket opens, before the traced write",
    "services/api/routes/sync.py:sync": "the batch path, described beside the single write",
    "shared/services/sync.py:prepare_sync": "the batch path, described beside the single write",
}


def _documented_hops() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    match = SECTION.search(text)
    assert match, "docs/architecture.md has no section 'The path of one write'"
    return sorted({f"{path}:{name}" for path, name in HOP.findall(match.group(1))})


@functools.cache
def _trace(tmp: str) -> dict[str, object]:
    out = Path(tmp) / "trace.json"
    subprocess.run([sys.executable, "scripts/trace_write_path.py", "--redis", REDIS_URL, "--json", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_every_documented_hop_exists_in_the_code() -> None:
    hops = _documented_hops()
    assert len(hops) >= 20, hops
    for hop in hops:
        path, name = hop.split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        target: object = module
        for part in name.split("."):
            assert hasattr(target, part), f"docs/architecture.md names {hop}, which does not exist"
            target = getattr(target, part)


def test_a_traced_person_write_passes_every_documented_hop(tmp_path: Path) -> None:
    trace = _trace(str(tmp_path))
    called = set(trace["called"])  # type: ignore[call-overload]
    missing = [h for h in _documented_hops() if h not in called and h not in NOT_ON_THE_TRACED_PATH]
    assert not missing, f"named in docs/architecture.md but not called by one person write: {missing}"
    # the trace itself: the request reaches the route, the worker stores, the websocket gets it
    for hop in ("services/api/routes/people.py:create_person", "services/worker/jobs.py:recompute",
                "shared/services/status.py:store_body", "services/api/live/slot.py:LatestSlot.offer"):
        assert hop in called, hop
