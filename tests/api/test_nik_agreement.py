"""The birth date and sex a NIK encodes must agree with the typed ones (issue 11, section 3): else 422
naming the field, unless the record confirms it with `nik_mismatch_confirmed: true`, which is kept on
the person and shown in person answers. Person create, PATCH and /sync records alike; an age without a
birth date is checked against the NIK's year. Ages under 2 are given in months (`age_months`).
The rules: shared/domain/plausibility.py `nik_mismatch`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.db import Database
from shared.models import Person
from tests.conftest import WIB, Api, Scene, count, event_seq, fresh_nik, person_body, utc

# fresh_nik(): born 12-05-1985, male; fresh_nik(female=True): the same date, female (day + 40).


def refused(r: Any, field: str, words: str) -> None:
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", field], detail
    assert words in detail["msg"], detail
    assert "nik_mismatch_confirmed" in detail["msg"], detail  # the message says how to keep it


def sync_one(api: Api, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/sync", json={"records": [{"type": "person", "event_id": event_id, "data": data}]})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def start_date(scene: Scene) -> date:
    return utc(scene.event["started_at"]).astimezone(WIB).date()


def test_a_nik_agreeing_with_birth_date_and_sex_is_accepted_unflagged(scene: Scene, admin: Api) -> None:
    r = admin.post(f"/events/{scene.eid}/persons",
                   json=person_body(sex="P", birth_date="1985-05-12", nik=fresh_nik(female=True)))
    assert r.status_code == 201, r.text
    assert r.json()["nik_mismatch_confirmed"] is False


def test_a_birth_date_other_than_the_niks_is_422_naming_birth_date(scene: Scene, admin: Api,
                                                                   database: Database) -> None:
    seq = event_seq(admin, scene.eid)
    nik = fresh_nik(female=True)
    for birth in ("1985-12-05", "1985-05-13", "1986-05-12"):  # day and month swapped, a day off, a year off
        body = person_body(sex="P", birth_date=birth, nik=nik)
        r = admin.post(f"/events/{scene.eid}/persons", json=body)
        refused(r, "birth_date", "tanggal lahir tidak cocok dengan tanggal lahir di NIK")
        assert nik not in r.text and "12-05" not in r.text  # never echoes the NIK or the date it encodes
        result = sync_one(admin, scene.eid, body)
        assert result["status"] == "invalid" and result["error"].startswith("birth_date: tanggal lahir tidak cocok")
        assert count(database, Person, id=body["id"]) == 0
    assert event_seq(admin, scene.eid) == seq  # nothing written


def test_a_sex_other_than_the_niks_is_422_naming_sex(scene: Scene, admin: Api) -> None:
    body = person_body(sex="P", birth_date="1985-05-12", nik=fresh_nik(female=False))
    refused(admin.post(f"/events/{scene.eid}/persons", json=body), "sex", "jenis kelamin tidak cocok dengan NIK")
    result = sync_one(admin, scene.eid, body)
    assert result["status"] == "invalid" and result["error"].startswith("sex: jenis kelamin tidak cocok")


def test_an_age_is_checked_against_the_niks_year(scene: Scene, admin: Api) -> None:
    """Born 12-05-1985: at the event's start the age is start.year − 1985 or one less; either is accepted
    (an age given without a birth date is often a round guess), ten years off is not."""
    years = start_date(scene).year - 1985
    for age in (years, years - 1):
        ok = admin.post(f"/events/{scene.eid}/persons",
                        json=person_body(sex="P", birth_date=None, age_years=age, nik=fresh_nik(female=True)))
        assert ok.status_code == 201, ok.text
        assert ok.json()["nik_mismatch_confirmed"] is False
    body = person_body(sex="P", birth_date=None, age_years=years - 10, nik=fresh_nik(female=True))
    refused(admin.post(f"/events/{scene.eid}/persons", json=body), "age_years", "umur tidak cocok dengan tahun lahir di NIK")
    result = sync_one(admin, scene.eid, body)
    assert result["status"] == "invalid" and result["error"].startswith("age_years:")


def test_a_confirmed_mismatch_is_stored_and_shown(scene: Scene, admin: Api, relawan: Api, database: Database) -> None:
    body = person_body(sex="P", birth_date="1985-12-05", nik=fresh_nik(female=True), nik_mismatch_confirmed=True)
    r = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["nik_mismatch_confirmed"] is True and r.json()["birth_date"] == "1985-12-05"
    assert admin.get(f"/persons/{body['id']}").json()["nik_mismatch_confirmed"] is True
    listed = admin.get(f"/events/{scene.eid}/persons", params={"limit": 500}).json()["items"]
    assert {p["id"]: p["nik_mismatch_confirmed"] for p in listed}[body["id"]] is True
    # The same by /sync.
    synced = person_body(sex="L", birth_date="1985-05-12", nik=fresh_nik(female=True), nik_mismatch_confirmed=True)
    assert sync_one(admin, scene.eid, synced)["status"] == "created"
    assert admin.get(f"/persons/{synced['id']}").json()["nik_mismatch_confirmed"] is True
    # The replay of the confirmed record is the same content: 200, nothing twice.
    again = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert again.status_code == 200, again.text
    assert count(database, Person, id=body["id"]) == 1


def test_a_confirmation_without_a_mismatch_is_not_kept(scene: Scene, admin: Api) -> None:
    r = admin.post(f"/events/{scene.eid}/persons", json=person_body(
        sex="L", birth_date="1985-05-12", nik=fresh_nik(), nik_mismatch_confirmed=True))
    assert r.status_code == 201, r.text
    assert r.json()["nik_mismatch_confirmed"] is False  # nothing disagrees: nothing was confirmed


def test_patch_checks_the_patched_record(scene: Scene, admin: Api) -> None:
    person = scene.person(sex="P", birth_date="1985-05-12")  # no NIK yet
    pid = person["id"]
    # Adding a NIK of a man to a woman, or one of another birth date: 422, nothing changed.
    refused(admin.patch(f"/persons/{pid}", json={"nik": fresh_nik()}), "sex", "jenis kelamin tidak cocok")
    refused(admin.patch(f"/persons/{pid}", json={"birth_date": "1990-01-01", "nik": fresh_nik(female=True)}),
            "birth_date", "tidak cocok")
    assert admin.get(f"/persons/{pid}").json()["version"] == 1
    # An agreeing NIK is fine; then a birth date that disagrees with it is 422 …
    nik = fresh_nik(female=True)
    ok = admin.patch(f"/persons/{pid}", json={"nik": nik})
    assert ok.status_code == 200, ok.text
    refused(admin.patch(f"/persons/{pid}", json={"birth_date": "1985-05-21"}), "birth_date", "tidak cocok")
    refused(admin.patch(f"/persons/{pid}", json={"birth_date": None, "age_years": 10}), "age_years", "umur tidak cocok")
    # … unless confirmed, which is kept; a later patch that makes them agree clears it.
    confirmed = admin.patch(f"/persons/{pid}", json={"birth_date": "1985-05-21", "nik_mismatch_confirmed": True})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["nik_mismatch_confirmed"] is True
    other = admin.patch(f"/persons/{pid}", json={"condition": "luka"})  # unrelated fields are not re-checked
    assert other.status_code == 200 and other.json()["nik_mismatch_confirmed"] is True
    # Changing the sex re-opens the question: what was confirmed was another combination.
    refused(admin.patch(f"/persons/{pid}", json={"sex": "L"}), "birth_date", "tidak cocok")
    fixed = admin.patch(f"/persons/{pid}", json={"birth_date": "1985-05-12"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["nik_mismatch_confirmed"] is False


def test_ages_under_two_are_given_in_months(scene: Scene, admin: Api) -> None:
    start = start_date(scene)
    baby = admin.post(f"/events/{scene.eid}/persons",
                      json=person_body(birth_date=(start - timedelta(days=10)).isoformat(), full_name="Bayi"))
    assert baby.status_code == 201, baby.text
    assert baby.json()["age_months"] == 0 and baby.json()["age"] == 0
    born = _months_before(start, 14)
    toddler = admin.post(f"/events/{scene.eid}/persons", json=person_body(birth_date=born.isoformat(), full_name="Balita"))
    assert toddler.json()["age_months"] == 14 and toddler.json()["age"] == 1
    two = _months_before(start, 24)
    older = admin.post(f"/events/{scene.eid}/persons", json=person_body(birth_date=two.isoformat(), full_name="Anak"))
    assert older.json()["age_months"] is None and older.json()["age"] == 2
    by_age = admin.post(f"/events/{scene.eid}/persons", json=person_body(birth_date=None, age_years=1, full_name="Adik"))
    assert by_age.json()["age_months"] is None  # an age in years says nothing about months
    adult = admin.get(f"/persons/{scene.person()['id']}").json()
    assert adult["age_months"] is None
    listed = {p["id"]: p["age_months"] for p in admin.get(f"/events/{scene.eid}/persons",
                                                          params={"limit": 500}).json()["items"]}
    assert listed[toddler.json()["id"]] == 14


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return date(y, m + 1, min(d.day, 28))
