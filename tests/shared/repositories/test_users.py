"""shared/repositories/users.py: accounts and event membership, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.db import UnitOfWork
from shared.models import Event, EventMember, User
from shared.repositories import users as repo


def _user(uow: UnitOfWork, role: str = "relawan", *, created_at: datetime | None = None) -> User:
    user = User(username=f"{role}-{uuid.uuid4().hex[:10]}", full_name="Uji", role=role, password_hash="x")
    if created_at is not None:
        user.created_at = created_at
    return repo.add_user(uow.session, user)


def _event(uow: UnitOfWork) -> str:
    event = Event(id=str(uuid.uuid4()), name="Banjir uji", kind="banjir", category="alam", status="tanggap_darurat",
                  started_at=datetime.now(UTC) - timedelta(days=1), kelurahan_codes=["12.75.04.1004"],
                  standard_code="spm_binjai", standard_version=1, data_seq=0, version=1)
    uow.session.add(event)
    uow.session.flush()
    return event.id


def test_added_user_is_found_by_id_and_username(uow: UnitOfWork) -> None:
    user = _user(uow, "posko")
    assert user.id is not None
    assert repo.get_user(uow.session, user.id) is user
    found = repo.get_by_username(uow.session, user.username)
    assert found is not None and found.id == user.id
    assert repo.get_by_username(uow.session, "tidak-ada-" + uuid.uuid4().hex) is None


def test_count_admins_counts_admins_only(uow: UnitOfWork) -> None:
    before = repo.count_admins(uow.session)
    _user(uow, "posko")
    _user(uow, "relawan")
    assert repo.count_admins(uow.session) == before
    _user(uow, "admin")
    assert repo.count_admins(uow.session) == before + 1


def test_list_users_filters_by_role_and_pages_in_creation_order(uow: UnitOfWork) -> None:
    role = "pengamat"
    start = datetime(2000, 1, 1, tzinfo=UTC)  # older than every other account: they come first
    made = [_user(uow, role, created_at=start + timedelta(seconds=i)) for i in range(3)]
    rows, total = repo.list_users(uow.session, role=role, limit=2, offset=0)
    assert total >= 3 and [u.id for u in rows] == [made[0].id, made[1].id]
    rows, _ = repo.list_users(uow.session, role=role, limit=2, offset=2)
    assert rows[0].id == made[2].id
    assert all(u.role == role for u in repo.list_users(uow.session, role=role, limit=500, offset=0)[0])
    everyone, all_total = repo.list_users(uow.session, role=None, limit=1, offset=0)
    assert all_total >= total and len(everyone) == 1


def test_membership_add_list_check_remove(uow: UnitOfWork) -> None:
    event_id, other_event = _event(uow), _event(uow)
    first, second = _user(uow), _user(uow)
    assert first.id is not None and second.id is not None
    assert not repo.is_member(uow.session, event_id, first.id)
    assert not repo.is_member(uow.session, event_id, None)  # the system actor is nobody's member
    repo.add_member(uow.session, EventMember(event_id=event_id, user_id=first.id))
    repo.add_member(uow.session, EventMember(event_id=event_id, user_id=second.id))
    repo.add_member(uow.session, EventMember(event_id=other_event, user_id=first.id))
    assert repo.is_member(uow.session, event_id, first.id)
    assert repo.member_event_ids(uow.session, second.id, [event_id, other_event, event_id]) == {event_id}
    assert repo.member_event_ids(uow.session, first.id, [event_id, other_event]) == {event_id, other_event}
    assert repo.member_event_ids(uow.session, None, [event_id]) == set()
    assert repo.member_event_ids(uow.session, first.id, []) == set()
    rows, total = repo.list_members(uow.session, event_id, limit=50, offset=0)
    assert total == 2 and {u.id for _, u in rows} == {first.id, second.id}
    assert all(m.event_id == event_id and m.user_id == u.id for m, u in rows)
    assert repo.remove_member(uow.session, event_id, first.id) is True
    assert repo.remove_member(uow.session, event_id, first.id) is False
    assert not repo.is_member(uow.session, event_id, first.id)
    assert repo.list_members(uow.session, event_id, limit=50, offset=0)[1] == 1
