"""The dashboard's logistics in real Chromium against a real API server and worker: an alert shows up
live, at the top, when a meal time of today has passed with a shelter's meals undelivered; an operator
acknowledges it; a "kirim berikutnya" suggestion becomes a shipment in one click; the stock table
follows the snapshot; a gudang is added through its form (with the server's message under a bad field)
and the Permintaan tab lists the event's requests newest first (issue 13)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import httpx

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import (  # noqa: F401  (fixtures)
    PAGE_TIMEOUT_MS,
    admin_api,
    console_errors,
    log_in,
    wait_live,
    wait_status,
)
from tests.conftest import KELURAHAN, event_body, iso, now_wib, person_body, shelter_body


def early_meals_event(api: httpx.Client) -> tuple[str, str]:
    """An event whose standard has its first meal at 00:01 (a meal time of today has passed at almost any
    hour), with one empty shelter."""
    code = f"uji_{uuid.uuid4().hex[:8]}"
    latest = api.get("/standards/spm_binjai").json()[-1]
    body = {k: latest[k] for k in ("name", "items", "services", "shelter_standards")}
    assert api.post("/standards", json={**body, "code": code, "meal_times_local": ["00:01", "12:00", "18:00"]}
                    ).status_code == 201
    ev = api.post("/events", json=event_body(name=f"Banjir logistik {code}", standard_code=code,
                                             started_at=iso(now_wib() - timedelta(days=2)))).json()
    sh = api.post(f"/events/{ev['id']}/shelters", json=shelter_body(name=f"SD logistik {code}")).json()
    return ev["id"], sh["id"]


def test_meal_alert_shows_live_and_a_suggestion_becomes_a_shipment(web_server: LiveServer, web_users: dict[str, str],
                                                                   page: Any, admin_api: httpx.Client,  # noqa: F811
                                                                   console_errors: list[str]) -> None:  # noqa: F811
    eid, sid = early_meals_event(admin_api)
    gudang = admin_api.post("/warehouses", json={"id": str(uuid.uuid4()), "name": f"Gudang uji {eid[:6]}",
                                                 "kelurahan_code": KELURAHAN}).json()
    r = admin_api.post(f"/events/{eid}/receipts", json={"id": str(uuid.uuid4()), "location_id": gudang["id"],
                                                        "donor_kind": "pemerintah_kota", "donor_name": "Pemko Binjai",
                                                        "lines": [{"item_code": "air_minum", "quantity": 10,
                                                                   "unit": "dus"}]})
    wait_status(admin_api, eid, int(r.headers["X-Data-Seq"]))
    log_in(page, web_server.base_url, web_users["posko"], eid)
    page.wait_for_selector("#alerts-card:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    wait_live(page)
    assert page.locator("#alerts [data-kind='makan_belum_diantar']").count() == 0
    assert page.get_attribute("#alerts button[data-sound]", "aria-pressed") == "false"  # sound off by default
    # people arrive (checked in yesterday): today's first meal is due and nothing was delivered
    body = person_body(full_name="Warga logistik", shelter_id=sid, registered_at=iso(now_wib() - timedelta(days=1)))
    assert admin_api.post(f"/events/{eid}/persons", json=body).status_code == 201
    alert = page.locator(f"#alerts li[data-alert^='makan_belum_diantar:{sid}']")
    alert.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    assert "SD logistik" in alert.inner_text()
    alert.locator("button[data-ack]").click()
    page.wait_for_function(
        "sid => [...document.querySelectorAll('#alerts li[data-alert^=\"makan_belum_diantar:' + sid + '\"]')]"
        ".some(li => !li.querySelector('button[data-ack]'))", arg=sid, timeout=PAGE_TIMEOUT_MS)
    acked = [a for a in admin_api.get(f"/events/{eid}/alerts").json() if a["kind"] == "makan_belum_diantar"]
    assert acked and acked[0]["acked_at"] is not None
    # kirim berikutnya: the shelter lacks drinking water; one click makes the shipment from the gudang
    page.click("#logistik button[data-ltab='dispatch']")
    send = page.locator(f"#lg-suggestions li[data-suggestion='{sid}'] button[data-suggest]")
    send.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    send.click()
    page.locator("#lg-transit tr[data-dispatch]").first.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    shipped = admin_api.get(f"/events/{eid}/dispatches", params={"in_transit": "true"}).json()["items"]
    assert [(d["from_location_id"], d["to_location_id"]) for d in shipped] == [(gudang["id"], sid)]
    # the stock table shows what the gudang holds now
    page.click("#logistik button[data-ltab='stock']")
    row = page.locator(f"#lg-stock tr[data-stock='{gudang['id']}:air_minum']")
    row.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    # an adjustment with its reason, from the page
    page.select_option("#lg-a-loc", gudang["id"])
    page.select_option("#lg-a-item", "air_minum")
    page.fill("#lg-a-qty", "-2.5")
    page.select_option("#lg-a-kind", "rusak")
    page.fill("#lg-a-reason", "botol pecah saat bongkar muat")
    page.click("#lg-adjust-form button[type=submit]")
    deadline = time.monotonic() + 10
    adjustments: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not adjustments:
        adjustments = admin_api.get(f"/events/{eid}/stock-adjustments").json()["items"]
        time.sleep(0.2)
    assert [(a["location_id"], a["quantity"], a["kind"]) for a in adjustments] == [(gudang["id"], -2.5, "rusak")]
    assert console_errors == []


def test_a_gudang_made_in_the_form_is_listed_and_requests_show_newest_first(
        web_server: LiveServer, web_users: dict[str, str], page: Any, admin_api: httpx.Client,  # noqa: F811
        console_errors: list[str]) -> None:  # noqa: F811
    eid, sid = early_meals_event(admin_api)
    older = admin_api.post(f"/events/{eid}/requests", json={
        "id": str(uuid.uuid4()), "shelter_id": sid, "requested_at": iso(now_wib() - timedelta(hours=3)),
        "lines": [{"item_code": "beras", "quantity": 50}]})
    newer = admin_api.post(f"/events/{eid}/requests", json={
        "id": str(uuid.uuid4()), "shelter_id": sid, "requested_at": iso(now_wib() - timedelta(minutes=5)),
        "lines": [{"item_code": "air_minum", "quantity": 12}], "notes": "untuk balita"})
    assert older.status_code == 201 and newer.status_code == 201
    wait_status(admin_api, eid, int(newer.headers["X-Data-Seq"]))
    log_in(page, web_server.base_url, web_users["posko"], eid)
    wait_live(page)
    page.locator("#lg-gudang-form #lg-g-kel option").first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    name = f"Gudang formulir {eid[:6]}"
    before = {w["id"] for w in admin_api.get("/warehouses", params={"limit": 500}).json()["items"]}
    # a bad phone number: the server's Indonesian message under the phone field, and nothing stored
    page.fill("#lg-g-name", name)
    page.select_option("#lg-g-kel", KELURAHAN)
    page.select_option("#lg-g-kind", "lumbung_sosial")
    page.fill("#lg-g-address", "Jl. Gatot Subroto No. 1")
    page.fill("#lg-g-contact", "Bu Sari")
    page.fill("#lg-g-phone", "telepon?")
    page.click("#lg-gudang-form button[type=submit]")
    err = page.locator("#lg-gudang-form .field-error[data-error-for='contact_phone']")
    err.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    assert page.get_attribute("#lg-g-phone", "aria-invalid") == "true"
    assert "tidak sesuai format" in err.inner_text(), err.inner_text()
    assert {w["id"] for w in admin_api.get("/warehouses", params={"limit": 500}).json()["items"]} == before
    # corrected: saved once, listed as a stock location at once
    page.fill("#lg-g-phone", "0812 6000 1234")
    page.click("#lg-gudang-form button[type=submit]")
    option = page.locator("#lg-filter option", has_text=name)
    option.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    made = [w for w in admin_api.get("/warehouses", params={"limit": 500}).json()["items"] if w["id"] not in before]
    assert [(w["name"], w["kind"], w["kelurahan_code"], w["address"], w["contact_name"], w["contact_phone"])
            for w in made] == [(name, "lumbung_sosial", KELURAHAN, "Jl. Gatot Subroto No. 1", "Bu Sari",
                                "0812 6000 1234")]
    assert option.get_attribute("value") == made[0]["id"]
    assert page.locator("#lg-gudang-form .field-error").count() == 0
    # Permintaan: both requests, newest first, with shelter, items, quantities and status
    page.click("#logistik button[data-ltab='requests']")
    rows = page.locator("#lg-requests tbody tr[data-request]")
    rows.nth(1).wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    assert [rows.nth(i).get_attribute("data-request") for i in range(2)] == [newer.json()["id"], older.json()["id"]]
    first = rows.nth(0).inner_text()
    assert "SD logistik" in first and "12" in first and "untuk balita" in first
    assert any(s in first for s in ("dalam perjalanan", "belum terpenuhi", "tercukupi"))
    assert "50" in rows.nth(1).inner_text()
    assert console_errors == []
