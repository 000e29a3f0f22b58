"""The dashboard's "Kemungkinan ganda" view in real Chromium: the pair side by side with the differing
fields highlighted and what a merge moves, "Gabungkan" choosing a value, "Bukan orang yang sama"."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import PAGE_TIMEOUT_MS, log_in, pick_event
from tests.conftest import PASSWORD, event_body, iso, now_wib, person_body, shelter_body


@pytest.fixture(scope="module")
def admin_api(web_server: LiveServer, web_users: dict[str, str]) -> Iterator[httpx.Client]:
    with web_server.client(web_server.login(web_users["admin"], PASSWORD)) as client:
        yield client


def wait_pairs(api: httpx.Client, event_id: str, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = api.get(f"/events/{event_id}/duplicates").json()["items"]
        if len(items) >= n:
            return items
        time.sleep(0.2)
    raise AssertionError(f"{len(items)} pairs, not {n}, within {timeout} s")


def test_posko_merges_one_pair_and_dismisses_another(web_server: LiveServer, web_users: dict[str, str],
                                                     admin_api: httpx.Client, page: Any) -> None:
    api = admin_api
    ev = api.post("/events", json=event_body(name=f"Banjir ganda {uuid.uuid4().hex[:6]}",
                                             started_at=iso(now_wib() - timedelta(days=2)))).json()
    eid = ev["id"]
    shelter = api.post(f"/events/{eid}/shelters", json=shelter_body(name="SD Negeri 7 Binjai")).json()
    siti = api.post(f"/events/{eid}/persons", json=person_body(
        full_name="Siti Rahmawati Lubis", birth_date="1985-05-12", shelter_id=shelter["id"])).json()
    st = api.post(f"/events/{eid}/persons", json=person_body(
        full_name="St. Rahmawati Lubis", birth_date="1985-05-12", needs_psychosocial=True)).json()
    api.post(f"/events/{eid}/persons", json=person_body(full_name="Dedi Sembiring", sex="L", birth_date="2001-03-04"))
    api.post(f"/events/{eid}/persons", json=person_body(full_name="Dedi Sembiring", sex="L", birth_date="2001-03-04"))
    assert api.post(f"/events/{eid}/duplicates/scan").status_code == 202
    pairs = wait_pairs(api, eid, 2)
    siti_pair = next(p for p in pairs if {p["a"]["person"]["id"], p["b"]["person"]["id"]} == {siti["id"], st["id"]})
    other = next(p for p in pairs if p is not siti_pair)

    log_in(page, web_server.base_url, web_users["posko"], eid)
    pick_event(page, eid)
    card = page.locator(f"#dups .dup-pair[data-pair='{siti_pair['id']}']")
    card.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    assert page.get_attribute("#dups-total", "data-value") == "2"
    assert card.locator("tr.dup-diff[data-field='full_name']").count() == 1
    assert card.locator("tr.dup-diff[data-field='needs_psychosocial']").count() == 1
    assert card.locator("tr.dup-diff[data-field='birth_date']").count() == 0
    # keep Siti's record (A or B, whichever she is) and take needs_psychosocial from the other
    side = "a" if siti_pair["a"]["person"]["id"] == siti["id"] else "b"
    other_side = "b" if side == "a" else "a"
    card.locator(f"input[data-keep][value='{side}']").check()
    moves = card.locator(".dup-moves").inner_text()
    assert "0 masa tinggal" in moves  # St. has no stay: nothing of hers but the record moves
    # keeping a record takes its values: every field's choice follows the kept side
    assert card.locator(f"input[data-field='full_name'][value='{side}']").is_checked()
    assert card.locator(f"input[data-field='needs_psychosocial'][value='{side}']").is_checked()
    card.locator(f"input[data-field='needs_psychosocial'][value='{other_side}']").check()
    card.locator("button[data-dup-action='merge']").click()
    page.wait_for_selector(f"#dups .dup-pair[data-pair='{siti_pair['id']}']", state="detached", timeout=PAGE_TIMEOUT_MS)
    merged = api.get(f"/persons/{st['id']}").json()
    assert merged["id"] == siti["id"] and merged["needs_psychosocial"] is True and merged["full_name"] == siti["full_name"]

    page.locator(f"#dups .dup-pair[data-pair='{other['id']}'] button[data-dup-action='dismiss']").click()
    page.wait_for_selector("#dups-none", timeout=PAGE_TIMEOUT_MS)
    dismissed = api.get(f"/events/{eid}/duplicates", params={"status": "dismissed"}).json()["items"]
    assert [p["id"] for p in dismissed] == [other["id"]]


def test_pengamat_sees_no_duplicate_view(web_server: LiveServer, web_users: dict[str, str], admin_api: httpx.Client,
                                         page: Any) -> None:
    ev = admin_api.post("/events", json=event_body(name=f"Banjir pengamat {uuid.uuid4().hex[:6]}")).json()
    log_in(page, web_server.base_url, web_users["pengamat"], ev["id"])
    pick_event(page, ev["id"])
    assert page.locator("#dups-card").is_hidden()
