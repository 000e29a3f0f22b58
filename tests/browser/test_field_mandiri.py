"""The field app offers "mengungsi mandiri" where it offers a shelter (docs/rules.md, "Mandiri stays"):
a family member registered as staying with relatives, a person moved from relatives to a shelter and
back, and meals recorded for the household — offline first, then synced, each stay as the API keeps it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_field_app import (  # noqa: F401  (field_scene is a fixture)
    FieldScene,
    counts,
    field_scene,
    fill_household,
    fill_member,
    go_online_and_send,
    log_in,
)

KELURAHAN = "12.75.04.1004"  # the household's kelurahan in fill_household
ELSEWHERE = "12.75.01.1001"


def test_mandiri_registration_transfer_and_household_meals_reach_the_api(
        field_scene: FieldScene, page: Page) -> None:  # noqa: F811 (field_scene is the imported fixture)
    scene = field_scene
    log_in(page, scene)
    page.context.set_offline(True)
    fill_household(page, "Rahmat Ginting")
    fill_member(page, 0, name="Rahmat Ginting", sex="L", age=45, shelter_id="mandiri")
    page.click("#save-household")
    counts(page, pending=2, accepted=0, rejected=0, timeout=5_000)

    # The person detail: staying mandiri; a check-in to a shelter, then back to relatives elsewhere.
    page.click("#tab-orang")
    page.fill("input[name=q]", "Rahmat")
    page.press("input[name=q]", "Enter")
    page.locator("#person-results [data-person-id]", has_text="Rahmat Ginting").click()
    expect(page.locator("#person-shelter")).to_have_text("Mengungsi mandiri")
    page.select_option("select[name=checkin_shelter]", scene.shelter["id"])
    page.click("#do-check-in")
    expect(page.locator("#person-shelter")).to_have_text(scene.shelter["name"])
    page.select_option("select[name=mandiri_kelurahan]", ELSEWHERE)
    page.fill("input[name=mandiri_address]", "Rumah adik, Jl. Gatot Subroto")
    page.click("#do-mandiri")
    expect(page.locator("#person-shelter")).to_have_text("Mengungsi mandiri")

    # Meals for the household, without a shelter.
    page.get_by_role("button", name="Catat bantuan untuk keluarganya").click()
    page.select_option("select[name=item_code]", "makanan_siap_saji")
    page.fill("input[name=quantity]", "3")
    page.click("#save-distribution")
    counts(page, pending=5, accepted=0, rejected=0, timeout=5_000)

    go_online_and_send(page)
    counts(page, pending=0, accepted=5, rejected=0)
    (person,) = scene.persons()
    assert (person["displacement"], person["stay_kind"], person["shelter_id"]) == ("mengungsi", "mandiri", None)
    stays = scene.admin.get(f"/persons/{person['id']}/stays").json()
    assert [(s["kind"], s["shelter_id"], s["kelurahan_code"]) for s in stays] == [
        ("mandiri", None, KELURAHAN), ("shelter", scene.shelter["id"], scene.shelter["kelurahan_code"]),
        ("mandiri", None, ELSEWHERE)]
    assert stays[2]["address"] == "Rumah adik, Jl. Gatot Subroto" and stays[2]["check_out"] is None
    dists = scene.admin.get(f"/events/{scene.eid}/distributions").json()["items"]
    assert [(d["item_code"], d["household_id"], d["shelter_id"]) for d in dists] == [
        ("makanan_siap_saji", person["household_id"], None)]
