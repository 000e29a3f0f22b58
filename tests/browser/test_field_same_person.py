"""Find before register in the field app (issue 11): a volunteer typing the NIK of a person already
registered is offered that person ("orang yang sama") and checks them in instead of registering a
duplicate — online (the server is asked), offline (the persons the phone holds are compared), and when
the duplicate is only discovered at sync (the NIK conflict answer names the person). Also: the NIK fills
the birth date and sex, one shelter choice covers the family, and a fixed field loses its error at once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from shared.domain.plausibility import months_old
from tests.browser.test_field_app import (  # noqa: F401  (field_scene is a fixture)
    SYNC_WAIT_MS,
    FieldScene,
    counts,
    field_scene,
    fill_household,
    fill_member,
    go_online_and_send,
    log_in,
    stored_records,
)
from tests.conftest import WIB, fresh_nik, now_wib, utc


def register_siti(scene: FieldScene, **extra: Any) -> tuple[str, dict[str, Any]]:
    """Siti Rahmawati, registered at the posko (born 12-05-1985 as her NIK says), in no shelter."""
    nik = fresh_nik(female=True)
    r = scene.admin.post(f"/events/{scene.eid}/persons", json={
        "id": str(uuid.uuid4()), "full_name": "Siti Rahmawati", "sex": "P", "birth_date": "1985-05-12", "nik": nik,
        **extra})
    assert r.status_code == 201, r.text
    return nik, r.json()


def stays(scene: FieldScene, person_id: str) -> list[tuple[str, Any]]:
    return [(s["shelter_id"], s["check_out"]) for s in scene.admin.get(f"/persons/{person_id}/stays").json()]


def choose_family_shelter(page: Page, shelter_id: str) -> None:
    page.select_option("#household-form select[name=family_shelter_id]", shelter_id)


def offered(page: Page, name: str) -> Any:
    match = page.locator("#household-form [data-member='0'] .match-box .match", has_text=name)
    expect(match).to_be_visible(timeout=10_000)
    return match


def test_typing_a_registered_nik_offers_the_person_and_checks_them_in(field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    scene = field_scene
    nik, siti = register_siti(scene)
    log_in(page, scene)
    fill_household(page, "Siti Rahmawati")
    choose_family_shelter(page, scene.shelter["id"])
    member = page.locator("#household-form [data-member='0']")
    member.locator("input[name=full_name]").fill("Siti Rahmawaty")
    member.locator("input[name=nik]").press_sequentially(nik)
    # The NIK fills the birth date and the sex.
    expect(member.locator("input[name=birth_date]")).to_have_value("1985-05-12")
    expect(member.locator("input[type=radio][value=P]")).to_be_checked()

    match = offered(page, "Siti Rahmawati")
    match.locator("button[data-action=stay]").click()
    same = page.locator("#household-form [data-member='0'].same")
    expect(same).to_contain_text("orang yang sama")
    expect(same).to_contain_text(f"Akan di-check-in ke {scene.shelter['name']}")
    page.click("#save-household")
    counts(page, pending=0, accepted=1, rejected=0)

    assert [r["type"] for r in stored_records(page)] == ["check_in"]
    assert scene.total("persons") == 1, "no duplicate was registered"
    assert scene.total("households") == 0, "no empty family was left behind"
    assert stays(scene, siti["id"]) == [(scene.shelter["id"], None)]


def test_offline_the_persons_on_the_phone_are_offered_then_the_check_in_is_synced(
        field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    scene = field_scene
    nik, siti = register_siti(scene)
    log_in(page, scene)
    # The volunteer looked her up earlier, online: the phone now holds her (NIK masked for a relawan).
    page.click("#tab-orang")
    page.fill("input[name=q]", "Siti Rahmawati")
    page.press("input[name=q]", "Enter")
    expect(page.locator("#person-results [data-person-id]", has_text="Siti Rahmawati")).to_be_visible()
    page.click("#tab-daftar")

    page.context.set_offline(True)
    expect(page.locator("#net")).to_have_text("Luring")
    fill_household(page, "Siti Rahmawati")
    fill_member(page, 0, name="Siti", sex="P", nik=nik, shelter_id=scene.shelter2["id"])
    offered(page, "Siti Rahmawati").locator("button[data-action=stay]").click()
    page.click("#save-household")
    counts(page, pending=1, accepted=0, rejected=0, timeout=5_000)
    assert scene.total("persons") == 1 and stays(scene, siti["id"]) == []

    go_online_and_send(page)
    counts(page, pending=0, accepted=1, rejected=0)
    assert scene.total("persons") == 1
    assert scene.total("households") == 0
    assert stays(scene, siti["id"]) == [(scene.shelter2["id"], None)]


def test_a_duplicate_found_at_sync_is_resolved_as_the_same_person(field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    """Registered offline on a phone that did not know her: the sync answer names her, and the volunteer
    adds her to the family being registered (checked in with it) instead of editing and resending."""
    scene = field_scene
    nik, siti = register_siti(scene)
    log_in(page, scene)
    page.context.set_offline(True)
    fill_household(page, "Bayu Sembiring")
    choose_family_shelter(page, scene.shelter["id"])
    fill_member(page, 0, name="Bayu Sembiring", sex="L", age=40)
    page.click("#add-member")
    fill_member(page, 1, name="Siti Rahmawati Sembiring", sex="P", nik=nik)
    expect(page.locator("#household-form .match-box .match")).to_have_count(0)  # nothing held: nothing offered
    page.click("#save-household")
    counts(page, pending=3, accepted=0, rejected=0, timeout=5_000)

    go_online_and_send(page)
    counts(page, pending=0, accepted=2, rejected=1)
    page.click("#tab-kiriman")
    card = page.locator("#list-rejected [data-status=rejected]")
    expect(card.locator(".same-offer")).to_contain_text("Siti Rahmawati")
    card.locator(".same-offer button[data-action=family]").click()
    counts(page, pending=0, accepted=3, rejected=0)

    persons = {p["full_name"]: p for p in scene.persons()}
    assert set(persons) == {"Siti Rahmawati", "Bayu Sembiring"}, "one Siti, no duplicate"
    household = persons["Bayu Sembiring"]["household_id"]
    assert stays(scene, siti["id"]) == [(scene.shelter["id"], None)]
    for _ in range(SYNC_WAIT_MS // 200):  # the family change is sent once the family is on the server
        if scene.admin.get(f"/persons/{siti['id']}").json()["household_id"] == household:
            break
        page.wait_for_timeout(200)
    assert scene.admin.get(f"/persons/{siti['id']}").json()["household_id"] == household


def test_one_family_shelter_and_errors_that_clear_when_fixed(field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    scene = field_scene
    log_in(page, scene)
    page.context.set_offline(True)
    page.click("#save-household")  # nothing typed: the required fields say so
    head = page.locator("#household-form input[name=head_name]")
    expect(head).to_have_attribute("aria-invalid", "true")
    name = page.locator("#household-form [data-member='0'] input[name=full_name]")
    expect(name).to_have_attribute("aria-invalid", "true")
    head.press_sequentially("Rina Tarigan")
    expect(head).to_have_attribute("aria-invalid", "false")  # cleared as soon as it is fixed
    expect(name).to_have_attribute("aria-invalid", "false")  # the head's name fills the first member's
    sex_msg = page.locator("#household-form [data-member='0'] .sex-msg")
    expect(sex_msg).to_have_class("field-msg sex-msg error")
    page.locator("#household-form [data-member='0'] input[type=radio][value=P]").check()
    expect(sex_msg).to_have_text("")

    # A NIK that disagrees with the birth date typed: an error until fixed or confirmed.
    member = page.locator("#household-form [data-member='0']")
    member.locator("input[name=birth_date]").fill("1985-12-05")
    member.locator("input[name=nik]").press_sequentially(fresh_nik(female=True))
    birth = member.locator("input[name=birth_date]")
    expect(birth).to_have_attribute("aria-invalid", "true")
    member.locator("input[name=nik_mismatch_confirmed]").check()
    expect(birth).to_have_attribute("aria-invalid", "false")

    choose_family_shelter(page, scene.shelter["id"])
    page.click("#add-member")
    fill_member(page, 1, name="Anak Tarigan", sex="L", age=7)
    page.click("#add-member")
    fill_member(page, 2, name="Nenek Tarigan", sex="P", age=70, shelter_id=scene.shelter2["id"])
    page.click("#save-household")
    counts(page, pending=4, accepted=0, rejected=0, timeout=5_000)
    shelters = {r["data"]["full_name"]: r["data"].get("shelter_id") for r in stored_records(page) if r["type"] == "person"}
    assert shelters == {"Rina Tarigan": scene.shelter["id"], "Anak Tarigan": scene.shelter["id"],
                        "Nenek Tarigan": scene.shelter2["id"]}
    confirmed = [r["data"] for r in stored_records(page) if r["data"].get("full_name") == "Rina Tarigan"][0]
    assert confirmed["nik_mismatch_confirmed"] is True and confirmed["birth_date"] == "1985-12-05"

    go_online_and_send(page)
    counts(page, pending=0, accepted=4, rejected=0)
    rina = next(p for p in scene.persons() if p["full_name"] == "Rina Tarigan")
    assert rina["nik_mismatch_confirmed"] is True


def test_ages_under_two_show_in_months(field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    scene = field_scene
    born = (now_wib() - timedelta(days=150)).date()
    r = scene.admin.post(f"/events/{scene.eid}/persons", json={
        "id": str(uuid.uuid4()), "full_name": "Bayi Ginting", "sex": "L", "birth_date": born.isoformat()})
    assert r.status_code == 201, r.text
    months = r.json()["age_months"]
    assert months == months_old(born, utc(scene.event["started_at"]).astimezone(WIB).date()) and months >= 4
    log_in(page, scene)
    page.click("#tab-orang")
    page.fill("input[name=q]", "Bayi Ginting")
    page.press("input[name=q]", "Enter")
    row = page.locator("#person-results [data-person-id]", has_text="Bayi Ginting")
    expect(row).to_contain_text(f"{months} bln")
    expect(row).not_to_contain_text("0 th")
