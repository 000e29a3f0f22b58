"""Every 422 speaks Indonesian and names the field (docs/validation.md, "Messages").

The walk: for every operation of the OpenAPI document, requests with bad input built from the
schema itself — an empty body, a body of the wrong JSON type, a body whose every property has the
wrong type, a body that is not JSON, every query parameter with a value of the wrong type or out of
its range, every integer path segment as text, an empty login form, a malformed If-Match — sent as
admin with real ids in the path (so the request reaches validation, not a 404). Every 422 answer is
checked: each entry has a `loc` naming where, a non-empty message in which no English template of
pydantic appears ("Field required", "Input should be …"), and pydantic's own error types carry the
field's name in the message. Real SQLite and PostgreSQL.
"""

from __future__ import annotations

import typing
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic_core import PydanticKnownError
from pydantic_core.core_schema import ErrorType

from shared.domain.validation_messages import TEMPLATES, field_label, message, translate
from tests.conftest import Api, add_member, build_scene, create_user_row

PYDANTIC_TYPES = typing.get_args(ErrorType)
# Phrases of pydantic's English that must never reach a client, whatever the error type.
ENGLISH = ["Field required", "Input should", "String should", "List should", "Value should", "Tuple should",
           "Set should", "Dictionary should", "Data should", "should have at", "should match pattern",
           "Value error", "Assertion failed", "Extra inputs", "Invalid JSON", "JSON decode", "Unable to",
           "Decimal input", "UUID input", "URL input", "valid integer", "valid string", "valid datetime"]


def english_templates() -> list[str]:
    """The fixed start of every pydantic error message template (before its first placeholder)."""
    out = set(ENGLISH)
    for kind in PYDANTIC_TYPES:
        try:
            template = PydanticKnownError(kind).message_template
        except Exception:  # a type that needs context values: its phrase is in ENGLISH above
            continue
        head = template.split("{")[0].rstrip(" ,:'")
        if len(head) >= 10:
            out.add(head)
    return sorted(out)


TEMPLATES_EN = english_templates()


def english_in(msg: str) -> list[str]:
    return [phrase for phrase in TEMPLATES_EN if phrase.lower() in msg.lower()]


# ---- the translator itself ----

def test_every_pydantic_error_type_has_an_indonesian_message() -> None:
    """Each of pydantic-core's error types, with typical context, gives a message without English
    that starts with the field's name; the house's own messages are kept without pydantic's prefix."""
    ctx = {"gt": 0, "ge": 1, "lt": 10, "le": 500, "multiple_of": 5, "min_length": 3, "max_length": 64,
           "pattern": "^[a-z]+$", "expected": "'L' or 'P'", "max_digits": 5, "decimal_places": 2,
           "whole_digits": 3, "tz_expected": 25200, "expected_version": 4, "expected_schemes": "'https'",
           "discriminator": "'type'", "tag": "x", "expected_tags": "'person'", "error": "x"}
    for kind in PYDANTIC_TYPES:
        if kind in ("value_error", "assertion_error"):
            continue
        msg = message({"type": kind, "loc": ("body", "full_name"), "msg": "Input should be whatever", "ctx": ctx})
        assert msg.startswith("full_name "), (kind, msg)
        assert not english_in(msg), (kind, msg)
    assert message({"type": "enum", "loc": ("query", "sex"), "msg": "", "ctx": {"expected": "'L' or 'P'"}}) == \
        "sex harus salah satu dari: 'L' atau 'P'"
    assert message({"type": "value_error", "loc": ("body", "password"),
                    "msg": "Value error, kata sandi minimal 10 karakter",
                    "ctx": {"error": ValueError("kata sandi minimal 10 karakter")}}) == "kata sandi minimal 10 karakter"
    assert message({"type": "control_character", "loc": ("body", "name"), "msg": "teks tidak boleh berisi"}) == \
        "teks tidak boleh berisi"
    assert set(TEMPLATES) <= set(PYDANTIC_TYPES)


def test_field_labels() -> None:
    assert field_label(("body", "username")) == "username"
    assert field_label(("body", "kelurahan_codes", 2)) == "kelurahan_codes[2]"
    assert field_label(("body", "items", 0, "quantity")) == "items[0].quantity"
    assert field_label(("body",)) == "isi permintaan"
    assert field_label(("query", "limit")) == "limit"
    assert field_label(("header", "if-match")) == "if-match"
    assert field_label(("body", "services", "function-after[clean(), list[dict[str,any]]]", 0)) == "services[0]"
    assert field_label(()) == "data"


def test_translate_drops_the_input() -> None:
    out = translate([{"type": "string_too_long", "loc": ("body", "nik"), "msg": "String should have at most 16",
                      "input": "3275014101900001", "ctx": {"max_length": 16}}])
    assert out == [{"loc": ["body", "nik"], "msg": "nik maksimal 16 karakter", "type": "string_too_long"}]


# ---- the walk over the API ----

def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _kinds(schema: dict[str, Any], spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (anyOf / oneOf flattened)."""
    schema = _resolve(schema, spec)
    alts = schema.get("anyOf") or schema.get("oneOf")
    if alts:
        return [k for a in alts for k in _kinds(a, spec) if k.get("type") != "null"]
    return [schema]


def _bad_values(schema: dict[str, Any], spec: dict[str, Any]) -> list[Any]:
    """Values that the schema refuses, as query text or JSON."""
    out: list[Any] = []
    for s in _kinds(schema, spec):
        kind = s.get("type")
        if kind == "integer":
            out.append("bukan-angka")
            if "maximum" in s:
                out.append(int(s["maximum"]) + 1)
            if "minimum" in s:
                out.append(int(s["minimum"]) - 1)
        elif kind == "number":
            out.append("bukan-angka")
        elif kind == "boolean":
            out.append("mungkin")
        elif "enum" in s:
            out.append("tidak-ada-pilihan-ini")
        elif kind == "string":
            if s.get("format") in ("date-time", "date"):
                out.append("kemarin sore")
            if "maxLength" in s:
                out.append("a" * (int(s["maxLength"]) + 1))
            if s.get("pattern"):
                out.append("!!")
    return out


def _wrong_typed(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A JSON value of the wrong type for the schema (objects get a wrong value in every property)."""
    kinds = _kinds(schema, spec)
    s = kinds[0] if kinds else {}
    kind = s.get("type")
    if kind == "object" or "properties" in s:
        return {name: _wrong_typed(p, spec) for name, p in s.get("properties", {}).items()}
    if kind == "array":
        return {"bukan": "daftar"}
    if kind in ("integer", "number", "boolean"):
        return "bukan-angka"
    if "enum" in s or s.get("format") in ("date-time", "date", "uuid"):
        return "tidak-sah"
    if kind == "string":
        return ["bukan", "teks"]
    return None


def _path(template: str, params: list[dict[str, Any]], ids: dict[str, Any], bad: str | None = None) -> str:
    path = template
    for p in params:
        if p["in"] != "path":
            continue
        name = p["name"]
        value = "bukan-angka" if name == bad else ids.get(name, "x")
        path = path.replace("{" + name + "}", str(value))
    return path


def _requests(spec: dict[str, Any], ids: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, httpx kwargs) of every bad request the schema suggests."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = op.get("parameters", [])
            url = _path(template, params, ids)
            for p in params:
                where = p["in"]
                schema = p.get("schema", {})
                if where == "path" and any(k.get("type") == "integer" for k in _kinds(schema, spec)):
                    out.append((method, _path(template, params, ids, bad=p["name"]), {}))
                elif where == "query":
                    for value in _bad_values(schema, spec):
                        out.append((method, url, {"params": {p["name"]: value}}))
                elif where == "header" and p["name"].lower() == "if-match":
                    out.append((method, url, {"headers": {"If-Match": "versi-lama"}, "json": {}}))
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                out.append((method, url, {"json": {}}))
                out.append((method, url, {"json": ["bukan", "objek"]}))
                out.append((method, url, {"json": _wrong_typed(schema, spec)}))
                out.append((method, url, {"content": b"{bukan json", "headers": {"Content-Type": "application/json"}}))
            elif "application/x-www-form-urlencoded" in content:
                out.append((method, url, {"data": {}}))
    return out


@pytest.fixture
def walk_ids(admin: Api, database: Any) -> dict[str, Any]:
    scene = build_scene(admin)
    person = scene.person(shelter_id=scene.shelter["id"])
    dist = admin.post(f"/events/{scene.eid}/distributions", json={
        "item_code": "beras", "quantity": 5, "shelter_id": scene.shelter["id"]})
    assert dist.status_code == 201, dist.text
    spare_id, _ = create_user_row(database, "relawan")
    add_member(admin, scene.eid, spare_id)
    return {"event_id": scene.eid, "shelter_id": scene.shelter["id"], "household_id": scene.household["id"],
            "person_id": person["id"], "distribution_id": dist.json()["id"], "user_id": spare_id,
            "code": "spm_binjai", "item_code": "beras"}


def test_every_422_of_every_operation_is_indonesian(admin: Api, client: TestClient, walk_ids: dict[str, Any]) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    requests = _requests(spec, walk_ids)
    problems: list[str] = []
    answered: Counter[str] = Counter()
    operations_with_422: set[str] = set()
    kinds: Counter[str] = Counter()
    for method, url, kwargs in requests:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {admin.token}"}
        r = client.request(method.upper(), url, headers=headers, **kwargs)
        answered[str(r.status_code)] += 1
        assert r.status_code < 500, (method, url, r.status_code, r.text)
        if r.status_code != 422:
            continue
        operations_with_422.add(f"{method} {url.split('?')[0]}")
        detail = r.json()["detail"]
        assert isinstance(detail, list) and detail, (method, url, r.text)
        for entry in detail:
            kinds[entry["type"]] += 1
            where = f"{method.upper()} {url} {kwargs}: {entry}"
            if not entry.get("loc") or not entry.get("msg"):
                problems.append(f"no loc or msg: {where}")
            if english_in(entry["msg"]):
                problems.append(f"English {english_in(entry['msg'])}: {where}")
            if entry["type"] in TEMPLATES and not entry["msg"].startswith(field_label(entry["loc"]) + " "):
                problems.append(f"field not named: {where}")
    print(f"\n{len(requests)} bad requests; statuses {dict(answered)}; {len(operations_with_422)} operations "
          f"answered 422; error types {dict(kinds)}")
    assert not problems, "\n".join(problems[:30])
    assert answered["422"] >= len(requests) // 2, answered
    for kind in ("missing", "int_parsing", "string_too_long", "json_invalid", "model_attributes_type"):
        assert kinds[kind] > 0, (kind, kinds)


def test_examples_read_as_documented(admin: Api, client: TestClient) -> None:
    """The examples of docs/validation.md, "Messages"."""
    r = admin.get("/events", params={"limit": 501})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["query", "limit"], "msg": "limit maksimal 500", "type": "less_than_equal"}]
    r = admin.post("/users", json={"role": "relawan"})
    assert r.status_code == 422
    msgs = {tuple(d["loc"]): d["msg"] for d in r.json()["detail"]}
    assert msgs[("body", "username")] == "username wajib diisi"
    assert msgs[("body", "password")] == "password wajib diisi"
    r = client.post("/api/v1/auth/token", data={})
    assert r.status_code == 422
    assert {d["msg"] for d in r.json()["detail"]} == {"username wajib diisi", "password wajib diisi"}
    r = admin.post("/users", json={"username": "Budi Besar", "password": "x", "role": "raja"})
    msgs = {tuple(d["loc"]): d["msg"] for d in r.json()["detail"]}
    assert msgs[("body", "username")].startswith("username tidak sesuai format yang diminta")
    assert msgs[("body", "role")] == "role harus salah satu dari: 'admin', 'posko', 'relawan' atau 'pengamat'"
