"""Stock over HTTP on SQLite and PostgreSQL: gudang, receipts with units and kits, cash as money,
dispatches in transit and received (with a difference and its reason), adjustments, distributions
drawing down stock (beyond stock: accepted, flagged), stock at any `as_of`, and the stock card
(docs/rules.md, "Stock"). Every refused write is checked to have written nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.api.stock_helpers import add_gudang, dispatch, on_hand, receipt_body, receive
from tests.conftest import Api, Scene, event_seq, new_id


def test_gudang_create_list_replay_and_roles(admin: Api, posko: Api, pengamat: Api, relawan: Api) -> None:
    g = add_gudang(posko)
    assert g["kind"] == "gudang_dinsos" and g["contact_name"] == "Bu Rina"
    same = {k: g[k] for k in ("id", "name", "kind", "kelurahan_code", "address", "contact_name", "contact_phone")}
    again = posko.post("/warehouses", json=same)
    assert again.status_code == 200 and again.json() == g
    assert posko.post("/warehouses", json={**same, "name": "Lain"}).status_code == 409
    listed = pengamat.get("/warehouses", params={"limit": 500}).json()
    assert g["id"] in [w["id"] for w in listed["items"]]
    assert relawan.post("/warehouses", json={**same, "id": new_id()}).status_code == 403
    assert pengamat.post("/warehouses", json={**same, "id": new_id()}).status_code == 403
    bad = admin.post("/warehouses", json={**same, "id": new_id(), "kelurahan_code": "99.99.99.9999"})
    assert bad.status_code == 422 and "kelurahan_code" in bad.json()["detail"][0]["loc"]


def test_receipt_converts_units_expands_kits_and_keeps_cash_as_money(scene: Scene, admin: Api) -> None:
    g = add_gudang(admin)
    eid = scene.eid
    r = receive(admin, eid, g["id"], [
        {"item_code": "beras", "quantity": 4, "unit": "karung", "expiry_date": "2027-06-30", "value_rupiah": 1_400_000},
        {"item_code": "beras", "quantity": 500, "unit": "gram"},
        {"item_code": "air_minum", "quantity": 2, "unit": "dus"},
        {"item_code": "paket_sembako", "quantity": 3},
    ], cash_rupiah=5_000_000, donor_kind="masyarakat", donor_name="Keluarga Bpk. Hasan")
    assert r["lines"][0]["quantity_base"] == 100.0 and r["cash_rupiah"] == 5_000_000
    assert on_hand(admin, eid, g["id"], "beras") == 100.5 + 30  # 4 karung × 25 kg + 500 g + 3 × 10 kg (sembako)
    assert on_hand(admin, eid, g["id"], "air_minum") == 28.8  # 2 dus × 24 × 600 ml
    assert on_hand(admin, eid, g["id"], "mi_instan") == 30
    assert on_hand(admin, eid, g["id"], "paket_sembako") == 0  # a kit is stocked as its contents
    assert on_hand(admin, eid, g["id"], "uang_tunai") == 0
    stock = admin.get(f"/events/{eid}/stock", params={"as_of": datetime.now(UTC).isoformat()}).json()
    assert stock["cash_rupiah"] == 5_000_000


def test_receipt_bad_input_names_the_field_and_writes_nothing(scene: Scene, admin: Api) -> None:
    g = add_gudang(admin)
    eid = scene.eid
    seq = event_seq(admin, eid)
    cases = [
        (receipt_body(g["id"], [{"item_code": "beras", "quantity": 3, "unit": "porsi"}]), ["lines", 0, "unit"]),
        (receipt_body(g["id"], [{"item_code": "beras", "quantity": 3, "unit": "gentong"}]), ["lines", 0, "unit"]),
        (receipt_body(g["id"], [{"item_code": "emas", "quantity": 3}]), ["lines", 0, "item_code"]),
        (receipt_body(g["id"], [{"item_code": "uang_tunai", "quantity": 3}]), ["lines", 0, "item_code"]),
        (receipt_body(new_id(), [{"item_code": "beras", "quantity": 3}]), ["location_id"]),
        (receipt_body(g["id"], [{"item_code": "beras", "quantity": -3}]), ["lines", 0, "quantity"]),
        (receipt_body(g["id"], [], donor_kind="alien"), ["donor_kind"]),
    ]
    for body, loc in cases:
        r = admin.post(f"/events/{eid}/receipts", json=body)
        assert r.status_code == 422, r.text
        assert any(d["loc"][1:len(loc) + 1] == loc for d in r.json()["detail"]), (loc, r.json())
    assert event_seq(admin, eid) == seq
    assert admin.get(f"/events/{eid}/receipts").json()["total"] == 0


def test_receipt_replay_is_idempotent_and_other_content_conflicts(scene: Scene, admin: Api) -> None:
    g = add_gudang(admin)
    body = receipt_body(g["id"], [{"item_code": "beras", "quantity": 2, "unit": "karung"}])
    first = admin.post(f"/events/{scene.eid}/receipts", json=body)
    assert first.status_code == 201 and first.headers["X-Data-Seq"]
    again = admin.post(f"/events/{scene.eid}/receipts", json=body)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert admin.post(f"/events/{scene.eid}/receipts", json={**body, "donor_name": "Lain"}).status_code == 409
    assert on_hand(admin, scene.eid, g["id"], "beras") == 50


def test_dispatch_is_in_transit_until_received_with_a_reasoned_difference(scene: Scene, admin: Api) -> None:
    g = add_gudang(admin)
    eid, shelter = scene.eid, scene.shelter["id"]
    receive(admin, eid, g["id"], [{"item_code": "beras", "quantity": 40, "expiry_date": "2027-01-31"},
                                  {"item_code": "beras", "quantity": 60, "expiry_date": "2026-12-31"}])
    d = dispatch(admin, eid, g["id"], shelter, [{"item_code": "beras", "quantity": 3, "unit": "karung"}])
    assert d["status"] == "dalam_perjalanan"
    # first expired, first out: the 2026-12-31 lot (60 kg) goes first, 15 kg from the next
    assert [(x["expiry_date"], x["quantity"]) for x in d["lines"]] == [("2026-12-31", 60.0), ("2027-01-31", 15.0)]
    assert on_hand(admin, eid, g["id"], "beras") == 25
    assert on_hand(admin, eid, shelter, "beras") == 0
    stock = admin.get(f"/events/{eid}/stock", params={"as_of": datetime.now(UTC).isoformat()}).json()
    assert [t["id"] for t in stock["in_transit"]] == [d["id"]]
    path = f"/events/{eid}/dispatches/{d['id']}/receive"
    no_reason = admin.post(path, json={"lines": [{"item_code": "beras", "quantity": 70}]})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"][0]["loc"]
    ok = admin.post(path, json={"id": new_id(), "lines": [{"item_code": "beras", "quantity": 70,
                                                          "reason": "1 karung sobek di jalan"}]})
    assert ok.status_code == 200, ok.text
    got = ok.json()
    assert got["status"] == "diterima" and got["received_lines"][0]["difference"] == -5
    assert on_hand(admin, eid, shelter, "beras") == 70
    assert admin.post(path, json={"id": new_id()}).status_code == 409  # received once only
    stock = admin.get(f"/events/{eid}/stock", params={"as_of": datetime.now(UTC).isoformat()}).json()
    assert stock["in_transit"] == []
    lots = next(r for r in stock["items"] if r["location_id"] == shelter and r["item_code"] == "beras")["lots"]
    assert lots == [{"expiry_date": "2026-12-31", "quantity": 60.0}, {"expiry_date": "2027-01-31", "quantity": 10.0}]


def test_adjustments_and_distributions_draw_down_and_negative_is_flagged(scene: Scene, admin: Api) -> None:
    eid, shelter = scene.eid, scene.shelter["id"]
    receive(admin, eid, shelter, [{"item_code": "air_minum", "quantity": 100}])
    adj = admin.post(f"/events/{eid}/stock-adjustments", json={
        "id": new_id(), "location_id": shelter, "item_code": "air_minum", "quantity": -10, "kind": "rusak",
        "reason": "galon bocor"})
    assert adj.status_code == 201 and adj.json()["kind"] == "rusak"
    no_reason = admin.post(f"/events/{eid}/stock-adjustments", json={
        "id": new_id(), "location_id": shelter, "item_code": "air_minum", "quantity": -1, "kind": "rusak"})
    assert no_reason.status_code == 422
    dist = admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "air_minum",
                                                             "quantity": 120, "shelter_id": shelter})
    assert dist.status_code == 201, dist.text  # beyond stock: accepted (field reality first)
    assert on_hand(admin, eid, shelter, "air_minum") == -30
    stock = admin.get(f"/events/{eid}/stock", params={"as_of": datetime.now(UTC).isoformat()}).json()
    assert {"location_id": shelter, "item_code": "air_minum", "on_hand": -30.0} in stock["negative"]
    card = admin.get(f"/events/{eid}/stock-card", params={"location_id": shelter, "item_code": "air_minum"}).json()
    assert [(x["kind"], x["balance"]) for x in card["lines"]] == [
        ("penerimaan", 100.0), ("penyesuaian", 90.0), ("penyaluran", -30.0)]


def test_stock_is_exact_at_any_as_of(scene: Scene, admin: Api) -> None:
    eid, shelter = scene.eid, scene.shelter["id"]
    now = datetime.now(UTC)
    t1, t2 = now - timedelta(hours=30), now - timedelta(hours=5)
    receive(admin, eid, shelter, [{"item_code": "air_bersih", "quantity": 1, "unit": "tangki"}],
            received_at=t1.isoformat())
    admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "air_bersih", "quantity": 1200,
                                                      "shelter_id": shelter, "delivered_at": t2.isoformat()})
    assert on_hand(admin, eid, shelter, "air_bersih", (t1 - timedelta(seconds=1)).isoformat()) == 0
    assert on_hand(admin, eid, shelter, "air_bersih", t1.isoformat()) == 5000
    assert on_hand(admin, eid, shelter, "air_bersih", (t2 - timedelta(minutes=1)).isoformat()) == 5000
    assert on_hand(admin, eid, shelter, "air_bersih", t2.isoformat()) == 3800


def test_distribution_from_a_gudang_draws_there(scene: Scene, admin: Api) -> None:
    g = add_gudang(admin)
    eid = scene.eid
    receive(admin, eid, g["id"], [{"item_code": "selimut", "quantity": 50}])
    r = admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "selimut", "quantity": 5,
                                                          "household_id": scene.household["id"],
                                                          "source_location_id": g["id"]})
    assert r.status_code == 201 and r.json()["source_location_id"] == g["id"]
    assert on_hand(admin, eid, g["id"], "selimut") == 45
    bad = admin.post(f"/events/{eid}/distributions", json={"id": new_id(), "item_code": "selimut", "quantity": 5,
                                                            "household_id": scene.household["id"],
                                                            "source_location_id": new_id()})
    assert bad.status_code == 422 and "source_location_id" in bad.json()["detail"][0]["loc"]


def test_expiry_fefo_next(scene: Scene, admin: Api) -> None:
    eid, shelter = scene.eid, scene.shelter["id"]
    soon = (date.today() + timedelta(days=2)).isoformat()
    later = (date.today() + timedelta(days=40)).isoformat()
    receive(admin, eid, shelter, [{"item_code": "makanan_siap_saji", "quantity": 50, "expiry_date": later},
                                  {"item_code": "makanan_siap_saji", "quantity": 20, "expiry_date": soon}])
    stock = admin.get(f"/events/{eid}/stock", params={"as_of": datetime.now(UTC).isoformat()}).json()
    row = next(r for r in stock["items"] if r["location_id"] == shelter and r["item_code"] == "makanan_siap_saji")
    assert row["fefo_next"] == soon and row["lots"][0] == {"expiry_date": soon, "quantity": 20.0}
