"""Both faces are served by the API itself and load in real Chromium without any outside asset."""

from typing import Any

from tests.api.live_server import LiveServer


def test_pages_load_without_outside_requests(web_server: LiveServer, page: Any) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(web_server.base_url) else None)
    for path in ("/", "/lapangan"):
        response = page.goto(web_server.base_url + path)
        assert response is not None and response.status == 200
        page.wait_for_load_state("networkidle")
    assert outside == [], f"requests left the machine: {outside}"
