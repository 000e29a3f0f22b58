"""Queries for accounts and event membership."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from shared.models import Event, EventMember, User


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def add_user(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, *, role: str | None, limit: int, offset: int) -> tuple[list[User], int]:
    q = select(User)
    if role:
        q = q.where(User.role == role)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(User.created_at), col(User.id)).limit(limit).offset(offset)).all()
    return list(rows), total


def count_admins(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(User.role == "admin")).one()


def count_active_admins(session: Session) -> int:
    q = select(func.count()).select_from(User).where(User.role == "admin", col(User.is_active).is_(True))
    return session.exec(q).one()


def is_member(session: Session, event_id: str, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return session.get(EventMember, (event_id, user_id)) is not None


def member_event_ids(session: Session, user_id: int | None, event_ids: Iterable[str]) -> set[str]:
    ids = list(set(event_ids))
    if user_id is None or not ids:
        return set()
    q = select(EventMember.event_id).where(EventMember.user_id == user_id, col(EventMember.event_id).in_(ids))
    return set(session.exec(q).all())


def add_member(session: Session, member: EventMember) -> None:
    session.add(member)
    session.flush()


def remove_member(session: Session, event_id: str, user_id: int) -> bool:
    row = session.get(EventMember, (event_id, user_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_members(session: Session, event_id: str, *, limit: int, offset: int) -> tuple[list[tuple[EventMember, User]], int]:
    base = select(EventMember, User).join(User, col(User.id) == EventMember.user_id).where(
        EventMember.event_id == event_id)
    total = session.exec(select(func.count()).select_from(EventMember).where(EventMember.event_id == event_id)).one()
    rows = session.exec(base.order_by(col(EventMember.created_at), col(EventMember.user_id)).limit(limit).offset(offset)).all()
    return [(m, u) for m, u in rows], total


def list_user_events(session: Session, user_id: int, *, limit: int,
                     offset: int) -> tuple[list[tuple[EventMember, Event]], int]:
    """The events `user_id` is a member of, in the order they were assigned."""
    base = select(EventMember, Event).join(Event, col(Event.id) == EventMember.event_id).where(
        EventMember.user_id == user_id)
    total = session.exec(select(func.count()).select_from(EventMember).where(EventMember.user_id == user_id)).one()
    rows = session.exec(base.order_by(col(EventMember.created_at), col(EventMember.event_id))
                        .limit(limit).offset(offset)).all()
    return [(m, e) for m, e in rows], total
