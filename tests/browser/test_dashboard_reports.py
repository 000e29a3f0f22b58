"""Reports from the dashboard (downloads.js) in real Chromium: the event report as PDF, XLSX and CSV (also
as of an earlier moment), an HXL export and the Renstra report of a year are downloaded through the
page (fetch with the bearer token, saved under the server's file name), then opened and checked
against the API's own figures; a refused request shows its Indonesian message next to the field.
"""

# ruff: noqa: F811  (the fixtures `scene` and `admin_api` come from test_dashboard)

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pypdf

from tests.api.live_server import LiveServer
from tests.browser.test_dashboard import (  # noqa: F401  (fixtures)
    PAGE_TIMEOUT_MS,
    Scene,
    admin_api,
    log_in,
    pick_event,
    scene,
)
from tests.conftest import PASSWORD


def open_reports(page: Any, base_url: str, username: str, event_id: str) -> None:
    log_in(page, base_url, username)
    pick_event(page, event_id)
    page.wait_for_selector("#reports-card:not([hidden]) #rep-download", timeout=PAGE_TIMEOUT_MS)


def fetch_file(page: Any, button: str, tmp_path: Path) -> tuple[str, bytes]:
    """Click a download button; → (the file name the browser saved under, the file's bytes)."""
    with page.expect_download(timeout=PAGE_TIMEOUT_MS * 3) as info:
        page.click(button)
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    page.wait_for_selector("#reports-msg.form-msg--ok", timeout=PAGE_TIMEOUT_MS)
    assert download.suggested_filename in page.inner_text("#reports-msg")
    return download.suggested_filename, target.read_bytes()


def server_filename(api: httpx.Client, path: str, **params: str) -> str:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    disposition = r.headers["Content-Disposition"]
    return disposition.split('filename="', 1)[1].split('"', 1)[0]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def registered_in_csv(rows: list[list[str]]) -> int:
    """The `registered` figure of the report's people section."""
    in_people = False
    for row in rows:
        if row and row[0].startswith("section:"):
            in_people = row[0] == "section:people"
        elif in_people and "registered" in row:
            return int(float(row[-1]))
    raise AssertionError("no registered row in the people section")


def test_event_report_pdf_xlsx_csv_download_and_read(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                                     scene: Scene, admin_api: httpx.Client, tmp_path: Path) -> None:
    open_reports(page, web_server.base_url, web_users["admin"], scene.id)
    report = admin_api.get(f"/events/{scene.id}/report").json()
    registered = report["people"]["registered"]
    assert registered == len(scene.names)

    page.select_option("#rep-format", "pdf")
    name, body = fetch_file(page, "#rep-download", tmp_path)
    assert name == server_filename(admin_api, f"/events/{scene.id}/report", format="pdf") and name.endswith(".pdf")
    pdf_text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert scene.name in " ".join(pdf_text.split()), pdf_text[:500]
    assert scene.shelter["name"] in pdf_text

    page.select_option("#rep-format", "xlsx")
    name, body = fetch_file(page, "#rep-download", tmp_path)
    assert name.endswith(".xlsx") and name == server_filename(admin_api, f"/events/{scene.id}/report", format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert scene.name in {str(c) for c in cells}
    assert scene.shelter["name"] in {str(c) for c in cells}
    people_rows = [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                   if any(isinstance(c, str) and c.strip() == "Terdaftar" for c in row)]
    assert any(registered in row for row in people_rows), people_rows

    page.select_option("#rep-format", "csv")
    name, body = fetch_file(page, "#rep-download", tmp_path)
    assert name.endswith(".csv")
    rows = csv_rows(body)
    assert any(scene.name in row for row in rows)
    assert registered_in_csv(rows) == registered


def section_rows(rows: list[list[str]], key: str) -> list[dict[str, str]]:
    """The data rows of one `section:<key>` block, as dicts by the block's header row."""
    out: list[dict[str, str]] = []
    header: list[str] | None = None
    inside = False
    for row in rows:
        if row and row[0].startswith("section:"):
            inside, header = row[0] == f"section:{key}", None
        elif inside and row:
            if header is None:
                header = row
            else:
                out.append(dict(zip(header, row, strict=False)))
    return out


def test_event_report_as_of_an_earlier_moment(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                              scene: Scene, admin_api: httpx.Client, tmp_path: Path) -> None:
    """The as_of picker: a report as of an hour after the start describes that moment: its file is named
    after that day and its day-by-day series stops there (one day, where the report of now has three)."""
    open_reports(page, web_server.base_url, web_users["admin"], scene.id)
    started = datetime.fromisoformat(scene.event["started_at"]).astimezone()
    moment = (started + timedelta(hours=1)).astimezone(datetime.now().astimezone().tzinfo)
    wib = moment.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+07:00").tzinfo)
    page.fill("#rep-as-of", wib.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#rep-format", "csv")
    name, body = fetch_file(page, "#rep-download", tmp_path)
    as_of = wib.replace(second=0, microsecond=0).isoformat()
    then = admin_api.get(f"/events/{scene.id}/report", params={"as_of": as_of}).json()
    now = admin_api.get(f"/events/{scene.id}/report").json()
    assert datetime.fromisoformat(then["as_of"]) == wib.replace(second=0, microsecond=0)
    assert len(then["daily"]) < len(now["daily"])
    daily = section_rows(csv_rows(body), "daily")
    assert [d["date"] for d in daily] == [d["date"] for d in then["daily"]]
    assert wib.strftime("%Y%m%d") in name
    assert name == server_filename(admin_api, f"/events/{scene.id}/report", format="csv", as_of=as_of)


def test_hxl_and_renstra_downloads(web_server: LiveServer, web_users: dict[str, str], page: Any, scene: Scene,
                                   admin_api: httpx.Client, tmp_path: Path) -> None:
    open_reports(page, web_server.base_url, web_users["admin"], scene.id)
    page.select_option("#hxl-dataset", "shelters")
    name, body = fetch_file(page, "#hxl-download", tmp_path)
    assert name == server_filename(admin_api, f"/events/{scene.id}/export.hxl.csv", dataset="shelters")
    rows = csv_rows(body)
    assert rows[1] and all(tag.startswith("#") for tag in rows[1] if tag), rows[:2]  # the HXL hashtag row
    assert any(scene.shelter["name"] in row for row in rows[2:])

    year = str(datetime.now().year)
    page.fill("#renstra-year", year)
    page.select_option("#renstra-format", "xlsx")
    name, body = fetch_file(page, "#renstra-download", tmp_path)
    assert name == f"renstra-penanganan-bencana-{year}.xlsx"
    renstra = admin_api.get("/reports/renstra", params={"year": year}).json()
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    texts = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None}
    for indicator in renstra["indicators"][:3]:
        assert indicator["name"] in texts, indicator["name"]


def test_refused_downloads_say_why_next_to_the_field(web_server: LiveServer, web_users: dict[str, str], page: Any,
                                                     scene: Scene, tmp_path: Path) -> None:
    open_reports(page, web_server.base_url, web_users["admin"], scene.id)
    tomorrow = datetime.now().astimezone() + timedelta(days=1)
    page.fill("#rep-as-of", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    downloads: list[Any] = []
    page.on("download", lambda d: downloads.append(d))
    page.click("#rep-download")
    error = page.wait_for_selector("#report-event-form .field-error[data-error-for='as_of']", timeout=PAGE_TIMEOUT_MS)
    assert "masa depan" in error.inner_text()
    assert page.get_attribute("#rep-as-of", "aria-invalid") == "true"
    assert "gagal diunduh" in page.inner_text("#reports-msg")
    page.fill("#renstra-year", "1999")
    page.click("#renstra-download")
    error = page.wait_for_selector("#report-renstra-form .field-error[data-error-for='year']", timeout=PAGE_TIMEOUT_MS)
    assert "tahun harus antara 2000 dan 2100" in error.inner_text()
    assert not downloads


def test_relawan_gets_the_event_report_but_no_renstra_form(web_server: LiveServer, web_users: dict[str, str],
                                                          page: Any, scene: Scene, admin_api: httpx.Client,
                                                          tmp_path: Path) -> None:
    user_id = admin_api.get("/users", params={"role": "relawan", "limit": 500}).json()["items"]
    relawan = next(u for u in user_id if u["username"] == web_users["relawan"])
    assert admin_api.post(f"/events/{scene.id}/members", json={"user_id": relawan["id"]}).status_code in (200, 201)
    open_reports(page, web_server.base_url, web_users["relawan"], scene.id)
    assert page.locator("#report-renstra-form").count() == 0
    page.select_option("#rep-format", "csv")
    name, body = fetch_file(page, "#rep-download", tmp_path)
    assert registered_in_csv(csv_rows(body)) == len(scene.names)


__all__ = ["PASSWORD"]
