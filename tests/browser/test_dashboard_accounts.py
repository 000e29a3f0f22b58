# ruff: noqa: F811  (the fixtures `scene` and `admin_api` come from test_dashboard)
"""Accounts from the dashboard (accounts.js) in real Chromium: an admin creates an account (bad input
is answered next to each field in Indonesian) and the new user logs in; a password reset shows the new
password once, the old one is then refused and the new one works; a disabled account cannot log in
until it is enabled again; a role change and an event assignment land in the API. Other roles never
see the "Akun" button.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import (  # noqa: F401  (fixtures)
    PAGE_TIMEOUT_MS,
    Scene,
    admin_api,
    scene,
)
from tests.conftest import PASSWORD

GOOD_PASSWORD = "Kapal-Layar-Biru-77"


def sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def signs_in(browser: Any, base_url: str, username: str, password: str) -> bool:
    """A fresh browser profile logs in through the form: True when the dashboard opens, False when refused."""
    ctx = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    try:
        page = ctx.new_page()
        sign_in(page, base_url, username, password)
        page.wait_for_selector("#who:not([hidden]), #login-error:not([hidden])", timeout=PAGE_TIMEOUT_MS)
        if page.is_visible("#login-error"):
            assert "salah" in page.inner_text("#login-error").lower()
            return False
        return True
    finally:
        ctx.close()


def open_accounts(page: Any, base_url: str, admin: str) -> None:
    page.on("dialog", lambda d: d.accept())  # the confirm() before a reset or a deactivation
    sign_in(page, base_url, admin, PASSWORD)
    page.wait_for_selector("#accounts-open:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    page.click("#accounts-open")
    page.wait_for_selector("#accounts-dialog[open] #account-create-form", timeout=PAGE_TIMEOUT_MS)


def row(page: Any, username: str) -> Any:
    locator = page.locator(f"#account-list [data-username='{username}']")
    locator.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    return locator


def create_account(page: Any, username: str, role: str = "relawan") -> None:
    page.fill("#acc-username", username)
    page.fill("#acc-full-name", "Rahmat Hidayat")
    page.select_option("#acc-role", role)
    page.fill("#acc-password", GOOD_PASSWORD)
    page.click("#acc-create")
    page.wait_for_function("u => document.getElementById('accounts-msg').textContent.includes(u)", arg=username,
                           timeout=PAGE_TIMEOUT_MS)


def test_admin_creates_an_account_and_the_user_logs_in(web_server: LiveServer, web_users: dict[str, str],
                                                       page: Any, browser: Any, admin_api: httpx.Client) -> None:
    open_accounts(page, web_server.base_url, web_users["admin"])
    # bad input: each message in Indonesian, next to its field; nothing created
    page.fill("#acc-username", "Budi Besar")
    page.fill("#acc-password", "pendek")
    page.click("#acc-create")
    user_error = page.wait_for_selector("#account-create-form .field-error[data-error-for='username']",
                                        timeout=PAGE_TIMEOUT_MS)
    assert user_error.inner_text().startswith("username tidak sesuai format")
    password_error = page.locator("#account-create-form .field-error[data-error-for='password']")
    assert "kata sandi minimal 10 karakter" in password_error.inner_text()
    assert page.get_attribute("#acc-password", "aria-invalid") == "true"
    # the field's message sits right after the field
    assert page.evaluate("document.getElementById('acc-password').nextElementSibling.dataset.errorFor") == "password"

    username = f"relawan-{uuid.uuid4().hex[:8]}"
    create_account(page, username)
    assert page.locator("#account-create-form .field-error").count() == 0
    assert "Rahmat Hidayat" in row(page, username).inner_text()
    listed = admin_api.get("/users", params={"role": "relawan", "limit": 500}).json()["items"]
    assert any(u["username"] == username and u["full_name"] == "Rahmat Hidayat" for u in listed)
    assert signs_in(browser, web_server.base_url, username, GOOD_PASSWORD)


def test_reset_disable_enable_role_and_events(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                              browser: Any, admin_api: httpx.Client, scene: Scene) -> None:
    open_accounts(page, web_server.base_url, web_users["admin"])
    username = f"posko-{uuid.uuid4().hex[:8]}"
    create_account(page, username, role="relawan")
    user = next(u for u in admin_api.get("/users", params={"limit": 500}).json()["items"] if u["username"] == username)

    # reset: the new password is shown once; the old one is refused, the new one works
    row(page, username).locator("button[data-act='reset']").click()
    page.wait_for_selector("#account-new-password", timeout=PAGE_TIMEOUT_MS)
    new_password = page.inner_text("#account-new-password").strip()
    assert len(new_password) == 16 and new_password != GOOD_PASSWORD
    assert "hanya ditampilkan sekali" in page.inner_text("#account-secret")
    page.click("#account-secret button[data-act='forget']")
    assert page.locator("#account-new-password").count() == 0  # gone from the page once closed
    assert not signs_in(browser, web_server.base_url, username, GOOD_PASSWORD)
    assert signs_in(browser, web_server.base_url, username, new_password)

    # disable: the user cannot log in; enable: they can again
    row(page, username).locator("button[data-act='toggle']").click()
    page.wait_for_selector(f"#account-list [data-username='{username}'] [data-active='false']", timeout=PAGE_TIMEOUT_MS)
    assert admin_api.get(f"/users/{user['id']}").json()["is_active"] is False
    assert not signs_in(browser, web_server.base_url, username, new_password)
    row(page, username).locator("button[data-act='toggle']").click()
    page.wait_for_selector(f"#account-list [data-username='{username}'] [data-active='true']", timeout=PAGE_TIMEOUT_MS)
    assert signs_in(browser, web_server.base_url, username, new_password)

    # role change
    row(page, username).locator(f"select[data-role-for='{user['id']}']").select_option("posko")
    page.wait_for_function("() => document.getElementById('accounts-msg').textContent.includes('Petugas posko')",
                           timeout=PAGE_TIMEOUT_MS)
    assert admin_api.get(f"/users/{user['id']}").json()["role"] == "posko"

    # assign to the event, then take them off
    row(page, username).locator("button[data-act='events']").click()
    page.wait_for_selector(f"#assign-{user['id']}", timeout=PAGE_TIMEOUT_MS)
    page.select_option(f"#assign-{user['id']}", scene.id)
    page.click(f"#assign-form-{user['id']} button[type=submit]")
    page.wait_for_selector(f"#account-list [data-username='{username}'] [data-member-event='{scene.id}']",
                           timeout=PAGE_TIMEOUT_MS)
    members = admin_api.get(f"/events/{scene.id}/members", params={"limit": 500}).json()["items"]
    assert user["id"] in {m["user_id"] for m in members}
    row(page, username).locator(f"[data-member-event='{scene.id}'] button[data-act='release']").click()
    page.wait_for_selector(f"#account-list [data-username='{username}'] [data-member-event='{scene.id}']",
                           state="detached", timeout=PAGE_TIMEOUT_MS)
    members = admin_api.get(f"/events/{scene.id}/members", params={"limit": 500}).json()["items"]
    assert user["id"] not in {m["user_id"] for m in members}


def test_only_admin_sees_the_accounts_button(web_server: LiveServer, web_users: dict[str, str], page: Any) -> None:
    sign_in(page, web_server.base_url, web_users["posko"], PASSWORD)
    page.wait_for_selector("#who:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    assert page.is_hidden("#accounts-open")
