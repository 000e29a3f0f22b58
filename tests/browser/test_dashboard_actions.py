"""A command post that acts (issue 12 §1) in real Chromium against a real API server and worker: the unmet
list grouped by shelter (mandiri persons by kelurahan) with reasons, namesakes told apart, filters,
sorting and totals; what each shelter lacks now with its printable load list; today's permakanan beside
the event-wide figure with the SPM rule; plain words for when the figures were computed; the audit tab
in Indonesian with names. The last test takes the screenshots of the demo flood the issue asks for
(test-output/browser/screens/, or $POSKO_SCREENS)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.live_server import LiveServer
from tests.api.test_unmet_list import World
from tests.browser.conftest import OUTPUT
from tests.browser.test_dashboard import (  # noqa: F401  (admin_api is a fixture)
    PAGE_TIMEOUT_MS,
    admin_api,
    log_in,
    shown,
    wait_status,
)

SCREENS = Path(os.environ.get("POSKO_SCREENS") or OUTPUT / "screens")


@pytest.fixture
def world(admin_api: httpx.Client) -> World:  # noqa: F811
    w = World(admin_api)
    wait_status(admin_api, w.eid, int(admin_api.get(f"/events/{w.eid}").json()["data_seq"]))
    return w


def open_dashboard(page: Any, server: LiveServer, username: str, event_id: str) -> None:
    log_in(page, server.base_url, username, event_id)
    page.wait_for_function("id => document.body.dataset.eventId === id", arg=event_id, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)


def test_unmet_list_is_grouped_by_place_with_reasons_filters_and_totals(
        web_server: LiveServer, web_users: dict[str, str], page: Any, world: World) -> None:
    open_dashboard(page, web_server, web_users["posko"], world.eid)
    page.wait_for_selector("#unmet .unmet-group", timeout=PAGE_TIMEOUT_MS)
    groups = page.locator("#unmet .unmet-group")
    assert groups.count() == 3
    titles = [groups.nth(i).locator(".unmet-group-title > span").first.inner_text() for i in range(3)]
    assert titles[:2] == ["Masjid Al-Ikhlas", "SD Negeri 020"]
    assert titles[2].startswith("Mengungsi mandiri — ")
    assert [groups.nth(i).locator("[data-group-total]").get_attribute("data-group-total") for i in range(3)] == ["1", "2", "1"]
    assert shown(page, "#unmet-total") == "4"
    totals = page.inner_text("#unmet-group-totals")
    assert "SD Negeri 020 2" in totals.replace("\n", " ")

    # namesakes: both Siti Aminah, told apart by age, household head and group
    adult = page.locator(f"[data-person='{world.siti_adult}']")
    child = page.locator(f"[data-person='{world.siti_child}']")
    assert "Siti Aminah" in adult.inner_text() and "Siti Aminah" in child.inner_text()
    assert "KK: Ahmad Siregar" in adult.inner_text() and "KK: Budi Nasution" in child.inner_text()
    assert re.search(r"\b1\d bln\b", child.inner_text()), child.inner_text()
    assert "Balita" in child.inner_text()
    # reasons: the day and the shelter of the missed meals, the missing item, the missing service
    assert re.search(r"Makan tidak cukup: \d+ \w+ di SD Negeri 020", adult.inner_text()), adult.inner_text()
    assert "Belum menerima: Paket sandang" in page.locator(f"[data-person='{world.joko}']").inner_text()
    assert "Belum mendapat layanan: Penanganan khusus" in child.inner_text()
    assert "(bantuan ke keluarga)" in page.locator(f"[data-person='{world.rahmat}']").inner_text()

    # filters: service, then vulnerability, then kelurahan; sorting by age
    page.select_option("#unmet-filter-service", "penanganan_khusus")
    page.wait_for_function("() => document.querySelectorAll('#unmet [data-person]').length === 1", timeout=PAGE_TIMEOUT_MS)
    assert page.locator(f"#unmet [data-person='{world.siti_child}']").count() == 1
    assert shown(page, "#unmet-filtered") == "1"
    page.select_option("#unmet-filter-service", "")
    page.select_option("#unmet-filter-kelurahan_code", world.b["kelurahan_code"])
    page.wait_for_function("() => document.querySelectorAll('#unmet [data-person]').length === 2", timeout=PAGE_TIMEOUT_MS)
    shown_ids = page.eval_on_selector_all("#unmet [data-person]", "els => els.map(e => e.dataset.person)")
    assert set(shown_ids) == {world.siti_child, world.rahmat}
    page.select_option("#unmet-filter-kelurahan_code", "")
    page.select_option("#unmet-filter-shelter_id", world.a["id"])
    page.wait_for_function("() => document.querySelectorAll('#unmet [data-person]').length === 2", timeout=PAGE_TIMEOUT_MS)
    page.select_option("#unmet-filter-sort", "age")
    page.wait_for_function(
        "id => document.querySelector('#unmet [data-person]').dataset.person === id", arg=world.siti_adult,
        timeout=PAGE_TIMEOUT_MS)  # Siti (41) before Joko (46)


def test_what_each_shelter_lacks_now_and_its_printable_load_list(
        web_server: LiveServer, web_users: dict[str, str], page: Any, world: World,
        admin_api: httpx.Client) -> None:  # noqa: F811
    status = admin_api.get(f"/events/{world.eid}/status").json()
    row = next(s for s in status["shelters"] if s["id"] == world.b["id"])
    open_dashboard(page, web_server, web_users["pengamat"], world.eid)  # no names in it: every role sees it
    card = page.locator(f"#needs-now [data-shelter='{world.b['id']}']")
    card.wait_for(timeout=PAGE_TIMEOUT_MS)
    text = card.inner_text()
    assert "Masjid Al-Ikhlas" in text and "1 orang belum terpenuhi" in text
    assert "1 paket Paket sandang" in text and "1 paket Perlengkapan bayi" in text
    meals = card.locator(".meal")
    assert meals.count() == 3
    assert [float(meals.nth(i).get_attribute("data-due")) for i in range(3)] == [m["due"] for m in row["meals_today"]]
    assert sum(float(meals.nth(i).get_attribute("data-delivered")) for i in range(3)) == 100
    assert re.search(r"Pagi \(07:00\)|Siang \(12:00\)|Malam \(18:00\)", text)

    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    card.locator("[data-print]").click()
    sheet = page.locator("#print-sheet")
    sheet.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    assert "Daftar muatan untuk Masjid Al-Ikhlas" in sheet.inner_text()
    assert re.search(r"Dihitung (.* )?pukul \d\d\.\d\d WIB", sheet.inner_text())
    items = page.locator("#print-items tbody tr")
    assert [items.nth(i).get_attribute("data-item") for i in range(items.count())] == [
        x["item_code"] for x in row["lacking_items"]]
    assert "Pengemudi" in sheet.inner_text() and "Penerima di lokasi" in sheet.inner_text()
    page.click("#print-go")
    assert page.evaluate("() => window.__printed") == 1
    # printed, only the load list is on paper: the dashboard and the sheet's buttons are not
    page.emulate_media(media="print")
    assert page.locator("#app").is_hidden() and page.locator(".topbar").is_hidden()
    assert sheet.is_visible() and page.locator("#print-go").is_hidden()
    page.emulate_media(media="screen")
    page.click("#print-close")
    sheet.wait_for(state="hidden", timeout=PAGE_TIMEOUT_MS)
    assert page.locator("#app").is_visible()


def test_today_beside_the_event_with_the_rule_and_plain_words(
        web_server: LiveServer, web_users: dict[str, str], page: Any, world: World,
        admin_api: httpx.Client) -> None:  # noqa: F811
    status = admin_api.get(f"/events/{world.eid}/status").json()
    today = status["indicator"]["today"]["permakanan"]
    whole = status["indicator"]["services"]["permakanan"]
    open_dashboard(page, web_server, web_users["admin"], world.eid)
    box = page.locator("#today-permakanan")
    box.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert box.get_attribute("data-value") == ("" if today["percent"] is None else str(today["percent"]).removesuffix(".0"))
    assert float(box.get_attribute("data-event-value") or "nan") == pytest.approx(whole["fulfilled"] / whole["eligible"] * 100)
    assert "Permakanan hari ini" in box.text_content() and "Sepanjang kejadian" in box.text_content()
    assert f"{whole['fulfilled']} dari {whole['eligible']} orang" in page.inner_text("#event-fig")
    assert page.inner_text("#today-rule").startswith("Hari yang terlewat tetap terhitung")
    # when the figures were computed, in plain words; no "snapshot #3 · data #1.666"
    assert re.fullmatch(r"Dihitung (\d+ \w+ )?pukul \d\d\.\d\d WIB", page.inner_text("#computed-at")), page.inner_text("#computed-at")
    assert "snapshot" not in page.inner_text("body").lower()
    # the audit tab names who did what to whom, in Indonesian
    page.click("#feed-tabs [data-feed='audit']")
    page.wait_for_selector("#feed .feed-audit", timeout=PAGE_TIMEOUT_MS)
    feed = page.inner_text("#feed")
    assert "Uji Admin" in feed and "mencatat penyaluran" in feed
    assert re.search(r"mendaftarkan orang\s+Rahmat Ginting", feed), feed
    assert "person.create" not in feed and "distribution" not in feed


def test_screenshots_of_the_demo_flood(web_server: LiveServer, web_settings: Any, web_users: dict[str, str],
                                       page: Any, admin_api: httpx.Client) -> None:  # noqa: F811
    """The demo flood (500 persons): the shelter-grouped unmet list and one shelter's load list, saved."""
    import io

    from services.demo import load_demo

    summary = load_demo(web_settings, persons=500, out=io.StringIO())
    event = admin_api.get(f"/events/{summary.event_id}").json()
    status = wait_status(admin_api, summary.event_id, event["data_seq"], timeout=60)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1000})
    open_dashboard(page, web_server, web_users["admin"], summary.event_id)
    page.wait_for_selector("#unmet .unmet-group", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#today-permakanan", timeout=PAGE_TIMEOUT_MS)
    # the card from its top, at most ~1,500 px (the first groups), without the sticky top bar over it
    page.evaluate("() => window.scrollTo(0, 0)")
    box = page.locator(".card-unmet").bounding_box()
    page.screenshot(path=str(SCREENS / "unmet-grouped.png"), full_page=True,
                    clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 1500)})
    worst = max(status["shelters"], key=lambda s: sum(x["quantity"] for x in s["lacking_items"]))
    assert worst["lacking_items"], "the demo leaves some once-only items lacking"
    page.locator(f"#needs-now [data-shelter='{worst['id']}'] [data-print]").click()
    page.locator("#print-sheet").wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    page.screenshot(path=str(SCREENS / "shelter-missing.png"), full_page=False)
    page.locator("#print-close").click()
    page.locator(".card-needs-now").screenshot(path=str(SCREENS / "shelter-needs-card.png"))
    page.locator(".card-indicator").screenshot(path=str(SCREENS / "today-beside-event.png"))
    for name in ("unmet-grouped.png", "shelter-missing.png"):
        assert (SCREENS / name).stat().st_size > 10_000
