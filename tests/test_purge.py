"""Retention (`posko purge`, issue 9 items 11 and 13) and the migration of replay copies to fingerprints.

Each test gets a database of its own (a fresh SQLite file, a fresh PostgreSQL database): a purge "as of"
a year from now touches every event and every replay record in the database it runs on.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlmodel import col, func, select

from services.api.main import create_app
from services.cli import cmd_purge
from shared.config import Settings
from shared.db import Database, make_database, read_unit
from shared.migrate import alembic_config, upgrade
from shared.models import AuditLog, ClientOperation, Distribution, Event, Household, Outbox, Person, Service
from shared.schemas.events import EventCreate
from shared.schemas.people import HouseholdCreate
from shared.services.field_records import TIME_DEFAULTS
from shared.services.idempotency import content, fingerprint, same_content
from tests.conftest import (
    WIB,
    Api,
    add_member,
    build_scene,
    create_user_row,
    household_body,
    login,
    make_settings,
    new_id,
    now_wib,
    own_database,
    person_body,
)


@dataclass
class Fresh:
    settings: Settings
    database: Database
    client: TestClient

    def api(self, role: str) -> Api:
        user_id, username = create_user_row(self.database, role)
        return Api(client=self.client, token=login(self.client, username), user_id=user_id, username=username,
                   role=role)


def _fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from own_database(backend, tmp_path, "purge")


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_url(request.param, tmp_path)


@pytest.fixture
def fresh(fresh_url: str) -> Iterator[Fresh]:
    settings = make_settings(fresh_url)
    upgrade(settings)
    database = make_database(settings)
    with TestClient(create_app(settings)) as client:
        yield Fresh(settings, database, client)
    database.dispose()


def ok(r: Any, code: int = 201) -> dict[str, Any]:
    assert r.status_code == code, r.text
    return r.json()


def purge(settings: Settings, now: datetime, capsys: pytest.CaptureFixture[str]) -> str:
    assert cmd_purge(settings, argparse.Namespace(now=now.isoformat())) == 0
    return capsys.readouterr().out


def state(database: Database) -> dict[str, Any]:
    """Everything a purge may change, to compare one run with the next."""
    with read_unit(database) as s:
        return {
            "persons": sorted((p.id, p.full_name, p.nik, p.birth_date, p.age_years, p.version,
                               p.anonymised_at) for p in s.exec(select(Person)).all()),
            "households": sorted((h.id, h.head_name, h.kk_number, h.address) for h in s.exec(select(Household)).all()),
            "notes": sorted((d.id, d.notes or "") for d in s.exec(select(Distribution)).all())
            + sorted((v.id, v.notes or "") for v in s.exec(select(Service)).all()),
            "events": sorted((e.id, e.data_seq) for e in s.exec(select(Event)).all()),
            "operations": sorted((o.kind, o.id, json.dumps(o.payload)) for o in s.exec(select(ClientOperation)).all()),
            "audit": s.exec(select(func.count()).select_from(AuditLog)).one(),
            "outbox": s.exec(select(func.count()).select_from(Outbox)).one(),
        }


def _populate(admin: Api) -> tuple[Any, list[dict[str, Any]]]:
    scene = build_scene(admin)
    at = (now_wib() - timedelta(hours=3)).isoformat()
    persons = [
        scene.person(full_name="Marlina Sitepu", nik="1275045203880007", birth_date="1988-03-12",
                     household_id=scene.household["id"],
                     shelter_id=scene.shelter["id"]),
        scene.person(full_name="Bayu Ginting", sex="L", birth_date=(now_wib() - timedelta(days=900)).date().isoformat(),
                     household_id=scene.household["id"], shelter_id=scene.shelter["id"]),
        scene.person(full_name="Tiurma Nainggolan", birth_date="1950-02-03", condition="luka"),
    ]
    ok(admin.post(f"/events/{scene.eid}/distributions", json={
        "id": new_id(), "item_code": "makanan_siap_saji", "quantity": 6, "shelter_id": scene.shelter["id"],
        "person_id": persons[0]["id"], "delivered_at": at, "notes": "Marlina: diabetes"}))
    ok(admin.post(f"/events/{scene.eid}/distributions", json={
        "id": new_id(), "item_code": "paket_sandang", "quantity": 1, "household_id": scene.household["id"],
        "delivered_at": at, "notes": "rumah Jl. Gatot Subroto 12 hanyut"}))
    ok(admin.post(f"/events/{scene.eid}/services", json={
        "id": new_id(), "person_id": persons[2]["id"], "kind": "psikososial", "delivered_at": at,
        "notes": "Tiurma kehilangan suami"}))
    return scene, persons


def _counts(api: Api, eid: str, as_of: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status snapshot's counts and the event report (as of the event's end, or `as_of`)."""
    status = ok(api.get(f"/events/{eid}/status"), 200)
    report = ok(api.get(f"/events/{eid}/report", params={"format": "json", **({"as_of": as_of} if as_of else {})}),
                200)
    return ({k: status[k] for k in ("people", "indicator", "needs", "shelters")},
            {k: v for k, v in report.items() if k not in ("generated_at", "event", "data_seq", "as_of", "as_of_local")})


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (for assertion messages)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_purge_anonymises_events_past_retention_keeps_counts_and_is_idempotent(
        fresh: Fresh, capsys: pytest.CaptureFixture[str]) -> None:
    admin, pengamat = fresh.api("admin"), fresh.api("pengamat")
    ended, ended_persons = _populate(admin)
    running, running_persons = _populate(admin)
    empty = ok(admin.post(f"/events/{ended.eid}/households", json=household_body(  # a family with no member
        head_name="Sabar Tambunan", kk_number="1275040101090099", address="Jl. Kenanga 9")))
    ok(admin.patch(f"/events/{ended.eid}", json={"status": "selesai"}), 200)
    before = _counts(pengamat, ended.eid)
    as_of = (now_wib() - timedelta(seconds=30)).isoformat()
    running_before = _counts(pengamat, running.eid, as_of)
    now = datetime.now(UTC)

    # Within retention and within the replay window: nothing happens.
    untouched = state(fresh.database)
    out = purge(fresh.settings, now + timedelta(days=20), capsys)
    assert "0 orang dianonimkan, 0 salinan replay dihapus" in out, out
    assert state(fresh.database) == untouched

    # A year and a day after the end: the ended event's persons are anonymised, every replay copy is
    # older than POSKO_REPLAY_DAYS (30) and goes; the running event keeps its names.
    out = purge(fresh.settings, now + timedelta(days=366), capsys)
    assert f"kejadian {ended.eid}: 3 orang dianonimkan" in out and "salinan replay dihapus" in out, out
    with read_unit(fresh.database) as s:
        for p in ended_persons:
            row = s.get(Person, p["id"])
            assert row is not None and (row.full_name, row.nik, row.birth_date) == ("Anonim", None, None), row
            assert row.anonymised_at is not None
        for p in running_persons:
            row = s.get(Person, p["id"])
            assert row is not None and row.full_name == p["full_name"] and row.anonymised_at is None
        for household_id in (ended.household["id"], empty["id"]):
            hh = s.get(Household, household_id)
            assert hh is not None and (hh.head_name, hh.kk_number, hh.address) == ("Anonim", None, None)
        notes = s.exec(select(Distribution.notes).where(Distribution.event_id == ended.eid)).all()
        notes += s.exec(select(Service.notes).where(Service.event_id == ended.eid)).all()
        assert len(notes) == 3 and set(notes) == {None}
        kept = s.exec(select(Service.notes).where(Service.event_id == running.eid)).all()
        assert kept == ["Tiurma kehilangan suami"]
        assert s.exec(select(func.count()).select_from(ClientOperation)).one() == 0
        system_rows = s.exec(select(AuditLog).where(col(AuditLog.actor_id).is_(None))).all()
        assert {(r.action, r.object_id, r.row_count) for r in system_rows} >= {
            ("person.anonymise", ended.eid, 3), ("event.retention_purge", ended.eid, None)}
    assert _diff(_counts(pengamat, ended.eid), before) == []
    assert _diff(_counts(pengamat, running.eid, as_of), running_before) == []
    answer = ok(admin.get(f"/persons/{ended_persons[1]['id']}"), 200)
    assert answer["age"] == 2 and "balita" in answer["vulnerabilities"]

    # Running it again changes nothing and records nothing.
    after = state(fresh.database)
    out = purge(fresh.settings, now + timedelta(days=366), capsys)
    assert "0 orang dianonimkan, 0 salinan replay dihapus" in out, out
    assert state(fresh.database) == after


def test_replays_after_the_replay_window_and_after_anonymisation(fresh: Fresh,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A replay record older than POSKO_REPLAY_DAYS is gone (a second create with that id is refused, not
    stored twice); the replay record of an anonymised person no longer matches the original content."""
    admin = fresh.api("admin")
    scene = build_scene(admin)
    body = person_body(full_name="Lestari Br Tarigan")
    ok(admin.post(f"/events/{scene.eid}/persons", json=body))
    ok(admin.post(f"/events/{scene.eid}/persons", json=body), 200)
    ok(admin.post(f"/persons/{body['id']}/anonymise"), 200)
    replay = admin.post(f"/events/{scene.eid}/persons", json=body)
    assert replay.status_code == 409, replay.text
    with read_unit(fresh.database) as s:
        assert s.exec(select(func.count()).select_from(Person).where(Person.id == body["id"])).one() == 1


def test_migration_turns_stored_replay_copies_into_fingerprints(fresh_url: str) -> None:
    """Rows written before fingerprints (plain content with names and NIKs) are converted, and a replay of
    the same content still answers 200 while other content is 409."""
    settings = make_settings(fresh_url)
    cfg = alembic_config(settings)
    command.upgrade(cfg, "20261129_0004")
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"))  # type: ignore[arg-type]
    event_id, household_id = str(uuid.uuid4()), str(uuid.uuid4())
    started = datetime.now(UTC) - timedelta(days=1)
    event_body = {"id": event_id, "name": "Banjir Lama", "kind": "banjir", "started_at": started.isoformat(),
                  "kelurahan_codes": ["12.75.04.1004"]}
    household_body = {"id": household_id, "head_name": "Rahmat Hasibuan", "kk_number": "1275040101090077",
                      "address": "Jl. Lama 1"}
    # What the code before fingerprints stored: the normalised content itself.
    plain_event = content(EventCreate.model_validate(event_body), ())
    plain_household = content(HouseholdCreate.model_validate(household_body), TIME_DEFAULTS)
    assert "Rahmat Hasibuan" in json.dumps(plain_household)
    ops = sa.table("client_operations", sa.column("kind"), sa.column("id"), sa.column("event_id"),
                   sa.column("payload", sa.JSON), sa.column("object_type"), sa.column("object_id"),
                   sa.column("created_at", sa.DateTime))
    with engine.begin() as conn:
        conn.execute(ops.insert(), [
            {"kind": "event", "id": event_id, "event_id": event_id, "payload": plain_event, "object_type": "event",
             "object_id": event_id, "created_at": datetime.now(UTC).replace(tzinfo=None)},
            {"kind": "household", "id": household_id, "event_id": event_id, "payload": plain_household,
             "object_type": "household", "object_id": household_id,
             "created_at": datetime.now(UTC).replace(tzinfo=None)}])
    engine.dispose()
    upgrade(settings)
    database = make_database(settings)
    try:
        with read_unit(database) as s:
            payloads = {o.kind: o.payload for o in s.exec(select(ClientOperation)).all()}
        assert set(payloads) == {"event", "household"}
        for payload in payloads.values():
            assert set(payload) == {"fp", "h", "t"}, payload
        text = json.dumps(payloads)
        assert "Rahmat" not in text and "1275040101090077" not in text and "Banjir Lama" not in text
        assert same_content(payloads["event"], fingerprint(EventCreate.model_validate(
            {**event_body, "started_at": started.astimezone(WIB).isoformat()}), ()), ())
        replay = HouseholdCreate.model_validate(household_body)
        assert same_content(payloads["household"], fingerprint(replay, TIME_DEFAULTS), TIME_DEFAULTS)
        other = HouseholdCreate.model_validate({**household_body, "address": "Jl. Baru 2"})
        assert not same_content(payloads["household"], fingerprint(other, TIME_DEFAULTS), TIME_DEFAULTS)
    finally:
        database.dispose()


def test_anonymised_persons_stay_listed(fresh: Fresh) -> None:
    """Anonymised persons stay listed (counts!) for those who may see the event."""
    admin = fresh.api("admin")
    member = fresh.api("relawan")
    scene = build_scene(admin)
    add_member(admin, scene.eid, member.user_id)  # type: ignore[arg-type]
    person = scene.person(full_name="Dewi Purba")
    ok(admin.post(f"/persons/{person['id']}/anonymise"), 200)
    listed = ok(member.get(f"/events/{scene.eid}/persons"), 200)
    assert [(p["id"], p["full_name"]) for p in listed["items"]] == [(person["id"], "Anonim")]
