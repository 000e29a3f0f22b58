"""A volunteer files a tracing request offline in the field app (issue 15): it waits on the phone, is sent
through /sync once online, and the posko's dashboard lists it; registering the sought person in another
shelter makes the worker's match appear live on the dashboard, without a reload."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import log_in as dashboard_log_in
from tests.browser.test_dashboard import wait_live
from tests.browser.test_dashboard_tracing import MATCH_TIMEOUT_MS, unique
from tests.browser.test_field_app import (  # noqa: F401  (field_scene is a fixture)
    SYNC_WAIT_MS,
    FieldScene,
    counts,
    field_scene,
    fill_household,
    fill_member,
    go_online_and_send,
    log_in,
)
from tests.conftest import person_body


def test_a_request_filed_offline_reaches_the_dashboard_and_its_match_appears_live(
        field_scene: FieldScene, page: Page, context: Any, web_server: LiveServer,  # noqa: F811
        web_users: dict[str, str]) -> None:
    scene = field_scene
    name = unique("Sulastri Ginting")
    log_in(page, scene)
    page.click("#tab-dicari")
    expect(page.locator("#tracing-form")).to_be_visible()
    page.context.set_offline(True)
    page.fill("#tr-full_name", name)
    page.select_option("#tr-sex", "P")
    page.fill("#tr-age", "38")
    page.select_option("#tr-kelurahan_code", "12.75.04.1004")
    page.fill("#tr-last_seen_place", "Pasar Tavip")
    page.fill("#tr-reporter_name", "Ahmad Siregar")
    page.fill("#tr-phone", "0812 3456 7890")
    page.click("#tracing-save")
    counts(page, pending=1, accepted=0, rejected=0, timeout=5_000)
    expect(page.locator("#tracing-list [data-local]", has_text=name)).to_be_visible()
    records = page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open("posko-lapangan");
        open.onsuccess = () => { const q = open.result.transaction("records").objectStore("records").getAll();
                                 q.onsuccess = () => resolve(q.result); q.onerror = () => reject(q.error); };
        open.onerror = () => reject(open.error); })""")
    (record,) = [r for r in records if r["type"] == "tracing"]
    request_id = record["id"]
    assert scene.admin.get(f"/tracing/{request_id}").status_code == 404  # only on the phone so far

    go_online_and_send(page)
    counts(page, pending=0, accepted=1, rejected=0, timeout=SYNC_WAIT_MS)
    stored = scene.admin.get(f"/tracing/{request_id}").json()
    assert (stored["full_name"], stored["event_id"], stored["age_years"], stored["status"]) == (
        name, scene.eid, 38, "dicari")
    assert stored["reporter"]["phone"] == "0812 3456 7890"

    dash = context.new_page()
    dashboard_log_in(dash, web_server.base_url, web_users["posko"], scene.eid)
    wait_live(dash)
    item = dash.locator(f"#tracing-list [data-request='{request_id}']")
    item.wait_for(timeout=15_000)
    assert item.get_attribute("data-status") == "dicari"

    # the sought woman arrives at the other shelter: registered by the posko
    r = scene.admin.post(f"/events/{scene.eid}/persons",
                         json=person_body(full_name=name, sex="P", birth_date=None, age_years=38,
                                          shelter_id=scene.shelter2["id"]))
    assert r.status_code == 201, r.text
    dash.wait_for_selector(f"#tracing-list [data-request='{request_id}'][data-status='kemungkinan_cocok']",
                           timeout=MATCH_TIMEOUT_MS)
    assert scene.shelter2["name"] in dash.locator(f"#tracing-list [data-request='{request_id}'] .tracing-match").inner_text()
    assert dash.evaluate("performance.getEntriesByType('navigation').length") == 1
    # the volunteer's list follows once it reads it again
    page.click("#tab-orang")
    page.click("#tab-dicari")
    expect(page.locator(f"#tracing-list [data-request='{request_id}']")).to_have_attribute(
        "data-status", "kemungkinan_cocok", timeout=10_000)


def test_a_separated_child_is_flagged_in_the_field_app_and_their_family_is_sought(
        field_scene: FieldScene, page: Page) -> None:  # noqa: F811 (field_scene is the imported fixture)
    """The children's flags appear once the typed age is under 18 (and go when it is not); a child flagged
    `terpisah`, registered offline and synced, is vulnerable on the server and has a family tracing request."""
    scene = field_scene
    log_in(page, scene)
    page.context.set_offline(True)
    fill_household(page, "Rahmat Sembiring")
    fill_member(page, 0, name="Rahmat Sembiring", sex="L", age=40, shelter_id=scene.shelter["id"])
    adult = page.locator("#household-form [data-member='0']")
    expect(adult.locator("input[name=child_flags]")).to_have_count(0)  # an adult: no children's flags
    page.click("#add-member")
    fill_member(page, 1, name="Putri Sembiring", sex="P", age=9, shelter_id=scene.shelter["id"])
    child = page.locator("#household-form [data-member='1']")
    expect(child.locator("input[name=child_flags]")).to_have_count(2)
    child.locator("input[name=child_flags][value=terpisah]").check()
    # typed 19 by mistake: the flag goes with the childhood; back to 9, the boxes are offered again, unticked
    child.locator("input[name=age_years]").fill("19")
    expect(child.locator("input[name=child_flags]")).to_have_count(0)
    child.locator("input[name=age_years]").fill("9")
    expect(child.locator("input[name=child_flags][value=terpisah]")).not_to_be_checked()
    child.locator("input[name=child_flags][value=terpisah]").check()
    page.click("#save-household")
    counts(page, pending=3, accepted=0, rejected=0, timeout=5_000)

    go_online_and_send(page)
    counts(page, pending=0, accepted=3, rejected=0)
    by_name = {p["full_name"]: p for p in scene.persons()}
    assert by_name["Putri Sembiring"]["vulnerabilities"] == ["terpisah"]
    assert by_name["Rahmat Sembiring"]["vulnerabilities"] == []
    requests = scene.admin.get("/tracing", params={"event_id": scene.eid, "limit": 500}).json()["items"]
    about = [r for r in requests if r["subject_person_id"] == by_name["Putri Sembiring"]["id"]]
    assert [(r["kind"], r["status"], r["child_flags"]) for r in about] == [("keluarga", "dicari", ["terpisah"])]
