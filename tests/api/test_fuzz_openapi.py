"""Property-based fuzzing of the whole OpenAPI surface: no request, however malformed, gets a 5xx.

Schemathesis turns `app.openapi()` into Hypothesis strategies for every operation, both requests that
follow the schema ("positive") and requests that break it ("negative"). On top of what it generates,
each example may be mutated with the inputs that were 500s before (issue 9, item 9): real ids of a
prepared event in the path and in the body, and real item and kelurahan codes (so fuzzed bodies
reach the write path, not only 404s and 422s),
NUL and other control characters in every text, instants at the edges of the calendar in every
timestamp field, integers past 64 bits, a 5,000-digit If-Match, and a create id that is taken
without a replay record.

It runs against a real app on its own database (SQLite, and PostgreSQL), so what it writes never
disturbs other tests, authenticated as admin and as a relawan member of the prepared event, with a
bounded budget: `POSKO_FUZZ_EXAMPLES` examples per operation and generation mode (default 10 for
admin, a third of that for relawan; negative generation only where there is a body, a query or a
header to break) and at most `POSKO_FUZZ_SECONDS` seconds per backend (default 75). It prints how
many requests ran and every 5xx found (with the exception behind it), and fails if there was any.
The only 5xx allowed is a 503 from /readyz, whose job is to say "not ready".
"""

from __future__ import annotations

import os
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import text

from services.api.main import create_app
from shared.config import Settings
from shared.db import Database, make_database, write_unit
from shared.migrate import upgrade
from tests.api.test_validation_messages import english_in
from tests.conftest import (
    KELURAHAN,
    Api,
    add_member,
    build_scene,
    create_user_row,
    iso,
    login,
    make_settings,
    now_wib,
    own_database,
)

EXAMPLES = int(os.environ.get("POSKO_FUZZ_EXAMPLES", "10"))
SECONDS = float(os.environ.get("POSKO_FUZZ_SECONDS", "75"))

EDGE_INSTANTS = ["0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00",
                 "9999-12-31T23:59:59-12:00"]
TIME_FIELDS = ("registered_at", "at", "delivered_at", "started_at", "ended_at", "opened_at", "closed_at", "as_of")
CONTROL = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\t", "\n"]
HUGE = [2**63, 2**64, 10**40, -(2**64)]
BAD_INPUTS = ["control", "edge_instants", "huge_ints", "if_match", "taken_id"]


class _RecordErrors:
    """Outermost app middleware: remembers the exception behind each 500 for the report."""

    def __init__(self, app: Any, sink: list[str]) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            self.sink.append(traceback.format_exc(limit=-4))
            raise


@dataclass
class Target:
    """The fuzzed app, its identities and the real objects mutations may point at."""

    client: TestClient
    database: Database
    tokens: dict[str, str]
    ids: dict[str, list[Any]]
    taken_id: str
    errors: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)  # 422 messages with pydantic's English in them


def _database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from own_database(backend, tmp_path_factory.mktemp("fuzz"), "fuzz")


@pytest.fixture
def target(backend: str, tmp_path_factory: pytest.TempPathFactory, redis_client: Any) -> Iterator[Target]:
    """A real app on a database of its own, with an event that has a shelter, a household, persons, a
    distribution and a service, an admin and a relawan member, a spare user to patch, and a person
    whose replay record is gone (its id is "taken")."""
    urls = _database_url(backend, tmp_path_factory)
    url = next(urls)
    settings_: Settings = make_settings(url)
    upgrade(settings_)
    app = create_app(settings_)
    errors: list[str] = []
    app.add_middleware(_RecordErrors, sink=errors)
    database = make_database(settings_)
    with TestClient(app, raise_server_exceptions=False) as client:
        admin_id, admin_name = create_user_row(database, "admin")
        relawan_id, relawan_name = create_user_row(database, "relawan")
        spare_id, _ = create_user_row(database, "relawan")
        admin = Api(client=client, token=login(client, admin_name), user_id=admin_id, username=admin_name,
                          role="admin")
        scene = build_scene(admin)
        spare_event = build_scene(admin)
        add_member(admin, scene.eid, relawan_id)
        person = scene.person(shelter_id=scene.shelter["id"], registered_at=iso(now_wib() - timedelta(days=1)))
        taken = scene.person()
        with write_unit(database) as uow:
            uow.session.execute(text("DELETE FROM client_operations WHERE id = :i"), {"i": taken["id"]})
        dist = admin.post(f"/events/{scene.eid}/distributions", json={
            "item_code": "beras", "quantity": 5, "shelter_id": scene.shelter["id"]}).json()
        admin.post(f"/events/{scene.eid}/services", json={"person_id": person["id"], "kind": "psikososial"})
        ids: dict[str, list[Any]] = {
            "event_id": [scene.eid], "spare_event_id": [spare_event.eid], "person_id": [person["id"], taken["id"]],
            "shelter_id": [scene.shelter["id"]], "household_id": [scene.household["id"]],
            "distribution_id": [dist["id"]], "user_id": [spare_id], "code": ["spm_binjai"],
            "item_code": ["beras", "paket_sandang", "uang_tunai"], "kelurahan_code": [KELURAHAN],
        }
        yield Target(client=client, database=database, ids=ids, taken_id=taken["id"], errors=errors,
                     tokens={"admin": admin.token or "", "relawan": login(client, relawan_name)})
    database.dispose()
    next(urls, None)


# ---- mutations: the inputs that were 500s, put into generated requests ----


def _strings_with(value: Any, ch: str) -> Any:
    if isinstance(value, str):
        return value[: len(value) // 2] + ch + value[len(value) // 2 :] if value else ch
    if isinstance(value, dict):
        return {k: _strings_with(v, ch) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings_with(v, ch) for v in value]
    return value


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs")) or "x"
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def _mutate(kwargs: dict[str, Any], path_params: dict[str, Any], method: str, path: str, mutations: set[str],
            data: st.DataObject, t: Target) -> None:
    body = kwargs.get("json")
    params: dict[str, Any] = dict(kwargs.get("params") or {})
    headers: dict[str, str] = kwargs["headers"]
    if "real_ids" in mutations:
        for name in path_params:
            if name in t.ids:
                path_params[name] = data.draw(st.sampled_from(t.ids[name]))
        body = _scrubbed(body)  # generated text is full of control characters: leave some bodies without
        if isinstance(body, dict):
            for name in ("person_id", "shelter_id", "household_id", "event_id", "item_code", "kelurahan_code"):
                if name in body:
                    body[name] = data.draw(st.sampled_from(t.ids[name]))
            if "kelurahan_codes" in body:
                body["kelurahan_codes"] = t.ids["kelurahan_code"]
            if "id" in body:  # a generated 36-character string is hardly ever a UUID
                body["id"] = str(data.draw(st.uuids()))
            for name in TIME_FIELDS:  # a generated instant is hardly ever inside the event
                if name in body and data.draw(st.booleans()):
                    body[name] = iso(now_wib() - timedelta(minutes=data.draw(st.integers(0, 60 * 48))))
    if "control" in mutations:
        ch = data.draw(st.sampled_from(CONTROL))
        body = _strings_with(body, ch)
        params = {k: _strings_with(v, ch) for k, v in params.items()}
        for name, value in list(path_params.items()):
            if isinstance(value, str):
                path_params[name] = _strings_with(value, ch)
    if "edge_instants" in mutations:
        instant = data.draw(st.sampled_from(EDGE_INSTANTS))
        if isinstance(body, dict):
            for name in TIME_FIELDS:
                if name in body or data.draw(st.booleans()):
                    body[name] = instant
        if method == "get":
            params["as_of"] = instant
    if "huge_ints" in mutations:
        big = data.draw(st.sampled_from(HUGE))
        if method == "get":
            params["offset"] = big
        if isinstance(body, dict):
            for name, value in body.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    body[name] = big
        for name, value in list(path_params.items()):
            if isinstance(value, int):
                path_params[name] = big
    if "if_match" in mutations:
        headers["If-Match"] = data.draw(st.sampled_from(["9" * 5000, "9" * 40, '"' + "1" * 19 + '"', "W/\"\x00\""]))
    if "taken_id" in mutations and isinstance(body, dict) and method == "post":
        body["id"] = t.taken_id
    if body is not None and "json" in kwargs:
        kwargs["json"] = body
    kwargs["params"] = params


def _forbidden_target(method: str, path: str, path_params: dict[str, Any], t: Target) -> None:
    """Writes that would cut the fuzzing short go to spare objects: a user patch, a password reset or a
    member removal only ever names the spare user (never the admin doing the fuzzing), an event patch
    only the spare event."""
    if "user_id" in path_params and method in ("patch", "delete", "post"):
        path_params["user_id"] = t.ids["user_id"][0]
    if method == "patch" and path == "/api/v1/events/{event_id}":
        path_params["event_id"] = t.ids["spare_event_id"][0]


def _send(t: Target, role: str, op: Any, case: Any, mutations: set[str], data: st.DataObject) -> tuple[int, str]:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs["headers"] = {k: v for k, v in kwargs.get("headers", {}).items() if not k.lower().startswith("x-schemathesis")}
    kwargs["headers"]["Authorization"] = f"Bearer {t.tokens[role]}"
    path_params = dict(case.path_parameters or {})
    _mutate(kwargs, path_params, op.method, op.path, mutations, data, t)
    _forbidden_target(op.method, op.path, path_params, t)
    url = "http://testserver" + op.path.format(**{k: _quote(v) for k, v in path_params.items()})
    content = kwargs.pop("data", None)
    request: dict[str, Any] = {"headers": kwargs["headers"], "params": kwargs.get("params") or None}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif isinstance(content, dict):
        request["data"] = content
    elif content is not None:
        request["content"] = content
    try:
        r = t.client.request(op.method.upper(), url, **request)
    except (UnicodeError, ValueError, TypeError) as exc:  # refused by the HTTP client before sending
        return 0, f"{type(exc).__name__}"
    if r.status_code == 422:  # every validation message is Indonesian (docs/validation.md, "Messages")
        detail = r.json().get("detail")
        for entry in detail if isinstance(detail, list) else []:
            if english_in(str(entry.get("msg", ""))):
                t.english.append(f"{op.method.upper()} {url}: {entry}")
    return r.status_code, url


def _quote(value: Any) -> str:
    """Schemathesis hands path parameters already percent-encoded; a mutation may have added raw text."""
    return quote(unquote(str(value)), safe="")


@dataclass
class Tally:
    requests: int = 0
    not_sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


def _fuzz_operation(t: Target, role: str, op: Any, mode: GenerationMode, examples: int, deadline: float,
                    tally: Tally) -> None:
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode), real_ids=st.booleans(),
           bad=st.sets(st.sampled_from(BAD_INPUTS), max_size=2), data=st.data())
    def run(case: Any, real_ids: bool, bad: set[str], data: st.DataObject) -> None:
        mutations = bad | {"real_ids"} if real_ids else bad
        if time.monotonic() > deadline:
            return
        before = len(t.errors)
        status, where = _send(t, role, op, case, mutations, data)
        if status == 0:
            tally.not_sent += 1
            return
        tally.requests += 1
        tally.statuses[status] += 1
        if status >= 500 and not (status == 503 and op.path == "/readyz"):
            cause = t.errors[before] if len(t.errors) > before else "(no exception recorded)"
            tally.server_errors.append(f"{status} {op.method.upper()} {where} [{role}, {mode.value}, "
                                       f"{sorted(mutations)}]\n{cause}")

    try:
        run()
    except Unsatisfiable:  # no negative example exists (an operation without parameters or body)
        pass


def test_no_request_to_any_operation_gets_a_5xx(target: Target, backend: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    schema = schemathesis.openapi.from_dict(target.client.app.openapi())  # type: ignore[attr-defined]
    operations = [result.ok() for result in schema.get_all_operations()]
    started = time.monotonic()
    deadline = started + SECONDS
    tally = Tally()
    plan: list[tuple[str, GenerationMode, int]] = [
        ("admin", GenerationMode.POSITIVE, EXAMPLES), ("admin", GenerationMode.NEGATIVE, EXAMPLES),
        ("relawan", GenerationMode.POSITIVE, max(1, EXAMPLES // 3)),
        ("relawan", GenerationMode.NEGATIVE, max(1, EXAMPLES // 3))]
    covered: set[str] = set()
    for role, mode, examples in plan:
        for op in operations:
            if time.monotonic() > deadline:
                break
            if mode == GenerationMode.NEGATIVE and not (len(op.query) or len(op.body) or len(op.headers)):
                continue  # only string path ids: anything is a valid string, negative generation just spins
            t0 = time.monotonic()
            _fuzz_operation(target, role, op, mode, examples, deadline, tally)
            if os.environ.get("POSKO_FUZZ_PROFILE"):
                with capsys.disabled():
                    print(f"{role} {mode.value} {op.method} {op.path} {time.monotonic() - t0:.2f}s")
            covered.add(f"{op.method} {op.path}")
    elapsed = time.monotonic() - started
    summary = (f"fuzz[{backend}]: {tally.requests} requests ({tally.not_sent} refused by the client) over "
               f"{len(covered)}/{len(operations)} operations in {elapsed:.0f}s (budget {SECONDS:.0f}s, "
               f"{EXAMPLES} examples per operation and mode); statuses {dict(sorted(tally.statuses.items()))}; "
               f"5xx found: {len(tally.server_errors)}")
    with capsys.disabled():
        print("\n" + summary)
        for error in tally.server_errors[:20]:
            print(error)
    assert len(covered) == len(operations), f"the budget ran out before every operation was fuzzed: {summary}"
    assert tally.requests >= len(operations) * 2, summary
    assert not tally.server_errors, summary + "\n" + "\n".join(tally.server_errors[:10])
    assert not target.english, "English validation messages:\n" + "\n".join(target.english[:10])


def test_the_mutations_reach_the_write_path(target: Target) -> None:
    """A guard on the fuzzer itself: with real ids, a generated person body is stored (201), so the
    bodies above do reach the checks behind the schema, not only 404s and 422s."""
    schema = schemathesis.openapi.from_dict(target.client.app.openapi())  # type: ignore[attr-defined]
    op = next(r.ok() for r in schema.get_all_operations()
              if r.ok().method == "post" and r.ok().path == "/api/v1/events/{event_id}/persons")
    statuses: Counter[int] = Counter()

    @settings(max_examples=25, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=GenerationMode.POSITIVE), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        status, _ = _send(target, "admin", op, case, {"real_ids"}, data)
        statuses[status] += 1

    run()
    assert statuses[201] > 0, statuses
    assert not any(s >= 500 for s in statuses), statuses

