"""The posko dashboard (/) in real Chromium against a real API server and worker.

Each test makes its own event through the API (admin token from `web_server.login`) and watches it
in the page: the snapshot shown matches GET /status, a write made through the API shows up without a
reload, a dropped websocket shows "reconnecting/stale" and catches up, pengamat sees no names,
operators open and close shelters from the page, the English switch relabels the page, and the first
paint with the demo flood ×10 (5,000 persons) stays under 2 s.
"""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.config import Settings
from tests.api.live_server import LiveServer
from tests.browser.conftest import OUTPUT
from tests.conftest import PASSWORD, event_body, iso, now_wib, person_body, shelter_body

SNAPSHOT_TIMEOUT = 20.0  # the worker's recompute reaching GET /status
PAGE_TIMEOUT_MS = 10_000  # "within a few seconds" in the page
FIRST_PAINT_BUDGET_MS = 2000.0
SESSION_KEY = "posko.dashboard.session"


# ---- helpers ----

def wait_status(api: httpx.Client, event_id: str, data_seq: int, timeout: float = SNAPSHOT_TIMEOUT) -> dict[str, Any]:
    """GET /status until the worker's snapshot reflects `data_seq` (seq ≥ 1, data_seq ≥ data_seq)."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = api.get(f"/events/{event_id}/status")
        assert r.status_code == 200, r.text
        last = r.json()
        if last["seq"] >= 1 and last["data_seq"] >= data_seq:
            return last
        time.sleep(0.1)
    raise AssertionError(f"no snapshot with data_seq ≥ {data_seq} within {timeout} s; last: {last.get('seq')}, "
                         f"{last.get('data_seq')}")


def data_seq_of(response: httpx.Response) -> int:
    assert response.status_code in (200, 201), response.text
    return int(response.headers["X-Data-Seq"])


def add_person(api: httpx.Client, event_id: str, shelter_id: str | None, name: str, **over: Any) -> int:
    body = person_body(full_name=name, **over)
    if shelter_id is not None:
        body["shelter_id"] = shelter_id
    return data_seq_of(api.post(f"/events/{event_id}/persons", json=body))


class Scene:
    """An event with one shelter and a few displaced persons (nobody fed: all unmet)."""

    def __init__(self, api: httpx.Client, tag: str, persons: int = 3) -> None:
        self.api = api
        self.name = f"Banjir uji {tag} {uuid.uuid4().hex[:6]}"
        r = api.post("/events", json=event_body(name=self.name, started_at=iso(now_wib() - timedelta(days=2))))
        assert r.status_code == 201, r.text
        self.event = r.json()
        self.id = self.event["id"]
        r = api.post(f"/events/{self.id}/shelters", json=shelter_body(name=f"Posko {tag}", capacity_persons=50))
        assert r.status_code == 201, r.text
        self.shelter = r.json()
        self.names = [f"Warga {tag} {i} {uuid.uuid4().hex[:4]}" for i in range(persons)]
        seq = 0
        for i, name in enumerate(self.names):
            seq = add_person(api, self.id, self.shelter["id"], name, sex="L" if i % 2 else "P")
        self.status = wait_status(api, self.id, seq)


@pytest.fixture(scope="module")
def admin_api(web_server: LiveServer, web_users: dict[str, str]) -> Iterator[httpx.Client]:
    with web_server.client(web_server.login(web_users["admin"], PASSWORD)) as client:
        yield client


@pytest.fixture
def scene(admin_api: httpx.Client, request: pytest.FixtureRequest) -> Scene:
    return Scene(admin_api, request.node.name[5:25])


def log_in(page: Any, base_url: str, username: str, event_id: str | None = None) -> None:
    """Through the form, as a person would; with `event_id` the page opens that event afterwards."""
    page.goto(base_url + "/" + (f"#event={event_id}" if event_id else ""))
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")


def pick_event(page: Any, event_id: str) -> None:
    """Pick the event from the list shown after login (the picker, or the select in the top bar)."""
    picker = page.locator(f"#picker-list [data-event='{event_id}']")
    try:
        picker.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
        picker.click()
    except Exception:  # only one event: the dashboard opened it already; or pick from the top bar
        page.select_option("#event-select", event_id)
    page.wait_for_function("id => document.body.dataset.eventId === id", arg=event_id, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)


def wait_live(page: Any) -> None:
    page.wait_for_selector("#live[data-state='live']", timeout=PAGE_TIMEOUT_MS)


def shown(page: Any, selector: str) -> str:
    """The raw value a part of the page shows (data-value, independent of number formatting)."""
    return str(page.get_attribute(selector, "data-value"))


def wait_shown(page: Any, selector: str, value: object) -> None:
    page.wait_for_function(
        "([sel, v]) => { const el = document.querySelector(sel); return el && el.dataset.value === v; }",
        arg=[selector, str(value)], timeout=PAGE_TIMEOUT_MS)


def assert_counts_match(page: Any, status: dict[str, Any]) -> None:
    people = status["people"]
    for key in ("registered", "displaced_now", "returned", "affected", "injured", "missing", "dead"):
        assert shown(page, f"[data-count='{key}']") == str(people[key]), key
    for sex in ("L", "P"):
        assert shown(page, f"[data-count='by_sex.{sex}']") == str(people["by_sex"][sex]), sex
    for group, n in people["vulnerable"].items():
        assert shown(page, f"[data-count='vulnerable.{group}']") == str(n), group
    percent = status["indicator"]["percent"]
    on_page = shown(page, "#indicator-percent")
    assert (on_page == "") if percent is None else (float(on_page) == percent), (on_page, percent)
    assert page.get_attribute("#indicator-of", "data-eligible") == str(status["indicator"]["eligible"])
    assert page.get_attribute("#indicator-of", "data-fulfilled") == str(status["indicator"]["fulfilled"])


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Uncaught script errors of the page (a broken module shows here, not as a failed assertion)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


# ---- tests ----

def test_wrong_password_is_refused_with_a_message(web_server: LiveServer, web_users: dict[str, str], page: Any) -> None:
    """A wrong password keeps the login form and says why; nothing is stored as a session."""
    page.goto(web_server.base_url + "/")
    page.fill("#login-username", web_users["admin"])
    page.fill("#login-password", "salah-sekali")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    assert "salah" in page.inner_text("#login-error").lower()
    assert page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") is None
    assert page.is_visible("#view-login")


def test_admin_logs_in_picks_the_event_and_sees_its_snapshot(web_server: LiveServer, web_users: dict[str, str],
                                                            page: Any, scene: Scene, admin_api: httpx.Client,
                                                            console_errors: list[str]) -> None:
    """Login form → event picker → the indicator, people counts, needs, shelters and unmet names of GET /status."""
    report_calls: list[str] = []  # a names report is audited: the dashboard must not fetch one per load
    page.on("request", lambda r: report_calls.append(r.url) if "/report" in r.url else None)
    log_in(page, web_server.base_url, web_users["admin"])
    page.wait_for_selector("#view-picker:not([hidden]), #view-dash:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    pick_event(page, scene.id)
    status = admin_api.get(f"/events/{scene.id}/status").json()
    assert_counts_match(page, status)
    assert page.inner_text("#event-name") == scene.name
    assert scene.shelter["name"] in page.inner_text("#shelters")
    # nobody was fed: the indicator is red and every person is listed with what they lack
    assert page.get_attribute("#indicator-box", "data-level") == "bad"
    page.wait_for_selector("#unmet-total", timeout=PAGE_TIMEOUT_MS)
    assert shown(page, "#unmet-total") == str(admin_api.get(f"/events/{scene.id}/unmet").json()["total"])
    unmet_text = page.inner_text("#unmet")
    for name in scene.names:
        assert name in unmet_text
    assert "Permakanan" in unmet_text
    # needs per item, one row per item of the snapshot, short items flagged
    for need in status["needs"]:
        row = page.locator(f"#needs tr[data-item='{need['item_code']}']")
        assert row.count() == 1
        if need["required"] > 0 and need["delivered"] < need["required"]:
            assert "row--bad" in (row.get_attribute("class") or "")
    # the chart has today's point: a bar of displaced persons, kept in localStorage for the next days
    assert page.locator("#chart svg.chart-svg rect.bar").count() >= 1
    kept = json.loads(page.evaluate(f"localStorage.getItem('posko.daily.{scene.id}')"))
    assert [p["displaced"] for p in kept.values()] == [status["people"]["displaced_now"]]
    # who is logged in, and the live indicator is on
    assert "admin" in page.inner_text("#who")
    wait_live(page)
    assert console_errors == []
    assert report_calls == []


def test_page_updates_without_reload_after_a_write_through_the_api(web_server: LiveServer, web_users: dict[str, str],
                                                                  page: Any, scene: Scene,
                                                                  admin_api: httpx.Client) -> None:
    """A person registered through the API appears in the counts within seconds; the page is not reloaded."""
    log_in(page, web_server.base_url, web_users["admin"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    wait_live(page)
    page.evaluate("window.__sameDocument = 'yes'")
    before = int(shown(page, "[data-count='registered']"))
    seq = add_person(admin_api, scene.id, scene.shelter["id"], "Warga baru langsung", sex="L")
    started = time.monotonic()
    wait_shown(page, "[data-count='registered']", before + 1)
    print(f"\nlive update visible {time.monotonic() - started:.2f} s after the write answered")
    page.wait_for_function("s => Number(document.getElementById('data-seq').dataset.value) >= s", arg=seq,
                           timeout=PAGE_TIMEOUT_MS)
    assert page.evaluate("window.__sameDocument") == "yes"  # same document: no reload happened
    assert shown(page, "[data-count='displaced_now']") == str(scene.status["people"]["displaced_now"] + 1)
    # the unmet list and the feed follow the snapshot too
    page.wait_for_function("() => document.getElementById('unmet').innerText.includes('Warga baru langsung')",
                           timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function("() => document.getElementById('feed').innerText.includes('Warga baru langsung')",
                           timeout=PAGE_TIMEOUT_MS)


def test_dropped_websocket_shows_reconnecting_and_catches_up(web_server: LiveServer, web_users: dict[str, str],
                                                             context: Any, page: Any, scene: Scene,
                                                             admin_api: httpx.Client) -> None:
    """Offline: the indicator leaves "live"; writes made meanwhile appear once the page reconnects (last_seq)."""
    log_in(page, web_server.base_url, web_users["admin"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    wait_live(page)
    page.evaluate("window.__sameDocument = 'yes'")
    before = int(shown(page, "[data-count='registered']"))
    seq_before = int(shown(page, "#data-seq"))
    context.set_offline(True)
    page.wait_for_selector("#live[data-state='reconnecting'], #live[data-state='stale']", timeout=PAGE_TIMEOUT_MS)
    label_offline = page.inner_text("#live")
    seq = 0
    for i in range(2):
        seq = add_person(admin_api, scene.id, scene.shelter["id"], f"Warga saat putus {i}")
    wait_status(admin_api, scene.id, seq)
    time.sleep(1.0)  # a snapshot would have reached a connected page by now
    assert int(shown(page, "[data-count='registered']")) == before, "an offline page cannot have received it"
    assert int(shown(page, "#data-seq")) == seq_before
    assert page.get_attribute("#live", "data-state") in ("reconnecting", "stale")
    context.set_offline(False)
    wait_live(page)
    wait_shown(page, "[data-count='registered']", before + 2)
    assert page.evaluate("window.poskoDashboard.live.reconnects") >= 1
    assert page.evaluate("window.__sameDocument") == "yes"
    print(f"\nwhile offline the indicator read {label_offline!r}")


def test_closed_socket_reconnects_by_itself(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                           scene: Scene, admin_api: httpx.Client) -> None:
    """A socket closed under the page (not by the browser going offline) is reopened with backoff."""
    log_in(page, web_server.base_url, web_users["admin"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    wait_live(page)
    states: list[str] = page.evaluate("""() => {
        window.__states = [];
        new MutationObserver(() => window.__states.push(document.getElementById('live').dataset.state))
          .observe(document.getElementById('live'), {attributes: true, attributeFilter: ['data-state']});
        window.poskoDashboard.live.drop();
        return window.__states;
    }""")
    assert states == []
    page.wait_for_function("() => window.__states.includes('reconnecting')", timeout=PAGE_TIMEOUT_MS)
    wait_live(page)
    before = int(shown(page, "[data-count='registered']"))
    add_person(admin_api, scene.id, scene.shelter["id"], "Warga setelah sambung ulang")
    wait_shown(page, "[data-count='registered']", before + 1)


def test_pengamat_sees_counts_but_no_names(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                          scene: Scene, admin_api: httpx.Client) -> None:
    """pengamat: the snapshot yes; the unmet list is replaced by its totals per place and a note, no
    person's name anywhere on the page."""
    unmet_requests: list[int] = []
    group_requests: list[int] = []
    page.on("response", lambda r: (group_requests if "/unmet/groups" in r.url else unmet_requests).append(r.status)
            if "/unmet" in r.url else None)
    log_in(page, web_server.base_url, web_users["pengamat"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#unmet-hidden", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#feed .feed-note", timeout=PAGE_TIMEOUT_MS)
    body = page.inner_text("body")
    for name in scene.names:
        assert name not in body
    assert shown(page, "[data-count='registered']") == str(scene.status["people"]["registered"])
    assert page.is_hidden("#ops")  # no operator actions for observers
    assert all(code == 403 for code in unmet_requests)  # never a list of names answered
    assert group_requests and all(code == 200 for code in group_requests)  # the totals per place instead
    page.wait_for_selector("#unmet-group-counts .unmet-group", timeout=PAGE_TIMEOUT_MS)
    groups = admin_api.get(f"/events/{scene.id}/unmet/groups").json()["groups"]
    shown_totals = page.eval_on_selector_all("#unmet-group-counts [data-group-total]",
                                             "els => els.map((e) => Number(e.dataset.groupTotal))")
    assert shown_totals == [g["total"] for g in groups] and sum(shown_totals) > 0
    assert page.is_hidden("#unmet-filter-shelter_id") and page.is_visible("#unmet-filter-service")
    # the aggregate stays: how many are not fulfilled, from the snapshot
    status = admin_api.get(f"/events/{scene.id}/status").json()
    assert shown(page, "#unmet-total") == str(status["indicator"]["eligible"] - status["indicator"]["fulfilled"])
    # the chart takes the day-by-day series of the (names-free) event report: yesterday and today
    page.wait_for_function("() => document.querySelectorAll('#chart rect.bar').length >= 2", timeout=PAGE_TIMEOUT_MS)


def test_operator_opens_and_closes_a_shelter_from_the_page(web_server: LiveServer, web_users: dict[str, str],
                                                           page: Any, scene: Scene, admin_api: httpx.Client) -> None:
    """posko fills the shelter form: the shelter exists in the API and appears in the table; closing it sets closed_at."""
    name = f"Masjid Uji {uuid.uuid4().hex[:6]}"
    log_in(page, web_server.base_url, web_users["posko"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#ops:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    page.fill("#sh-name", name)
    page.select_option("#sh-kind", "rumah_ibadah")
    page.fill("#sh-cap", "80")
    page.fill("#sh-area", "200")
    page.fill("#sh-toilets", "3")
    page.click("#shelter-form button[type=submit]")
    page.wait_for_function("n => document.getElementById('shelter-msg').innerText.includes(n)", arg=name,
                           timeout=PAGE_TIMEOUT_MS)
    shelters = admin_api.get(f"/events/{scene.id}/shelters").json()["items"]
    made = [s for s in shelters if s["name"] == name]
    assert len(made) == 1, shelters
    assert made[0]["capacity_persons"] == 80 and made[0]["toilets"] == 3 and made[0]["kind"] == "rumah_ibadah"
    assert made[0]["kelurahan_code"] in scene.event["kelurahan_codes"]
    # the snapshot (recomputed by the worker) brings it into the shelters table without reload
    page.wait_for_selector(f"#shelters tr[data-shelter='{made[0]['id']}']", timeout=PAGE_TIMEOUT_MS)
    # close it from the operator list
    page.once("dialog", lambda d: d.accept())
    page.click(f"[data-close-shelter='{made[0]['id']}']")
    page.wait_for_selector(f"[data-ops-shelter='{made[0]['id']}'].is-closed", timeout=PAGE_TIMEOUT_MS)
    closed = admin_api.get(f"/events/{scene.id}/shelters/{made[0]['id']}").json()
    assert closed["closed_at"] is not None


def test_operator_assigns_a_volunteer_and_changes_the_event_status(web_server: LiveServer, web_users: dict[str, str],
                                                                   page: Any, scene: Scene,
                                                                   admin_api: httpx.Client) -> None:
    """posko assigns a relawan (POST members) and moves the event to transisi_darurat (PATCH, allowed transition)."""
    relawan = admin_api.get("/users", params={"role": "relawan", "limit": 500}).json()["items"]
    target = next(u for u in relawan if u["username"] == web_users["relawan"])
    log_in(page, web_server.base_url, web_users["posko"], scene.id)
    page.wait_for_selector("#ops:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(f"#member-select option[value='{target['id']}']", state="attached", timeout=PAGE_TIMEOUT_MS)
    page.select_option("#member-select", str(target["id"]))
    page.click("#member-form button[type=submit]")
    page.wait_for_selector(f"#ops-members [data-member='{target['id']}']", timeout=PAGE_TIMEOUT_MS)
    members = admin_api.get(f"/events/{scene.id}/members").json()["items"]
    assert [m["user_id"] for m in members] == [target["id"]]
    # only allowed transitions are offered: tanggap_darurat → transisi_darurat | selesai
    options = page.eval_on_selector_all("#status-select option", "els => els.map(e => e.value)")
    assert options == ["transisi_darurat", "selesai"]
    page.select_option("#status-select", "transisi_darurat")
    page.click("#status-form button[type=submit]")
    wait_shown(page, "#event-status", "transisi_darurat")
    assert admin_api.get(f"/events/{scene.id}").json()["status"] == "transisi_darurat"
    assert page.eval_on_selector_all("#status-select option", "els => els.map(e => e.value)") == ["selesai"]


def test_operator_opens_a_new_event_from_the_page(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                                  admin_api: httpx.Client) -> None:
    """The new-event dialog posts name, kind, start and kelurahan; the page then shows the new event."""
    name = f"Tanah longsor uji {uuid.uuid4().hex[:6]}"
    log_in(page, web_server.base_url, web_users["posko"])
    page.wait_for_selector("#view-picker:not([hidden]), #view-dash:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    # the picker's button, or the operator panel's once an event is open: whichever the page shows first
    page.click("#picker-new-event:visible, #ops-new-event:visible", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#ev-kel input[name=kel]", timeout=PAGE_TIMEOUT_MS)
    page.fill("#ev-name", name)
    page.select_option("#ev-kind", "tanah_longsor")
    boxes = page.locator("#ev-kel input[name=kel]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("#event-submit")
    page.wait_for_function("n => document.getElementById('event-name').innerText === n", arg=name,
                           timeout=PAGE_TIMEOUT_MS)
    events = admin_api.get("/events", params={"limit": 500}).json()["items"]
    made = [e for e in events if e["name"] == name]
    assert len(made) == 1
    assert made[0]["kind"] == "tanah_longsor" and len(made[0]["kelurahan_codes"]) == 2
    assert made[0]["status"] == "tanggap_darurat"
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    assert shown(page, "[data-count='registered']") == "0"


def test_english_switch_changes_the_labels_and_is_remembered(web_server: LiveServer, web_users: dict[str, str],
                                                             page: Any, scene: Scene) -> None:
    """EN relabels static and rendered text; the choice survives a reload (localStorage); ID switches back."""
    log_in(page, web_server.base_url, web_users["admin"], scene.id)
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    assert page.inner_text("#ind-title") == "Korban terpenuhi kebutuhan dasarnya"
    assert "Mengungsi sekarang" in page.inner_text("#people")
    assert page.evaluate("document.documentElement.lang") == "id"
    page.click(".lang-btn[data-lang='en']")
    assert page.inner_text("#ind-title") == "Victims whose basic needs are met"
    assert "Displaced now" in page.inner_text("#people")
    assert "Mengungsi sekarang" not in page.inner_text("#people")
    assert "Needs per item" in page.inner_text("#needs-title")
    assert "Required" in (page.text_content("#needs") or "")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    page.wait_for_selector("#indicator-percent", timeout=PAGE_TIMEOUT_MS)
    assert "Displaced now" in page.inner_text("#people")
    page.click(".lang-btn[data-lang='id']")
    assert "Mengungsi sekarang" in page.inner_text("#people")


def test_logout_forgets_the_session(web_server: LiveServer, web_users: dict[str, str], page: Any, scene: Scene) -> None:
    """Logging out closes the live socket, clears the token and returns to the login form."""
    log_in(page, web_server.base_url, web_users["admin"], scene.id)
    wait_live(page)
    page.click("#logout")
    page.wait_for_selector("#view-login:not([hidden])", timeout=PAGE_TIMEOUT_MS)
    assert page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") is None
    page.reload()
    page.wait_for_selector("#view-login:not([hidden])", timeout=PAGE_TIMEOUT_MS)


def test_first_paint_with_5000_persons_is_under_two_seconds(web_server: LiveServer, web_settings: Settings,
                                                           browser: Any, admin_api: httpx.Client,
                                                           web_users: dict[str, str]) -> None:
    """The demo flood ×10: from navigation to the snapshot rendered (a performance mark) in < 2 s, cold cache."""
    from services.demo import load_demo

    summary = load_demo(web_settings, persons=5000, out=io.StringIO())
    event = admin_api.get(f"/events/{summary.event_id}").json()
    status = wait_status(admin_api, summary.event_id, event["data_seq"], timeout=60)
    assert status["people"]["registered"] == 5000
    token = web_server.login(web_users["admin"], PASSWORD)
    session = json.dumps({"token": token, "role": "admin", "username": web_users["admin"]})
    figures: list[dict[str, float]] = []
    for _ in range(2):  # two cold loads (fresh profile each): report the slower
        ctx = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1280, "height": 900})
        ctx.add_init_script(f"sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(session)});")
        page = ctx.new_page()
        try:
            page.goto(f"{web_server.base_url}/#event={summary.event_id}")
            page.wait_for_function("() => performance.getEntriesByName('posko:snapshot-rendered').length > 0",
                                   timeout=15_000)
            figures.append(page.evaluate("""() => ({
                snapshot: performance.getEntriesByName('posko:snapshot-rendered')[0].startTime,
                fcp: (performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint') || {}).startTime ?? null,
            })"""))
            assert shown(page, "[data-count='registered']") == "5000"
            page.wait_for_selector("#unmet-total", timeout=PAGE_TIMEOUT_MS)
            assert len(re.findall(r"data-person=", page.inner_html("#unmet"))) == 50  # one page of 50, not thousands
            if not figures[-1]["fcp"]:
                figures[-1]["fcp"] = -1.0
        finally:
            OUTPUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUTPUT / "dashboard-5000.png"), full_page=False)
            ctx.close()
    worst = max(f["snapshot"] for f in figures)
    runs = ", ".join(f"{f['snapshot']:.0f}" for f in figures)
    fcps = ", ".join(f"{f['fcp']:.0f}" for f in figures)
    line = (f"dashboard first paint with 5000 persons: snapshot rendered at {worst:.0f} ms after navigation "
            f"(runs: {runs} ms; first-contentful-paint: {fcps} ms; budget {FIRST_PAINT_BUDGET_MS:.0f} ms)")
    print("\n" + line)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "first_paint.txt").write_text(line + "\n")
    assert worst < FIRST_PAINT_BUDGET_MS, line

