"""The office screens of the dashboard ("Data kantor"): a posko operator adds a TAGANA volunteer with a
training and records a preparedness activity, and the Renstra view shows the rows change with where their
numbers came from (headless Chromium against a real server)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import PAGE_TIMEOUT_MS, log_in
from tests.conftest import KELURAHAN, now_wib


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Uncaught script errors of the page (a broken module shows here, not as a failed assertion)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def renstra_value(page: Any, code: str) -> float:
    cell = page.locator(f"#renstra-table tr[data-code='{code}'] td[data-value]")
    raw = cell.get_attribute("data-value")
    return float(raw) if raw else 0.0


def open_tab(page: Any, tab: str) -> None:
    page.click(f"[data-office-tab='{tab}']")


def wait_renstra(page: Any, code: str, value: float) -> None:
    page.wait_for_function(
        "([code, v]) => { const c = document.querySelector(`#renstra-table tr[data-code='${code}'] td[data-value]`);"
        " return c && Number(c.dataset.value || 0) === v; }", arg=[code, value], timeout=PAGE_TIMEOUT_MS)


def test_volunteer_and_activity_change_the_renstra_rows_with_their_provenance(
        web_server: LiveServer, web_users: dict[str, str], page: Any, console_errors: list[str]) -> None:
    today = now_wib().date().isoformat()
    name = f"Relawan Uji {uuid.uuid4().hex[:6]}"
    log_in(page, web_server.base_url, web_users["posko"])
    page.click("#office-open", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#renstra-table tr[data-code='kompetensi_tagana']", timeout=PAGE_TIMEOUT_MS)
    row = page.locator("#renstra-table tr[data-code='kompetensi_tagana']")
    assert row.get_attribute("data-kind") == "register"
    before_tagana = renstra_value(page, "kompetensi_tagana")
    before_kie = renstra_value(page, "penyuluhan_kie")
    assert page.locator("#renstra-table tr[data-code='penyediaan_makanan']").get_attribute("data-kind") == "events"

    # a volunteer, then a training completed today
    open_tab(page, "tagana")
    page.wait_for_selector("#tagana-form", timeout=PAGE_TIMEOUT_MS)
    page.fill("#tg-name", name)
    page.select_option("#tg-level", "muda")
    page.fill("#tg-phone", "0812 7000 5555")
    page.select_option("#tg-kel", KELURAHAN)
    page.click("#tagana-submit")
    volunteer = page.locator("#tagana-table tr", has_text=name)
    volunteer.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "081270005555" in volunteer.inner_text()
    volunteer.locator("[data-edit]").click()
    page.wait_for_selector("#training-form", timeout=PAGE_TIMEOUT_MS)
    page.fill("#tr-title", "Diklat Dasar TAGANA")
    page.fill("#tr-start", today)
    page.fill("#tr-end", today)
    page.fill("#tr-cert", "SERT/UJI/001")
    page.click("#training-submit")
    page.locator("#tagana-trainings", has_text="Diklat Dasar TAGANA").wait_for(timeout=PAGE_TIMEOUT_MS)
    page.locator("#tagana-table tr", has_text=name).locator("[data-count='trainings'][data-value='1']").wait_for(
        timeout=PAGE_TIMEOUT_MS)

    # an activity: first refused in Indonesian (nobody attended), then recorded
    open_tab(page, "kegiatan")
    page.wait_for_selector("#kegiatan-form", timeout=PAGE_TIMEOUT_MS)
    page.select_option("#kg-kind", "sosialisasi_kie")
    page.fill("#kg-title", "Sosialisasi siaga banjir")
    page.fill("#kg-date", today)
    page.select_option("#kg-kel", KELURAHAN)
    page.fill("#kg-evidence", "BA 460/77/2026")
    page.fill("#kg-male", "0")
    page.fill("#kg-female", "0")
    page.click("#kegiatan-submit")
    error = page.locator("#kegiatan-error")
    error.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    assert "minimal 1" in error.inner_text()
    page.fill("#kg-male", "10")
    page.fill("#kg-female", "15")
    page.click("#kegiatan-submit")
    page.locator("#kegiatan-table tr", has_text="Sosialisasi siaga banjir").wait_for(timeout=PAGE_TIMEOUT_MS)

    # the Renstra rows follow, and say where their numbers came from
    open_tab(page, "renstra")
    wait_renstra(page, "kompetensi_tagana", before_tagana + 1)
    wait_renstra(page, "penyuluhan_kie", before_kie + 25)
    tagana_row = page.locator("#renstra-table tr[data-code='kompetensi_tagana']").inner_text()
    kie_row = page.locator("#renstra-table tr[data-code='penyuluhan_kie']").inner_text()
    assert "Dihitung dari register TAGANA" in tagana_row
    assert "Dihitung dari register kegiatan kesiapsiagaan" in kie_row
    assert "Belum ada data" in page.locator("#renstra-table tr[data-code='pemetaan_rawan_konflik']").inner_text()
    assert console_errors == []


def test_pengamat_sees_activities_and_renstra_but_not_the_roster(web_server: LiveServer, web_users: dict[str, str],
                                                                 page: Any) -> None:
    log_in(page, web_server.base_url, web_users["pengamat"])
    page.click("#office-open", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#renstra-table", timeout=PAGE_TIMEOUT_MS)
    assert page.locator("[data-office-tab='tagana']").is_hidden()
    open_tab(page, "kegiatan")
    page.wait_for_selector("#kegiatan-table", timeout=PAGE_TIMEOUT_MS)
    assert page.locator("#kegiatan-form").count() == 0  # reads, does not write


def test_admin_types_in_a_manual_row_and_sees_it_with_its_provenance(
        web_server: LiveServer, web_users: dict[str, str], page: Any, console_errors: list[str]) -> None:
    code = "monev_keserasian_sosial"  # typed in by hand (its Renstra sentence is "manual")
    log_in(page, web_server.base_url, web_users["admin"])
    page.click("#office-open", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(f"#renstra-table tr[data-code='{code}']", timeout=PAGE_TIMEOUT_MS)
    row = page.locator(f"#renstra-table tr[data-code='{code}']")
    assert row.get_attribute("data-kind") in ("manual", "none")
    # rows computed from events or from a register have no edit action
    for computed in ("penyediaan_makanan", "kompetensi_tagana"):
        assert page.locator(f"#renstra-table tr[data-code='{computed}'] [data-manual-edit]").count() == 0

    row.locator("[data-manual-edit]").click()
    page.wait_for_selector("#renstra-manual-form", timeout=PAGE_TIMEOUT_MS)
    # a negative value: refused by the server, its Indonesian message under the field, nothing saved
    page.fill("#rm-value", "-3")
    page.click("#renstra-manual-submit")
    error = page.locator("#renstra-manual-form [data-error-for='value']")
    error.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "minimal 0" in error.inner_text()
    assert page.locator("#rm-value").get_attribute("aria-invalid") == "true"
    page.fill("#rm-value", "4")
    page.fill("#rm-budget", "-1")
    page.click("#renstra-manual-submit")
    page.locator("#renstra-manual-form [data-error-for='budget_realisation']", has_text="minimal 0").wait_for(
        timeout=PAGE_TIMEOUT_MS)

    # a good value and budget: the row shows them and who typed them in
    page.fill("#rm-value", "4")
    page.fill("#rm-budget", "1250000")
    page.click("#renstra-manual-submit")
    wait_renstra(page, code, 4)
    page.wait_for_selector("#renstra-manual-form", state="detached", timeout=PAGE_TIMEOUT_MS)
    row = page.locator(f"#renstra-table tr[data-code='{code}']")
    assert row.get_attribute("data-kind") == "manual"
    assert row.locator("td[data-budget]").get_attribute("data-budget") == "1250000"
    text = row.inner_text()
    assert "Diisi manual oleh Uji Admin" in text
    assert web_users["admin"] in text
    assert console_errors == []


def test_posko_gets_no_edit_action_on_renstra_rows(web_server: LiveServer, web_users: dict[str, str],
                                                   page: Any) -> None:
    log_in(page, web_server.base_url, web_users["posko"])
    page.click("#office-open", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#renstra-table tr[data-code='pelopor_perdamaian']", timeout=PAGE_TIMEOUT_MS)
    assert page.locator("#renstra-table [data-manual-edit]").count() == 0  # the API is admin only (403)
