#!/usr/bin/env python3
"""Time of the reports, in every format, for one large event (bench/README.md, "Targets", Reports row:
the recompute event — 50,000 persons, 200 shelters, 30 days, 300,000 distributions — each ≤ 5 s).

The event is written by `bench/recompute_bench.py`'s generator (`generate`, the same seed gives the same
rows). Each report is one function `bench_<name>(ctx) -> list[Result]` registered in `REPORTS`; a run
times what the HTTP route does (read the event in one read transaction, build the report dict, render
the format), `--runs` times per format, and prints the median and the slowest.

The post-disaster report (`event`) is timed twice:

- `daily=computed`: no end-of-day snapshots are stored (data loaded without a worker), so the report
  computes every day of its daily series with the needs engine on inputs loaded once — the worst case;
- `daily=stored`: after the worker's `close_day` job has stored each finished day (as the scheduler does
  at local midnight) — the production case.

Its HXL exports are timed too (reported, no goal).

The Renstra indicator report (`renstra`) is timed for the event's local year (the year's only event):
build (every event of the year through the needs engine, plus the other indicators) and render, per format.

    .venv/bin/python bench/report_bench.py                       # the target size, SQLite
    .venv/bin/python bench/report_bench.py --persons 10000 --distributions 60000 --runs 1
    .venv/bin/python bench/report_bench.py --backends sqlite,postgres --reports event
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts the repository root on sys.path)
import recompute_bench as rb  # noqa: E402  (the 50,000-person event it generates)

GOAL_SECONDS = 5.0
FORMATS = ("json", "csv", "xlsx", "pdf")


@dataclass
class Context:
    """What a report benchmark gets: the backend's settings and database, the generated event, the options."""

    backend: str
    settings: Any
    db: Any
    event_id: str
    year: int  # the local year the event started in
    runs: int
    args: argparse.Namespace
    notes: list[str] = field(default_factory=list)


@dataclass
class Result:
    report: str  # e.g. "event (daily=computed)"
    fmt: str
    seconds: list[float]
    size: int
    goal: float | None = GOAL_SECONDS
    detail: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)


def timed(runs: int, fn: Callable[[], Any]) -> tuple[list[float], Any]:
    times, value = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return times, value


# ---------------------------------------------------------------- the post-disaster report

def _event_report_once(ctx: Context, fmt: str, phases: dict[str, float]) -> bytes:
    """What GET /events/{id}/report does, with the time of each phase."""
    from shared.db import read_unit, utcnow
    from shared.domain.access import SYSTEM
    from shared.reports.event import build_event_report, report_as_of
    from shared.reports.render import render_event_report
    from shared.services.events import visible_event

    t0 = time.perf_counter()
    marks: dict[str, float] = {}

    def progress(what: str, done: int, total: int) -> None:
        if done == total:
            marks[what] = time.perf_counter()

    with read_unit(ctx.db) as session:
        event = visible_event(session, SYSTEM, ctx.event_id)
        now = utcnow()
        report = build_event_report(session, event, report_as_of(event, None, now), ctx.settings.tz,
                                    with_names=True, now=now, progress=progress)
    t1 = time.perf_counter()
    body, _, _ = render_event_report(report, fmt)
    t2 = time.perf_counter()
    load_end = marks.get("memuat data", t0)
    sections_end = marks.get("menyusun bagian", load_end)
    phases["load + engine"] = load_end - t0
    phases["sections"] = sections_end - load_end
    phases["daily series"] = marks.get("menghitung seri harian", t1) - sections_end
    phases["render"] = t2 - t1
    phases["days"] = len(report["daily"])
    phases["unmet"] = report["unmet_total"]
    return body


def _store_daily_snapshots(ctx: Context) -> float:
    """Store the end-of-day snapshot of every finished day, as the worker's midnight job does."""
    from datetime import timedelta

    from services.worker import jobs
    from shared.db import read_unit, utcnow
    from shared.models import Event

    jobs.configure(ctx.settings)
    with read_unit(ctx.db) as session:
        event = session.get(Event, ctx.event_id)
        assert event is not None
        first = event.started_at.astimezone(ctx.settings.tz).date()
    today = utcnow().astimezone(ctx.settings.tz).date()
    t0 = time.perf_counter()
    day = first
    while day < today:
        jobs.close_day(ctx.event_id, day.isoformat())
        day += timedelta(days=1)
    return time.perf_counter() - t0


def bench_event_report(ctx: Context) -> list[Result]:
    """Laporan pasca bencana in every format, without and then with stored end-of-day snapshots; the HXL
    exports."""
    from shared.db import read_unit, utcnow
    from shared.domain.access import SYSTEM
    from shared.reports.event import report_as_of
    from shared.reports.hxl import DATASETS, export_hxl
    from shared.services.events import visible_event

    results: list[Result] = []
    for variant in ("computed", "stored"):
        if variant == "stored":
            seconds = _store_daily_snapshots(ctx)
            ctx.notes.append(f"[{ctx.backend}] stored the end-of-day snapshots with jobs.close_day in {seconds:.1f} s")
        for fmt in FORMATS:
            phases: dict[str, float] = {}
            times, body = timed(ctx.runs, partial(_event_report_once, ctx, fmt, phases))
            detail = (f"load+engine {phases['load + engine']:.2f}, sections {phases['sections']:.2f}, daily "
                      f"{phases['daily series']:.2f} ({phases['days']:.0f} days), render {phases['render']:.2f}"
                      f"; unmet {phases['unmet']:,.0f}")
            results.append(Result(f"event (daily={variant})", fmt, times, len(body), detail=detail))
            print(f"  [{ctx.backend}] event daily={variant} {fmt}: {statistics.median(times):.2f} s, "
                  f"{len(body):,} bytes ({detail})", flush=True)

    for dataset in DATASETS:
        def run(dataset: str = dataset) -> bytes:
            with read_unit(ctx.db) as session:
                event = visible_event(session, SYSTEM, ctx.event_id)
                body, _ = export_hxl(session, event, dataset, report_as_of(event, None, utcnow()), ctx.settings.tz)
            return body

        times, body = timed(ctx.runs, run)
        lines = body.count(b"\n") - 2
        results.append(Result("event HXL", dataset, times, len(body), goal=None, detail=f"{lines:,} rows"))
        print(f"  [{ctx.backend}] HXL {dataset}: {statistics.median(times):.2f} s, {len(body):,} bytes", flush=True)
    return results


# ---------------------------------------------------------------- the Renstra indicator report

def bench_renstra_report(ctx: Context) -> list[Result]:
    """The Renstra report of the event's year in every format, as GET /reports/renstra and `posko report
    renstra` run it: every event of the year through the needs engine, the other indicators, the render."""
    from shared.db import read_unit, utcnow
    from shared.reports.render import render_renstra_report
    from shared.reports.renstra import build_renstra_report

    results: list[Result] = []
    for fmt in FORMATS:
        phases: dict[str, float] = {}

        def once(fmt: str = fmt, phases: dict[str, float] = phases) -> bytes:
            t0 = time.perf_counter()
            with read_unit(ctx.db) as session:
                report = build_renstra_report(session, ctx.year, ctx.settings.tz, utcnow())
            t1 = time.perf_counter()
            body, _, _ = render_renstra_report(report, fmt)
            phases.update(build=t1 - t0, render=time.perf_counter() - t1, events=len(report["events"]))
            return body

        times, body = timed(ctx.runs, once)
        detail = f"build {phases['build']:.2f} ({phases['events']:.0f} event(s)), render {phases['render']:.2f}"
        results.append(Result(f"renstra {ctx.year}", fmt, times, len(body), detail=detail))
        print(f"  [{ctx.backend}] renstra {fmt}: {statistics.median(times):.2f} s, {len(body):,} bytes ({detail})",
              flush=True)
    return results


# The reports this script times, in order; add `"name": bench_name` for another report.
REPORTS: dict[str, Callable[[Context], list[Result]]] = {
    "event": bench_event_report,
    "renstra": bench_renstra_report,
}


# ---------------------------------------------------------------- one backend

def _keep_running_totals(settings: Any, event_id: str) -> float:
    """Build the event's running delivery sums, as every write through the API or /sync keeps them and as
    the worker's first recompute rebuilds them after an import. The generator stores its 300,000 rows
    set-based, around the write path: without this step each report would group the rows themselves, a
    path no production event takes for a report at the current instant."""
    from shared.db import make_database, write_unit
    from shared.models import Event
    from shared.repositories import delivery_totals
    from shared.repositories.reference import sandang_and_meal_items

    db = make_database(settings)
    t0 = time.perf_counter()
    try:
        with write_unit(db) as uow:
            event = uow.session.get(Event, event_id)
            assert event is not None
            delivery_totals.rebuild(uow.session, event_id, settings.tz, sandang_and_meal_items(uow.session, event))
    finally:
        db.dispose()
    return time.perf_counter() - t0


def run_backend(name: str, url: str, args: argparse.Namespace, redis_url: str) -> tuple[list[Result], list[str]]:
    from shared.db import make_database
    from shared.migrate import upgrade

    settings = rb.bench_settings(url, redis_url)
    try:
        print(f"[{name}] migrations ...", flush=True)
        upgrade(settings)
        print(f"[{name}] writing the event ({args.persons:,} persons, {args.shelters} shelters, {args.days} days, "
              f"{args.distributions:,} distributions) ...", flush=True)
        gen = rb.generate(settings, persons=args.persons, shelters=args.shelters, days=args.days,
                          distributions=args.distributions, seed=args.seed)
        notes = [f"[{name}] event written in {gen.seconds:.1f} s: "
                 + ", ".join(f"{gen.counts[t]:,} {t}" for t in ("shelters", "households", "persons", "stays",
                                                                  "distributions", "services"))]
        print(notes[0], flush=True)
        seconds = _keep_running_totals(settings, gen.event_id)
        notes.append(f"[{name}] running totals built as the write path keeps them, in {seconds:.1f} s "
                     "(the generator writes its rows around the write path)")
        print(notes[-1], flush=True)
        if url.startswith("postgresql"):
            rb.pg_admin(url, "ANALYZE")
        from datetime import datetime

        year = datetime.fromisoformat(gen.start).year
        db = make_database(settings)
        ctx = Context(backend=name, settings=settings, db=db, event_id=gen.event_id, year=year, runs=args.runs,
                      args=args, notes=notes)
        results: list[Result] = []
        try:
            for report in args.reports:
                print(f"[{name}] report {report} ...", flush=True)
                results += REPORTS[report](ctx)
        finally:
            db.dispose()
        return results, ctx.notes
    finally:
        common.cleanup_redis(redis_url, settings.redis_key_prefix, settings.queue_name)


def print_table(rows: list[tuple[str, Result]], args: argparse.Namespace) -> bool:
    """The figures; True when every goal is met."""
    width = 112
    print("\n" + "=" * width)
    print(f"Reports for one event of {args.persons:,} persons, {args.shelters} shelters, {args.days} days, "
          f"{args.distributions:,} distributions; {args.runs} run(s) per format")
    print("-" * width)
    print(f"{'backend':<11}{'report':<24}{'format':<16}{'median s':>9}{'max s':>8}{'bytes':>13}  {'goal':<10}")
    ok = True
    for backend, r in rows:
        if r.goal is None:
            verdict = ""
        elif r.worst <= r.goal:
            verdict = f"OK ≤{r.goal:g}"
        else:
            verdict, ok = f"MISS >{r.goal:g}", False
        print(f"{backend:<11}{r.report:<24}{r.fmt:<16}{r.median:>9.2f}{r.worst:>8.2f}{r.size:>13,}  {verdict:<10}")
    print("-" * width)
    for backend, r in rows:
        if r.detail:
            print(f"{backend:<11}{r.report:<24}{r.fmt:<16}{r.detail}")
    print("=" * width)
    return ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--persons", type=int, default=50_000, help="persons in the event (50000)")
    p.add_argument("--shelters", type=int, default=200, help="shelters (200)")
    p.add_argument("--days", type=int, default=30, help="days since the event started (30)")
    p.add_argument("--distributions", type=int, default=300_000, help="distribution rows (300000)")
    p.add_argument("--runs", type=int, default=2, help="timed runs per format (2)")
    p.add_argument("--seed", type=int, default=2026, help="generator seed (2026)")
    p.add_argument("--reports", default=",".join(REPORTS), help=f"reports to time, of {', '.join(REPORTS)}")
    p.add_argument("--backends", default="sqlite", help="sqlite, postgres or both (sqlite,postgres)")
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="PostgreSQL server; a fresh database is created there and dropped at the end")
    p.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL database")
    args = p.parse_args(argv)
    args.reports = [r.strip() for r in args.reports.split(",") if r.strip()]
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [r for r in args.reports if r not in REPORTS] + [b for b in args.backends if b not in ("sqlite", "postgres")]
    if unknown:
        p.error(f"unknown report or backend: {', '.join(unknown)}")
    if args.persons < 1 or args.shelters < 1 or args.days < 1 or args.distributions < 0 or args.runs < 1:
        p.error("--persons, --shelters, --days and --runs must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print("command:", shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/report_bench.py", *argv])]))
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
          f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="posko-report-bench-"))
    redis_url = os.environ.get("POSKO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_proc = None
    pg_name: str | None = None
    rows: list[tuple[str, Result]] = []
    notes: list[str] = []
    try:
        if not common.redis_answers(redis_url):
            redis_proc, redis_url = common.private_redis(workdir)
            print(f"no Redis answering: started a private redis-server at {redis_url}")
        for backend in args.backends:
            if backend == "sqlite":
                results, more = run_backend("SQLite", f"sqlite:///{workdir / 'report.db'}", args, redis_url)
            else:
                pg_name = f"posko_bench_{uuid.uuid4().hex[:10]}"
                rb.pg_admin(args.postgres, f'CREATE DATABASE "{pg_name}"')
                results, more = run_backend("PostgreSQL", rb.pg_database(args.postgres, pg_name), args, redis_url)
            rows += [("SQLite" if backend == "sqlite" else "PostgreSQL", r) for r in results]
            notes += more
        ok = print_table(rows, args)
        for note in notes:
            print(note)
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
        print("all goals met" if ok else "some goals MISSED")
        return 0
    except Exception as exc:
        print(f"\nbenchmark failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        raise
    finally:
        rb.clean_up(args, pg_name, redis_proc, workdir)


if __name__ == "__main__":
    sys.exit(main())
