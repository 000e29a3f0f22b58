"""Stock in the worker's snapshot: the `stock` section (on hand, days of cover, lots, in transit,
kirim berikutnya) and the alert lifecycle — raised by a recompute, pushed live, acknowledged (audited),
cleared when its cause goes away — on SQLite and PostgreSQL (docs/rules.md, "Stock", "Alerts")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlmodel import select

from services.worker import jobs
from shared.config import Settings
from shared.db import Database, read_unit
from shared.models import AuditLog
from shared.redis import Keys
from tests.api.stock_helpers import add_gudang, receive
from tests.conftest import Api, build_scene, iso, new_id, now_wib, person_body, shelter_body


def early_meals_standard(admin: Api) -> str:
    """A standard whose first meal is at 00:01: at (almost) any hour a meal time of today has passed."""
    code = f"uji_{new_id()[:8]}"
    latest = admin.get("/standards/spm_binjai").json()[-1]
    body = {k: latest[k] for k in ("name", "items", "services", "shelter_standards")}
    r = admin.post("/standards", json={**body, "code": code, "meal_times_local": ["00:01", "12:00", "18:00"]})
    assert r.status_code == 201, r.text
    return code


def status(api: Api, eid: str) -> dict[str, Any]:
    r = api.get(f"/events/{eid}/status")
    assert r.status_code == 200, r.text
    return r.json()


def test_snapshot_stock_section_cover_and_suggestion_to_dispatch(admin: Api, posko: Api,
                                                                worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    eid, shelter = sc.eid, sc.shelter["id"]
    for _ in range(4):
        assert admin.post(f"/events/{eid}/persons", json=person_body(shelter_id=shelter)).status_code == 201
    g = add_gudang(admin)
    receive(admin, eid, g["id"], [{"item_code": "air_minum", "quantity": 100}])
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 5}])
    jobs.recompute(eid)
    snap = status(admin, eid)
    rows = {(r["location_id"], r["item_code"]): r for r in snap["stock"]["items"]}
    here = rows[(shelter, "air_minum")]
    assert here["daily_need"] == 10.0 and here["days_of_cover"] == 0.5  # 4 persons × 2.5 L; 5 L on hand
    # the gudang has dispatched nowhere yet: it supplies every open shelter of the event
    assert rows[(g["id"], "air_minum")]["daily_need"] == 10.0 and rows[(g["id"], "air_minum")]["days_of_cover"] == 10
    suggestion = next(s for s in snap["stock"]["suggestions"] if s["shelter_id"] == shelter)
    water = next(i for i in suggestion["items"] if i["item_code"] == "air_minum")
    assert water["from_location_id"] == g["id"] and water["in_transit"] == 0
    assert water["suggested"] == pytest.approx(water["need_today_tomorrow"] - 5, abs=0.01)
    action = {"id": new_id(), "item_codes": ["air_minum"]}
    made = posko.post(f"/events/{eid}/suggestions/{shelter}/dispatch", json=action)
    assert made.status_code == 201, made.text
    [d] = made.json()
    assert d["from_location_id"] == g["id"] and d["to_location_id"] == shelter and d["status"] == "dalam_perjalanan"
    assert d["lines"][0]["quantity"] == pytest.approx(water["suggested"])
    replay = posko.post(f"/events/{eid}/suggestions/{shelter}/dispatch", json=action)
    assert replay.status_code == 200 and [x["id"] for x in replay.json()] == [d["id"]]
    jobs.recompute(eid)
    snap = status(admin, eid)
    assert [t["id"] for t in snap["stock"]["in_transit"]] == [d["id"]]
    after = next((s for s in snap["stock"]["suggestions"] if s["shelter_id"] == shelter), {"items": []})
    assert all(i["item_code"] != "air_minum" for i in after["items"])  # what is in transit is not suggested again


def test_alert_lifecycle_raised_pushed_acked_cleared(admin: Api, posko: Api, settings: Settings,
                                                     redis_client: redis.Redis, database: Database,
                                                     worker_ctx: jobs.WorkerContext) -> None:
    code = early_meals_standard(admin)
    sc = build_scene(admin, standard_code=code)
    eid = sc.eid
    small = admin.post(f"/events/{eid}/shelters", json=shelter_body(name="Masjid Al-Ikhlas", capacity_persons=1,
                                                                     kind="rumah_ibadah"))
    sid = small.json()["id"]
    for _ in range(2):
        admin.post(f"/events/{eid}/persons", json=person_body(shelter_id=sid,
                                                              registered_at=iso(now_wib() - timedelta(days=1))))
    pubsub = redis_client.pubsub()
    pubsub.subscribe(Keys(settings.redis_key_prefix).event_channel(eid))
    pubsub.get_message(timeout=1)
    jobs.recompute(eid)
    message = None
    for _ in range(10):
        message = pubsub.get_message(timeout=1)
        if message and message["type"] == "message":
            break
    assert message is not None and message["type"] == "message"
    pushed = {a["id"]: a for a in json.loads(message["data"])["data"]["alerts"]}
    capacity_id = f"melebihi_kapasitas:{sid}"
    meal_id = f"makan_belum_diantar:{sid}:{datetime.now(UTC).astimezone(settings.tz).date().isoformat()}"
    assert capacity_id in pushed and meal_id in pushed, list(pushed)
    assert pushed[capacity_id]["severity"] == "tinggi" and pushed[capacity_id]["acked_at"] is None
    first_seen = pushed[capacity_id]["first_seen"]
    listed = admin.get(f"/events/{eid}/alerts").json()
    assert {capacity_id, meal_id} <= {a["id"] for a in listed}
    assert [a["first_seen"] for a in listed] == sorted((a["first_seen"] for a in listed), reverse=True)
    ack = posko.post(f"/events/{eid}/alerts/{capacity_id}/ack")
    assert ack.status_code == 200 and ack.json()["acked_by"] == posko.user_id and ack.headers["X-Data-Seq"]
    with read_unit(database) as s:
        audit = s.exec(select(AuditLog).where(AuditLog.action == "alert.ack", AuditLog.event_id == eid)).all()
    assert [a.actor_id for a in audit] == [posko.user_id]
    assert posko.post(f"/events/{eid}/alerts/tidak-ada/ack").status_code == 404
    jobs.recompute(eid)
    kept = {a["id"]: a for a in status(admin, eid)["alerts"]}
    assert kept[capacity_id]["first_seen"] == first_seen and kept[capacity_id]["acked_by"] == posko.user_id
    # the causes go away: a bigger capacity, meals delivered
    assert admin.patch(f"/events/{eid}/shelters/{sid}", json={"capacity_persons": 10}).status_code == 200
    meals = status(admin, eid)["shelters"]
    due = next(r for r in meals if r["id"] == sid)["meals_due_today"]
    assert admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "makanan_siap_saji",
                                                             "quantity": max(due, 1) + 6, "shelter_id": sid}).status_code == 201
    jobs.recompute(eid)
    still = {a["id"] for a in status(admin, eid)["alerts"]}
    assert capacity_id not in still and meal_id not in still
    everything = {a["id"]: a for a in admin.get(f"/events/{eid}/alerts", params={"open_only": "false"}).json()}
    assert everything[capacity_id]["cleared_at"] is not None
    pubsub.close()


def test_negative_stock_low_cover_expiry_and_overdue_transit_alerts(admin: Api, worker_ctx: jobs.WorkerContext) -> None:
    sc = build_scene(admin)
    eid, shelter = sc.eid, sc.shelter["id"]
    admin.post(f"/events/{eid}/persons", json=person_body(shelter_id=shelter))
    g = add_gudang(admin)
    soon = (now_wib().date() + timedelta(days=2)).isoformat()
    long_ago = datetime.now(UTC) - timedelta(hours=30)
    receive(admin, eid, g["id"], [{"item_code": "air_minum", "quantity": 50, "expiry_date": soon}],
            received_at=(long_ago - timedelta(hours=1)).isoformat())
    ship = admin.post(f"/events/{eid}/dispatches", json={
        "id": new_id(), "from_location_id": g["id"], "to_location_id": shelter, "sent_at": long_ago.isoformat(),
        "lines": [{"item_code": "air_minum", "quantity": 10}]}).json()
    admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "air_minum", "quantity": 3,
                                                      "shelter_id": shelter})
    jobs.recompute(eid)
    kinds = {a["id"]: a["kind"] for a in status(admin, eid)["alerts"]}
    assert kinds.get(f"stok_minus:{shelter}:air_minum") == "stok_minus"
    assert kinds.get(f"stok_kurang_sehari:{shelter}:air_minum") == "stok_kurang_sehari"
    assert kinds.get(f"segera_kedaluwarsa:{g['id']}:air_minum:{soon}") == "segera_kedaluwarsa"
    assert kinds.get(f"kiriman_tertahan:{ship['id']}") == "kiriman_tertahan"
    admin.post(f"/events/{eid}/dispatches/{ship['id']}/receive", json={})
    jobs.recompute(eid)
    kinds = {a["id"] for a in status(admin, eid)["alerts"]}
    assert f"kiriman_tertahan:{ship['id']}" not in kinds and f"stok_minus:{shelter}:air_minum" not in kinds


def test_ledger_totals_are_kept_checked_and_rebuilt(admin: Api, database: Database,
                                                    worker_ctx: jobs.WorkerContext) -> None:
    """The write path keeps the ledger's running sums; lines written around it make them stale: the
    snapshot sums the raw lines meanwhile (still exact) and the recompute recounts the totals."""
    from shared.db import write_unit
    from shared.models import StockLedgerLine
    from shared.repositories import stock_totals
    from shared.repositories.bulk import insert_many

    sc = build_scene(admin)
    eid, shelter = sc.eid, sc.shelter["id"]
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 10, "expiry_date": "2027-01-01"},
                                  {"item_code": "air_minum", "quantity": 5}])
    now = datetime.now(UTC)
    with read_unit(database) as s:
        verdict, sums = stock_totals.read_checked(s, eid, now)
    assert verdict == "ok" and sorted(float(x.inflow) for x in sums) == [5.0, 10.0]
    with write_unit(database) as uow:  # an import, around the write path
        insert_many(uow.session, StockLedgerLine, [{
            "id": new_id(), "event_id": eid, "location_id": shelter, "item_code": "air_minum", "quantity": -3.0,
            "kind": "penyesuaian", "at": now, "expiry_date": None, "value_rupiah": None, "doc_type": "adjustment",
            "doc_id": new_id(), "reason": "hilang: impor", "created_by": None, "created_at": now}])
    with read_unit(database) as s:
        assert stock_totals.read_checked(s, eid, datetime.now(UTC))[0] == "stale"
    jobs.recompute(eid)
    row = next(r for r in status(admin, eid)["stock"]["items"] if r["location_id"] == shelter)
    assert row["on_hand"] == 12.0
    with read_unit(database) as s:
        verdict, sums = stock_totals.read_checked(s, eid, datetime.now(UTC))
    assert verdict == "ok" and sum(float(x.inflow - x.outflow) for x in sums) == 12.0


def test_reconciling_many_alerts_set_based(admin: Api, database: Database) -> None:
    """reconcile_alerts over 1,500 alerts (more than one UPDATE's chunk): raised with first/last seen,
    kept (last seen moves, first seen and the acknowledgement stay), reworded, cleared, raised again."""
    from shared.db import write_unit
    from shared.models import StockAlert
    from shared.services.stock import reconcile_alerts

    eid = build_scene(admin).eid
    t0 = datetime(2026, 12, 1, 8, tzinfo=UTC)

    def alert(i: int, message: str = "stok habis") -> dict[str, Any]:
        return {"id": f"stok_negatif:{i}", "kind": "stok_negatif", "severity": "tinggi", "message": message,
                "subject": {"location_id": f"loc-{i}", "item_code": "air_minum"}}

    def reconcile(found: list[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
        with write_unit(database) as uow:
            return reconcile_alerts(uow.session, eid, found, at)

    def stored() -> dict[str, StockAlert]:
        with read_unit(database) as s:
            return {a.id: a for a in s.exec(select(StockAlert).where(StockAlert.event_id == eid)).all()}

    first = reconcile([alert(i) for i in range(1500)], t0)
    assert len(first) == 1500 and first[0]["first_seen"] == t0.isoformat()
    with write_unit(database) as uow:
        row = uow.session.get(StockAlert, (eid, "stok_negatif:7"))
        assert row is not None
        row.acked_at, row.acked_by = t0, 1
    t1, t2, t3 = t0 + timedelta(minutes=5), t0 + timedelta(minutes=10), t0 + timedelta(minutes=15)
    kept = reconcile([alert(i, "stok minus 3" if i == 3 else "stok habis") for i in range(1200)], t1)
    assert len(kept) == 1200
    rows = stored()
    assert len(rows) == 1500
    assert {rows[f"stok_negatif:{i}"].last_seen for i in range(1200)} == {t1}  # every kept one moved
    assert rows["stok_negatif:7"].first_seen == t0 and rows["stok_negatif:7"].acked_by == 1
    assert rows["stok_negatif:3"].message == "stok minus 3" and rows["stok_negatif:3"].last_seen == t1
    assert {rows[f"stok_negatif:{i}"].cleared_at for i in range(1200, 1500)} == {t1}
    assert all(rows[f"stok_negatif:{i}"].cleared_at is None for i in range(1200))
    # a cleared alert whose cause returns is raised again: new first seen, no acknowledgement
    back = {a["id"]: a for a in reconcile([alert(7), alert(1300)], t2)}
    assert back["stok_negatif:1300"]["first_seen"] == t2.isoformat() and back["stok_negatif:1300"]["cleared_at"] is None
    assert back["stok_negatif:7"]["first_seen"] == t0.isoformat() and back["stok_negatif:7"]["acked_by"] == 1
    rows = stored()
    assert rows["stok_negatif:1300"].first_seen == t2 and rows["stok_negatif:1300"].cleared_at is None
    assert rows["stok_negatif:8"].cleared_at == t2
    # an older snapshot stored late never moves last seen backwards
    reconcile([alert(7)], t1)
    assert stored()["stok_negatif:7"].last_seen == t2
    assert reconcile([], t3) == [] and all(a.cleared_at is not None for a in stored().values())
