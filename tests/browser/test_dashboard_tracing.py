"""The dashboard's "Orang dicari" board (issue 15): a request filed through the API appears in the list;
registering the sought person in another event's shelter makes the real worker find the match, and the
posko's page shows the badge and where the person is registered, live, without a reload. A separated
child is listed first. A pengamat sees counts only."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import (  # noqa: F401  (admin_api, console_errors and scene are fixtures)
    PAGE_TIMEOUT_MS,
    Scene,
    admin_api,
    console_errors,
    log_in,
    scene,
    wait_live,
)
from tests.conftest import person_body

MATCH_TIMEOUT_MS = 30_000  # recompute → match pass (or the relay, every 5 s) → the notice


def unique(base: str) -> str:
    return f"{base} {uuid.uuid4().hex[:8].translate(str.maketrans('0123456789', 'abcdefghij')).upper()}"


def test_a_new_match_appears_live_on_the_posko_dashboard(web_server: LiveServer, web_users: dict[str, str],
                                                         page: Any, scene: Scene, admin_api: httpx.Client,  # noqa: F811
                                                         console_errors: list[str]) -> None:  # noqa: F811
    name = unique("Sulastri br Ginting")
    r = admin_api.post("/tracing", json={"id": str(uuid.uuid4()), "full_name": name, "sex": "P",
                                                "birth_date": "1988-08-17", "last_seen_place": "Pasar Tavip",
                                                "reporter": {"name": "Ahmad Siregar", "phone": "081234567890"}})
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    child = admin_api.post(f"/events/{scene.id}/persons",
                           json=person_body(full_name=unique("Putri Tarigan"), birth_date="2017-01-01",
                                            vulnerabilities=["terpisah"], shelter_id=scene.shelter["id"]))
    assert child.status_code == 201, child.text
    log_in(page, web_server.base_url, web_users["posko"], scene.id)
    wait_live(page)
    item = page.locator(f"#tracing-list [data-request='{request_id}']")
    item.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert item.get_attribute("data-status") == "dicari"
    first = page.locator("#tracing-list .tracing-item").first
    assert first.get_attribute("data-child") == "1"  # the separated child's family first
    assert "terpisah" in first.inner_text()
    # another event, its own shelter: "Masjid Raya"
    ev = admin_api.post("/events", json={"id": str(uuid.uuid4()), "name": "Longsor Binjai Utara",
                                                 "kind": "tanah_longsor", "started_at": scene.event["started_at"],
                                                 "kelurahan_codes": [scene.shelter["kelurahan_code"]]}).json()
    sh = admin_api.post(f"/events/{ev['id']}/shelters",
                        json={"id": str(uuid.uuid4()), "name": "Masjid Raya Binjai", "kind": "rumah_ibadah",
                              "kelurahan_code": scene.shelter["kelurahan_code"], "capacity_persons": 200}).json()
    r = admin_api.post(f"/events/{ev['id']}/persons",
                       json=person_body(full_name=name, sex="P", birth_date="1988-08-17", shelter_id=sh["id"]))
    assert r.status_code == 201, r.text
    page.wait_for_selector(f"#tracing-list [data-request='{request_id}'][data-status='kemungkinan_cocok']",
                           timeout=MATCH_TIMEOUT_MS)
    badge = page.locator("#tracing-badge")
    assert badge.is_visible() and int(badge.get_attribute("data-count") or 0) >= 1
    text = page.locator(f"#tracing-list [data-request='{request_id}'] .tracing-match").inner_text()
    assert "Masjid Raya Binjai" in text and name in text
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    # confirmed and reunited: the board's reunification record says when, where and by whom
    found = r.json()["id"]
    r = admin_api.patch(f"/tracing/{request_id}", json={"status": "ditemukan", "matched_person_id": found})
    assert r.status_code == 200, r.text
    r = admin_api.patch(f"/tracing/{request_id}", json={"status": "dipertemukan", "reunited_at": r.json()["found_at"],
                                                        "reunited_place": "Masjid Raya Binjai",
                                                        "reunited_by": "Petugas TAGANA"})
    assert r.status_code == 200, r.text
    page.reload()
    wait_live(page)
    settled = page.locator(f"#tracing-settled [data-request='{request_id}']")
    settled.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert settled.get_attribute("data-status") == "dipertemukan"
    assert "Masjid Raya Binjai" in settled.inner_text() and "Petugas TAGANA" in settled.inner_text()
    assert page.locator(f"#tracing-list [data-request='{request_id}']").count() == 0
    assert console_errors == []


def test_pengamat_sees_counts_only(web_server: LiveServer, web_users: dict[str, str], page: Any, scene: Scene,  # noqa: F811
                                   admin_api: httpx.Client) -> None:  # noqa: F811
    log_in(page, web_server.base_url, web_users["pengamat"], scene.id)
    wait_live(page)
    page.wait_for_selector("#tracing .tracing-counts", timeout=PAGE_TIMEOUT_MS)
    assert page.locator("#tracing-list").count() == 0
    assert "Hanya jumlah" in page.locator("#tracing").inner_text()
    assert page.locator("#tracing button[data-act]").count() == 0  # no confirm, reunite or close


def _audit_actions(client: httpx.Client, request_id: str) -> list[str]:
    r = client.get("/audit", params={"object_id": request_id, "action": "tracing.", "limit": 100})
    assert r.status_code == 200, r.text
    return [row["action"] for row in r.json()["items"]]


def test_posko_confirms_reunites_and_closes_from_the_board(web_server: LiveServer, web_users: dict[str, str],
                                                           page: Any, scene: Scene, admin_api: httpx.Client,  # noqa: F811
                                                           console_errors: list[str]) -> None:  # noqa: F811
    # reported missing (hilang) in the register here, and registered in another event's shelter
    name = unique("Rahmat Sembiring")
    missing = admin_api.post(f"/events/{scene.id}/persons",
                             json=person_body(full_name=name, sex="L", birth_date="1979-03-02", condition="hilang"))
    assert missing.status_code == 201, missing.text
    missing_id = missing.json()["id"]
    sought = admin_api.post("/tracing", json={"id": str(uuid.uuid4()), "event_id": scene.id, "full_name": name,
                                              "sex": "L", "birth_date": "1979-03-02", "subject_person_id": missing_id,
                                              "last_seen_place": "Jalan Gatot Subroto",
                                              "reporter": {"name": "Nurhayati", "phone": "081298765432"}})
    assert sought.status_code == 201, sought.text
    request_id = sought.json()["id"]
    other = admin_api.post("/tracing", json={"id": str(uuid.uuid4()), "full_name": unique("Dewi Lubis"),
                                             "sex": "P", "age_years": 40})
    assert other.status_code == 201, other.text
    other_id = other.json()["id"]
    ev = admin_api.post("/events", json={"id": str(uuid.uuid4()), "name": "Banjir Binjai Barat",
                                         "kind": "banjir", "started_at": scene.event["started_at"],
                                         "kelurahan_codes": [scene.shelter["kelurahan_code"]]}).json()
    sh = admin_api.post(f"/events/{ev['id']}/shelters",
                        json={"id": str(uuid.uuid4()), "name": "Gedung Olahraga Binjai", "kind": "fasilitas_umum",
                              "kelurahan_code": scene.shelter["kelurahan_code"], "capacity_persons": 150}).json()
    person = admin_api.post(f"/events/{ev['id']}/persons",
                            json=person_body(full_name=name, sex="L", birth_date="1979-03-02", shelter_id=sh["id"]))
    assert person.status_code == 201, person.text
    person_id = person.json()["id"]
    log_in(page, web_server.base_url, web_users["posko"], scene.id)
    wait_live(page)
    item = page.locator(f"#tracing-list [data-request='{request_id}'][data-status='kemungkinan_cocok']")
    item.wait_for(timeout=MATCH_TIMEOUT_MS)

    # "Ini orangnya": the best candidate, found injured
    item.locator("button[data-act='confirm']").click()
    form = item.locator("form[data-form='confirm']")
    assert name in form.inner_text()
    form.locator("select[name='condition']").select_option("luka")
    form.locator("button[type='submit']").click()
    found = page.locator(f"#tracing-settled [data-request='{request_id}'][data-status='ditemukan']")
    found.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "ditemukan" in page.locator("#toast").inner_text()
    r = admin_api.get(f"/tracing/{request_id}").json()
    assert (r["status"], r["matched_person_id"]) == ("ditemukan", person_id)
    assert r["found_at"] is not None
    assert admin_api.get(f"/persons/{missing_id}").json()["condition"] == "luka"  # no longer hilang here

    # "Dipertemukan": the server's message next to the empty field, then recorded
    found.locator("button[data-act='reunite']").click()
    form = found.locator("form[data-form='reunite']")
    assert form.locator("input[name='reunited_at']").input_value()  # defaults to now
    form.locator("input[name='reunited_by']").fill("Petugas TAGANA Binjai")
    form.locator("button[type='submit']").click()
    error = form.locator(".field-error[data-error-for='reunited_place']")
    error.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "dipertemukan perlu" in error.inner_text()
    assert admin_api.get(f"/tracing/{request_id}").json()["status"] == "ditemukan"  # nothing written
    form.locator("input[name='reunited_place']").fill("Posko Kelurahan Tanah Seribu")
    form.locator("button[type='submit']").click()
    reunited = page.locator(f"#tracing-settled [data-request='{request_id}'][data-status='dipertemukan']")
    reunited.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "Posko Kelurahan Tanah Seribu" in reunited.inner_text()
    assert reunited.locator("button[data-act]").count() == 0  # settled: nothing more to do
    r = admin_api.get(f"/tracing/{request_id}").json()
    assert r["status"] == "dipertemukan" and r["matched_person_id"] == person_id
    assert (r["reunited_place"], r["reunited_by"]) == ("Posko Kelurahan Tanah Seribu", "Petugas TAGANA Binjai")
    assert r["reunited_at"] is not None and r["reunited_at"] >= r["found_at"][:16]

    # "Tutup" on another request: a reason is required
    row = page.locator(f"#tracing-list [data-request='{other_id}']")
    assert row.locator("button[data-act='confirm']").count() == 0  # no candidate, nothing to confirm
    row.locator("button[data-act='close']").click()
    form = row.locator("form[data-form='close']")
    form.locator("button[type='submit']").click()
    error = form.locator(".field-error[data-error-for='closed_reason']")
    error.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "alasan" in error.inner_text()
    # changed by someone else meanwhile: the stale version is refused (412), the board reads it again and
    # keeps the form as typed, and the second try sends the current version
    r = admin_api.patch(f"/tracing/{other_id}", json={"description": "Rambut pendek, berkacamata"})
    assert r.status_code == 200, r.text
    form.locator("input[name='closed_reason']").fill("Laporan ganda, sudah dicatat di posko lain")
    form.locator("button[type='submit']").click()
    page.wait_for_selector(f"#tracing-list [data-request='{other_id}'] .form-error:has-text('usang')",
                           timeout=PAGE_TIMEOUT_MS)
    assert admin_api.get(f"/tracing/{other_id}").json()["status"] == "dicari"
    page.wait_for_selector(f"#tracing-list [data-request='{other_id}']:has-text('berkacamata')",
                           timeout=PAGE_TIMEOUT_MS)  # read again
    assert "usang" in form.locator(".form-error").inner_text()  # the message stays with the form
    assert form.locator("input[name='closed_reason']").input_value() == "Laporan ganda, sudah dicatat di posko lain"
    form.locator("button[type='submit']").click()
    page.locator(f"#tracing-list [data-request='{other_id}']").wait_for(state="detached", timeout=PAGE_TIMEOUT_MS)
    r = admin_api.get(f"/tracing/{other_id}").json()
    assert (r["status"], r["closed_reason"]) == ("ditutup", "Laporan ganda, sudah dicatat di posko lain")
    assert r["closed_at"] is not None

    assert {"tracing.ditemukan", "tracing.dipertemukan"} <= set(_audit_actions(admin_api, request_id))
    assert "tracing.ditutup" in _audit_actions(admin_api, other_id)
    assert console_errors == []

