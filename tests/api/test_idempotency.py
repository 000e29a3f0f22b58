"""Idempotent creates (docs/api.md, "Idempotent creates"): every create answers 201 once,
an identical replay answers 200 with the stored resource, the same id with other content is 409,
and nothing is ever created twice or counted twice in the event's data_seq."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.db import Database
from shared.models import ClientOperation, Distribution, Event, Household, Person, Service, Shelter, Stay
from tests.conftest import (
    Api,
    Scene,
    build_scene,
    count,
    event_body,
    event_seq,
    fresh_nik,
    household_body,
    iso,
    new_id,
    now_wib,
    person_body,
    shelter_body,
)

# ---- helpers ----




def as_z(value: str) -> str:
    """The same instant written in UTC with a `Z` suffix."""
    return datetime.fromisoformat(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Case:
    """One create endpoint: where to post, what, and how to count what it stored."""

    path: str
    body: dict[str, Any]
    event_id: str
    first_status: int
    # (model, where) pairs that must each match exactly one row after the first create and any replay
    rows: Callable[[dict[str, Any]], list[tuple[Any, dict[str, Any]]]]
    altered: dict[str, Any]  # a change of content under the same id
    time_field: str | None = None


def _person_in_shelter(scene: Scene) -> dict[str, Any]:
    return scene.person(shelter_id=scene.shelter["id"],
                        registered_at=iso(now_wib() - timedelta(days=1)))


def build_case(kind: str, scene: Scene) -> Case:
    eid = scene.eid
    hours_ago = lambda h: iso(now_wib() - timedelta(hours=h))  # noqa: E731
    if kind == "event":
        body = event_body()
        return Case("/events", body, body["id"], 201, lambda a: [(Event, {"id": a["id"]})],
                    {"name": "Banjir Binjai Barat"}, time_field="started_at")
    if kind == "shelter":
        return Case(f"/events/{eid}/shelters", shelter_body(), eid, 201, lambda a: [(Shelter, {"id": a["id"]})],
                    {"capacity_persons": 99}, time_field="opened_at")
    if kind == "household":
        return Case(f"/events/{eid}/households", household_body(), eid, 201,
                    lambda a: [(Household, {"id": a["id"]})], {"head_name": "Rahmat Nasution"})
    if kind == "person":
        body = person_body(nik=fresh_nik(female=True), household_id=scene.household["id"])
        return Case(f"/events/{eid}/persons", body, eid, 201, lambda a: [(Person, {"id": a["id"]})],
                    {"full_name": "Siti Aminah Harahap"}, time_field="registered_at")
    if kind == "person_with_shelter":
        body = person_body(shelter_id=scene.shelter["id"])
        return Case(f"/events/{eid}/persons", body, eid, 201,
                    lambda a: [(Person, {"id": a["id"]}), (Stay, {"person_id": a["id"]})],
                    {"sex": "L"}, time_field="registered_at")
    if kind == "check_in":
        person = scene.person(registered_at=hours_ago(30))
        body = {"id": new_id(), "shelter_id": scene.shelter["id"], "at": hours_ago(12)}
        return Case(f"/persons/{person['id']}/check-in", body, eid, 201,
                    lambda a: [(Stay, {"id": a["id"]}), (Stay, {"person_id": person["id"]}),
                               (ClientOperation, {"kind": "check_in", "id": body["id"]})],
                    {"at": hours_ago(13)}, time_field="at")
    if kind == "check_out":
        person = _person_in_shelter(scene)
        body = {"id": new_id(), "at": hours_ago(2)}
        return Case(f"/persons/{person['id']}/check-out", body, eid, 200,
                    lambda a: [(Stay, {"person_id": person["id"]}),
                               (ClientOperation, {"kind": "check_out", "id": body["id"]})],
                    {"at": hours_ago(3)}, time_field="at")
    if kind == "distribution":
        body = {"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 120,
                "shelter_id": scene.shelter["id"], "delivered_at": hours_ago(5), "notes": "dapur umum"}
        return Case(f"/events/{eid}/distributions", body, eid, 201, lambda a: [(Distribution, {"id": a["id"]})],
                    {"quantity": 121}, time_field="delivered_at")
    if kind == "service":
        person = scene.person()
        body = {"id": new_id(), "person_id": person["id"], "kind": "psikososial", "delivered_at": hours_ago(4)}
        return Case(f"/events/{eid}/services", body, eid, 201, lambda a: [(Service, {"id": a["id"]})],
                    {"kind": "penanganan_khusus"}, time_field="delivered_at")
    raise AssertionError(kind)


KINDS = ["event", "shelter", "household", "person", "person_with_shelter", "check_in", "check_out",
         "distribution", "service"]


def assert_one_row_each(database: Database, case: Case, answer: dict[str, Any]) -> None:
    for model, where in case.rows(answer):
        assert count(database, model, **where) == 1, f"{model.__name__} {where}"


# ---- every create: 201 once, 200 with the same body after ----


@pytest.mark.parametrize("kind", KINDS)
def test_identical_replay_answers_200_with_the_same_body_and_stores_once(
        kind: str, scene: Scene, admin: Api, database: Database) -> None:
    """First create → 201 (check-out 200); the identical replay → 200, same JSON, one row, data_seq unchanged."""
    case = build_case(kind, scene)
    before = event_seq(admin, case.event_id) if kind != "event" else 0
    first = admin.post(case.path, json=case.body)
    assert first.status_code == case.first_status, first.text
    seq = event_seq(admin, case.event_id)
    assert seq == before + 1
    assert int(first.headers["X-Data-Seq"]) == seq
    if kind != "check_out":  # a check-out answers with the stay it closed
        assert first.json()["id"] == case.body["id"]
    assert_one_row_each(database, case, first.json())

    replay = admin.post(case.path, json=case.body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert event_seq(admin, case.event_id) == seq, "a replay must not bump data_seq"
    assert int(replay.headers["X-Data-Seq"]) == seq
    assert_one_row_each(database, case, first.json())

    third = admin.post(case.path, json=case.body)  # a replay of a replay is still a replay
    assert third.status_code == 200 and third.json() == first.json()
    assert event_seq(admin, case.event_id) == seq


@pytest.mark.parametrize("kind", KINDS)
def test_same_id_with_other_content_is_409_and_changes_nothing(
        kind: str, scene: Scene, admin: Api, database: Database) -> None:
    """The same id with different content → 409 {detail: str}; the stored resource and data_seq stay as they were."""
    case = build_case(kind, scene)
    first = admin.post(case.path, json=case.body)
    assert first.status_code == case.first_status, first.text
    seq = event_seq(admin, case.event_id)

    changed = {**case.body, **case.altered}
    clash = admin.post(case.path, json=changed)
    assert clash.status_code == 409, clash.text
    assert isinstance(clash.json()["detail"], str)
    assert event_seq(admin, case.event_id) == seq
    assert_one_row_each(database, case, first.json())

    again = admin.post(case.path, json=case.body)  # the stored resource is what the first create made
    assert again.status_code == 200, again.text
    assert again.json() == first.json()


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("household",)])
def test_replay_with_the_same_instant_in_another_offset_is_the_same_content(
        kind: str, scene: Scene, admin: Api, database: Database) -> None:
    """Timestamps compare as instants: "…+07:00" first, the same instant as "…Z" in the replay → 200."""
    case = build_case(kind, scene)
    assert case.time_field is not None
    assert case.body[case.time_field].endswith("+07:00")
    first = admin.post(case.path, json=case.body)
    assert first.status_code == case.first_status, first.text
    seq = event_seq(admin, case.event_id)

    replay_body = {**case.body, case.time_field: as_z(case.body[case.time_field])}
    replay = admin.post(case.path, json=replay_body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert event_seq(admin, case.event_id) == seq
    assert_one_row_each(database, case, first.json())

    # an instant one second off is other content
    shifted = datetime.fromisoformat(case.body[case.time_field]) - timedelta(seconds=1)
    assert admin.post(case.path, json={**case.body, case.time_field: iso(shifted)}).status_code == 409


# ---- defaults the server filled in never make a replay differ ----


def test_replay_leaving_out_fields_sent_with_their_default_values(scene: Scene, admin: Api) -> None:
    """condition, needs_psychosocial and vulnerabilities sent with their defaults, then left out → 200."""
    body = person_body(condition="selamat", needs_psychosocial=False, vulnerabilities=[])
    first = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert first.status_code == 201, first.text
    seq = event_seq(admin, scene.eid)
    lean = {k: v for k, v in body.items() if k not in ("condition", "needs_psychosocial", "vulnerabilities")}
    replay = admin.post(f"/events/{scene.eid}/persons", json=lean)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert event_seq(admin, scene.eid) == seq


def test_replay_sending_a_default_the_original_left_out(scene: Scene, admin: Api) -> None:
    """The original left condition out (server filled selamat); a replay sending condition=selamat → 200."""
    body = person_body()
    first = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["condition"] == "selamat"
    replay = admin.post(f"/events/{scene.eid}/persons", json={**body, "condition": "selamat"})
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert admin.post(f"/events/{scene.eid}/persons", json={**body, "condition": "luka"}).status_code == 409


def test_replay_without_registered_at_keeps_the_time_the_server_filled_in(
        scene: Scene, admin: Api, database: Database) -> None:
    """registered_at left out twice: the server's "now" differs between the two requests, yet the replay is 200."""
    body = person_body(shelter_id=scene.shelter["id"])
    del body["registered_at"]
    first = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert first.status_code == 201, first.text
    seq = event_seq(admin, scene.eid)
    time.sleep(0.05)  # the server's clock has moved on
    replay = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert replay.json()["registered_at"] == first.json()["registered_at"]
    assert event_seq(admin, scene.eid) == seq
    assert count(database, Stay, person_id=body["id"]) == 1


def test_replay_leaving_out_a_time_the_original_sent(scene: Scene, admin: Api) -> None:
    """registered_at sent first, left out in the replay (so it would default to now) → 200 with the stored time."""
    body = person_body()
    first = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert first.status_code == 201, first.text
    lean = {k: v for k, v in body.items() if k != "registered_at"}
    replay = admin.post(f"/events/{scene.eid}/persons", json=lean)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()


@pytest.mark.parametrize("kind", ["distribution", "service", "check_in", "check_out"])
def test_replay_of_a_create_whose_time_defaulted_to_now(
        kind: str, scene: Scene, admin: Api, database: Database) -> None:
    """delivered_at / at left out in the original and in the replay → 200 with the same body."""
    case = build_case(kind, scene)
    assert case.time_field is not None
    body = {k: v for k, v in case.body.items() if k != case.time_field}
    first = admin.post(case.path, json=body)
    assert first.status_code == case.first_status, first.text
    seq = event_seq(admin, case.event_id)
    time.sleep(0.05)
    replay = admin.post(case.path, json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert event_seq(admin, case.event_id) == seq
    assert_one_row_each(database, case, first.json())


def test_event_replay_with_the_default_status_spelled_out(admin: Api) -> None:
    """POST /events without status, then with status=tanggap_darurat (the default) → 200, same event."""
    body = event_body()
    first = admin.post("/events", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "tanggap_darurat"
    replay = admin.post("/events", json={**body, "status": "tanggap_darurat"})
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert admin.post("/events", json={**body, "status": "siaga_darurat"}).status_code == 409


# ---- the current resource after a PATCH ----


def test_person_replay_after_patch_returns_the_patched_person(scene: Scene, admin: Api, database: Database) -> None:
    """PATCH a person, then replay the create → 200 with the patched body (not the original, not 409)."""
    body = person_body()
    first = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert first.status_code == 201, first.text
    patched = admin.patch(f"/persons/{body['id']}", json={"full_name": "Siti Aminah Lubis", "condition": "luka"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2
    seq = event_seq(admin, scene.eid)

    replay = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == patched.json()
    assert replay.json()["full_name"] == "Siti Aminah Lubis"
    assert event_seq(admin, scene.eid) == seq
    assert count(database, Person, id=body["id"]) == 1
    assert admin.get(f"/persons/{body['id']}").json()["full_name"] == "Siti Aminah Lubis"


def test_shelter_replay_after_patch_returns_the_current_shelter(scene: Scene, admin: Api) -> None:
    """PATCH a shelter's capacity, then replay its create → 200 with the current capacity and version."""
    body = shelter_body()
    first = admin.post(f"/events/{scene.eid}/shelters", json=body)
    assert first.status_code == 201, first.text
    patched = admin.patch(f"/events/{scene.eid}/shelters/{body['id']}", json={"capacity_persons": 250})
    assert patched.status_code == 200, patched.text
    replay = admin.post(f"/events/{scene.eid}/shelters", json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == patched.json()
    assert replay.json()["capacity_persons"] == 250 and replay.json()["version"] == 2


def test_event_replay_after_patch_returns_the_current_event(admin: Api) -> None:
    """PATCH an event's name, then replay its create → 200 with the current name, version and data_seq."""
    body = event_body()
    assert admin.post("/events", json=body).status_code == 201
    patched = admin.patch(f"/events/{body['id']}", json={"name": "Banjir Bandang Binjai"})
    assert patched.status_code == 200, patched.text
    replay = admin.post("/events", json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == patched.json()
    assert replay.json()["name"] == "Banjir Bandang Binjai"


# ---- scope of an id ----


def test_same_household_id_sent_to_another_event_is_a_conflict(admin: Api, database: Database) -> None:
    """An id belongs to one event: the same household body sent into a second event → 409, nothing made there."""
    one, two = build_scene(admin), build_scene(admin)
    body = household_body()
    assert admin.post(f"/events/{one.eid}/households", json=body).status_code == 201
    seq_two = event_seq(admin, two.eid)
    clash = admin.post(f"/events/{two.eid}/households", json=body)
    assert clash.status_code == 409, clash.text
    assert event_seq(admin, two.eid) == seq_two
    assert count(database, Household, id=body["id"]) == 1
    assert count(database, Household, id=body["id"], event_id=two.eid) == 0


def test_person_replay_with_nik_is_not_a_duplicate_nik(scene: Scene, admin: Api) -> None:
    """A replay carrying a NIK is recognised as the replay it is, not refused as a second person with that NIK."""
    body = person_body(nik=fresh_nik(female=True))
    assert admin.post(f"/events/{scene.eid}/persons", json=body).status_code == 201
    replay = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert replay.status_code == 200, replay.text
    other = admin.post(f"/events/{scene.eid}/persons", json={**body, "id": new_id()})
    assert other.status_code == 409, other.text  # a new id with the same NIK is a second person


# ---- a selesai event ----


def test_identical_replays_into_a_selesai_event_still_answer_200(scene: Scene, admin: Api, database: Database) -> None:
    """After the event ends: identical replays → 200; a new record or other content under a known id → 409."""
    person = person_body(shelter_id=scene.shelter["id"])
    dist = {"id": new_id(), "item_code": "paket_sandang", "quantity": 1, "household_id": scene.household["id"],
            "delivered_at": iso(now_wib() - timedelta(hours=1))}
    p1 = admin.post(f"/events/{scene.eid}/persons", json=person)
    d1 = admin.post(f"/events/{scene.eid}/distributions", json=dist)
    assert p1.status_code == 201 and d1.status_code == 201, (p1.text, d1.text)
    closed = admin.patch(f"/events/{scene.eid}", json={"status": "selesai"})
    assert closed.status_code == 200, closed.text
    seq = event_seq(admin, scene.eid)

    p2 = admin.post(f"/events/{scene.eid}/persons", json=person)
    assert p2.status_code == 200, p2.text
    assert p2.json() == p1.json()
    d2 = admin.post(f"/events/{scene.eid}/distributions", json=dist)
    assert d2.status_code == 200 and d2.json() == d1.json()
    ev = admin.post("/events", json={k: scene.event[k] for k in ("id", "name", "kind", "started_at",
                                                                   "kelurahan_codes")})
    assert ev.status_code == 200, ev.text  # the event's own create, replayed
    assert ev.json()["status"] == "selesai"

    assert admin.post(f"/events/{scene.eid}/persons", json=person_body()).status_code == 409
    assert admin.post(f"/events/{scene.eid}/persons", json={**person, "full_name": "Lain"}).status_code == 409
    assert admin.post(f"/events/{scene.eid}/households", json=household_body()).status_code == 409
    assert event_seq(admin, scene.eid) == seq
    assert count(database, Person, event_id=scene.eid) == 1


# ---- what "the same content" means beyond timestamps ----


def test_replay_with_the_id_in_upper_case_is_the_same_create(scene: Scene, admin: Api, database: Database) -> None:
    """Client ids are UUIDs compared canonically: the same id in upper case is a replay, not a second row."""
    body = household_body()
    first = admin.post(f"/events/{scene.eid}/households", json=body)
    assert first.status_code == 201, first.text
    replay = admin.post(f"/events/{scene.eid}/households", json={**body, "id": body["id"].upper()})
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert count(database, Household, id=body["id"]) == 1


def test_replay_with_the_same_number_written_differently_is_the_same_content(scene: Scene, admin: Api) -> None:
    """Quantities are numbers: 120 and 120.0 are the same quantity, 120.5 is not."""
    body = {"id": new_id(), "item_code": "air_minum", "quantity": 120, "shelter_id": scene.shelter["id"],
            "delivered_at": iso(now_wib() - timedelta(hours=2))}
    first = admin.post(f"/events/{scene.eid}/distributions", json=body)
    assert first.status_code == 201, first.text
    replay = admin.post(f"/events/{scene.eid}/distributions", json={**body, "quantity": 120.0})
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert admin.post(f"/events/{scene.eid}/distributions", json={**body, "quantity": 120.5}).status_code == 409


def test_a_refused_create_leaves_its_id_free(scene: Scene, admin: Api, database: Database) -> None:
    """A create refused on its merits (check-out without an open stay: 409) records nothing under its id:
    after a check-in, the same check-out succeeds."""
    person = scene.person(registered_at=iso(now_wib() - timedelta(hours=6)))
    check_out = {"id": new_id(), "at": iso(now_wib() - timedelta(hours=1))}
    refused = admin.post(f"/persons/{person['id']}/check-out", json=check_out)
    assert refused.status_code == 409, refused.text
    assert count(database, ClientOperation, kind="check_out", id=check_out["id"]) == 0
    check_in = {"shelter_id": scene.shelter["id"], "at": iso(now_wib() - timedelta(hours=5))}
    assert admin.post(f"/persons/{person['id']}/check-in", json=check_in).status_code == 201
    done = admin.post(f"/persons/{person['id']}/check-out", json=check_out)
    assert done.status_code == 200, done.text
    assert done.json()["check_out"] is not None
