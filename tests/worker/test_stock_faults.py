"""A real worker killed (SIGKILL) in the middle of a recompute of an event with a large stock ledger:
the stock write is never lost — the next worker's snapshot shows it in the `stock` section and raises
its alert (issue 13; the fault pattern of tests/worker/test_pipeline.py)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime

import redis
from rq import Queue
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlmodel import col, func, select

from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.models import Outbox, StockLedgerLine
from shared.repositories.bulk import insert_many
from tests.api.stock_helpers import add_gudang
from tests.conftest import Api, build_scene, make_settings, new_id
from tests.worker.test_pipeline import (  # noqa: F401  (fixtures: a private Redis, real worker processes)
    PrivateRedis,
    add_persons,
    app_client,
    private_redis,
    start_worker,
    wait_for_status,
)


def add_ledger(db: Database, event_id: str, location_id: str, n: int) -> None:
    """Bulk-load ledger lines (+1 and −1 litre alternately) so the stock part of the recompute has work."""
    now = datetime.now(UTC)
    rows = [{"id": new_id(), "event_id": event_id, "location_id": location_id, "item_code": "air_bersih",
             "quantity": 1.0 if i % 2 == 0 else -1.0, "kind": "penyesuaian", "at": now, "expiry_date": None,
             "value_rupiah": None, "doc_type": "adjustment", "doc_id": new_id(), "reason": "koreksi_hitung: uji",
             "created_by": None, "created_at": now} for i in range(n)]
    with write_unit(db) as uow:
        insert_many(uow.session, StockLedgerLine, rows)


def test_worker_killed_mid_recompute_loses_no_stock_write(
        settings: Settings, admin: Api, database: Database, private_redis: PrivateRedis,  # noqa: F811
        start_worker: Callable[[Settings], subprocess.Popen[bytes]]) -> None:  # noqa: F811
    s = make_settings(settings.database_url, redis_url=private_redis.url, secret_key=settings.secret_key)
    client, api = app_client(s, admin)
    try:
        sc = build_scene(api)
        shelter = sc.shelter["id"]
        g = add_gudang(api)
        add_persons(database, sc.eid, 30_000)
        add_ledger(database, sc.eid, g["id"], 30_000)
        conn = redis.Redis.from_url(private_redis.url)
        started = StartedJobRegistry(queue=Queue(s.queue_name, connection=conn, serializer=JSONSerializer))
        worker = start_worker(s)
        r = api.post(f"/events/{sc.eid}/distributions", json={"id": new_id(), "item_code": "air_minum",
                                                              "quantity": 12, "shelter_id": shelter})
        target = int(r.headers["X-Data-Seq"])
        deadline = time.monotonic() + 30
        while not started.get_job_ids() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.get_job_ids(), "the recompute never started"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        with read_unit(database) as session:
            pending = session.exec(select(func.count()).select_from(Outbox).where(
                Outbox.event_id == sc.eid, col(Outbox.processed_at).is_(None))).one()
        assert pending > 0
        start_worker(s)
        status = wait_for_status(api, sc.eid, target, timeout=90)
        rows = {(x["location_id"], x["item_code"]): x for x in status["stock"]["items"]}
        assert rows[(shelter, "air_minum")]["on_hand"] == -12 and rows[(g["id"], "air_bersih")]["on_hand"] == 0
        assert f"stok_minus:{shelter}:air_minum" in {a["id"] for a in status["alerts"]}
        assert api.get(f"/events/{sc.eid}/alerts").json()[0]["id"] in {a["id"] for a in status["alerts"]}
    finally:
        client.__exit__(None, None, None)
