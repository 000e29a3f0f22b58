"""Bad input gets a 4xx naming the field, never a 500, and writes nothing (issue 9, item 9).

Each case here was a 500 on SQLite, PostgreSQL or both: a create whose id is taken without a replay
record, instants at the edges of the calendar, an offset or user id past a 64-bit / 32-bit integer,
a 5,000-digit If-Match, and NUL or other control characters in a text field, query value, path id
or form field. See docs/validation.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from shared.db import Database, write_unit
from shared.models import ClientOperation, Distribution, Household, Person, Service, Shelter, Stay
from shared.services.field_records import first_stay_id
from tests.conftest import (
    Api,
    Scene,
    build_scene,
    count,
    event_body,
    event_seq,
    household_body,
    iso,
    new_id,
    now_wib,
    person_body,
    shelter_body,
    utc,
)

EDGE_INSTANTS = ["0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00",
                 "9999-12-31T23:59:59-12:00"]


def forget_replay_record(database: Database, object_id: str) -> None:
    """What the demo import, a restore or a purge of old replay copies leaves: the row without its
    client_operations record."""
    with write_unit(database) as uow:
        uow.session.execute(text("DELETE FROM client_operations WHERE id = :i"), {"i": object_id})


def hours_ago(h: float) -> str:
    return iso(now_wib() - timedelta(hours=h))


def assert_names(r: Any, *loc: str) -> None:
    """A 422 in FastAPI's shape whose first error is at `loc`."""
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    assert tuple(detail[0]["loc"][: len(loc)]) == loc, detail


# ---- a create whose id is taken without a replay record ----


def _creates(scene: Scene) -> dict[str, tuple[str, Callable[[str], dict[str, Any]], Any]]:
    """kind → (path, body for an id, model): one create of every kind that goes through the write path."""
    person = scene.person(registered_at=hours_ago(30))
    eid = scene.eid
    return {
        "household": (f"/events/{eid}/households", lambda i: household_body(id=i), Household),
        "shelter": (f"/events/{eid}/shelters", lambda i: shelter_body(id=i), Shelter),
        "person": (f"/events/{eid}/persons", lambda i: person_body(id=i, shelter_id=scene.shelter["id"]), Person),
        "check_in": (f"/persons/{person['id']}/check-in",
                     lambda i: {"id": i, "shelter_id": scene.shelter["id"], "at": hours_ago(20)}, Stay),
        "distribution": (f"/events/{eid}/distributions",
                         lambda i: {"id": i, "item_code": "paket_sandang", "quantity": 1, "person_id": person["id"],
                                    "delivered_at": hours_ago(10)}, Distribution),
        "service": (f"/events/{eid}/services",
                    lambda i: {"id": i, "person_id": person["id"], "kind": "psikososial",
                               "delivered_at": hours_ago(5)}, Service),
    }


@pytest.mark.parametrize("kind", ["household", "shelter", "person", "check_in", "distribution", "service"])
def test_create_whose_id_exists_without_a_replay_record_is_409_naming_id(
        kind: str, scene: Scene, admin: Api, database: Database) -> None:
    """The row is there, its replay record is not: resending the create is 409 naming `id`, nothing written
    (it was the database's primary-key error: 500)."""
    path, body_for, model = _creates(scene)[kind]
    body = body_for(new_id())
    first = admin.post(path, json=body)
    assert first.status_code == 201, first.text
    forget_replay_record(database, body["id"])
    seq = event_seq(admin, scene.eid)

    again = admin.post(path, json=body)
    assert again.status_code == 409, again.text
    assert again.json()["detail"].startswith("id:"), again.text
    assert count(database, model, id=body["id"]) == 1
    assert count(database, ClientOperation, id=body["id"]) == 0
    assert event_seq(admin, scene.eid) == seq


def test_an_id_taken_in_another_event_gets_the_same_answer_as_one_taken_here(
        admin: Api, database: Database) -> None:
    """Whether the id is taken in this event or in another, with or without its replay record, the 409
    says the same: nothing tells the caller that the other event exists."""
    here, there = build_scene(admin), build_scene(admin)
    answers = []
    for with_record in (True, False):
        taken_here, taken_there = person_body(), person_body()
        assert admin.post(f"/events/{here.eid}/persons", json=taken_here).status_code == 201
        assert admin.post(f"/events/{there.eid}/persons", json=taken_there).status_code == 201
        if not with_record:
            forget_replay_record(database, taken_here["id"])
            forget_replay_record(database, taken_there["id"])
        seq = event_seq(admin, here.eid)
        other_content = admin.post(f"/events/{here.eid}/persons", json={**taken_here, "full_name": "Orang Lain"})
        elsewhere = admin.post(f"/events/{here.eid}/persons", json=taken_there)
        assert other_content.status_code == elsewhere.status_code == 409, (other_content.text, elsewhere.text)
        answers += [other_content.json(), elsewhere.json()]
        assert count(database, Person, id=taken_there["id"]) == 1
        assert event_seq(admin, here.eid) == seq
    assert all(a == answers[0] for a in answers), answers
    assert there.eid not in answers[0]["detail"]


def test_check_in_with_the_id_of_the_stay_a_registration_opened_is_409(scene: Scene, admin: Api,
                                                                         database: Database) -> None:
    """A registration with a shelter opens a stay under an id derived from the person's: a check-in that
    reuses that id (another kind of record, so no replay record of its own) is 409, not a key error."""
    person = scene.person(shelter_id=scene.shelter["id"], registered_at=hours_ago(30))
    stay_id = first_stay_id(person["id"])
    r = admin.post(f"/persons/{person['id']}/check-in",
                   json={"id": stay_id, "shelter_id": scene.shelter["id"], "at": hours_ago(2)})
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith("id:")
    assert count(database, Stay, id=stay_id) == 1
    assert count(database, Stay, person_id=person["id"]) == 1


def test_sync_answers_a_taken_id_as_its_own_conflict_and_stores_the_rest(
        scene: Scene, admin: Api, database: Database) -> None:
    """In a batch, the record whose id is taken without a replay record is `conflict`; the records around
    it are created (it was a 500 that lost the whole batch)."""
    taken = scene.person(registered_at=hours_ago(30))
    forget_replay_record(database, taken["id"])
    before, after = person_body(full_name="Rina Ginting"), household_body(head_name="Sabar Tarigan")
    records = [{"type": "person", "event_id": scene.eid, "data": before},
               {"type": "person", "event_id": scene.eid, "data": person_body(id=taken["id"])},
               {"type": "household", "event_id": scene.eid, "data": after}]
    r = admin.post("/sync", json={"records": records})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "conflict", "created"], results
    assert results[1]["error"].startswith("id:") and results[1]["id"] == taken["id"]
    assert count(database, Person, id=before["id"]) == 1
    assert count(database, Household, id=after["id"]) == 1


# ---- instants at the edges of the calendar ----


def _instant_cases(scene: Scene, admin: Api) -> dict[str, Callable[[str], Any]]:
    """field → send that instant in it (every timestamp field of the API)."""
    eid, sid = scene.eid, scene.shelter["id"]
    person = scene.person(registered_at=hours_ago(30), shelter_id=sid)
    return {
        "registered_at": lambda v: admin.post(f"/events/{eid}/persons", json=person_body(registered_at=v)),
        "at": lambda v: admin.post(f"/persons/{person['id']}/check-out", json={"at": v}),
        "delivered_at": lambda v: admin.post(f"/events/{eid}/distributions", json={
            "item_code": "paket_sandang", "quantity": 1, "person_id": person["id"], "delivered_at": v}),
        "started_at": lambda v: admin.post("/events", json=event_body(started_at=v)),
        "ended_at": lambda v: admin.patch(f"/events/{eid}", json={"ended_at": v}),
        "opened_at": lambda v: admin.post(f"/events/{eid}/shelters", json=shelter_body(opened_at=v)),
        "closed_at": lambda v: admin.patch(f"/events/{eid}/shelters/{sid}", json={"closed_at": v}),
    }


@pytest.mark.parametrize("field", ["registered_at", "at", "delivered_at", "started_at", "ended_at", "opened_at",
                                   "closed_at"])
def test_instants_at_the_edges_of_the_calendar_are_422_naming_the_field(
        field: str, scene: Scene, admin: Api, database: Database) -> None:
    """0001-01-01 and 9999-12-31 in any offset: 422 naming the field (converting them to UTC overflowed: 500),
    nothing written."""
    send = _instant_cases(scene, admin)[field]
    seq = event_seq(admin, scene.eid)
    for value in EDGE_INSTANTS:
        assert_names(send(value), "body", field)
    assert event_seq(admin, scene.eid) == seq
    assert count(database, Stay, shelter_id=scene.shelter["id"], check_out=None) == 1  # the check-out never ran


@pytest.mark.parametrize("path", ["/report", "/daily", "/export.hxl.csv"])
def test_as_of_at_the_edges_of_the_calendar_is_422(path: str, scene: Scene, admin: Api) -> None:
    for value in EDGE_INSTANTS:
        r = admin.get(f"/events/{scene.eid}{path}", params={"as_of": value, "dataset": "shelters"})
        assert_names(r, "query", "as_of")


def test_edge_instants_in_a_sync_record_are_invalid_naming_the_field(scene: Scene, admin: Api,
                                                                     database: Database) -> None:
    good = person_body()
    records = [{"type": "person", "event_id": scene.eid, "data": person_body(registered_at=v)} for v in EDGE_INSTANTS]
    records.append({"type": "person", "event_id": scene.eid, "data": good})
    results = admin.post("/sync", json={"records": records}).json()["results"]
    assert [x["status"] for x in results] == ["invalid"] * 4 + ["created"], results
    assert all(x["error"].startswith("registered_at:") for x in results[:4])
    assert count(database, Person, id=good["id"]) == 1


# ---- integers past what the database takes ----


@pytest.mark.parametrize("offset", [2**63 - 1, 2**63, 2**64, 10**40])
def test_offset_past_a_64_bit_integer_is_422(offset: int, scene: Scene, admin: Api) -> None:
    for path in (f"/events/{scene.eid}/persons", "/events", f"/events/{scene.eid}/shelters", "/users",
                 f"/events/{scene.eid}/audit", "/regions"):
        assert_names(admin.get(path, params={"offset": offset}), "query", "offset")


def test_a_large_offset_the_database_takes_is_an_empty_page(scene: Scene, admin: Api) -> None:
    r = admin.get(f"/events/{scene.eid}/persons", params={"offset": 1_000_000_000})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [] and r.json()["offset"] == 1_000_000_000


@pytest.mark.parametrize("user_id", [2**31, 2**63, 2**64])
def test_user_ids_past_the_database_integer_are_422(user_id: int, scene: Scene, admin: Api) -> None:
    assert_names(admin.get(f"/users/{user_id}"), "path", "user_id")
    assert_names(admin.patch(f"/users/{user_id}", json={"full_name": "X"}), "path", "user_id")
    assert_names(admin.delete(f"/events/{scene.eid}/members/{user_id}"), "path", "user_id")
    assert_names(admin.post(f"/events/{scene.eid}/members", json={"user_id": user_id}), "body", "user_id")


# ---- If-Match ----


@pytest.mark.parametrize("digits", [40, 5000])
def test_an_if_match_of_thousands_of_digits_is_422_naming_it(digits: int, scene: Scene, admin: Api) -> None:
    """int() of a 5,000-digit string raises: that was a 500. Now 422 naming If-Match, nothing changed."""
    person = scene.person()
    targets = [(f"/persons/{person['id']}", {"full_name": "Nama Baru"}),
               (f"/events/{scene.eid}", {"name": "Nama Baru"}),
               (f"/events/{scene.eid}/shelters/{scene.shelter['id']}", {"name": "Nama Baru"})]
    for path, body in targets:
        r = admin.patch(path, json=body, headers={"If-Match": "9" * digits})
        assert_names(r, "header")
        assert r.json()["detail"][0]["loc"][1].lower() == "if-match"
    assert admin.get(f"/persons/{person['id']}").json()["version"] == 1
    assert admin.get(f"/events/{scene.eid}").json()["name"] == scene.event["name"]


# ---- control characters ----

CONTROL = ["\x00", "\x01", "\x1b", "\x7f", "\x85"]


def _text_cases(scene: Scene, admin: Api) -> dict[str, Callable[[str], Any]]:
    """(where, field) → send a text in it: single-line text fields of every kind of create and update."""
    eid, sid = scene.eid, scene.shelter["id"]
    person = scene.person()
    return {
        "full_name": lambda t: admin.post(f"/events/{eid}/persons", json=person_body(full_name=f"Siti{t}Aminah")),
        "head_name": lambda t: admin.post(f"/events/{eid}/households", json=household_body(head_name=f"A{t}B")),
        "name": lambda t: admin.post(f"/events/{eid}/shelters", json=shelter_body(name=f"SD{t}1")),
        "item_code": lambda t: admin.post(f"/events/{eid}/distributions", json={
            "item_code": f"be{t}ras", "quantity": 1, "shelter_id": sid}),
        "household_id": lambda t: admin.post(f"/events/{eid}/persons", json=person_body(household_id=f"x{t}")),
        "standard_code": lambda t: admin.post("/events", json=event_body(standard_code=f"default{t}")),
        "event name": lambda t: admin.patch(f"/events/{eid}", json={"name": f"Banjir{t}Binjai"}),
        "person update": lambda t: admin.patch(f"/persons/{person['id']}", json={"full_name": f"X{t}Y"}),
        "user full_name": lambda t: admin.post("/users", json={"username": f"u{new_id()[:8]}", "password":
                                                                "kata-sandi-yang-panjang-1", "role": "relawan",
                                                                "full_name": f"A{t}B"}),
        "item name": lambda t: admin.post("/items", json={"code": f"i_{new_id()[:8]}", "name": f"A{t}B", "unit": "pcs"}),
        "indicator_code": lambda t: admin.put("/reports/renstra/manual", json={
            "year": 2026, "indicator_code": f"x{t}", "value": 1}),
    }


FIELD_OF = {"event name": "name", "person update": "full_name", "user full_name": "full_name", "item name": "name"}


@pytest.mark.parametrize("case", ["full_name", "head_name", "name", "item_code", "household_id", "standard_code",
                                  "event name", "person update", "user full_name", "item name", "indicator_code"])
def test_control_characters_in_a_text_field_are_422_naming_it(case: str, scene: Scene, admin: Api,
                                                              database: Database) -> None:
    """NUL (PostgreSQL refuses it: 500) and every other control character, TAB and newline included, in a
    single-line text: 422 naming the field, nothing written. (Leading and trailing whitespace, some
    control characters among it, is stripped as before: only what would be stored is refused.)"""
    send = _text_cases(scene, admin)[case]
    seq = event_seq(admin, scene.eid)
    for ch in [*CONTROL, "\t", "\n"]:
        assert_names(send(ch), "body", FIELD_OF.get(case, case))
    assert event_seq(admin, scene.eid) == seq


def test_free_text_keeps_tab_and_newlines_but_refuses_other_control_characters(scene: Scene, admin: Api) -> None:
    """Notes and addresses may span lines (TAB, LF, CR kept as sent); NUL and the like are 422 there too."""
    eid = scene.eid
    note = "beras 2 karung\r\nminyak:\t1 liter"
    r = admin.post(f"/events/{eid}/distributions", json={"item_code": "beras", "quantity": 1,
                                                         "shelter_id": scene.shelter["id"], "notes": note})
    assert r.status_code == 201, r.text
    assert r.json()["notes"] == note
    hh = admin.post(f"/events/{eid}/households", json=household_body(address="Jl. Sudirman\nGg. Mawar No. 5"))
    assert hh.status_code == 201, hh.text
    for ch in CONTROL:
        assert_names(admin.post(f"/events/{eid}/distributions", json={
            "item_code": "beras", "quantity": 1, "shelter_id": scene.shelter["id"], "notes": f"a{ch}b"}),
            "body", "notes")
        assert_names(admin.post(f"/events/{eid}/households", json=household_body(address=f"Jl.{ch}Mawar")),
                     "body", "address")


def test_control_characters_in_query_values_path_ids_and_form_fields_are_422(scene: Scene, admin: Api,
                                                                             anon: Api) -> None:
    eid = scene.eid
    for ch in CONTROL:
        assert_names(admin.get(f"/events/{eid}/persons", params={"q": f"Siti{ch}Aminah"}), "query", "q")
        assert_names(admin.get(f"/events/{eid}/distributions", params={"item_code": f"be{ch}ras"}),
                     "query", "item_code")
        assert_names(admin.get("/regions", params={"parent_code": f"12{ch}75"}), "query", "parent_code")
    assert_names(admin.get("/events/a%00b"), "path", "event_id")
    assert_names(admin.get("/persons/%00"), "path", "person_id")
    assert_names(admin.get(f"/events/{eid}/shelters/x%00"), "path", "shelter_id")
    assert_names(admin.post("/persons/%01/check-in", json={"shelter_id": scene.shelter["id"]}), "path", "person_id")
    r = anon.client.post("/api/v1/auth/token", data={"username": "admin\x00", "password": "x"})
    assert_names(r, "body", "username")


def test_control_characters_in_a_sync_record_make_it_invalid_and_the_rest_is_stored(
        scene: Scene, admin: Api, database: Database) -> None:
    good = person_body()
    records = [{"type": "person", "event_id": scene.eid, "data": person_body(full_name="Siti\x00Aminah")},
               {"type": "household", "event_id": scene.eid, "data": household_body(address="a\x00b")},
               {"type": "person", "event_id": scene.eid + "\x00", "data": person_body()},
               {"type": "person", "event_id": scene.eid, "data": good}]
    results = admin.post("/sync", json={"records": records}).json()["results"]
    assert [x["status"] for x in results] == ["invalid", "invalid", "invalid", "created"], results
    assert results[0]["error"].startswith("full_name:")
    assert results[1]["error"].startswith("address:")
    assert results[2]["error"].startswith("event_id:")
    assert count(database, Person, id=good["id"]) == 1


def test_control_characters_in_a_standard_profile_are_422(admin: Api) -> None:
    """A profile keeps free JSON (services, fields it does not know): the text in it is checked too."""
    profile = admin.get("/standards/spm_binjai").json()[-1]
    body = {k: profile[k] for k in ("code", "meal_times_local", "items", "services", "shelter_standards")}
    body["name"] = profile["name"]
    bad_service = {**body, "services": [*body["services"], {"code": "x", "note": "a\x00b"}]}
    assert_names(admin.post("/standards", json=bad_service), "body", "services")
    bad_extra = {**body, "items": [{**body["items"][0], "catatan": "a\x00"}, *body["items"][1:]]}
    assert_names(admin.post("/standards", json=bad_extra), "body", "items")
    assert admin.get("/standards/spm_binjai").json()[-1]["version"] == profile["version"]


def test_a_check_in_reusing_the_stay_id_of_a_registration_in_the_same_batch_is_a_conflict(
        scene: Scene, admin: Api, database: Database) -> None:
    """Within one batch too: a transfer may not take the id of the stay the registration before it opened
    (it overwrote that stay: the registration's check-in was lost without a word)."""
    other = admin.post(f"/events/{scene.eid}/shelters", json=shelter_body(name="Masjid Al-Ikhlas"))
    assert other.status_code == 201, other.text
    person = person_body(shelter_id=scene.shelter["id"], registered_at=hours_ago(30))
    stay_id = first_stay_id(person["id"])
    records = [{"type": "person", "event_id": scene.eid, "data": person},
               {"type": "check_in", "event_id": scene.eid,
                "data": {"id": stay_id, "person_id": person["id"], "shelter_id": other.json()["id"],
                         "at": hours_ago(2)}}]
    results = admin.post("/sync", json={"records": records}).json()["results"]
    assert [x["status"] for x in results] == ["created", "conflict"], results
    stays = admin.get(f"/persons/{person['id']}/stays").json()
    assert [s["id"] for s in stays] == [stay_id]
    assert utc(stays[0]["check_in"]) == utc(person["registered_at"])
