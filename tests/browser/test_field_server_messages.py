"""The field app shows the server's Indonesian reason for a rejected record under the field it names,
in the editor of that record (the card keeps the whole reason): an age the phone accepts (up to 130)
but the server refuses (over 120 years) is marked on the age field."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_field_app import (  # noqa: F401  (field_scene is a fixture)
    FieldScene,
    counts,
    field_scene,
    fill_household,
    fill_member,
    log_in,
)


def test_a_rejected_age_is_explained_next_to_the_age_field(field_scene: FieldScene, page: Page) -> None:  # noqa: F811
    log_in(page, field_scene)
    fill_household(page, "Tiur Simanjuntak")
    fill_member(page, 0, name="Tiur Simanjuntak", sex="P", age=125)
    page.click("#save-household")
    counts(page, pending=0, accepted=1, rejected=1)  # the family is kept, its member refused
    page.click("#tab-kiriman")
    card = page.locator("#list-rejected [data-status=rejected][data-type=person]")
    expect(card.locator(".rec-error")).to_contain_text("umur tidak masuk akal")
    card.get_by_role("button", name="Perbaiki & kirim ulang").click()
    age = card.locator(".editor input[name=age_years]")
    expect(age).to_have_attribute("aria-invalid", "true")
    message = card.locator(".editor .field:has(input[name=age_years]) .field-msg.server-msg")
    expect(message).to_contain_text("umur tidak masuk akal: lebih dari 120 tahun")
    for text in ("Input should", "Field required", "Value error"):
        expect(card).not_to_contain_text(text)
    age.fill("52")  # fixed: the message gives way to the phone's own check, and the record is accepted
    card.locator("#resend").click()
    counts(page, pending=0, accepted=2, rejected=0)
    assert [p["age_years"] for p in field_scene.persons()] == [52]
