"""Who sees what (docs/api.md, "Roles", "Rules every endpoint keeps").

- the role × endpoint matrix, written out below as the spec it is;
- objects of one event are not reachable through another (404);
- pengamat never receives a name, a NIK or a KK number;
- NIK masking in relawan lists;
- the audit log of writes and of reads of one person's record;
- a NIK never reaches the logs (a real uvicorn process with its access log, and the in-process loggers).
"""

from __future__ import annotations

import json
import logging
import random
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.models import AuditLog, Event, User
from tests.api.live_server import LiveServer, server_env
from tests.conftest import (
    PASSWORD,
    Api,
    Scene,
    add_member,
    build_scene,
    create_user_row,
    event_body,
    household_body,
    new_id,
    person_body,
    shelter_body,
)

ROOT = Path(__file__).resolve().parents[2]
ACTORS = ("admin", "posko", "member", "outsider", "pengamat", "anon")
_rng = random.Random()


def distinct_nik(female: bool = False) -> str:
    """A plausible NIK unlike any other test's: a Bandung prefix (legal: the NIK keeps its first place of
    issue) with a random district and serial, so it can be searched for as a substring of any text. The
    birth date is person_body's (12-05-1985): a NIK must agree with the birth date it is registered with."""
    day = 12 + (40 if female else 0)
    return f"3273{_rng.randint(10, 99):02d}{day:02d}0585{_rng.randint(1000, 9999):04d}"


def distinct_kk() -> str:
    return f"3273{_rng.randint(10, 99):02d}{_rng.randint(0, 10**10 - 1):010d}"


_LETTERS_FOR_DIGITS = str.maketrans("0123456789", "GHJKMNPQRS")


def distinct_name(base: str) -> str:
    """A name no other test uses; its suffix is letters only, so a search for it is a name search, never
    a number search (8 hex characters are all digits about 2% of the time)."""
    return f"{base} {uuid.uuid4().hex[:8].translate(_LETTERS_FOR_DIGITS).upper()}"


# ---------------------------------------------------------------------------------------------
# The world of the matrix: event A (the member's), event B (the outsider's), one of everything.
# ---------------------------------------------------------------------------------------------


@dataclass
class World:
    admin: Api
    posko: Api
    member: Api  # relawan, member of event A only
    outsider: Api  # relawan, member of event B only: A does not exist for them
    pengamat: Api
    anon: Api
    a: Scene
    b: Scene
    database: Database
    objects: dict[str, str] = field(default_factory=dict)

    def actor(self, name: str) -> Api:
        api = getattr(self, name)
        assert isinstance(api, Api)
        return api

    @property
    def eid(self) -> str:
        return self.a.eid

    @property
    def sid(self) -> str:
        return str(self.a.shelter["id"])

    @property
    def hid(self) -> str:
        return str(self.a.household["id"])

    def fresh_person(self, **over: Any) -> str:
        """A new person of event A (by admin), for calls that consume one (check-in, check-out)."""
        r = self.admin.post(f"/events/{self.eid}/persons", json=person_body(**over))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def new_user_id(self) -> int:
        """A relawan account to assign (it never logs in, so it skips the slow password hash)."""
        with write_unit(self.database) as uow:
            user = User(username=f"relawan-{uuid.uuid4().hex[:10]}", full_name="Relawan Cadangan", role="relawan",
                        password_hash="!")
            uow.session.add(user)
            uow.session.flush()
            assert user.id is not None
            return user.id

    def data_seq(self, event_id: str) -> int:
        with read_unit(self.database) as s:
            event = s.get(Event, event_id)
            assert event is not None
            return event.data_seq


def _distribution(api: Api, event_id: str, shelter_id: str) -> dict[str, Any]:
    r = api.post(f"/events/{event_id}/distributions",
                 json={"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 30, "shelter_id": shelter_id})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def world(admin: Api, posko: Api, pengamat: Api, make_api: Callable[..., Api], client: TestClient,
          database: Database) -> World:
    member, outsider = make_api("relawan"), make_api("relawan")
    a, b = build_scene(admin, name="Banjir Binjai Timur A"), build_scene(admin, name="Longsor Binjai Utara B")
    add_member(admin, a.eid, member.user_id)  # type: ignore[arg-type]
    add_member(admin, b.eid, outsider.user_id)  # type: ignore[arg-type]
    anon = Api(client=client, token=None, user_id=None, username="", role="anon")
    w = World(admin=admin, posko=posko, member=member, outsider=outsider, pengamat=pengamat, anon=anon, a=a, b=b,
              database=database)
    person_a = a.person(shelter_id=a.shelter["id"], household_id=a.household["id"], nik=distinct_nik(True))
    service = admin.post(f"/events/{a.eid}/services", json={"id": new_id(), "person_id": person_a["id"],
                                                            "kind": "psikososial"})
    assert service.status_code == 201, service.text
    person_b = b.person(shelter_id=b.shelter["id"], household_id=b.household["id"])
    w.objects = {
        "person_a": person_a["id"], "distribution_a": _distribution(admin, a.eid, a.shelter["id"])["id"],
        "service_a": service.json()["id"], "person_b": person_b["id"],
        "distribution_b": _distribution(admin, b.eid, b.shelter["id"])["id"],
    }
    return w


def _standard_body() -> dict[str, Any]:
    profile = json.loads((ROOT / "shared" / "data" / "needs_profiles.json").read_text())["profiles"][0]
    body = {k: profile[k] for k in ("name", "meal_times_local", "items", "services", "shelter_standards")}
    body["code"] = f"uji_{uuid.uuid4().hex[:10]}"
    return body


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None


# How to make each request against the world (bodies carry fresh ids, so every actor's call is a new create).
CALLS: dict[str, Callable[[World], Call]] = {
    "GET /events": lambda w: Call("GET", "/events"),
    "POST /events": lambda w: Call("POST", "/events", event_body()),
    "GET /events/{id}": lambda w: Call("GET", f"/events/{w.eid}"),
    "PATCH /events/{id}": lambda w: Call("PATCH", f"/events/{w.eid}", {"name": "Banjir Binjai Timur (diperbarui)"}),
    "POST /events/{id}/members": lambda w: Call("POST", f"/events/{w.eid}/members", {"user_id": w.new_user_id()}),
    "GET /events/{id}/members": lambda w: Call("GET", f"/events/{w.eid}/members"),
    "GET /events/{id}/shelters": lambda w: Call("GET", f"/events/{w.eid}/shelters"),
    "POST /events/{id}/shelters": lambda w: Call("POST", f"/events/{w.eid}/shelters", shelter_body()),
    "GET /events/{id}/shelters/{sid}": lambda w: Call("GET", f"/events/{w.eid}/shelters/{w.sid}"),
    "PATCH /events/{id}/shelters/{sid}": lambda w: Call("PATCH", f"/events/{w.eid}/shelters/{w.sid}",
                                                        {"capacity_persons": 150}),
    "GET /events/{id}/households": lambda w: Call("GET", f"/events/{w.eid}/households"),
    "POST /events/{id}/households": lambda w: Call("POST", f"/events/{w.eid}/households", household_body()),
    "GET /events/{id}/households/{hid}": lambda w: Call("GET", f"/events/{w.eid}/households/{w.hid}"),
    "GET /events/{id}/persons": lambda w: Call("GET", f"/events/{w.eid}/persons"),
    "POST /events/{id}/persons": lambda w: Call("POST", f"/events/{w.eid}/persons", person_body(nik=distinct_nik(True))),
    "GET /persons/{id}": lambda w: Call("GET", f"/persons/{w.objects['person_a']}"),
    "PATCH /persons/{id}": lambda w: Call("PATCH", f"/persons/{w.objects['person_a']}", {"needs_psychosocial": True}),
    "GET /persons/{id}/stays": lambda w: Call("GET", f"/persons/{w.objects['person_a']}/stays"),
    "POST /persons/{id}/check-in": lambda w: Call("POST", f"/persons/{w.fresh_person()}/check-in",
                                                  {"id": new_id(), "shelter_id": w.sid}),
    "POST /persons/{id}/check-out": lambda w: Call("POST", f"/persons/{w.fresh_person(shelter_id=w.sid)}/check-out",
                                                   {"id": new_id()}),
    "GET /events/{id}/distributions": lambda w: Call("GET", f"/events/{w.eid}/distributions"),
    "POST /events/{id}/distributions": lambda w: Call("POST", f"/events/{w.eid}/distributions",
                                                      {"id": new_id(), "item_code": "air_minum", "quantity": 120,
                                                       "shelter_id": w.sid}),
    "GET /events/{id}/distributions/{did}": lambda w: Call("GET",
                                                           f"/events/{w.eid}/distributions/{w.objects['distribution_a']}"),
    "GET /events/{id}/services": lambda w: Call("GET", f"/events/{w.eid}/services"),
    "POST /events/{id}/services": lambda w: Call("POST", f"/events/{w.eid}/services",
                                                 {"id": new_id(), "person_id": w.objects["person_a"],
                                                  "kind": "penanganan_khusus"}),
    "POST /sync": lambda w: Call("POST", "/sync", {"records": [{"type": "household", "event_id": w.eid,
                                                                "data": household_body()}]}),
    "POST /users": lambda w: Call("POST", "/users", {"username": f"relawan-{uuid.uuid4().hex[:8]}",
                                                     "password": PASSWORD, "role": "relawan",
                                                     "full_name": "Relawan Baru"}),
    "GET /users": lambda w: Call("GET", "/users"),
    "POST /standards": lambda w: Call("POST", "/standards", _standard_body()),
    "POST /items": lambda w: Call("POST", "/items", {"code": f"terpal_{uuid.uuid4().hex[:8]}", "name": "Terpal",
                                                     "unit": "lembar"}),
    "GET /regions": lambda w: Call("GET", "/regions"),
    "GET /items": lambda w: Call("GET", "/items"),
    "GET /standards": lambda w: Call("GET", "/standards"),
}

# The spec. "member" is a relawan assigned to the event, "outsider" a relawan who is not (the event does not
# exist for them: 404). POST /sync answers 200 per batch; its cell is the record's status.
# fmt: off
EXPECTED: dict[str, tuple[int | str, ...]] = {
    #                                      admin      posko      member     outsider     pengamat     anon
    "GET /events":                         (200,       200,       200,       200,         200,         401),
    "POST /events":                        (201,       201,       403,       403,         403,         401),
    "GET /events/{id}":                    (200,       200,       200,       404,         200,         401),
    "PATCH /events/{id}":                  (200,       200,       403,       404,         403,         401),
    "POST /events/{id}/members":           (201,       201,       403,       404,         403,         401),
    "GET /events/{id}/members":            (200,       200,       403,       404,         403,         401),
    "GET /events/{id}/shelters":           (200,       200,       200,       404,         200,         401),
    "POST /events/{id}/shelters":          (201,       201,       201,       404,         403,         401),
    "GET /events/{id}/shelters/{sid}":     (200,       200,       200,       404,         200,         401),
    "PATCH /events/{id}/shelters/{sid}":   (200,       200,       200,       404,         403,         401),
    "GET /events/{id}/households":         (200,       200,       200,       404,         403,         401),
    "POST /events/{id}/households":        (201,       201,       201,       404,         403,         401),
    "GET /events/{id}/households/{hid}":   (200,       200,       200,       404,         403,         401),
    "GET /events/{id}/persons":            (200,       200,       200,       404,         403,         401),
    "POST /events/{id}/persons":           (201,       201,       201,       404,         403,         401),
    "GET /persons/{id}":                   (200,       200,       200,       404,         403,         401),
    "PATCH /persons/{id}":                 (200,       200,       200,       404,         403,         401),
    "GET /persons/{id}/stays":             (200,       200,       200,       404,         403,         401),
    "POST /persons/{id}/check-in":         (201,       201,       201,       404,         403,         401),
    "POST /persons/{id}/check-out":        (200,       200,       200,       404,         403,         401),
    "GET /events/{id}/distributions":      (200,       200,       200,       404,         200,         401),
    "POST /events/{id}/distributions":     (201,       201,       201,       404,         403,         401),
    "GET /events/{id}/distributions/{did}": (200,      200,       200,       404,         200,         401),
    "GET /events/{id}/services":           (200,       200,       200,       404,         403,         401),
    "POST /events/{id}/services":          (201,       201,       201,       404,         403,         401),
    "POST /sync":                          ("created", "created", "created", "forbidden", "forbidden", 401),
    "POST /users":                         (201,       403,       403,       403,         403,         401),
    "GET /users":                          (200,       200,       403,       403,         403,         401),
    "POST /standards":                     (201,       403,       403,       403,         403,         401),
    "POST /items":                         (201,       403,       403,       403,         403,         401),
    "GET /regions":                        (200,       200,       200,       200,         200,         401),
    "GET /items":                          (200,       200,       200,       200,         200,         401),
    "GET /standards":                      (200,       200,       200,       200,         200,         401),
}
# fmt: on


def test_matrix_covers_every_endpoint_once() -> None:
    """The table and the request builders name the same endpoints, with one cell per actor."""
    assert set(EXPECTED) == set(CALLS)
    assert all(len(row) == len(ACTORS) for row in EXPECTED.values())


def _send(api: Api, call: Call) -> httpx.Response:
    if call.method == "GET":
        return api.get(call.path)
    if call.method == "POST":
        return api.post(call.path, json=call.body)
    if call.method == "PATCH":
        return api.patch(call.path, json=call.body)
    raise AssertionError(call.method)


MATRIX = [pytest.param(endpoint, actor, id=f"{endpoint}-{actor}") for endpoint in EXPECTED for actor in ACTORS]


@pytest.mark.parametrize(("endpoint", "actor"), MATRIX)
def test_role_endpoint_matrix(world: World, endpoint: str, actor: str) -> None:
    """Each role gets exactly the answer of the "Who sees what" table; a refused write changes nothing."""
    expected = EXPECTED[endpoint][ACTORS.index(actor)]
    call = CALLS[endpoint](world)
    event_scoped = world.eid in call.path or call.path.startswith("/persons/") or call.path == "/sync"
    seq_before = world.data_seq(world.eid)
    r = _send(world.actor(actor), call)
    if isinstance(expected, str):  # /sync: the batch is accepted, the record answered on its own
        assert r.status_code == 200, r.text
        result = r.json()["results"][0]
        assert result["status"] == expected, result
    else:
        assert r.status_code == expected, f"{actor} {endpoint}: {r.status_code} {r.text}"
    refused = (isinstance(expected, int) and expected >= 400) or expected == "forbidden"
    if refused:
        if isinstance(expected, int):
            detail = r.json()["detail"]
            assert isinstance(detail, str) and detail  # {detail: "message"}, not a validation list
        if call.method != "GET" and event_scoped:
            assert world.data_seq(world.eid) == seq_before, "a refused write must write nothing"


def test_relawan_lists_only_member_events(world: World) -> None:
    """GET /events shows a relawan its member events only; admin, posko and pengamat see them all."""
    def ids(api: Api) -> set[str]:
        r = api.get("/events", params={"limit": 500})
        assert r.status_code == 200, r.text
        return {e["id"] for e in r.json()["items"]}

    assert world.eid in ids(world.member) and world.b.eid not in ids(world.member)
    assert world.b.eid in ids(world.outsider) and world.eid not in ids(world.outsider)
    for api in (world.admin, world.posko, world.pengamat):
        assert {world.eid, world.b.eid} <= ids(api)


def test_event_of_others_is_indistinguishable_from_a_missing_one(world: World) -> None:
    """For a non-member relawan, another event's paths answer exactly like an event that does not exist."""
    missing = new_id()
    paths = ["/events/{e}", "/events/{e}/shelters", "/events/{e}/persons", "/events/{e}/distributions",
             "/events/{e}/households"]
    for path in paths:
        theirs = world.outsider.get(path.format(e=world.eid))
        nothing = world.outsider.get(path.format(e=missing))
        assert theirs.status_code == nothing.status_code == 404, path
        assert theirs.json() == nothing.json(), path
    write = world.outsider.post(f"/events/{world.eid}/shelters", json=shelter_body())
    write_missing = world.outsider.post(f"/events/{missing}/shelters", json=shelter_body())
    assert write.status_code == write_missing.status_code == 404
    assert write.json() == write_missing.json()
    # and the outsider's own event works, so the 404 is about membership, not the role
    own = world.outsider.post(f"/events/{world.b.eid}/shelters", json=shelter_body())
    assert own.status_code == 201, own.text


# ---------------------------------------------------------------------------------------------
# Cross-event ids
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["admin", "member"])
def test_objects_of_another_event_are_not_found_under_this_one(world: World, actor: str) -> None:
    """/events/A/... with the id of a shelter, household or distribution of event B → 404, and B is untouched."""
    api, a, b = world.actor(actor), world.eid, world.b
    shelter_b = b.shelter["id"]
    assert api.get(f"/events/{a}/shelters/{shelter_b}").status_code == 404
    patched = api.patch(f"/events/{a}/shelters/{shelter_b}", json={"name": "Diambil alih", "capacity_persons": 1})
    assert patched.status_code == 404, patched.text
    assert api.get(f"/events/{a}/households/{b.household['id']}").status_code == 404
    assert api.get(f"/events/{a}/distributions/{world.objects['distribution_b']}").status_code == 404
    stored = world.admin.get(f"/events/{b.eid}/shelters/{shelter_b}").json()
    assert (stored["name"], stored["capacity_persons"], stored["version"]) == (
        b.shelter["name"], b.shelter["capacity_persons"], b.shelter["version"])


def test_member_of_one_event_cannot_reach_persons_of_another(world: World) -> None:
    """A relawan of event A only: persons of B are 404 for reading, changing, checking in or out."""
    person_b = world.objects["person_b"]
    m = world.member
    assert m.get(f"/persons/{person_b}").status_code == 404
    assert m.get(f"/persons/{person_b}/stays").status_code == 404
    assert m.patch(f"/persons/{person_b}", json={"condition": "hilang"}).status_code == 404
    for shelter in (world.sid, world.b.shelter["id"]):
        r = m.post(f"/persons/{person_b}/check-in", json={"id": new_id(), "shelter_id": shelter})
        assert r.status_code == 404, r.text
    assert m.post(f"/persons/{person_b}/check-out", json={"id": new_id()}).status_code == 404
    stays = world.admin.get(f"/persons/{person_b}/stays").json()
    assert len(stays) == 1 and stays[0]["check_out"] is None and stays[0]["shelter_id"] == world.b.shelter["id"]
    assert world.admin.get(f"/persons/{person_b}").json()["condition"] == "selamat"


# ---------------------------------------------------------------------------------------------
# pengamat: no names, no NIK
# ---------------------------------------------------------------------------------------------


@dataclass
class PrivateEvent:
    event_id: str
    ids: dict[str, str]
    secrets: list[str]  # every name, NIK and KK number of the event


def _private_event(admin: Api) -> PrivateEvent:
    ev = admin.post("/events", json=event_body(name="Kebakaran Permukiman Tanah Tinggi", kind="kebakaran_permukiman"))
    assert ev.status_code == 201, ev.text
    eid = ev.json()["id"]
    shelter = admin.post(f"/events/{eid}/shelters", json=shelter_body(name="Masjid Raya Binjai", kind="rumah_ibadah"))
    assert shelter.status_code == 201, shelter.text
    sid = shelter.json()["id"]
    head, kk = distinct_name("Parlindungan Sembiring"), distinct_kk()
    hh = admin.post(f"/events/{eid}/households", json=household_body(head_name=head, kk_number=kk))
    assert hh.status_code == 201, hh.text
    hid = hh.json()["id"]
    secrets = [head, kk]
    persons = []
    for name, sex, female in (("Rosmawati Br Ginting", "P", True), ("Tumpal Parulian Lubis", "L", False),
                              ("Nurhayati Lubis", "P", True)):
        full_name, nik = distinct_name(name), distinct_nik(female)
        r = admin.post(f"/events/{eid}/persons", json=person_body(full_name=full_name, sex=sex, nik=nik,
                                                                  household_id=hid, shelter_id=sid,
                                                                  vulnerabilities=["disabilitas"]))
        assert r.status_code == 201, r.text
        persons.append(r.json()["id"])
        secrets += [full_name, nik]
    service = admin.post(f"/events/{eid}/services", json={"person_id": persons[0], "kind": "penanganan_khusus"})
    assert service.status_code == 201, service.text
    dist = admin.post(f"/events/{eid}/distributions", json={"item_code": "paket_sandang", "quantity": 1,
                                                            "person_id": persons[1]})
    assert dist.status_code == 201, dist.text
    return PrivateEvent(event_id=eid, secrets=secrets,
                        ids={"event_id": eid, "shelter_id": sid, "household_id": hid, "person_id": persons[0],
                             "distribution_id": dist.json()["id"], "service_id": service.json()["id"]})


def _leaks(response: httpx.Response, secrets: list[str]) -> list[str]:
    text = (response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())).lower()
    return [s for s in secrets if s.lower() in text]


def test_pengamat_never_receives_a_name_or_nik(admin: Api, pengamat: Api) -> None:
    """Every GET route of the app, called as pengamat on an event full of names and NIKs, answers without any
    of them; the event-level reads are allowed (200), the personal ones refused (403)."""
    ev = _private_event(admin)
    app = pengamat.client.app
    fill = dict(ev.ids, user_id=str(pengamat.user_id), code="spm_binjai")
    calls: list[tuple[str, dict[str, str]]] = []
    for template, operations in app.openapi()["paths"].items():  # type: ignore[attr-defined]
        if "get" not in operations or not template.startswith("/api/v1/"):
            continue
        path = re.sub(r"{(\w+)}", lambda m: fill.get(m.group(1), "tidak-ada"), template.removeprefix("/api/v1"))
        calls.append((path, {}))
    persons_path, households_path = f"/events/{ev.event_id}/persons", f"/events/{ev.event_id}/households"
    for secret in ev.secrets:  # searching by a name or NIK reveals nothing either
        calls += [(persons_path, {"q": secret}), (households_path, {"q": secret})]

    answers = {}
    for path, params in calls:
        r = pengamat.get(path, params=params)
        assert r.status_code < 500, (path, r.text)
        assert not _leaks(r, ev.secrets), f"GET {path} {params} leaked {_leaks(r, ev.secrets)}"
        answers.setdefault(path, r.status_code)

    e = ev.event_id
    for allowed in (f"/events/{e}", f"/events/{e}/shelters", f"/events/{e}/shelters/{ev.ids['shelter_id']}",
                    f"/events/{e}/distributions", f"/events/{e}/distributions/{ev.ids['distribution_id']}"):
        assert answers[allowed] == 200, allowed
    for refused in (persons_path, households_path, f"/events/{e}/households/{ev.ids['household_id']}",
                    f"/events/{e}/services", f"/persons/{ev.ids['person_id']}",
                    f"/persons/{ev.ids['person_id']}/stays"):
        assert answers[refused] == 403, refused
    # the admin sees the same event's names, so the secrets were there to leak
    assert _leaks(admin.get(persons_path, params={"limit": 500}), ev.secrets)


def test_pengamat_writes_echo_no_personal_data(admin: Api, pengamat: Api) -> None:
    """A pengamat's refused person create, its 422 and its sync answer carry neither the name nor the NIK sent."""
    ev = _private_event(admin)
    name, nik = distinct_name("Sri Rezeki Tarigan"), distinct_nik(True)
    bad_nik = nik[:8] + "13" + nik[10:]  # month 13
    created = pengamat.post(f"/events/{ev.event_id}/persons", json=person_body(full_name=name, nik=nik))
    assert created.status_code == 403
    invalid = pengamat.post(f"/events/{ev.event_id}/persons", json=person_body(full_name=name, nik=bad_nik))
    assert invalid.status_code == 422
    synced = pengamat.post("/sync", json={"records": [
        {"type": "person", "event_id": ev.event_id, "data": person_body(full_name=name, nik=nik)},
        {"type": "person", "event_id": ev.event_id, "data": person_body(full_name=name, nik=bad_nik)}]})
    assert synced.status_code == 200
    assert [x["status"] for x in synced.json()["results"]] == ["forbidden", "invalid"]
    for r in (created, invalid, synced):
        assert not _leaks(r, [name, nik, bad_nik]), r.text


# ---------------------------------------------------------------------------------------------
# NIK masking
# ---------------------------------------------------------------------------------------------


def test_nik_masked_in_relawan_lists_full_in_detail_and_for_staff(admin: Api, posko: Api,
                                                                  make_api: Callable[..., Api]) -> None:
    """Relawan lists show `************1234`; the relawan's detail view and admin/posko lists show the NIK."""
    scene = build_scene(admin)
    member = make_api("relawan")
    add_member(admin, scene.eid, member.user_id)  # type: ignore[arg-type]
    niks: dict[str, str] = {}
    for name, sex, female in (("Juliana Br Sitepu", "P", True), ("Darwin Pasaribu", "L", False)):
        nik = distinct_nik(female)
        niks[scene.person(full_name=distinct_name(name), sex=sex, nik=nik)["id"]] = nik
    no_nik = scene.person(full_name="Bayi Ny. Sitepu", sex="L", birth_date=None, age_years=0)["id"]

    listed = member.get(f"/events/{scene.eid}/persons")
    assert listed.status_code == 200, listed.text
    by_id = {p["id"]: p for p in listed.json()["items"]}
    for pid, nik in niks.items():
        assert re.fullmatch(r"\*{12}\d{4}", by_id[pid]["nik"]), by_id[pid]["nik"]
        assert by_id[pid]["nik"] == "************" + nik[-4:]
        assert nik not in listed.text and nik[:12] not in listed.text
    assert by_id[no_nik]["nik"] is None

    pid, nik = next(iter(niks.items()))
    found = member.get(f"/events/{scene.eid}/persons", params={"q": nik})  # a relawan may search by the KTP at hand
    assert found.status_code == 200 and [p["id"] for p in found.json()["items"]] == [pid]
    assert found.json()["items"][0]["nik"] == "************" + nik[-4:] and nik not in found.text

    detail = member.get(f"/persons/{pid}")
    assert detail.status_code == 200 and detail.json()["nik"] == nik

    for staff in (admin, posko):
        staff_list = staff.get(f"/events/{scene.eid}/persons")
        assert staff_list.status_code == 200
        assert {p["id"]: p["nik"] for p in staff_list.json()["items"]} == {**niks, no_nik: None}


# ---------------------------------------------------------------------------------------------
# Audit log
# ---------------------------------------------------------------------------------------------


def _audit(database: Database, object_id: str, action: str | None = None) -> list[AuditLog]:
    with read_unit(database) as s:
        q = select(AuditLog).where(col(AuditLog.object_id) == object_id)
        if action is not None:
            q = q.where(col(AuditLog.action) == action)
        return list(s.exec(q.order_by(col(AuditLog.id))).all())


def test_every_write_and_every_person_read_is_audited(posko: Api, admin: Api, pengamat: Api,
                                                      make_api: Callable[..., Api], database: Database) -> None:
    """Creates, check-in/out, a PATCH, a sync record and each GET /persons/{id} leave one audit row naming the
    actor, action, object and time; GET /events/{id}/audit is for admin only."""
    t0 = datetime.now(UTC) - timedelta(seconds=2)
    member = make_api("relawan")
    ev = posko.post("/events", json=event_body())
    assert ev.status_code == 201, ev.text
    eid = ev.json()["id"]
    add_member(posko, eid, member.user_id)  # type: ignore[arg-type]

    def ok(r: httpx.Response, code: int = 201) -> dict[str, Any]:
        assert r.status_code == code, r.text
        return r.json()

    shelter = ok(member.post(f"/events/{eid}/shelters", json=shelter_body()))
    household = ok(member.post(f"/events/{eid}/households", json=household_body()))
    person = ok(member.post(f"/events/{eid}/persons", json=person_body(nik=distinct_nik(True),
                                                                        household_id=household["id"])))
    check_in = ok(member.post(f"/persons/{person['id']}/check-in", json={"shelter_id": shelter["id"]}))
    check_out = ok(member.post(f"/persons/{person['id']}/check-out", json={}), 200)
    distribution = ok(member.post(f"/events/{eid}/distributions",
                                  json={"item_code": "makanan_siap_saji", "quantity": 3, "shelter_id": shelter["id"]}))
    service = ok(member.post(f"/events/{eid}/services", json={"person_id": person["id"], "kind": "psikososial"}))
    ok(member.patch(f"/persons/{person['id']}", json={"needs_psychosocial": True}), 200)
    ok(member.patch(f"/events/{eid}/shelters/{shelter['id']}", json={"toilets": 6}), 200)
    synced_id = new_id()
    sync = ok(member.post("/sync", json={"records": [{"type": "household", "event_id": eid,
                                                       "data": household_body(id=synced_id)}]}), 200)
    assert sync["results"][0]["status"] == "created"
    ok(member.get(f"/persons/{person['id']}"), 200)
    ok(member.get(f"/persons/{person['id']}"), 200)
    t1 = datetime.now(UTC) + timedelta(seconds=2)

    expected = [  # (actor, action, object_type, object_id, rows)
        (posko, "event.create", "event", eid, 1),
        (member, "shelter.create", "shelter", shelter["id"], 1),
        (member, "household.create", "household", household["id"], 1),
        (member, "person.create", "person", person["id"], 1),
        (member, "stay.check_in", "stay", check_in["id"], 1),
        (member, "stay.check_out", "stay", check_out["id"], 1),
        (member, "distribution.create", "distribution", distribution["id"], 1),
        (member, "service.create", "service", service["id"], 1),
        (member, "person.update", "person", person["id"], 1),
        (member, "shelter.update", "shelter", shelter["id"], 1),
        (member, "household.create", "household", synced_id, 1),
        (member, "person.read", "person", person["id"], 2),
    ]
    for actor, action, object_type, object_id, count in expected:
        rows = _audit(database, object_id, action)
        assert len(rows) == count, (action, object_id, rows)
        for row in rows:
            assert (row.actor_id, row.object_type) == (actor.user_id, object_type), row
            assert row.at is not None and t0 <= row.at.astimezone(UTC) <= t1, row

    log = admin.get(f"/events/{eid}/audit", params={"limit": 500})
    assert log.status_code == 200, log.text
    actions = {(i["action"], i["object_id"], i["actor_id"]) for i in log.json()["items"]}
    assert {(a, o, actor.user_id) for actor, a, _, o, _ in expected} <= actions
    for api in (posko, member, pengamat):
        refused = api.get(f"/events/{eid}/audit")
        assert refused.status_code == 403, (api.role, refused.text)


# ---------------------------------------------------------------------------------------------
# Logs never carry a NIK
# ---------------------------------------------------------------------------------------------


class AccessLoggedServer(LiveServer):
    """The shared live server, with uvicorn's access log on at level info (as `posko api` runs it)."""

    def start(self, timeout: float = 30.0) -> AccessLoggedServer:
        env = server_env(self.settings)
        env.update({"POSKO_ACCESS_LOG": "true", "PYTHONUNBUFFERED": "1"})
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "services.api.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--access-log", "--log-level", "info"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.wait_ready(timeout)
        return self

    def stop_gracefully(self) -> str:
        """SIGINT (uvicorn's clean shutdown, which flushes its handlers), then everything it printed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.stop()
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def logged_server(settings: Settings, tmp_path: Path) -> Iterator[AccessLoggedServer]:
    server = AccessLoggedServer(settings, tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def _exercise_nik_paths(http: Callable[..., httpx.Response], kelurahan_event: dict[str, Any]) -> dict[str, Any]:
    """Register persons with NIKs, search by NIK, and send NIKs that fail validation in every way a client can.

    `http(method, path, **kw)` sends a request under /api/v1. Returns the event id and every NIK used.
    """
    ev = http("POST", "/events", json=kelurahan_event)
    assert ev.status_code == 201, ev.text
    eid = ev.json()["id"]
    shelter = http("POST", f"/events/{eid}/shelters", json=shelter_body()).json()["id"]
    kk = distinct_kk()
    hh = http("POST", f"/events/{eid}/households", json=household_body(kk_number=kk)).json()["id"]
    good = [distinct_nik(True), distinct_nik(True)]  # person_body is a woman: her NIK has day + 40
    pids = []
    for nik in good:
        r = http("POST", f"/events/{eid}/persons", json=person_body(nik=nik, household_id=hh, shelter_id=shelter))
        assert r.status_code == 201, r.text
        pids.append(r.json()["id"])
    found = http("GET", f"/events/{eid}/persons", params={"q": good[0]})
    assert found.status_code == 200 and found.json()["total"] == 1, found.text
    too_many = http("GET", f"/events/{eid}/persons", params={"q": good[1], "limit": 9999})
    assert too_many.status_code == 422
    bad = [good[0][:8] + "13" + good[0][10:], good[1][:6] + "35" + good[1][8:], good[1][:15]]  # month, day, length
    for nik in bad:
        r = http("POST", f"/events/{eid}/persons", json=person_body(nik=nik))
        assert r.status_code == 422, r.text
        assert nik not in r.text  # the 422 names the field, never echoes the value
    r = http("PATCH", f"/persons/{pids[0]}", json={"nik": bad[0]})
    assert r.status_code == 422 and bad[0] not in r.text
    dup = http("POST", f"/events/{eid}/persons", json=person_body(nik=good[0]))  # same NIK twice → 409
    assert dup.status_code == 409
    sync_nik = distinct_nik(True)
    sync = http("POST", "/sync", json={"records": [
        {"type": "person", "event_id": eid, "data": person_body(nik=bad[0])},
        {"type": "person", "event_id": eid, "data": person_body(nik=sync_nik)},
        {"type": "person", "event_id": eid, "data": person_body(nik=good[1])}]})
    assert sync.status_code == 200, sync.text
    assert [x["status"] for x in sync.json()["results"]] == ["invalid", "created", "conflict"]
    assert bad[0] not in sync.text
    detail = http("GET", f"/persons/{pids[0]}")
    assert detail.status_code == 200 and detail.json()["nik"] == good[0]
    return {"event_id": eid, "niks": good + bad + [sync_nik, kk]}


def test_live_server_logs_never_contain_a_nik(logged_server: AccessLoggedServer, database: Database) -> None:
    """A real uvicorn process with its access log on: requests that carry NIKs in query strings, bodies,
    422s and sync records are logged as request lines, with `q` and `token` values hidden, and no NIK."""
    user_id, username = create_user_row(database, "admin")
    token = logged_server.login(username, PASSWORD)
    with logged_server.client(token) as http_client:
        def http(method: str, path: str, **kw: Any) -> httpx.Response:
            return http_client.request(method, path, **kw)

        used = _exercise_nik_paths(http, event_body())
        assert http("GET", "/events", params={"token": token}).status_code == 200
    output = logged_server.stop_gracefully()

    eid = used["event_id"]
    assert f'"GET /api/v1/events/{eid}/persons?q=[disembunyikan] HTTP/1.1" 200' in output, output[-3000:]
    assert f'"GET /api/v1/events/{eid}/persons?q=[disembunyikan]&limit=9999 HTTP/1.1" 422' in output
    assert f'"POST /api/v1/events/{eid}/persons HTTP/1.1" 422' in output
    assert '"POST /api/v1/sync HTTP/1.1" 200' in output
    assert '"GET /api/v1/events?token=[disembunyikan] HTTP/1.1" 200' in output
    leaked = [n for n in used["niks"] if n in output]
    assert not leaked, f"NIK/KK in the server output: {leaked}"
    assert token not in output


_APP_LOGGERS = ("posko", "services", "shared", "fastapi", "starlette", "uvicorn", "rq")


def test_in_process_logs_never_contain_a_nik(admin: Api, caplog: pytest.LogCaptureFixture) -> None:
    """The app's own loggers, captured at DEBUG around the same NIK-carrying requests, record no NIK."""
    for name in _APP_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)

    def http(method: str, path: str, **kw: Any) -> httpx.Response:
        return admin.client.request(method, "/api/v1" + path, headers={"Authorization": f"Bearer {admin.token}"},
                                    **kw)

    used = _exercise_nik_paths(http, event_body())
    # the test client's own request logging (httpx) is the test's side of the wire, not the app's
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    leaked = [n for n in used["niks"] if n in text]
    assert not leaked, f"NIK/KK in the in-process logs: {leaked}\n{text[-3000:]}"
