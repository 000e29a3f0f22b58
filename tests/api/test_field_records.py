"""Field records over HTTP: shelters, households, persons, stays, distributions and services.

Runs against the real app on SQLite and PostgreSQL (docs/api.md, "Resources in brief", "Vocabulary",
"Rules every endpoint keeps"). Every rejected request is checked to have written nothing: the
event's `data_seq` and the relevant list total are the same before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from shared.db import Database, read_unit
from shared.models import Person
from tests.conftest import (
    KELURAHAN,
    Api,
    Scene,
    build_scene,
    event_seq,
    fresh_nik,
    household_body,
    iso,
    new_id,
    now_wib,
    person_body,
    shelter_body,
    utc,
)

# ---------------------------------------------------------------- helpers



def list_total(api: Api, path: str) -> int:
    r = api.get(path)
    assert r.status_code == 200, r.text
    return r.json()["total"]


def stays_of(api: Api, pid: str) -> list[dict[str, Any]]:
    r = api.get(f"/persons/{pid}/stays")
    assert r.status_code == 200, r.text
    return r.json()


def assert_422_naming(r: httpx.Response, field: str) -> list[dict[str, Any]]:
    """422 with FastAPI's `detail: [{loc, msg, type}]`, one entry's loc naming `field`."""
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for entry in detail:
        assert set(entry) == {"loc", "msg", "type"}, entry
        assert isinstance(entry["loc"], list) and isinstance(entry["msg"], str) and isinstance(entry["type"], str)
    assert any(field in entry["loc"] for entry in detail), detail
    return detail


def rejected_writes_nothing(api: Api, eid: str, list_path: str, send: Callable[[], httpx.Response],
                            field: str) -> httpx.Response:
    """Send a request that must fail with 422 naming `field`, and check nothing was written."""
    seq, total = event_seq(api, eid), list_total(api, list_path)
    r = send()
    assert_422_naming(r, field)
    assert event_seq(api, eid) == seq, "a rejected request moved the event's data_seq"
    assert list_total(api, list_path) == total, "a rejected request added a row"
    return r


def post_person(scene: Scene, **over: Any) -> httpx.Response:
    return scene.api.post(f"/events/{scene.eid}/persons", json=person_body(**over))


def nik_with(day: int, month: int = 5) -> str:
    """A NIK with the given day/month part (Binjai Timur prefix, year 85, a unique serial)."""
    serial = fresh_nik()[-4:]
    return f"127504{day:02d}{month:02d}85{serial}"


@pytest.fixture(scope="module")
def quiet_scene(admin: Api) -> Iterator[Scene]:
    """One scene per backend for the validation cases: each checks its own before/after counts."""
    yield build_scene(admin)


@dataclass
class OtherEvent:
    """A second event whose shelter/household/person ids must not be accepted in `quiet_scene`."""

    scene: Scene
    person: dict[str, Any]

    @property
    def eid(self) -> str:
        return self.scene.eid


@pytest.fixture(scope="module")
def other_scene(admin: Api) -> Iterator[OtherEvent]:
    s = build_scene(admin)
    yield OtherEvent(scene=s, person=s.person())


# ---------------------------------------------------------------- shelters


def test_create_shelter_answers_every_contract_field(scene: Scene, admin: Api) -> None:
    """POST /events/{id}/shelters → 201 with the contract fields, X-Data-Seq the event's new data_seq."""
    opened = now_wib() - timedelta(hours=5)
    body = shelter_body(name="Masjid Al-Ikhlas", kind="rumah_ibadah", capacity_persons=80, covered_area_m2=210.5,
                        toilets=3, lat=3.6, lon=98.5, opened_at=iso(opened))
    r = admin.post(f"/events/{scene.eid}/shelters", json=body)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["id"] == body["id"] and s["event_id"] == scene.eid
    assert (s["name"], s["kelurahan_code"], s["kind"]) == ("Masjid Al-Ikhlas", KELURAHAN, "rumah_ibadah")
    assert (s["capacity_persons"], s["covered_area_m2"], s["toilets"]) == (80, 210.5, 3)
    assert (s["lat"], s["lon"]) == (3.6, 98.5)
    assert utc(s["opened_at"]) == opened
    assert s["opened_at"].endswith("+00:00"), "answers are in UTC"
    assert s["closed_at"] is None
    assert s["version"] == 1
    assert s["occupants"] == 0
    assert int(r.headers["X-Data-Seq"]) == event_seq(admin, scene.eid)


def test_shelter_opened_at_defaults_to_now(scene: Scene, admin: Api) -> None:
    """Without opened_at the shelter opens now."""
    body = shelter_body()
    del body["opened_at"]
    before = now_wib()
    r = admin.post(f"/events/{scene.eid}/shelters", json=body)
    assert r.status_code == 201, r.text
    assert abs(utc(r.json()["opened_at"]) - before) < timedelta(minutes=1)


def test_shelter_list_envelope_and_get_one(scene: Scene, admin: Api) -> None:
    """GET list → {items, total, limit, offset} in creation order; GET one → the same shelter."""
    second = admin.post(f"/events/{scene.eid}/shelters", json=shelter_body(name="Tenda Lapangan Merdeka",
                                                                           kind="tenda"))
    assert second.status_code == 201, second.text
    r = admin.get(f"/events/{scene.eid}/shelters")
    assert r.status_code == 200, r.text
    page = r.json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    assert [s["id"] for s in page["items"]] == [scene.shelter["id"], second.json()["id"]]
    paged = admin.get(f"/events/{scene.eid}/shelters", params={"limit": 1, "offset": 1}).json()
    assert [s["id"] for s in paged["items"]] == [second.json()["id"]] and paged["total"] == 2
    one = admin.get(f"/events/{scene.eid}/shelters/{second.json()['id']}")
    assert one.status_code == 200
    assert one.json()["name"] == "Tenda Lapangan Merdeka" and one.json()["kind"] == "tenda"
    assert admin.get(f"/events/{scene.eid}/shelters/{new_id()}").status_code == 404


def test_patch_shelter_capacity_increments_version(scene: Scene, admin: Api) -> None:
    """PATCH capacity_persons → the new figure, version + 1, X-Data-Seq = the event's data_seq after it."""
    sid = scene.shelter["id"]
    seq = event_seq(admin, scene.eid)
    r = admin.patch(f"/events/{scene.eid}/shelters/{sid}", json={"capacity_persons": 250})
    assert r.status_code == 200, r.text
    assert r.json()["capacity_persons"] == 250
    assert r.json()["version"] == scene.shelter["version"] + 1
    assert int(r.headers["X-Data-Seq"]) == seq + 1 == event_seq(admin, scene.eid)
    assert admin.get(f"/events/{scene.eid}/shelters/{sid}").json()["capacity_persons"] == 250


def test_closed_shelter_refuses_check_in_and_new_persons(scene: Scene, admin: Api) -> None:
    """PATCH closed_at closes a shelter: then a check-in there → 409 and a new person there → 409."""
    sid = scene.shelter["id"]
    r = admin.patch(f"/events/{scene.eid}/shelters/{sid}", json={"closed_at": iso(now_wib())})
    assert r.status_code == 200, r.text
    assert r.json()["closed_at"] is not None and r.json()["version"] == 2
    open_list = admin.get(f"/events/{scene.eid}/shelters", params={"open_only": "true"}).json()
    assert sid not in [s["id"] for s in open_list["items"]]

    p = scene.person()  # registered without a shelter
    seq = event_seq(admin, scene.eid)
    ci = admin.post(f"/persons/{p['id']}/check-in", json={"shelter_id": sid})
    assert ci.status_code == 409, ci.text
    assert isinstance(ci.json()["detail"], str)
    assert stays_of(admin, p["id"]) == []

    persons_path = f"/events/{scene.eid}/persons"
    total = list_total(admin, persons_path)
    np = post_person(scene, shelter_id=sid, registered_at=iso(now_wib()))
    assert np.status_code == 409, np.text
    assert list_total(admin, persons_path) == total
    assert event_seq(admin, scene.eid) == seq


def test_closing_shelter_with_occupants_conflicts(scene: Scene, admin: Api) -> None:
    """A shelter that still has occupants cannot close (409) and stays unchanged."""
    sid = scene.shelter["id"]
    scene.person(shelter_id=sid)
    seq = event_seq(admin, scene.eid)
    r = admin.patch(f"/events/{scene.eid}/shelters/{sid}", json={"closed_at": iso(now_wib())})
    assert r.status_code == 409, r.text
    after = admin.get(f"/events/{scene.eid}/shelters/{sid}").json()
    assert after["closed_at"] is None and after["version"] == 1 and after["occupants"] == 1
    assert event_seq(admin, scene.eid) == seq


# ---------------------------------------------------------------- households


def test_household_create_list_get_and_members(scene: Scene, admin: Api) -> None:
    """POST → 201 with the sent fields; list envelope; GET one; `members` counts its persons."""
    body = household_body(head_name="Rahmat Nasution", kk_number="1275040202100007", address="Jl. Gatot Subroto 12")
    r = admin.post(f"/events/{scene.eid}/households", json=body)
    assert r.status_code == 201, r.text
    h = r.json()
    assert (h["id"], h["event_id"], h["head_name"]) == (body["id"], scene.eid, "Rahmat Nasution")
    assert (h["kk_number"], h["kelurahan_code"], h["address"]) == ("1275040202100007", KELURAHAN,
                                                                   "Jl. Gatot Subroto 12")
    assert h["members"] == 0
    assert int(r.headers["X-Data-Seq"]) == event_seq(admin, scene.eid)

    scene.person(household_id=h["id"], full_name="Rahmat Nasution", sex="L")
    scene.person(household_id=h["id"], full_name="Nur Aini")
    scene.person(household_id=scene.household["id"])

    page = admin.get(f"/events/{scene.eid}/households").json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert page["total"] == 2
    members = {x["id"]: x["members"] for x in page["items"]}
    assert members == {scene.household["id"]: 1, h["id"]: 2}
    one = admin.get(f"/events/{scene.eid}/households/{h['id']}")
    assert one.status_code == 200
    assert one.json()["members"] == 2 and one.json()["head_name"] == "Rahmat Nasution"


def test_household_with_only_head_name(scene: Scene, admin: Api) -> None:
    """kk_number, kelurahan_code and address are optional."""
    r = admin.post(f"/events/{scene.eid}/households", json={"head_name": "Boru Sembiring"})
    assert r.status_code == 201, r.text
    assert r.json()["kk_number"] is None and r.json()["address"] is None
    assert len(r.json()["id"]) == 36


# ---------------------------------------------------------------- persons


def test_person_with_shelter_opens_stay_at_registered_at(scene: Scene, admin: Api) -> None:
    """A shelter_id on POST /persons opens a stay that starts at registered_at."""
    registered = now_wib() - timedelta(hours=3, minutes=17)
    p = scene.person(shelter_id=scene.shelter["id"], registered_at=iso(registered), nik=fresh_nik(female=True))
    assert p["displacement"] == "mengungsi" and p["shelter_id"] == scene.shelter["id"]
    assert utc(p["registered_at"]) == registered
    stays = stays_of(admin, p["id"])
    assert len(stays) == 1
    stay = stays[0]
    assert (stay["person_id"], stay["shelter_id"], stay["check_out"]) == (p["id"], scene.shelter["id"], None)
    assert utc(stay["check_in"]) == registered
    shelter = admin.get(f"/events/{scene.eid}/shelters/{scene.shelter['id']}").json()
    assert shelter["occupants"] == 1


# Event started 2024-03-09 18:30 UTC = 2024-03-10 01:30 in Asia/Jakarta: the local date is 10 March,
# the UTC date 9 March, so birthdays on 10 March tell the two apart.
LOCAL_START_EVENT = "2024-03-09T18:30:00+00:00"


@pytest.fixture(scope="module")
def late_night_scene(admin: Api) -> Iterator[Scene]:
    yield build_scene(admin, started_at=LOCAL_START_EVENT)


@pytest.mark.parametrize(("birth_date", "age", "derived"), [
    ("2019-03-10", 5, []),            # exactly 5 on the local start date: not balita
    ("2019-03-11", 4, ["balita"]),    # fifth birthday the day after the start: still balita
    ("2024-01-01", 0, ["balita"]),
    ("1964-03-10", 60, ["lansia"]),   # exactly 60 on the local start date (59 on the UTC date): lansia
    ("1964-03-11", 59, []),           # 60th birthday the day after the event start: still 59
    ("1985-05-12", 38, []),
])
def test_balita_and_lansia_derived_from_birth_date_at_local_event_start(
        late_night_scene: Scene, birth_date: str, age: int, derived: list[str]) -> None:
    """balita (<5) and lansia (>=60) come from the birth date on the LOCAL date of the event's start."""
    p = late_night_scene.person(birth_date=birth_date)
    assert p["age"] == age
    assert p["vulnerabilities"] == derived
    got = late_night_scene.api.get(f"/persons/{p['id']}").json()
    assert got["vulnerabilities"] == derived


@pytest.mark.parametrize(("age_years", "derived"), [
    (0, ["balita"]), (4, ["balita"]), (5, []), (59, []), (60, ["lansia"]), (87, ["lansia"]),
])
def test_balita_and_lansia_derived_from_age_years(late_night_scene: Scene, age_years: int,
                                                  derived: list[str]) -> None:
    """age_years is the age at the event's start: <5 balita, >=60 lansia."""
    body = person_body(age_years=age_years)
    del body["birth_date"]
    r = late_night_scene.api.post(f"/events/{late_night_scene.eid}/persons", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["age"] == age_years and r.json()["age_years"] == age_years
    assert r.json()["vulnerabilities"] == derived


def test_balita_and_lansia_sent_as_flags_are_ignored(scene: Scene, database: Database) -> None:
    """An adult sent with balita/lansia flags gets neither (nor are they stored); explicit flags are kept."""
    p = scene.person(birth_date="1985-05-12", vulnerabilities=["balita", "lansia", "disabilitas"])
    assert p["vulnerabilities"] == ["disabilitas"]
    with read_unit(database) as session:
        stored = session.get(Person, p["id"])
        assert stored is not None and list(stored.vulnerabilities) == ["disabilitas"]
    child = scene.person(birth_date=(date.today() - timedelta(days=400)).isoformat(), vulnerabilities=["lansia"])
    assert child["vulnerabilities"] == ["balita"]


def test_explicit_vulnerabilities_are_kept(scene: Scene, admin: Api) -> None:
    """ibu_hamil, ibu_menyusui, disabilitas are explicit flags and are kept as sent."""
    p = scene.person(vulnerabilities=["ibu_hamil", "ibu_menyusui", "disabilitas"])
    assert set(p["vulnerabilities"]) == {"ibu_hamil", "ibu_menyusui", "disabilitas"}
    assert set(admin.get(f"/persons/{p['id']}").json()["vulnerabilities"]) == {
        "ibu_hamil", "ibu_menyusui", "disabilitas"}


def test_person_without_birth_date_or_age_is_neither_balita_nor_lansia(scene: Scene) -> None:
    """Neither birth_date nor age_years: no age, no derived group (a balita flag is still ignored)."""
    body = person_body(vulnerabilities=["balita", "ibu_menyusui"])
    del body["birth_date"]
    r = scene.api.post(f"/events/{scene.eid}/persons", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["age"] is None
    assert r.json()["vulnerabilities"] == ["ibu_menyusui"]


def test_displacement_mengungsi_kembali_terdampak(scene: Scene, admin: Api) -> None:
    """displacement: mengungsi with an open stay, kembali once checked out, terdampak without a stay."""
    staying = scene.person(shelter_id=scene.shelter["id"])
    leaving = scene.person(shelter_id=scene.shelter["id"], registered_at=iso(now_wib() - timedelta(hours=6)))
    home = scene.person()
    out = admin.post(f"/persons/{leaving['id']}/check-out", json={"at": iso(now_wib() - timedelta(hours=1))})
    assert out.status_code == 200, out.text
    got = {pid: admin.get(f"/persons/{pid}").json() for pid in (staying["id"], leaving["id"], home["id"])}
    assert got[staying["id"]]["displacement"] == "mengungsi"
    assert got[staying["id"]]["shelter_id"] == scene.shelter["id"]
    assert got[leaving["id"]]["displacement"] == "kembali" and got[leaving["id"]]["shelter_id"] is None
    assert got[home["id"]]["displacement"] == "terdampak" and got[home["id"]]["shelter_id"] is None


def test_person_list_filters(scene: Scene, admin: Api) -> None:
    """Filters: q (name substring, case-insensitive; exact NIK), shelter_id (current), household_id, condition."""
    second = admin.post(f"/events/{scene.eid}/shelters", json=shelter_body(name="Aula Kelurahan")).json()
    other_hh = admin.post(f"/events/{scene.eid}/households", json=household_body(head_name="Putri Ginting")).json()
    nik = fresh_nik()
    budi = scene.person(full_name="Budi Santoso Lubis", sex="L", nik=nik, shelter_id=scene.shelter["id"],
                        household_id=scene.household["id"])
    putri = scene.person(full_name="Putri Ginting", household_id=other_hh["id"], shelter_id=scene.shelter["id"],
                         condition="luka")
    moved = scene.person(full_name="Dewi Lubis", shelter_id=scene.shelter["id"], household_id=scene.household["id"])
    assert admin.post(f"/persons/{moved['id']}/check-in", json={"shelter_id": second["id"]}).status_code == 201
    home = scene.person(full_name="Tono Harahap", sex="L", condition="hilang")

    def ids(**params: str) -> list[str]:
        r = admin.get(f"/events/{scene.eid}/persons", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == len(page["items"])
        return [p["id"] for p in page["items"]]

    assert ids() == [budi["id"], putri["id"], moved["id"], home["id"]]
    assert ids(q="LUBIS") == [budi["id"], moved["id"]]
    assert ids(q="santoso") == [budi["id"]]
    assert ids(q=nik) == [budi["id"]]
    assert ids(q=nik[:10]) == [], "NIK matches exactly, not by prefix"
    assert ids(q="tidak ada") == []
    assert ids(shelter_id=scene.shelter["id"]) == [budi["id"], putri["id"]]
    assert ids(shelter_id=second["id"]) == [moved["id"]]
    assert ids(household_id=scene.household["id"]) == [budi["id"], moved["id"]]
    assert ids(household_id=other_hh["id"]) == [putri["id"]]
    assert ids(condition="luka") == [putri["id"]]
    assert ids(condition="hilang") == [home["id"]]
    assert ids(condition="selamat") == [budi["id"], moved["id"]]
    assert ids(q="lubis", shelter_id=second["id"]) == [moved["id"]]


def test_patch_person_changes_fields_and_version(scene: Scene, admin: Api) -> None:
    """PATCH /persons/{id} changes the fields sent, increments version and answers X-Data-Seq."""
    p = scene.person(full_name="Siti Aminh", condition="selamat")
    assert p["version"] == 1
    seq = event_seq(admin, scene.eid)
    nik = fresh_nik(female=True)
    r = admin.patch(f"/persons/{p['id']}", json={"full_name": "Siti Aminah Daulay", "condition": "luka",
                                                 "nik": nik, "household_id": scene.household["id"],
                                                 "needs_psychosocial": True})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["full_name"], got["condition"], got["nik"]) == ("Siti Aminah Daulay", "luka", nik)
    assert got["household_id"] == scene.household["id"] and got["needs_psychosocial"] is True
    assert got["version"] == 2
    assert int(r.headers["X-Data-Seq"]) == seq + 1 == event_seq(admin, scene.eid)
    # 70 years disagrees with the NIK's year of birth (1985): kept only when confirmed (issue 11).
    again = admin.patch(f"/persons/{p['id']}", json={"age_years": 70, "nik_mismatch_confirmed": True})
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 3
    assert again.json()["birth_date"] is None and "lansia" in again.json()["vulnerabilities"]
    stored = admin.get(f"/persons/{p['id']}").json()
    assert stored["full_name"] == "Siti Aminah Daulay" and stored["version"] == 3


# ---------------------------------------------------------------- stays


def test_check_in_returns_new_stay(scene: Scene, admin: Api) -> None:
    """POST /persons/{id}/check-in {shelter_id, at} → 201 stay {id, person_id, shelter_id, check_in, check_out}."""
    p = scene.person()
    at = now_wib() - timedelta(hours=2)
    seq = event_seq(admin, scene.eid)
    r = admin.post(f"/persons/{p['id']}/check-in", json={"shelter_id": scene.shelter["id"], "at": iso(at)})
    assert r.status_code == 201, r.text
    stay = r.json()
    assert {"id", "person_id", "shelter_id", "check_in", "check_out"} <= set(stay)
    assert (stay["person_id"], stay["shelter_id"], stay["check_out"]) == (p["id"], scene.shelter["id"], None)
    assert utc(stay["check_in"]) == at
    assert int(r.headers["X-Data-Seq"]) == seq + 1
    assert [s["id"] for s in stays_of(admin, p["id"])] == [stay["id"]]
    assert admin.get(f"/persons/{p['id']}").json()["displacement"] == "mengungsi"


def test_transfer_closes_open_stay_at_the_transfer_time(scene: Scene, admin: Api) -> None:
    """A check-in elsewhere closes the open stay at `at`: first stay's check_out == at."""
    second = admin.post(f"/events/{scene.eid}/shelters", json=shelter_body(name="GOR Binjai")).json()
    p = scene.person(shelter_id=scene.shelter["id"], registered_at=iso(now_wib() - timedelta(hours=10)))
    at = now_wib() - timedelta(hours=4)
    r = admin.post(f"/persons/{p['id']}/check-in", json={"shelter_id": second["id"], "at": iso(at)})
    assert r.status_code == 201, r.text
    stays = stays_of(admin, p["id"])
    assert len(stays) == 2
    first, new = stays
    assert first["shelter_id"] == scene.shelter["id"] and utc(first["check_out"]) == at
    assert new["id"] == r.json()["id"] and new["shelter_id"] == second["id"] and new["check_out"] is None
    assert utc(new["check_in"]) == at
    assert admin.get(f"/persons/{p['id']}").json()["shelter_id"] == second["id"]


def test_check_in_to_the_same_shelter_is_200_without_new_stay(scene: Scene, admin: Api) -> None:
    """Checking in to the shelter the person is already in → 200 with the existing stay; nothing changes."""
    p = scene.person(shelter_id=scene.shelter["id"])
    existing = stays_of(admin, p["id"])
    seq = event_seq(admin, scene.eid)
    r = admin.post(f"/persons/{p['id']}/check-in", json={"shelter_id": scene.shelter["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == existing[0]["id"] and r.json()["check_out"] is None
    assert stays_of(admin, p["id"]) == existing
    assert event_seq(admin, scene.eid) == seq


def test_check_out_closes_the_stay_and_second_check_out_conflicts(scene: Scene, admin: Api) -> None:
    """check-out → 200 with the closed stay; again → 409 (no open stay) and nothing written."""
    p = scene.person(shelter_id=scene.shelter["id"], registered_at=iso(now_wib() - timedelta(hours=5)))
    at = now_wib() - timedelta(minutes=30)
    r = admin.post(f"/persons/{p['id']}/check-out", json={"at": iso(at)})
    assert r.status_code == 200, r.text
    assert r.json()["person_id"] == p["id"] and r.json()["shelter_id"] == scene.shelter["id"]
    assert utc(r.json()["check_out"]) == at
    assert int(r.headers["X-Data-Seq"]) == event_seq(admin, scene.eid)
    seq = event_seq(admin, scene.eid)
    again = admin.post(f"/persons/{p['id']}/check-out", json={})
    assert again.status_code == 409, again.text
    assert isinstance(again.json()["detail"], str)
    assert event_seq(admin, scene.eid) == seq
    assert utc(stays_of(admin, p["id"])[0]["check_out"]) == at


def test_check_out_without_any_stay_conflicts(scene: Scene, admin: Api) -> None:
    """A person who never stayed anywhere has no open stay: 409."""
    p = scene.person()
    assert admin.post(f"/persons/{p['id']}/check-out", json={}).status_code == 409


def test_check_out_before_check_in_is_422_naming_at(scene: Scene, admin: Api) -> None:
    """check-out `at` before the stay's check-in → 422 naming `at`; the stay stays open."""
    registered = now_wib() - timedelta(hours=2)
    p = scene.person(shelter_id=scene.shelter["id"], registered_at=iso(registered))
    seq = event_seq(admin, scene.eid)
    r = admin.post(f"/persons/{p['id']}/check-out", json={"at": iso(registered - timedelta(minutes=1))})
    assert_422_naming(r, "at")
    assert event_seq(admin, scene.eid) == seq
    assert stays_of(admin, p["id"])[0]["check_out"] is None


# ---------------------------------------------------------------- distributions and services


def test_distribution_of_meals_to_a_shelter(scene: Scene, admin: Api) -> None:
    """makanan_siap_saji with shelter_id → 201 with the stored fields."""
    at = now_wib() - timedelta(hours=1)
    body = {"id": new_id(), "item_code": "makanan_siap_saji", "quantity": 360, "shelter_id": scene.shelter["id"],
            "delivered_at": iso(at), "notes": "Dapur umum TAGANA"}
    r = admin.post(f"/events/{scene.eid}/distributions", json=body)
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["id"], d["event_id"], d["item_code"], d["quantity"]) == (body["id"], scene.eid, "makanan_siap_saji", 360)
    assert (d["shelter_id"], d["person_id"], d["household_id"]) == (scene.shelter["id"], None, None)
    assert utc(d["delivered_at"]) == at and d["notes"] == "Dapur umum TAGANA"
    assert int(r.headers["X-Data-Seq"]) == event_seq(admin, scene.eid)
    one = admin.get(f"/events/{scene.eid}/distributions/{d['id']}")
    assert one.status_code == 200 and one.json()["quantity"] == 360


def test_distributions_to_household_person_cash_and_list_filters(scene: Scene, admin: Api) -> None:
    """paket_sandang to a household and to a person, uang_tunai (rupiah) to a household; list filters."""
    p = scene.person(household_id=scene.household["id"], shelter_id=scene.shelter["id"])
    path = f"/events/{scene.eid}/distributions"
    to_hh = admin.post(path, json={"item_code": "paket_sandang", "quantity": 4, "household_id": scene.household["id"]})
    assert to_hh.status_code == 201, to_hh.text
    assert to_hh.json()["household_id"] == scene.household["id"] and to_hh.json()["person_id"] is None
    to_p = admin.post(path, json={"item_code": "paket_sandang", "quantity": 1, "person_id": p["id"]})
    assert to_p.status_code == 201, to_p.text
    assert to_p.json()["person_id"] == p["id"] and to_p.json()["household_id"] is None
    cash = admin.post(path, json={"item_code": "uang_tunai", "quantity": 500000, "household_id": scene.household["id"]})
    assert cash.status_code == 201, cash.text
    assert cash.json()["quantity"] == 500000
    meals = admin.post(path, json={"item_code": "makanan_siap_saji", "quantity": 3, "shelter_id": scene.shelter["id"]})
    assert meals.status_code == 201, meals.text

    page = admin.get(path).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert page["total"] == 4
    assert [d["id"] for d in page["items"]] == [to_hh.json()["id"], to_p.json()["id"], cash.json()["id"],
                                               meals.json()["id"]]
    sandang = admin.get(path, params={"item_code": "paket_sandang"}).json()
    assert sandang["total"] == 2 and {d["id"] for d in sandang["items"]} == {to_hh.json()["id"], to_p.json()["id"]}
    at_shelter = admin.get(path, params={"shelter_id": scene.shelter["id"]}).json()
    assert [d["id"] for d in at_shelter["items"]] == [meals.json()["id"]]
    cash_only = admin.get(path, params={"item_code": "uang_tunai"}).json()
    assert [d["quantity"] for d in cash_only["items"]] == [500000]


def test_services_for_a_person(scene: Scene, admin: Api) -> None:
    """penanganan_khusus and psikososial for a person → 201; both listed, filterable by person."""
    p = scene.person(vulnerabilities=["disabilitas"], needs_psychosocial=True)
    other = scene.person()
    path = f"/events/{scene.eid}/services"
    at = now_wib() - timedelta(hours=2)
    first = admin.post(path, json={"person_id": p["id"], "kind": "penanganan_khusus", "delivered_at": iso(at),
                                   "notes": "Kursi roda"})
    assert first.status_code == 201, first.text
    assert (first.json()["person_id"], first.json()["kind"]) == (p["id"], "penanganan_khusus")
    assert utc(first.json()["delivered_at"]) == at and first.json()["notes"] == "Kursi roda"
    second = admin.post(path, json={"person_id": p["id"], "kind": "psikososial"})
    assert second.status_code == 201, second.text
    assert second.json()["kind"] == "psikososial"
    assert int(second.headers["X-Data-Seq"]) == event_seq(admin, scene.eid)
    admin.post(path, json={"person_id": other["id"], "kind": "psikososial"})
    mine = admin.get(path, params={"person_id": p["id"]}).json()
    assert mine["total"] == 2 and [s["kind"] for s in mine["items"]] == ["penanganan_khusus", "psikososial"]
    assert admin.get(path).json()["total"] == 3


# ---------------------------------------------------------------- validation: 422, nothing written


def _future(minutes: int) -> str:
    return iso(now_wib() + timedelta(minutes=minutes))


PERSON_INVALID: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("nik_12_digits", lambda: {"nik": "127504120585"}, "nik"),
    ("nik_17_digits", lambda: {"nik": "12750412058512345"}, "nik"),
    ("nik_with_letter", lambda: {"nik": "12750412058A1234"}, "nik"),
    ("nik_day_00", lambda: {"nik": nik_with(0)}, "nik"),
    ("nik_day_32", lambda: {"nik": nik_with(32)}, "nik"),
    ("nik_day_40", lambda: {"nik": nik_with(40)}, "nik"),
    ("nik_day_72", lambda: {"nik": nik_with(72)}, "nik"),
    ("nik_day_99", lambda: {"nik": nik_with(99)}, "nik"),
    ("nik_month_13", lambda: {"nik": nik_with(12, month=13)}, "nik"),
    ("nik_month_00", lambda: {"nik": nik_with(12, month=0)}, "nik"),
    ("sex_not_L_or_P", lambda: {"sex": "X"}, "sex"),
    ("sex_lowercase_word", lambda: {"sex": "laki-laki"}, "sex"),
    ("birth_date_in_future", lambda: {"birth_date": (date.today() + timedelta(days=10)).isoformat()}, "birth_date"),
    ("registered_at_6_minutes_ahead", lambda: {"registered_at": _future(6)}, "registered_at"),
    ("registered_at_next_day", lambda: {"registered_at": _future(24 * 60)}, "registered_at"),
    ("registered_at_without_offset", lambda: {"registered_at": "2025-01-05T10:00:00"}, "registered_at"),
    ("full_name_201_chars", lambda: {"full_name": "A" * 201}, "full_name"),
    ("full_name_empty", lambda: {"full_name": ""}, "full_name"),
    ("unknown_vulnerability", lambda: {"vulnerabilities": ["disabilitas", "hamil_tua"]}, "vulnerabilities"),
    ("unknown_condition", lambda: {"condition": "sehat"}, "condition"),
    ("unknown_extra_field", lambda: {"nama_ibu_kandung": "Rosmawati"}, "nama_ibu_kandung"),
    ("age_years_negative", lambda: {"birth_date": None, "age_years": -1}, "age_years"),
]


@pytest.mark.parametrize(("case", "change", "field"), PERSON_INVALID, ids=[c[0] for c in PERSON_INVALID])
def test_invalid_person_is_422_naming_field_and_writes_nothing(
        quiet_scene: Scene, admin: Api, case: str, change: Callable[[], dict[str, Any]], field: str) -> None:
    """Each broken person field → 422 {detail: [{loc, msg, type}]} naming it; no row, no data_seq change."""
    body = person_body(shelter_id=quiet_scene.shelter["id"], household_id=quiet_scene.household["id"],
                       nik=fresh_nik(female=True))
    body.update(change())
    body = {k: v for k, v in body.items() if v is not None}
    r = rejected_writes_nothing(admin, quiet_scene.eid, f"/events/{quiet_scene.eid}/persons",
                                lambda: admin.post(f"/events/{quiet_scene.eid}/persons", json=body), field)
    assert body["nik"] not in r.text, "a 422 must not echo the submitted NIK"


def test_birth_date_and_age_years_together_is_422_naming_the_field(quiet_scene: Scene, admin: Api) -> None:
    """Both birth_date and age_years → 422 whose loc names one of them; nothing written."""
    body = person_body(age_years=39)
    eid = quiet_scene.eid

    def send() -> httpx.Response:
        return admin.post(f"/events/{eid}/persons", json=body)

    seq, total = event_seq(admin, eid), list_total(admin, f"/events/{eid}/persons")
    r = send()
    assert r.status_code == 422, r.text
    assert event_seq(admin, eid) == seq and list_total(admin, f"/events/{eid}/persons") == total
    assert any({"birth_date", "age_years"} & set(e["loc"]) for e in r.json()["detail"]), r.json()


def test_birth_date_and_age_years_together_is_422_and_writes_nothing(quiet_scene: Scene, admin: Api) -> None:
    """Both birth_date and age_years → 422 in FastAPI's shape, the message naming both; nothing written."""
    eid = quiet_scene.eid
    seq, total = event_seq(admin, eid), list_total(admin, f"/events/{eid}/persons")
    r = admin.post(f"/events/{eid}/persons", json=person_body(age_years=39))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert all(set(e) == {"loc", "msg", "type"} for e in detail)
    assert any("birth_date" in e["msg"] and "age_years" in e["msg"] for e in detail), detail
    assert event_seq(admin, eid) == seq and list_total(admin, f"/events/{eid}/persons") == total


@pytest.mark.parametrize("day", [1, 31, 41, 52, 71])
def test_nik_day_parts_that_are_valid(quiet_scene: Scene, day: int) -> None:
    """NIK day 01–31, and women's day + 40 (41–71, e.g. 52), are accepted."""
    nik = nik_with(day)
    p = quiet_scene.person(nik=nik, sex="P" if day > 40 else "L", birth_date=f"1985-05-{day % 40:02d}")
    assert p["nik"] == nik


def test_nik_from_outside_binjai_is_accepted(quiet_scene: Scene) -> None:
    """The NIK keeps the place of first issue: a non-Binjai prefix is legal."""
    nik = "3174015505900001"[:-4] + fresh_nik()[-4:]
    assert quiet_scene.person(nik=nik, birth_date="1990-05-15")["nik"] == nik


def test_registered_at_four_minutes_ahead_is_accepted_as_clock_skew(quiet_scene: Scene) -> None:
    """Up to 5 minutes in the future is clock skew: 4 minutes ahead is stored."""
    ahead = now_wib() + timedelta(minutes=4)
    p = quiet_scene.person(registered_at=iso(ahead))
    assert utc(p["registered_at"]) == ahead


def test_invalid_nik_on_patch_is_422_without_echo(scene: Scene, admin: Api) -> None:
    """PATCH /persons with a bad NIK → 422 naming nik, the NIK not echoed, version unchanged."""
    p = scene.person()
    bad = nik_with(35)
    seq = event_seq(admin, scene.eid)
    r = admin.patch(f"/persons/{p['id']}", json={"nik": bad})
    assert_422_naming(r, "nik")
    assert bad not in r.text
    assert event_seq(admin, scene.eid) == seq
    assert admin.get(f"/persons/{p['id']}").json()["version"] == 1


HOUSEHOLD_INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("kk_15_digits", {"kk_number": "127504010109000"}, "kk_number"),
    ("kk_17_digits", {"kk_number": "12750401010900012"}, "kk_number"),
    ("kk_with_letters", {"kk_number": "12750401010900AB"}, "kk_number"),
    ("unknown_kelurahan_code", {"kelurahan_code": "12.75.09.9999"}, "kelurahan_code"),
    ("malformed_kelurahan_code", {"kelurahan_code": "Binjai Timur"}, "kelurahan_code"),
    ("head_name_201_chars", {"head_name": "B" * 201}, "head_name"),
    ("unknown_extra_field", {"rt_rw": "002/004"}, "rt_rw"),
]


@pytest.mark.parametrize(("case", "change", "field"), HOUSEHOLD_INVALID, ids=[c[0] for c in HOUSEHOLD_INVALID])
def test_invalid_household_is_422_naming_field_and_writes_nothing(
        quiet_scene: Scene, admin: Api, case: str, change: dict[str, Any], field: str) -> None:
    """Each broken household field → 422 naming it; nothing written."""
    path = f"/events/{quiet_scene.eid}/households"
    body = household_body(**change)
    rejected_writes_nothing(admin, quiet_scene.eid, path, lambda: admin.post(path, json=body), field)


SHELTER_INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("unknown_kelurahan_code", {"kelurahan_code": "12.75.09.9999"}, "kelurahan_code"),
    ("unknown_kind", {"kind": "hotel"}, "kind"),
    ("capacity_zero", {"capacity_persons": 0}, "capacity_persons"),
    ("opened_at_without_offset", {"opened_at": "2025-01-05T10:00:00"}, "opened_at"),
    ("name_201_chars", {"name": "S" * 201}, "name"),
    ("unknown_extra_field", {"kapasitas": 10}, "kapasitas"),
]


@pytest.mark.parametrize(("case", "change", "field"), SHELTER_INVALID, ids=[c[0] for c in SHELTER_INVALID])
def test_invalid_shelter_is_422_naming_field_and_writes_nothing(
        quiet_scene: Scene, admin: Api, case: str, change: dict[str, Any], field: str) -> None:
    """Each broken shelter field → 422 naming it; nothing written."""
    path = f"/events/{quiet_scene.eid}/shelters"
    body = shelter_body(**change)
    rejected_writes_nothing(admin, quiet_scene.eid, path, lambda: admin.post(path, json=body), field)


def test_invalid_shelter_patch_writes_nothing(quiet_scene: Scene, admin: Api) -> None:
    """PATCH with an unknown kelurahan_code → 422; version unchanged."""
    path = f"/events/{quiet_scene.eid}/shelters"
    sid = quiet_scene.shelter["id"]
    version = admin.get(f"{path}/{sid}").json()["version"]
    rejected_writes_nothing(admin, quiet_scene.eid, path,
                            lambda: admin.patch(f"{path}/{sid}", json={"kelurahan_code": "12.75.09.9999"}),
                            "kelurahan_code")
    assert admin.get(f"{path}/{sid}").json()["version"] == version


DISTRIBUTION_INVALID: list[tuple[str, Callable[[Scene, OtherEvent], dict[str, Any]], str]] = [
    ("quantity_zero", lambda s, o: {"quantity": 0}, "quantity"),
    ("quantity_negative", lambda s, o: {"quantity": -5}, "quantity"),
    ("quantity_not_a_number", lambda s, o: {"quantity": "banyak"}, "quantity"),
    ("unknown_item_code", lambda s, o: {"item_code": "beras_premium"}, "item_code"),
    ("meals_without_shelter", lambda s, o: {"item_code": "makanan_siap_saji", "shelter_id": None}, "shelter_id"),
    ("notes_1001_chars", lambda s, o: {"notes": "n" * 1001}, "notes"),
    ("delivered_at_without_offset", lambda s, o: {"delivered_at": "2025-01-05T10:00:00"}, "delivered_at"),
    ("delivered_at_10_minutes_ahead", lambda s, o: {"delivered_at": _future(10)}, "delivered_at"),
    ("shelter_of_another_event", lambda s, o: {"shelter_id": o.scene.shelter["id"]}, "shelter_id"),
    ("household_of_another_event", lambda s, o: {"household_id": o.scene.household["id"]}, "household_id"),
    ("person_of_another_event", lambda s, o: {"person_id": o.person["id"]}, "person_id"),
    ("unknown_extra_field", lambda s, o: {"satuan": "porsi"}, "satuan"),
]


@pytest.mark.parametrize(("case", "change", "field"), DISTRIBUTION_INVALID, ids=[c[0] for c in DISTRIBUTION_INVALID])
def test_invalid_distribution_is_422_naming_field_and_writes_nothing(
        quiet_scene: Scene, other_scene: OtherEvent, admin: Api, case: str,
        change: Callable[[Scene, OtherEvent], dict[str, Any]], field: str) -> None:
    """Each broken distribution → 422 naming the field; nothing written."""
    path = f"/events/{quiet_scene.eid}/distributions"
    body: dict[str, Any] = {"item_code": "makanan_siap_saji", "quantity": 120, "shelter_id": quiet_scene.shelter["id"]}
    body.update(change(quiet_scene, other_scene))
    body = {k: v for k, v in body.items() if v is not None}
    rejected_writes_nothing(admin, quiet_scene.eid, path, lambda: admin.post(path, json=body), field)


def test_invalid_service_is_422_and_writes_nothing(quiet_scene: Scene, other_scene: OtherEvent, admin: Api) -> None:
    """Unknown service kind → 422 naming kind; a person of another event → 422 naming person_id."""
    path = f"/events/{quiet_scene.eid}/services"
    p = quiet_scene.person()
    rejected_writes_nothing(admin, quiet_scene.eid, path,
                            lambda: admin.post(path, json={"person_id": p["id"], "kind": "konseling"}), "kind")
    rejected_writes_nothing(
        admin, quiet_scene.eid, path,
        lambda: admin.post(path, json={"person_id": other_scene.person["id"],
                                       "kind": "psikososial"}), "person_id")


def test_person_references_into_another_event_are_422(quiet_scene: Scene, other_scene: OtherEvent, admin: Api) -> None:
    """A person's household_id / shelter_id of another event → 422 naming the field; nothing written."""
    path = f"/events/{quiet_scene.eid}/persons"
    hh = person_body(household_id=other_scene.scene.household["id"])
    rejected_writes_nothing(admin, quiet_scene.eid, path, lambda: admin.post(path, json=hh), "household_id")
    sh = person_body(shelter_id=other_scene.scene.shelter["id"])
    rejected_writes_nothing(admin, quiet_scene.eid, path, lambda: admin.post(path, json=sh), "shelter_id")


def test_check_in_to_a_shelter_of_another_event_is_422(quiet_scene: Scene, other_scene: OtherEvent, admin: Api) -> None:
    """check-in with a shelter_id of another event → 422 naming shelter_id; no stay, no data_seq change."""
    p = quiet_scene.person()
    seq = event_seq(admin, quiet_scene.eid)
    r = admin.post(f"/persons/{p['id']}/check-in", json={"shelter_id": other_scene.scene.shelter["id"]})
    assert_422_naming(r, "shelter_id")
    assert stays_of(admin, p["id"]) == []
    assert event_seq(admin, quiet_scene.eid) == seq


def test_patch_person_household_of_another_event_is_422(quiet_scene: Scene, other_scene: OtherEvent, admin: Api) -> None:
    """PATCH /persons with a household_id of another event → 422 naming household_id; nothing changes."""
    p = quiet_scene.person()
    seq = event_seq(admin, quiet_scene.eid)
    r = admin.patch(f"/persons/{p['id']}", json={"household_id": other_scene.scene.household["id"]})
    assert_422_naming(r, "household_id")
    assert event_seq(admin, quiet_scene.eid) == seq
    got = admin.get(f"/persons/{p['id']}").json()
    assert got["household_id"] is None and got["version"] == 1


def test_list_limit_at_most_500(quiet_scene: Scene, admin: Api) -> None:
    """?limit=501 → 422 naming limit; limit=500 → 200 echoing the limit."""
    for path in ("persons", "shelters", "households", "distributions", "services"):
        too_many = admin.get(f"/events/{quiet_scene.eid}/{path}", params={"limit": 501})
        assert_422_naming(too_many, "limit")
        ok = admin.get(f"/events/{quiet_scene.eid}/{path}", params={"limit": 500})
        assert ok.status_code == 200, ok.text
        assert ok.json()["limit"] == 500


def test_body_over_4_mib_is_413_and_writes_nothing(quiet_scene: Scene, admin: Api) -> None:
    """A request body over 4 MiB → 413 with {detail: message}; nothing written."""
    path = f"/events/{quiet_scene.eid}/persons"
    seq, total = event_seq(admin, quiet_scene.eid), list_total(admin, path)
    body = person_body(full_name="X" * (4 * 1024 * 1024 + 100))
    r = admin.post(path, json=body)
    assert r.status_code == 413, r.text[:300]
    assert isinstance(r.json()["detail"], str)
    assert event_seq(admin, quiet_scene.eid) == seq and list_total(admin, path) == total


def test_duplicate_nik_in_the_same_event_conflicts_but_another_event_is_fine(
        quiet_scene: Scene, other_scene: OtherEvent, admin: Api) -> None:
    """The same NIK twice in one event → 409 (nothing written); in another event it is accepted."""
    nik = fresh_nik()
    first = quiet_scene.person(nik=nik, full_name="Andi Pratama", sex="L")
    path = f"/events/{quiet_scene.eid}/persons"
    seq, total = event_seq(admin, quiet_scene.eid), list_total(admin, path)
    dup = admin.post(path, json=person_body(nik=nik, full_name="Andi P.", sex="L"))
    assert dup.status_code == 409, dup.text
    assert isinstance(dup.json()["detail"], str)
    assert event_seq(admin, quiet_scene.eid) == seq and list_total(admin, path) == total
    elsewhere = other_scene.scene.person(nik=nik, full_name="Andi Pratama", sex="L")
    assert elsewhere["nik"] == nik and elsewhere["id"] != first["id"]
    # changing another person of the first event to that NIK conflicts as well
    other = quiet_scene.person()
    clash = admin.patch(f"/persons/{other['id']}", json={"nik": nik})
    assert clash.status_code == 409, clash.text
