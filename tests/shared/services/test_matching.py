"""shared/services/matching.py and shared/repositories/matching.py on SQLite and PostgreSQL (rolled back):
keys queued with the person and written by the drain, rebuilt by the backfill, forgotten on anonymisation;
candidate rows; who may search."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.db import UnitOfWork
from shared.domain.access import Actor
from shared.errors import Forbidden, Invalid
from shared.models import EventMember, PersonMatchKey, User
from shared.repositories import matching as repo
from shared.repositories import users as user_repo
from shared.schemas.events import EventCreate
from shared.schemas.people import HouseholdCreate, PersonCreate, ShelterCreate
from shared.services import events as event_service
from shared.services import match_keys
from shared.services import matching as service
from shared.services.field_records import Command, FieldWriter
from shared.services.privacy import anonymise_person
from tests.conftest import KELURAHAN


def _actor(uow: UnitOfWork, role: str) -> Actor:
    user = user_repo.add_user(uow.session, User(username=f"{role}-{uuid.uuid4().hex[:10]}", role=role,
                                                password_hash="x"))
    return Actor(id=user.id, username=user.username, role=role)


def _world(uow: UnitOfWork, admin: Actor) -> tuple[str, str, str]:
    started = datetime.now(UTC) - timedelta(days=2)
    event, _ = event_service.create_event(uow, admin, EventCreate.model_validate(
        {"id": str(uuid.uuid4()), "name": "Banjir uji", "kind": "banjir", "started_at": started,
         "kelurahan_codes": [KELURAHAN]}))
    shelter = ShelterCreate.model_validate({"id": str(uuid.uuid4()), "name": "Masjid Raya", "kelurahan_code": KELURAHAN,
                                            "kind": "rumah_ibadah", "capacity_persons": 50, "opened_at": started})
    household = HouseholdCreate.model_validate({"id": str(uuid.uuid4()), "head_name": "Ahmad Lubis",
                                                "kelurahan_code": KELURAHAN})
    out = FieldWriter(uow, admin).apply([Command("shelter", event.id, shelter), Command("household", event.id, household)])
    assert all(o.error is None for o in out), out
    return event.id, shelter.id, household.id  # type: ignore[return-value]


def _person(uow: UnitOfWork, admin: Actor, event_id: str, name: str, **over: object) -> str:
    body = PersonCreate.model_validate({"id": str(uuid.uuid4()), "full_name": name, "sex": "P",
                                        "birth_date": "1990-05-05",
                                        "registered_at": datetime.now(UTC) - timedelta(days=1), **over})
    [outcome] = FieldWriter(uow, admin).apply([Command("person", event_id, body)])
    assert outcome.error is None, outcome.error
    return outcome.stored_id


def _keys(uow: UnitOfWork, person_id: str) -> set[int]:
    return set(uow.session.execute(select(PersonMatchKey.match_key).where(  # type: ignore[call-overload]
        PersonMatchKey.person_id == person_id)).scalars())


def _backlog(uow: UnitOfWork) -> list[str]:
    return [entry[1] for entry in repo.backlog_page(uow.session, 10_000)]


def test_keys_are_queued_with_the_person_drained_once_and_rebuilt_the_same(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_id, _, _ = _world(uow, admin)
    match_keys.drain_backlog(uow.session, 10_000)  # what other tests of this database left
    pid = _person(uow, admin, event_id, "Rina br Sitepu", nik="1275014505900001")
    expected = {r[0] for r in match_keys.key_rows(pid, event_id, "Rina br Sitepu", date(1990, 5, 5),
                                                           "1275014505900001")}
    assert len(expected) == 2  # the name, the date (typed = the NIK's)
    assert _keys(uow, pid) == set() and _backlog(uow) == [pid]  # the registration only queued it
    assert repo.candidate_ids(uow.session, expected, {event_id}) == [pid]  # found from the backlog
    assert match_keys.drain_backlog(uow.session) == 1
    assert _keys(uow, pid) == expected and _backlog(uow) == []
    assert repo.candidate_ids(uow.session, expected, {event_id}) == [pid]  # now from the index, once
    repo.queue_keys(uow.session, [(pid, event_id)])  # drained twice (a pass killed after writing keys)
    assert match_keys.drain_backlog(uow.session) == 1 and _keys(uow, pid) == expected
    match_keys.forget_person_keys(uow.session, [pid])
    assert _keys(uow, pid) == set()
    assert match_keys.rebuild_keys(uow.session.connection()) >= 1
    assert _keys(uow, pid) == expected


def test_anonymised_persons_lose_their_keys_and_are_no_candidates(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_id, _, _ = _world(uow, admin)
    pid = _person(uow, admin, event_id, "Siti Khadijah")
    queued = _person(uow, admin, event_id, "Siti Khadijah Nasution")
    match_keys.drain_backlog(uow.session, 10_000)
    assert _keys(uow, pid)
    queued_later = _person(uow, admin, event_id, "Khadijah Nasution")
    anonymise_person(uow, admin, pid)
    anonymise_person(uow, admin, queued_later)  # still in the backlog
    assert _keys(uow, pid) == set()
    assert repo.candidate_rows(uow.session, [pid]) == []
    assert queued_later not in repo.candidate_ids(uow.session, match_keys.key_hashes_of("Khadijah Nasution",
                                                                                          date(1990, 5, 5), None), None)
    match_keys.drain_backlog(uow.session, 10_000)
    assert _keys(uow, queued_later) == set() and _keys(uow, queued)  # an anonymised person gets no keys
    match_keys.rebuild_keys(uow.session.connection())
    assert _keys(uow, pid) == set()  # the backfill skips them too


def test_candidate_rows_carry_household_kelurahan_and_the_open_shelter(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_id, shelter_id, household_id = _world(uow, admin)
    pid = _person(uow, admin, event_id, "Fatimah", household_id=household_id, shelter_id=shelter_id)
    [row] = repo.candidate_rows(uow.session, [pid])
    assert (row["household_id"], row["kelurahan_code"], row["birth_date"]) == (household_id, KELURAHAN,
                                                                              date(1990, 5, 5))
    assert repo.open_shelters(uow.session, [pid], datetime.now(UTC)) == {pid: (shelter_id, "Masjid Raya", KELURAHAN)}
    assert repo.open_shelters(uow.session, [pid], datetime.now(UTC) - timedelta(days=3)) == {}  # before check-in


def test_candidate_ids_are_limited_to_the_given_events(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_a, _, _ = _world(uow, admin)
    event_b, _, _ = _world(uow, admin)
    in_a = _person(uow, admin, event_a, "Halimah Daulay")
    in_b = _person(uow, admin, event_b, "Halimah Daulay")
    keys = match_keys.key_hashes_of("Halimah Daulay", date(1990, 5, 5), None)
    for _ in ("in the backlog", "in the index"):
        assert set(repo.candidate_ids(uow.session, keys, None)) >= {in_a, in_b}
        assert repo.candidate_ids(uow.session, keys, {event_b}) == [in_b]
        assert repo.candidate_ids(uow.session, keys, iter([event_b])) == [in_b]
        assert repo.candidate_ids(uow.session, keys, set()) == []
        match_keys.drain_backlog(uow.session, 10_000)


def test_find_matches_refuses_pengamat_and_an_empty_search(uow: UnitOfWork) -> None:
    with pytest.raises(Forbidden):
        service.find_matches(uow, _actor(uow, "pengamat"), service.MatchQuery(name="Siti"))
    with pytest.raises(Invalid) as err:
        service.find_matches(uow, _actor(uow, "posko"), service.MatchQuery(birth_date=date(1990, 1, 1)))
    assert err.value.loc == ("query", "nik")


def test_find_matches_relawan_only_member_events(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_a, _, _ = _world(uow, admin)
    event_b, _, _ = _world(uow, admin)
    name = "Khairul Anwar Pohan"
    in_a = _person(uow, admin, event_a, name, sex="L")
    in_b = _person(uow, admin, event_b, name, sex="L")
    relawan = _actor(uow, "relawan")
    user_repo.add_member(uow.session, EventMember(event_id=event_a, user_id=relawan.id))
    query = service.MatchQuery(name="Chairul Anwar Pohan", birth_date=date(1990, 5, 5))
    assert {m.person_id for m in service.find_matches(uow, relawan, query)} == {in_a}
    assert {m.person_id for m in service.find_matches(uow, admin, query)} >= {in_a, in_b}


def test_a_person_without_household_is_placed_by_their_shelter(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_id, shelter_id, _ = _world(uow, admin)
    pid = _person(uow, admin, event_id, "Sondang Sihombing", shelter_id=shelter_id)
    query = service.MatchQuery(name="Sondang Sihombing", birth_date=date(1990, 5, 5), kelurahan_code=KELURAHAN,
                               event_id=event_id)
    [found] = service.find_matches(uow, admin, query)
    assert (found.person_id, found.shelter_id, found.shelter_name, found.kelurahan_code) == (
        pid, shelter_id, "Masjid Raya", KELURAHAN)
    assert "kelurahan" in found.reasons  # scored with the shelter's kelurahan
