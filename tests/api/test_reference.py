"""Reference data: regions, items and needs standards (profiles), on both backends (docs/api.md).

Tests isolate by creating their own users, events and profile codes (never by editing shared ones).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared.seed import DATA
from tests.api.helpers import create_event, names_field
from tests.conftest import (
    KELURAHAN,
    KELURAHAN_2,
    Api,
    event_body,
)


def profile_codes_from_data() -> tuple[dict[str, str], dict[str, Any]]:
    data = json.loads((DATA / "needs_profiles.json").read_text(encoding="utf-8"))
    units: dict[str, str] = {}
    for p in data["profiles"]:
        for item in p["items"]:
            units.setdefault(item["code"], item["unit"])
    for item in data.get("extra_items", []):
        units.setdefault(item["code"], item["unit"])
    return units, data


def profile_payload(admin: Api, code: str, **over: Any) -> dict[str, Any]:
    """A valid POST /standards body: the current spm_binjai rules under another code."""
    r = admin.get("/standards/spm_binjai")
    assert r.status_code == 200, r.text
    latest = r.json()[-1]
    body = {k: latest[k] for k in ("name", "meal_times_local", "items", "services", "shelter_standards")}
    body["code"] = code
    body.update(over)
    return body


# ---- reference ----

def test_regions_envelope_and_kelurahan_filter(pengamat: Api) -> None:
    """GET /regions → {items,total,limit,offset}; Binjai has 37 kelurahan; level filter applies."""
    r = pengamat.get("/regions", params={"level": "kelurahan", "limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["total"] == 37
    assert len(body["items"]) == 37
    assert all(i["level"] == "kelurahan" for i in body["items"])
    codes = {i["code"] for i in body["items"]}
    assert {KELURAHAN, KELURAHAN_2} <= codes
    assert all(i["parent_code"] and i["code"].startswith(i["parent_code"] + ".") for i in body["items"])

    page = pengamat.get("/regions", params={"level": "kelurahan", "limit": 10, "offset": 30}).json()
    assert page["total"] == 37 and page["limit"] == 10 and page["offset"] == 30 and len(page["items"]) == 7

    everything = pengamat.get("/regions", params={"limit": 500}).json()
    assert everything["total"] == 1 + 1 + 5 + 37
    assert {i["level"] for i in everything["items"]} == {"provinsi", "kabupaten_kota", "kecamatan", "kelurahan"}


def test_regions_bad_level_and_limit_are_422(admin: Api) -> None:
    assert names_field(admin.get("/regions", params={"level": "desa"}), "level")
    assert names_field(admin.get("/regions", params={"limit": 501}), "limit")


def test_items_union_of_profiles_plus_cash(relawan: Api) -> None:
    """GET /items: every profile item plus uang_tunai (rupiah), with the units of the standards."""
    r = relawan.get("/items", params={"limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    units = {i["code"]: i["unit"] for i in body["items"]}
    expected, _ = profile_codes_from_data()
    assert set(expected) <= set(units)
    for code, unit in expected.items():
        assert units[code] == unit, code
    assert units["uang_tunai"] == "rupiah"


def test_items_admin_creates_others_403(admin: Api, posko: Api) -> None:
    """POST /items (admin) → 201 and listed; again → 409; posko → 403; bad code → 422."""
    code = f"terpal_{uuid.uuid4().hex[:8]}"
    assert posko.post("/items", json={"code": code, "name": "Terpal", "unit": "lembar"}).status_code == 403
    r = admin.post("/items", json={"code": code, "name": "Terpal", "unit": "lembar"})
    assert r.status_code == 201, r.text
    assert r.json() == {"code": code, "name": "Terpal", "unit": "lembar"}
    assert admin.post("/items", json={"code": code, "name": "Terpal", "unit": "lembar"}).status_code == 409
    listed = admin.get("/items", params={"limit": 500}).json()
    assert code in {i["code"] for i in listed["items"]} or listed["total"] > 500
    assert names_field(admin.post("/items", json={"code": "Bad Code", "name": "x", "unit": "x"}), "code")


def test_standards_list_the_shipped_profiles(pengamat: Api) -> None:
    """GET /standards: spm_binjai (default, first), bnpb_perka_7_2008 and sphere_2018 with their rules."""
    r = pengamat.get("/standards", params={"limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    by_code = {p["code"]: p for p in body["items"]}
    assert {"spm_binjai", "bnpb_perka_7_2008", "sphere_2018"} <= set(by_code)
    assert body["items"][0]["code"] == "spm_binjai"
    assert by_code["spm_binjai"]["is_default"] is True
    assert by_code["sphere_2018"]["is_default"] is False
    _, data = profile_codes_from_data()
    for shipped in data["profiles"]:
        got = by_code[shipped["code"]]
        assert got["version"] >= 1
        assert {i["code"] for i in got["items"]} >= {i["code"] for i in shipped["items"]} or got["version"] > 1
        assert got["meal_times_local"] and got["shelter_standards"]


def test_standards_new_version_pins_existing_events(admin: Api, posko: Api) -> None:
    """POST /standards stores version 1, then 2; an event opened under v1 keeps it, a new event gets v2."""
    code = f"uji_{uuid.uuid4().hex[:10]}"
    first = admin.post("/standards", json=profile_payload(admin, code, name="Profil uji v1"))
    assert first.status_code == 201, first.text
    assert first.json()["code"] == code and first.json()["version"] == 1
    assert first.json()["is_default"] is False

    old = create_event(posko, standard_code=code).json()
    assert (old["standard_code"], old["standard_version"]) == (code, 1)

    second = admin.post("/standards", json=profile_payload(admin, code, name="Profil uji v2",
                                                           meal_times_local=["06:30", "12:00", "18:30"]))
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    assert second.json()["meal_times_local"] == ["06:30", "12:00", "18:30"]

    assert admin.get(f"/events/{old['id']}").json()["standard_version"] == 1
    new = create_event(posko, standard_code=code).json()
    assert (new["standard_code"], new["standard_version"]) == (code, 2)

    versions = admin.get(f"/standards/{code}").json()
    assert [(v["version"], v["name"]) for v in versions] == [(1, "Profil uji v1"), (2, "Profil uji v2")]
    listed = {p["code"]: p for p in admin.get("/standards", params={"limit": 500}).json()["items"]}
    assert listed[code]["version"] == 2


def test_standards_post_forbidden_for_non_admin(admin: Api, posko: Api, relawan: Api, pengamat: Api) -> None:
    """posko, relawan, pengamat → 403 and no profile is stored."""
    code = f"uji_{uuid.uuid4().hex[:10]}"
    body = profile_payload(admin, code)
    for api in (posko, relawan, pengamat):
        assert api.post("/standards", json=body).status_code == 403, api.role
    assert admin.get(f"/standards/{code}").status_code == 404


def test_standards_invalid_profiles_are_422(admin: Api) -> None:
    """A meal time 25:00, or a per_vulnerable_once item without applies_to → 422 naming the field."""
    code = f"uji_{uuid.uuid4().hex[:10]}"
    bad_time = profile_payload(admin, code, meal_times_local=["07:00", "25:00"])
    assert names_field(admin.post("/standards", json=bad_time), "meal_times_local")

    body = profile_payload(admin, code)
    vulnerable = [i for i in body["items"] if i["basis"] == "per_vulnerable_once"]
    assert vulnerable, "spm_binjai ships per_vulnerable_once items"
    vulnerable[0].pop("applies_to", None)
    assert names_field(admin.post("/standards", json=body), "items")
    assert admin.get(f"/standards/{code}").status_code == 404


def test_event_with_unknown_standard_is_422(admin: Api) -> None:
    r = admin.post("/events", json=event_body(standard_code="tidak_ada_profil"))
    assert names_field(r, "standard_code")
