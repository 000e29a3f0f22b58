"""The field app's Stok tab in real Chromium: the shelter's volunteer sees the shelter's stock and
today's meals, receives a shipment sent by the posko (on the phone, through the offline queue), and
records aid received at the shelter and a request (permintaan) while offline; each reaches the API
exactly once (issue 13)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.test_field_app import (  # noqa: F401  (fixtures)
    SYNC_WAIT_MS,
    FieldScene,
    counts,
    field_scene,
    go_online_and_send,
    log_in,
)
from tests.conftest import KELURAHAN


def test_volunteer_receives_a_shipment_and_records_a_receipt_offline(field_scene: FieldScene,  # noqa: F811
                                                                      page: Page) -> None:
    sc = field_scene
    eid, sid = sc.eid, sc.shelter["id"]
    gudang = sc.admin.post("/warehouses", json={"id": str(uuid.uuid4()), "name": f"Gudang Dinsos {eid[:6]}",
                                                "kelurahan_code": KELURAHAN}).json()
    assert sc.admin.post(f"/events/{eid}/receipts", json={
        "id": str(uuid.uuid4()), "location_id": gudang["id"], "donor_kind": "bpbd", "donor_name": "BPBD Binjai",
        "lines": [{"item_code": "air_minum", "quantity": 100}]}).status_code == 201
    ship = sc.admin.post(f"/events/{eid}/dispatches", json={
        "id": str(uuid.uuid4()), "from_location_id": gudang["id"], "to_location_id": sid,
        "lines": [{"item_code": "air_minum", "quantity": 40}]}).json()
    log_in(page, sc)
    page.click("#tab-stok")
    page.select_option("#stock-shelter", sid)
    card = page.locator(f"#stock-incoming li[data-dispatch='{ship['id']}']")
    expect(card).to_be_visible(timeout=15_000)
    card.locator("input[name=receive_air_minum]").fill("38")
    card.locator("input[name=receive_reason]").fill("2 botol pecah")
    card.locator(f"button[data-receive='{ship['id']}']").click()
    counts(page, 0, 1, 0)
    got = sc.admin.get(f"/events/{eid}/dispatches/{ship['id']}").json()
    assert got["status"] == "diterima" and got["received_lines"][0]["received"] == 38
    assert got["received_lines"][0]["reason"] == "2 botol pecah"
    # the tab shows the latest snapshot: opening it again after the worker's recompute shows the 38 received
    row = page.locator("#stock-table tr[data-item='air_minum']")
    for _ in range(30):
        page.click("#tab-stok")
        page.select_option("#stock-shelter", sid)
        page.wait_for_timeout(500)
        if row.count() and "38" in row.inner_text():
            break
    expect(row).to_contain_text("38")
    # offline: a receipt at the shelter waits in the queue, then goes once the network returns
    page.context.set_offline(True)
    page.click("#tab-stok")
    page.select_option("select[name=rc_donor_kind]", "masyarakat")
    page.fill("input[name=rc_donor_name]", "Ibu Sari Ginting")
    page.select_option("select[name=rc_item_code]", "beras")
    page.fill("input[name=rc_quantity]", "2")
    page.fill("input[name=rc_unit]", "sak")
    page.click("#save-receipt")
    counts(page, 1, 1, 0)
    page.select_option("select[name=rq_item_code]", "air_minum")
    page.fill("input[name=rq_quantity]", "3")
    page.fill("input[name=rq_unit]", "galon")
    page.click("#save-request")  # a permintaan to the posko, queued offline too
    counts(page, 2, 1, 0)
    go_online_and_send(page)
    counts(page, 0, 3, 0, timeout=SYNC_WAIT_MS)
    requests = sc.admin.get(f"/events/{eid}/requests", params={"shelter_id": sid}).json()["items"]
    assert [r["lines"] for r in requests] == [[{"item_code": "air_minum", "quantity": 57.0}]]
    receipts = sc.admin.get(f"/events/{eid}/receipts", params={"location_id": sid}).json()["items"]
    assert [(r["donor_name"], r["lines"][0]["quantity_base"]) for r in receipts] == [("Ibu Sari Ginting", 10.0)]
