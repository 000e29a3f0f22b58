"""The dashboard shows shelter residents and persons staying mandiri (with relatives) side by side:
the two tiles beside "displaced now" and the table per kelurahan where they stay, live from the
worker's snapshot (docs/rules.md, "Mandiri stays")."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import (  # noqa: F401  (admin_api and scene are fixtures)
    PAGE_TIMEOUT_MS,
    Scene,
    add_person,
    admin_api,
    log_in,
    scene,
    shown,
    wait_shown,
    wait_status,
)

ELSEWHERE = "12.75.01.1001"  # Pahlawan, where the relatives live


def test_dashboard_shows_shelter_residents_and_mandiri_persons_per_kelurahan(
        web_server: LiveServer, web_users: dict[str, str], page: Any, scene: Scene,  # noqa: F811 (fixtures)
        admin_api: httpx.Client) -> None:  # noqa: F811
    log_in(page, web_server.base_url, web_users["pengamat"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    residents = scene.status["people"]["in_shelters_now"]
    assert residents == len(scene.names)
    seq = add_person(admin_api, scene.id, None, "Warga mandiri", mandiri={"kelurahan_code": ELSEWHERE})
    status = wait_status(admin_api, scene.id, seq)
    assert (status["people"]["in_shelters_now"], status["people"]["mandiri_now"]) == (residents, 1)
    wait_shown(page, "[data-count='mandiri_now']", 1)
    assert shown(page, "[data-count='in_shelters_now']") == str(residents)
    assert shown(page, "[data-count='displaced_now']") == str(residents + 1)
    row = page.locator(f"#staying-by-kelurahan tr[data-kelurahan='{ELSEWHERE}']")
    row.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert row.locator("[data-count='mandiri_now']").inner_text() == "1"
    assert "Pahlawan" in row.inner_text()  # the kelurahan's name, not only its code
    home = page.locator(f"#staying-by-kelurahan tr[data-kelurahan='{scene.shelter['kelurahan_code']}']")
    assert home.locator("[data-count='in_shelters_now']").inner_text() == str(residents)
