"""Stock records through `POST /sync` (every new record type: created, replayed as duplicate, other
content as conflict, bad as invalid naming the field, forbidden outside member events) and the role
matrix: pengamat sees stock and alerts but no person data and writes nothing; relawan writes in member
events only (docs/api.md, "Stock")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api.stock_helpers import add_gudang, on_hand, receive
from tests.conftest import Api, Scene, new_id


def _sync(api: Api, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = api.post("/sync", json={"records": records})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_every_stock_record_syncs_offline_and_replays(scene: Scene, admin: Api) -> None:
    g = add_gudang(admin)
    eid, shelter = scene.eid, scene.shelter["id"]
    receipt = {"id": new_id(), "location_id": g["id"], "donor_kind": "bpbd", "donor_name": "BPBD Kota Binjai",
               "received_at": datetime.now(UTC).isoformat(),
               "lines": [{"item_code": "beras", "quantity": 2, "unit": "karung"}]}
    ship = {"id": new_id(), "from_location_id": g["id"], "to_location_id": shelter,
            "sent_at": datetime.now(UTC).isoformat(), "lines": [{"item_code": "beras", "quantity": 20}]}
    got = {"id": new_id(), "dispatch_id": ship["id"], "received_at": datetime.now(UTC).isoformat()}
    adjust = {"id": new_id(), "location_id": shelter, "item_code": "beras", "quantity": -1, "kind": "koreksi_hitung",
              "reason": "hitung ulang", "at": datetime.now(UTC).isoformat()}
    ask = {"id": new_id(), "shelter_id": shelter, "requested_at": datetime.now(UTC).isoformat(),
           "lines": [{"item_code": "air_minum", "quantity": 1, "unit": "galon"}]}
    records = [{"type": t, "event_id": eid, "data": d} for t, d in (
        ("receipt", receipt), ("dispatch", ship), ("dispatch_receive", got), ("stock_adjustment", adjust),
        ("stock_request", ask))]
    first = _sync(admin, records)
    assert [r["status"] for r in first] == ["created"] * 5, first
    assert all(r["data_seq"] for r in first)
    again = _sync(admin, records)
    assert [r["status"] for r in again] == ["duplicate"] * 5, again
    assert on_hand(admin, eid, g["id"], "beras") == 30 and on_hand(admin, eid, shelter, "beras") == 19
    req = admin.get(f"/events/{eid}/requests").json()["items"][0]
    assert req["lines"] == [{"item_code": "air_minum", "quantity": 19.0}]
    changed = _sync(admin, [{"type": "receipt", "event_id": eid, "data": {**receipt, "donor_name": "Lain"}}])
    assert changed[0]["status"] == "conflict"
    bad = _sync(admin, [{"type": "stock_adjustment", "event_id": eid, "data": {**adjust, "id": new_id(),
                                                                                "kind": "dicuri"}},
                        {"type": "dispatch", "event_id": eid, "data": {**ship, "id": new_id(),
                                                                        "to_location_id": g["id"]}}])
    assert bad[0]["status"] == "invalid" and bad[0]["error"].startswith("kind")
    assert bad[1]["status"] == "invalid" and bad[1]["error"].startswith("to_location_id")
    assert on_hand(admin, eid, shelter, "beras") == 19


def test_relawan_writes_stock_in_member_events_only(scene: Scene, admin: Api, relawan: Api) -> None:
    eid, shelter = scene.eid, scene.shelter["id"]
    body = {"id": new_id(), "location_id": shelter, "donor_kind": "masyarakat", "donor_name": "Ibu Sari",
            "lines": [{"item_code": "air_minum", "quantity": 10}]}
    assert relawan.post(f"/events/{eid}/receipts", json=body).status_code == 404
    assert relawan.get(f"/events/{eid}/stock").status_code == 404
    synced = _sync(relawan, [{"type": "receipt", "event_id": eid, "data": body}])
    assert synced[0]["status"] == "forbidden"
    assert admin.post(f"/events/{eid}/members", json={"user_id": relawan.user_id}).status_code in (200, 201)
    assert relawan.post(f"/events/{eid}/receipts", json=body).status_code == 201
    assert relawan.get(f"/events/{eid}/stock").status_code == 200


def test_pengamat_sees_stock_and_alerts_but_no_person_data_and_writes_nothing(scene: Scene, admin: Api,
                                                                             pengamat: Api) -> None:
    eid, shelter = scene.eid, scene.shelter["id"]
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 10}], donor_kind="masyarakat",
            donor_name="Bapak Hasan Lubis", notes="diantar anaknya")
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 10}], donor_kind="swasta",
            donor_name="PT Sumber Rejeki")
    seen = pengamat.get(f"/events/{eid}/receipts").json()["items"]
    assert [r["donor_name"] for r in seen] == ["(warga)", "PT Sumber Rejeki"] and seen[0]["notes"] is None
    assert pengamat.get(f"/events/{eid}/stock").status_code == 200
    assert pengamat.get(f"/events/{eid}/alerts").status_code == 200
    assert pengamat.get(f"/events/{eid}/suggestions").status_code == 200
    assert pengamat.get(f"/events/{eid}/stock-card", params={"location_id": shelter,
                                                             "item_code": "air_minum"}).status_code == 200
    body = {"id": new_id(), "location_id": shelter, "item_code": "air_minum", "quantity": -1, "kind": "rusak",
            "reason": "bocor"}
    assert pengamat.post(f"/events/{eid}/stock-adjustments", json=body).status_code == 403
    assert pengamat.post(f"/events/{eid}/suggestions/{shelter}/dispatch", json={"id": new_id()}).status_code == 403


def test_retention_purge_forgets_citizen_donors(scene: Scene, admin: Api, database: Any) -> None:
    from shared.db import utcnow, write_unit
    from shared.domain.privacy import ANONYMOUS_NAME
    from shared.services.privacy import purge_event

    eid, shelter = scene.eid, scene.shelter["id"]
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 10}], donor_kind="masyarakat",
            donor_name="Bapak Hasan Lubis", notes="diantar anaknya")
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 10}], donor_kind="swasta",
            donor_name="PT Sumber Rejeki")
    with write_unit(database) as uow:
        purge_event(uow, eid, utcnow())
    seen = admin.get(f"/events/{eid}/receipts").json()["items"]
    assert [(r["donor_name"], r["notes"]) for r in seen] == [(ANONYMOUS_NAME, None), ("PT Sumber Rejeki", None)]
    assert on_hand(admin, eid, shelter, "air_minum") == 20  # the stock stays as it was
