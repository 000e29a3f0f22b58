#!/usr/bin/env python3
"""CPU instructions of one full recompute (`services.worker.jobs.recompute`), counted by valgrind's callgrind:
unlike recompute_bench.py's seconds, the count does not move with the machine's load, so a change of the
code can be compared with an older checkout on a busy machine.

Each checkout is measured on the event its own recompute_bench.py generated and kept
(`recompute_bench.py --skip-postgres --keep` prints the folder): two processes under callgrind, one
running the recompute once and one running it twice; the difference is one warm recompute (imports,
start-up and first-call costs cancel out).

    .venv/bin/python bench/recompute_instructions.py --kept /tmp/posko-recompute-bench-XXXX \\
        [--baseline /path/to/older/checkout=/tmp/posko-recompute-bench-YYYY]

A recompute at 50,000 persons takes a few minutes under callgrind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve()


def _spec(kept: Path) -> dict[str, str]:
    """What recompute_bench.py wrote for its measuring process: the database URL and the event id."""
    [spec_file] = [f for f in kept.glob("measure-*.json") if not f.name.endswith(".out.json")]
    return json.loads(spec_file.read_text())


def measure(kept: Path, runs: int) -> None:
    from services.worker import jobs
    from shared.config import Settings
    spec = _spec(kept)
    settings = Settings(env="production", database_url=spec["database_url"], redis_url=spec["redis_url"],
                        secret_key="bench-" + uuid.uuid4().hex, redis_key_prefix=spec["prefix"],
                        queue_name=spec["queue"], timezone="Asia/Jakarta",
                        live_inputs=False)  # the full recompute (older checkouts ignore the unknown setting)
    jobs.configure(settings)
    for _ in range(runs):
        jobs.recompute(spec["event_id"])


def _count(checkout: Path, kept: Path, runs: int) -> int:
    python = checkout / ".venv" / "bin" / "python"
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONHASHSEED="0")
    out = kept / f"recompute-{runs}.callgrind"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
           str(python if python.exists() else sys.executable), str(HERE), "--_measure", str(kept), "--runs", str(runs)]
    done = subprocess.run(cmd, env=env, cwd=checkout, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"callgrind run failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    out.unlink(missing_ok=True)
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kept", type=Path, help="this checkout's kept recompute_bench folder")
    p.add_argument("--baseline", default=None, help="CHECKOUT=KEPT_FOLDER of an older checkout")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    p.add_argument("--_measure", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._measure:
        return measure(args._measure, args.runs)
    if args.kept is None:
        p.error("--kept is required")
    plans = []
    if args.baseline:
        checkout, kept = args.baseline.split("=", 1)
        plans.append(("baseline", Path(checkout).resolve(), Path(kept)))
    plans.append(("this checkout", HERE.parent.parent, args.kept))
    results: dict[str, dict[str, float]] = {}
    for label, checkout, kept in plans:
        print(f"[{label}] {checkout} on {kept} …", flush=True)
        once, twice = _count(checkout, kept, 1), _count(checkout, kept, 2)
        out = json.loads(next(kept.glob("measure-*.out.json")).read_text()) if list(kept.glob("measure-*.out.json")) else {}
        results[label] = {"recompute": float(twice - once), "once": float(once), "twice": float(twice),
                          "grouped_deliveries": float((out.get("loaded") or {}).get("deliveries", 0)),
                          "stays": float((out.get("loaded") or {}).get("stays", 0))}
    print()
    print("Instructions of one warm recompute (callgrind; the event each checkout's recompute_bench.py generated)")
    for label, r in results.items():
        extra = (f"  ({r['stays']:,.0f} stays, {r['grouped_deliveries']:,.0f} grouped deliveries loaded)"
                 if r["grouped_deliveries"] else "")
        print(f"  {label:14} {r['recompute']:>16,.0f}{extra}")
    if "baseline" in results:
        ratio = results["this checkout"]["recompute"] / results["baseline"]["recompute"]
        print(f"  this checkout vs baseline: {ratio:.3f}× ({(ratio - 1) * 100:+.1f}%)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
