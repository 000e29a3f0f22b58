"""Logging out of the field app deletes the personal data on the phone (issue 9 item 15, UU 27/2022).

IndexedDB holds the offline queue, locally known persons and households and cached lists. At logout all
of it goes; records not yet sent stay only when the volunteer confirms a warning (in Indonesian) that they
stay on the phone until the next login — declining deletes them too.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.test_field_app import (  # noqa: F401  (field_scene is a fixture)
    FieldScene,
    counts,
    field_scene,
    fill_household,
    fill_member,
    log_in,
    reload_under_service_worker,
)
from tests.conftest import fresh_nik


def indexeddb(page: Page) -> dict[str, list[Any]]:
    """Every object store of the app's database: store name -> its values."""
    return dict(page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open("posko-lapangan");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const db = open.result;
            const names = [...db.objectStoreNames];
            const tx = db.transaction(names);
            const out = {};
            for (const name of names) {
                const r = tx.objectStore(name).getAll();
                r.onsuccess = () => { out[name] = r.result; };
            }
            tx.oncomplete = () => { db.close(); resolve(out); };
            tx.onerror = () => reject(tx.error);
        };
    })"""))


def answer_dialogs(page: Page, answers: list[bool]) -> list[str]:
    """Answer the next confirm() dialogs in order (True: OK); returns their messages."""
    seen: list[str] = []

    def handle(dialog: Any) -> None:
        seen.append(dialog.message)
        if answers[len(seen) - 1]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", handle)
    return seen


def register_one_sent_and_one_pending(page: Page, scene: FieldScene) -> tuple[str, str]:
    """One household + person sent and accepted, then (offline) one household + person waiting. The page is
    under the service worker, so the reload after logout works offline."""
    reload_under_service_worker(page)
    sent_nik, pending_nik = fresh_nik(), fresh_nik(female=True)
    fill_household(page, "Darwin Sembiring", kk="1275040101090011")
    fill_member(page, 0, name="Darwin Sembiring", sex="L", age=45, nik=sent_nik, shelter_id=scene.shelter["id"])
    page.click("#save-household")
    counts(page, pending=0, accepted=2, rejected=0)
    # A search online brings the server's persons onto the phone too.
    page.click("#tab-orang")
    page.fill("input[name=q]", "darwin")
    page.press("input[name=q]", "Enter")
    expect(page.locator("#person-results [data-person-id]", has_text="Darwin Sembiring")).to_be_visible()
    page.click("#tab-daftar")
    page.context.set_offline(True)
    fill_household(page, "Nurhayati Bangun", kk="1275040101090012")
    fill_member(page, 0, name="Nurhayati Bangun", sex="P", age=38, nik=pending_nik)
    page.click("#save-household")
    counts(page, pending=2, accepted=2, rejected=0, timeout=5_000)
    stored = indexeddb(page)
    assert {p["full_name"] for p in stored["persons"]} >= {"Darwin Sembiring", "Nurhayati Bangun"}
    return sent_nik, pending_nik


def test_logout_without_keeping_deletes_every_personal_record(field_scene: FieldScene,  # noqa: F811
                                                               page: Page) -> None:
    scene = field_scene
    log_in(page, scene)
    sent_nik, pending_nik = register_one_sent_and_one_pending(page, scene)

    messages = answer_dialogs(page, [False, True])  # do not keep the pending records; yes, delete them
    page.click("#logout")
    expect(page.locator("form.login")).to_be_visible(timeout=10_000)
    assert len(messages) == 2
    assert "2 catatan belum terkirim" in messages[0] and "data pribadi" in messages[0], messages
    assert "HILANG" in messages[1], messages

    stored = indexeddb(page)
    assert stored == {"kv": [], "records": [], "persons": [], "households": []}, stored
    text = page.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")
    for secret in (sent_nik, pending_nik, "Darwin", "Nurhayati", "token"):
        assert secret not in text, (secret, text)


def test_logout_keeping_pending_records_keeps_only_them_and_they_are_sent_after_login(
        field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    scene = field_scene
    log_in(page, scene)
    _, pending_nik = register_one_sent_and_one_pending(page, scene)

    messages = answer_dialogs(page, [True])  # keep the 2 pending records
    page.click("#logout")
    expect(page.locator("form.login")).to_be_visible(timeout=10_000)
    assert len(messages) == 1 and "PERHATIAN" in messages[0], messages

    stored = indexeddb(page)
    assert sorted(r["status"] for r in stored["records"]) == ["pending", "pending"], stored["records"]
    assert [p["full_name"] for p in stored["persons"]] == ["Nurhayati Bangun"]
    assert [h["head_name"] for h in stored["households"]] == ["Nurhayati Bangun"]
    assert stored["kv"] == []
    assert "Darwin" not in str(stored)

    page.context.set_offline(False)
    log_in(page, scene)
    counts(page, pending=0, accepted=2, rejected=0)
    persons = {p["full_name"]: p for p in scene.persons()}
    assert set(persons) == {"Darwin Sembiring", "Nurhayati Bangun"}
    assert scene.admin.get(f"/persons/{persons['Nurhayati Bangun']['id']}").json()["nik"] == pending_nik


def test_logout_cancelled_changes_nothing(field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    scene = field_scene
    log_in(page, scene)
    register_one_sent_and_one_pending(page, scene)
    before = indexeddb(page)
    messages = answer_dialogs(page, [False, False])  # neither keep nor delete: stay logged in
    page.click("#logout")
    page.wait_for_timeout(300)
    assert len(messages) == 2
    expect(page.locator("#household-form")).to_be_visible()
    assert indexeddb(page) == before
