#!/usr/bin/env python3
"""What stock adds to the full recompute (issue 13, "Speed and scale").

The event of bench/recompute_bench.py (default 50,000 persons, 200 shelters, 30 days, 300,000
distributions — its generator is imported, so both benchmarks measure the same event), plus 5 gudang
and a stock ledger (default 500,000 lines): receipts at the gudang with expiry dates (a dozen
production batches per perishable item), dispatches from
gudang to shelters (the `kirim` line, and for most a `terima` line a few hours later, some received
short), and adjustments; shipment documents for every dispatch (a few still in transit). The
distributions of the event draw down their shelters' stock, so many shelters go negative: the alerts
have work to do.

Measured in one process, the same run (SQLite; `--postgres URL` for PostgreSQL too):

a. the full recompute `services.worker.jobs.recompute(event_id)` — load, needs engine, stock section,
   alerts reconciled, store, publish — `--runs` times (min and median);
b. the stock part alone: `shared.services.stock.compute_stock` (ledger sums, distributions drawn,
   days of cover, FEFO lots, suggestions, alerts found) and `reconcile_alerts`, the same number of times;
c. the ratio stock ÷ (full − stock): the target is ≤ 30%.

    .venv/bin/python bench/stock_bench.py [--persons 50000] [--distributions 300000] [--ledger 500000]

Run it on a quiet machine: it writes some million rows. A tiny run proves the script works:

    .venv/bin/python bench/stock_bench.py --persons 2000 --shelters 20 --days 5 --distributions 10000 --ledger 20000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402,F401  (puts the repository root on sys.path)
import recompute_bench  # noqa: E402  (the same event as the recompute benchmark, by its own generator)

CHUNK = 20_000


def add_stock(settings: Any, event_id: str, *, ledger: int, gudang: int, seed: int) -> dict[str, int]:
    """5 gudang and `ledger` ledger lines with their dispatch documents, all in the past."""
    from sqlmodel import select

    from shared.db import make_database, read_unit, write_unit
    from shared.models import Event, Shelter, StockDispatch, StockLedgerLine, StockReceipt, Warehouse
    from shared.repositories.bulk import insert_many

    rng = random.Random(f"posko-stock-bench/{seed}")
    db = make_database(settings)
    with read_unit(db) as s:
        event = s.get(Event, event_id)
        assert event is not None
        shelters = list(s.exec(select(Shelter.id).where(Shelter.event_id == event_id)).all())
        start = event.started_at
    now = datetime.now(start.tzinfo)
    span = (now - start).total_seconds() - 3600
    items = ["makanan_siap_saji", "air_minum", "air_bersih", "beras", "selimut", "paket_sandang"]
    gudang_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(gudang)]
    with write_unit(db) as uow:
        insert_many(uow.session, Warehouse, [{"id": g, "name": f"Gudang bench {i}", "kind": "gudang_dinsos",
                                              "kelurahan_code": common.KELURAHAN, "address": None,
                                              "contact_name": None, "contact_phone": None, "created_by": None,
                                              "created_at": now} for i, g in enumerate(gudang_ids)])
    # perishable items come in production batches: a dozen expiry dates each over the event (a lot per batch)
    batches = {item: [(start + timedelta(days=rng.randint(2, 200))).date() for _ in range(12)]
               for item in ("makanan_siap_saji", "air_minum", "beras")}
    lines: list[dict[str, Any]] = []
    docs: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    counts = {"ledger": 0, "dispatches": 0, "receipts": 0}

    def line(loc: str, item: str, qty: float, kind: str, at: datetime, doc_type: str, doc: str,
             expiry: Any = None) -> None:
        lines.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event_id": event_id,
                      "location_id": loc, "item_code": item, "quantity": qty, "kind": kind, "at": at,
                      "expiry_date": expiry, "value_rupiah": None, "doc_type": doc_type, "doc_id": doc,
                      "reason": None, "created_by": None, "created_at": at})

    def flush(final: bool = False) -> None:
        if len(lines) >= CHUNK or final:
            with write_unit(db) as uow:
                insert_many(uow.session, StockReceipt, receipts)
                insert_many(uow.session, StockDispatch, docs)
                insert_many(uow.session, StockLedgerLine, lines)
            counts["ledger"] += len(lines)
            counts["dispatches"] += len(docs)
            counts["receipts"] += len(receipts)
            lines.clear()
            docs.clear()
            receipts.clear()

    while counts["ledger"] + len(lines) < ledger:
        at = start + timedelta(seconds=rng.uniform(0, span))
        item = rng.choice(items)
        g = rng.choice(gudang_ids)
        roll = rng.random()
        expiry = rng.choice(batches[item]) if item in batches else None
        if roll < 0.3:
            doc = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            qty = float(rng.randint(100, 5000))
            line(g, item, qty, "penerimaan", at, "receipt", doc, expiry)
            receipts.append({"id": doc, "event_id": event_id, "location_id": g, "donor_kind": "swasta",
                             "donor_name": "PT Bench", "reference_doc": None, "received_at": at,
                             "lines": [{"item_code": item, "quantity": qty, "unit": None, "quantity_base": qty,
                                        "expiry_date": expiry.isoformat() if expiry else None, "value_rupiah": None}],
                             "cash_rupiah": None, "notes": None, "created_by": None, "created_at": at})
        elif roll < 0.95 and shelters:
            doc = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            dst = rng.choice(shelters)
            qty = float(rng.randint(10, 500))
            line(g, item, -qty, "kirim", at, "dispatch", doc, expiry)
            received = None if rng.random() < 0.01 else at + timedelta(hours=rng.uniform(1, 6))
            got = qty if rng.random() < 0.9 else qty - 1
            if received is not None and received < now:
                line(dst, item, got, "terima", received, "receive", doc, expiry)
            else:
                received = None
            docs.append({"id": doc, "event_id": event_id, "from_location_id": g, "to_location_id": dst, "sent_at": at,
                         "lines": [{"item_code": item, "quantity": qty,
                                    "expiry_date": expiry.isoformat() if expiry else None}], "request_id": None,
                         "vehicle": None, "notes": None, "received_at": received,
                         "receive_id": doc if received else None,
                         "received_lines": [{"item_code": item, "sent": qty, "received": got, "difference": got - qty,
                                             "reason": None}] if received else None,
                         "created_by": None, "created_at": at})
        else:
            loc = rng.choice(shelters or gudang_ids)
            line(loc, item, -float(rng.randint(1, 20)), "penyesuaian", at, "adjustment",
                 str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        flush()
    flush(final=True)
    db.dispose()
    return counts


def measure(settings: Any, event_id: str, runs: int) -> dict[str, list[float]]:
    from services.worker import jobs
    from shared.db import read_unit, utcnow, write_unit
    from shared.memory import no_cyclic_gc
    from shared.needs.engine import compute_snapshot
    from shared.repositories import events as event_repo
    from shared.repositories.needs_inputs import load_needs_inputs
    from shared.services import status as status_service
    from shared.services import stock as stock_service

    ctx = jobs.configure(settings)
    out: dict[str, list[float]] = {"full": [], "stock": [], "reconcile": [], "alerts": []}
    jobs.recompute(event_id)  # warm: caches, first snapshot, alerts raised
    for _ in range(runs):
        t0 = time.perf_counter()
        jobs.recompute(event_id)
        out["full"].append(time.perf_counter() - t0)
        with read_unit(ctx.db) as session:
            event = event_repo.get_event(session, event_id)
            assert event is not None
            as_of = status_service.status_as_of(event, utcnow())
            inputs = load_needs_inputs(session, event, as_of, settings.tz)
            snap = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                    inputs.deliveries, inputs.services, as_of, settings.tz)
            # timed as the recompute job runs it: with the cyclic collector paused (jobs.recompute), else each
            # collection walks the 170,000 loaded inputs still alive here and the section looks far slower
            with no_cyclic_gc():
                t1 = time.perf_counter()
                _, found, _ = stock_service.compute_stock(session, event, as_of, settings.tz, inputs.profile,
                                                          snap["shelters"], inputs.deliveries)
                out["stock"].append(time.perf_counter() - t1)
        del inputs
        with write_unit(ctx.db) as uow:
            t2 = time.perf_counter()
            stock_service.reconcile_alerts(uow.session, event_id, stock_service.unstored_alerts(found, as_of), as_of)
            out["reconcile"].append(time.perf_counter() - t2)
        out["alerts"].append(float(len(found)))
    ctx.db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--persons", type=int, default=50_000)
    p.add_argument("--shelters", type=int, default=200)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--distributions", type=int, default=300_000)
    p.add_argument("--ledger", type=int, default=500_000, help="stock ledger lines (500000)")
    p.add_argument("--gudang", type=int, default=5)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--postgres", default=None, help="also run on this PostgreSQL database URL (it is written to)")
    args = p.parse_args(argv)
    from shared.migrate import upgrade

    backends = [("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='posko-stock-bench-')}/bench.db")]
    if args.postgres:
        backends.append(("postgresql", args.postgres))
    for name, url in backends:
        settings = recompute_bench.bench_settings(url, args.redis)
        upgrade(settings)
        gen = recompute_bench.generate(settings, persons=args.persons, shelters=args.shelters, days=args.days,
                                       distributions=args.distributions, seed=args.seed)
        t0 = time.perf_counter()
        counts = add_stock(settings, gen.event_id, ledger=args.ledger, gudang=args.gudang, seed=args.seed)
        print(f"[{name}] event: {gen.counts['persons']:,} persons, {gen.counts['distributions']:,} distributions; "
              f"stock: {counts['ledger']:,} ledger lines, {counts['dispatches']:,} dispatches, "
              f"{counts['receipts']:,} receipts ({time.perf_counter() - t0:.1f} s to write)", flush=True)
        m = measure(settings, gen.event_id, args.runs)
        full, stock, rec = min(m["full"]), min(m["stock"]), min(m["reconcile"])
        share = (stock + rec) / max(full - stock - rec, 1e-9) * 100
        print(f"[{name}] full recompute: min {full * 1000:.0f} ms, median {statistics.median(m['full']) * 1000:.0f} ms")
        print(f"[{name}] stock section + alerts found: min {stock * 1000:.0f} ms; alerts reconciled: min "
              f"{rec * 1000:.0f} ms; {int(m['alerts'][0])} alerts")
        print(f"[{name}] stock adds {share:.1f}% to the recompute without it (target ≤ 30%): "
              f"{'MET' if share <= 30 else 'NOT MET'}")
        common.cleanup_redis(args.redis, settings.redis_key_prefix, settings.queue_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
