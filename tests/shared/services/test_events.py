"""shared/services/events.py: opening events, visibility, versions and status transitions as use cases
(docs/api.md, "Resources in brief" and "Versions"), on SQLite and PostgreSQL; nothing is committed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.db import UnitOfWork
from shared.domain.access import Actor
from shared.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from shared.models import Event, EventMember, User
from shared.repositories import users as user_repo
from shared.schemas.events import EventCreate, EventUpdate
from shared.services import events as service
from tests.conftest import KELURAHAN


def _actor(uow: UnitOfWork, role: str) -> Actor:
    user = user_repo.add_user(uow.session, User(username=f"{role}-{uuid.uuid4().hex[:10]}", role=role,
                                                password_hash="x"))
    return Actor(id=user.id, username=user.username, role=role)


def _open(uow: UnitOfWork, actor: Actor, **over: object) -> str:
    body = {"id": str(uuid.uuid4()), "name": "Banjir uji", "kind": "banjir",
            "started_at": datetime.now(UTC) - timedelta(days=1), "kelurahan_codes": [KELURAHAN], **over}
    event, created = service.create_event(uow, actor, EventCreate.model_validate(body))
    assert created
    return event.id


def _update(uow: UnitOfWork, actor: Actor, event_id: str, data: EventUpdate, if_match: str | None) -> Event:
    """What PATCH /events/{id} does: WritableEvent locks and checks the event, then the service runs."""
    return service.update_event(uow, actor, service.writable_event(uow, actor, event_id), data, if_match)


def test_create_event_derives_category_and_pins_the_default_standard(uow: UnitOfWork) -> None:
    posko = _actor(uow, "posko")
    event_id = _open(uow, posko, kind="tanah_longsor")
    event = service.visible_event(uow.session, posko, event_id)
    assert (event.category, event.status, event.version, event.standard_code) == \
           ("alam", "tanggap_darurat", 1, "spm_binjai")


def test_create_event_replay_and_reuse_of_an_id(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    body = {"id": str(uuid.uuid4()), "name": "Banjir uji", "kind": "banjir",
            "started_at": datetime(2026, 11, 1, tzinfo=UTC), "kelurahan_codes": [KELURAHAN]}
    first, created = service.create_event(uow, admin, EventCreate.model_validate(body))
    uow.session.flush()  # what the commit between two requests does: the replay record is read back from the database
    again, created_again = service.create_event(uow, admin, EventCreate.model_validate(body))
    assert created and not created_again and again.id == first.id
    with pytest.raises(Conflict):
        service.create_event(uow, admin, EventCreate.model_validate({**body, "name": "Lain"}))


@pytest.mark.parametrize("role", ["relawan", "pengamat"])
def test_only_admin_and_posko_open_events(uow: UnitOfWork, role: str) -> None:
    with pytest.raises(Forbidden):
        _open(uow, _actor(uow, role))


def test_unknown_kelurahan_and_standard_are_invalid(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    with pytest.raises(Invalid):
        _open(uow, admin, kelurahan_codes=["12.75.09.9999"])
    with pytest.raises(Invalid):
        _open(uow, admin, standard_code="tidak_ada")


def test_relawan_sees_and_writes_member_events_only(uow: UnitOfWork) -> None:
    admin, relawan, pengamat = _actor(uow, "admin"), _actor(uow, "relawan"), _actor(uow, "pengamat")
    event_id = _open(uow, admin)
    with pytest.raises(NotFound):
        service.visible_event(uow.session, relawan, event_id)
    assert service.visible_event(uow.session, pengamat, event_id).id == event_id
    with pytest.raises(Forbidden):
        service.writable_event(uow, pengamat, event_id)
    assert relawan.id is not None
    user_repo.add_member(uow.session, EventMember(event_id=event_id, user_id=relawan.id))
    assert service.writable_event(uow, relawan, event_id).id == event_id
    with pytest.raises(NotFound):
        service.visible_event(uow.session, admin, str(uuid.uuid4()))


@pytest.mark.parametrize(("if_match", "error"), [(None, None), ("", None), ("*", None), ("2", None), ('"2"', None),
                                                 ('W/"2"', None), ("1", StaleVersion), ("dua", Invalid)])
def test_check_version(if_match: str | None, error: type[Exception] | None) -> None:
    if error is None:
        service.check_version(2, if_match)
    else:
        with pytest.raises(error):
            service.check_version(2, if_match)


def test_status_moves_forward_to_selesai_which_sets_ended_at_and_freezes(uow: UnitOfWork) -> None:
    posko = _actor(uow, "posko")
    event_id = _open(uow, posko, status="siaga_darurat")
    for target, version in (("tanggap_darurat", 2), ("transisi_darurat", 3)):
        event = _update(uow, posko, event_id, EventUpdate(status=target), str(version - 1))
        assert (event.status, event.version, event.ended_at) == (target, version, None)
    with pytest.raises(Conflict):  # no way back
        _update(uow, posko, event_id, EventUpdate(status="tanggap_darurat"), None)
    event = _update(uow, posko, event_id, EventUpdate(status="selesai"), None)
    assert event.status == "selesai" and event.ended_at is not None
    with pytest.raises(Conflict):  # nothing changes a selesai event
        _update(uow, posko, event_id, EventUpdate(name="Lain"), None)


def test_stale_if_match_is_refused_before_any_change(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_id = _open(uow, admin)
    with pytest.raises(StaleVersion):
        _update(uow, admin, event_id, EventUpdate(name="Baru"), "7")
    event = service.visible_event(uow.session, admin, event_id)
    assert (event.name, event.version) == ("Banjir uji", 1)


def test_ended_at_before_the_start_is_invalid(uow: UnitOfWork) -> None:
    admin = _actor(uow, "admin")
    event_id = _open(uow, admin, started_at=datetime(2026, 11, 10, tzinfo=UTC))
    with pytest.raises(Invalid):
        _update(uow, admin, event_id,
                             EventUpdate(status="selesai", ended_at=datetime(2026, 11, 9, tzinfo=UTC)), None)


def test_standard_is_admin_only(uow: UnitOfWork) -> None:
    posko = _actor(uow, "posko")
    event_id = _open(uow, posko)
    with pytest.raises(Forbidden):
        _update(uow, posko, event_id, EventUpdate(standard_code="sphere_2018"), None)
    event = _update(uow, _actor(uow, "admin"), event_id, EventUpdate(standard_code="sphere_2018"), None)
    assert event.standard_code == "sphere_2018"
