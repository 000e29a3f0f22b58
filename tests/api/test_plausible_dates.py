"""Implausible dates are 422 naming the field, in the single endpoints and in /sync (issue 9, item 10):
a birth date before 1900, more than 120 years before the event's start, or after the registration;
an age over 120; a distribution or service dated more than a day before the event started, or after
it ended. The rules: shared/domain/plausibility.py; the messages: docs/validation.md."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shared.db import Database
from shared.models import Distribution, Person, Service
from tests.conftest import (
    WIB,
    Api,
    Scene,
    build_scene,
    count,
    event_seq,
    iso,
    now_wib,
    person_body,
    utc,
)


def start_date(scene: Scene) -> date:
    return utc(scene.event["started_at"]).astimezone(WIB).date()


def years_before(d: date, years: int) -> date:
    return d.replace(year=d.year - years) if (d.month, d.day) != (2, 29) else date(d.year - years, 2, 28)


def refused(r: Any, field: str, words: str) -> None:
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", field], detail
    assert words in detail["msg"], detail


def sync_one(api: Api, type_: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/sync", json={"records": [{"type": type_, "event_id": event_id, "data": data}]})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


# ---- birth dates and ages ----


def test_birth_date_before_1900_is_422(scene: Scene, admin: Api, database: Database) -> None:
    body = person_body(birth_date="1899-12-31")
    refused(admin.post(f"/events/{scene.eid}/persons", json=body), "birth_date", "sebelum 1900")
    result = sync_one(admin, "person", scene.eid, person_body(birth_date="1899-12-31"))
    assert result["status"] == "invalid" and result["error"].startswith("birth_date:")
    assert "sebelum 1900" in result["error"]
    assert count(database, Person, id=body["id"]) == 0


def test_birth_date_more_than_120_years_before_the_event_is_422(scene: Scene, admin: Api,
                                                                 database: Database) -> None:
    """1900 is not enough: with the event's start in 2026, 1905 is 121 years before it."""
    limit = years_before(start_date(scene), 120)
    seq = event_seq(admin, scene.eid)
    too_old = person_body(birth_date=(limit - timedelta(days=1)).isoformat())
    refused(admin.post(f"/events/{scene.eid}/persons", json=too_old), "birth_date",
            "lebih dari 120 tahun sebelum kejadian dimulai")
    result = sync_one(admin, "person", scene.eid, too_old)
    assert result["status"] == "invalid" and "lebih dari 120 tahun" in result["error"], result
    assert count(database, Person, id=too_old["id"]) == 0
    assert event_seq(admin, scene.eid) == seq
    oldest = admin.post(f"/events/{scene.eid}/persons", json=person_body(birth_date=limit.isoformat()))
    assert oldest.status_code == 201, oldest.text
    assert oldest.json()["age"] == 120


def test_age_over_120_is_422(scene: Scene, admin: Api) -> None:
    body = person_body(birth_date=None, age_years=121)
    refused(admin.post(f"/events/{scene.eid}/persons", json=body), "age_years", "lebih dari 120 tahun")
    assert sync_one(admin, "person", scene.eid, body)["status"] == "invalid"
    ok = admin.post(f"/events/{scene.eid}/persons", json=person_body(birth_date=None, age_years=120))
    assert ok.status_code == 201, ok.text


def test_birth_date_after_the_registration_is_422_but_a_baby_born_in_the_shelter_is_not(
        scene: Scene, admin: Api) -> None:
    three_days_ago = now_wib() - timedelta(days=3)
    body = person_body(registered_at=iso(three_days_ago),
                       birth_date=(three_days_ago.date() + timedelta(days=1)).isoformat())
    refused(admin.post(f"/events/{scene.eid}/persons", json=body), "birth_date", "setelah tanggal pendaftaran")
    result = sync_one(admin, "person", scene.eid, body)
    assert result["status"] == "invalid" and "setelah tanggal pendaftaran" in result["error"]
    baby = person_body(registered_at=iso(now_wib()), birth_date=now_wib().date().isoformat(), full_name="Bayi")
    r = admin.post(f"/events/{scene.eid}/persons", json=baby)  # born after the event started, registered today
    assert r.status_code == 201, r.text
    assert "balita" in r.json()["vulnerabilities"]


def test_patching_an_implausible_birth_date_or_age_is_422(scene: Scene, admin: Api) -> None:
    person = scene.person()
    too_old = years_before(start_date(scene), 120) - timedelta(days=1)
    refused(admin.patch(f"/persons/{person['id']}", json={"birth_date": too_old.isoformat()}), "birth_date",
            "lebih dari 120 tahun")
    refused(admin.patch(f"/persons/{person['id']}", json={"birth_date": "1850-01-01"}), "birth_date",
            "sebelum 1900")
    refused(admin.patch(f"/persons/{person['id']}", json={"age_years": 130}), "age_years", "lebih dari 120")
    after_registration = (utc(person["registered_at"]).astimezone(WIB).date() + timedelta(days=1)).isoformat()
    refused(admin.patch(f"/persons/{person['id']}", json={"birth_date": after_registration}), "birth_date",
            "setelah tanggal pendaftaran")
    now = admin.get(f"/persons/{person['id']}").json()
    assert now["version"] == 1 and now["birth_date"] == person["birth_date"]


# ---- distributions and services ----


def _distribution(scene: Scene, at: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"item_code": "beras", "quantity": 10, "shelter_id": scene.shelter["id"]}
    if at is not None:
        body["delivered_at"] = at
    return body


@pytest.mark.parametrize("kind", ["distribution", "service"])
def test_delivery_more_than_a_day_before_the_event_started_is_422(kind: str, admin: Api,
                                                                   database: Database) -> None:
    scene = build_scene(admin, started_at=iso(now_wib() - timedelta(days=10)))
    person = scene.person(registered_at=iso(now_wib() - timedelta(days=9)))
    start = utc(scene.event["started_at"])

    def body(at: str) -> dict[str, Any]:
        if kind == "service":
            return {"person_id": person["id"], "kind": "psikososial", "delivered_at": at}
        return _distribution(scene, at)

    path, model = (f"/events/{scene.eid}/services", Service) if kind == "service" else (
        f"/events/{scene.eid}/distributions", Distribution)
    seq = event_seq(admin, scene.eid)
    early = iso(start - timedelta(days=1, minutes=1))
    refused(admin.post(path, json=body(early)), "delivered_at", "sebelum kejadian dimulai")
    result = sync_one(admin, kind, scene.eid, {"id": person_body()["id"], **body(early)})
    assert result["status"] == "invalid" and result["error"].startswith("delivered_at:"), result
    assert count(database, model, event_id=scene.eid) == 0
    assert event_seq(admin, scene.eid) == seq
    lead = admin.post(path, json=body(iso(start - timedelta(hours=23))))  # within the day of lead
    assert lead.status_code == 201, lead.text


@pytest.mark.parametrize("kind", ["distribution", "service"])
def test_delivery_after_the_event_ended_is_422(kind: str, admin: Api, database: Database) -> None:
    scene = build_scene(admin, started_at=iso(now_wib() - timedelta(days=10)))
    person = scene.person(registered_at=iso(now_wib() - timedelta(days=9)))
    ended = now_wib() - timedelta(days=2)
    r = admin.patch(f"/events/{scene.eid}", json={"ended_at": iso(ended)})
    assert r.status_code == 200, r.text

    def body(at: str | None) -> dict[str, Any]:
        if kind == "service":
            return {"person_id": person["id"], "kind": "psikososial", **({"delivered_at": at} if at else {})}
        return _distribution(scene, at)

    path, model = (f"/events/{scene.eid}/services", Service) if kind == "service" else (
        f"/events/{scene.eid}/distributions", Distribution)
    refused(admin.post(path, json=body(iso(ended + timedelta(minutes=1)))), "delivered_at",
            "setelah kejadian berakhir")
    refused(admin.post(path, json=body(None)), "delivered_at", "setelah kejadian berakhir")  # "now" is after the end
    result = sync_one(admin, kind, scene.eid, {"id": person_body()["id"], **body(iso(now_wib()))})
    assert result["status"] == "invalid" and "setelah kejadian berakhir" in result["error"], result
    assert count(database, model, event_id=scene.eid) == 0
    inside = admin.post(path, json=body(iso(ended - timedelta(hours=1))))
    assert inside.status_code == 201, inside.text
