"""Queries of the office registers: the TAGANA roster, its trainings, the deployments derived from event
membership and field records, and preparedness activities (shared/models/registers.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from shared.domain.registers import ActivityFact, TrainingFact
from shared.models import (
    Event,
    EventMember,
    Person,
    PreparednessActivity,
    Region,
    Stay,
    TaganaTraining,
    TaganaVolunteer,
    User,
)


def get_volunteer(session: Session, volunteer_id: str) -> TaganaVolunteer | None:
    return session.get(TaganaVolunteer, volunteer_id)


def volunteer_of_user(session: Session, user_id: int) -> TaganaVolunteer | None:
    return session.execute(select(TaganaVolunteer).where(col(TaganaVolunteer.user_id) == user_id)).scalars().first()


def list_volunteers(session: Session, *, active: bool | None, level: str | None, q: str | None,
                    limit: int, offset: int) -> tuple[list[TaganaVolunteer], int]:
    """The roster in creation order (then id), filtered by active flag, level and a name fragment."""
    query = select(TaganaVolunteer)
    if active is not None:
        query = query.where(col(TaganaVolunteer.active).is_(active))
    if level:
        query = query.where(col(TaganaVolunteer.level) == level)
    if q:
        query = query.where(func.lower(col(TaganaVolunteer.full_name)).contains(q.lower()))
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.order_by(col(TaganaVolunteer.created_at), col(TaganaVolunteer.id))
                           .limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def trainings_of(session: Session, volunteer_ids: Iterable[str]) -> dict[str, list[TaganaTraining]]:
    """Trainings per volunteer, oldest completion first."""
    ids = sorted(set(volunteer_ids))
    found: dict[str, list[TaganaTraining]] = {i: [] for i in ids}
    if not ids:
        return found
    for t in session.execute(select(TaganaTraining).where(col(TaganaTraining.volunteer_id).in_(ids))
                             .order_by(col(TaganaTraining.ended_on), col(TaganaTraining.id))).scalars():
        found[t.volunteer_id].append(t)
    return found


def get_training(session: Session, training_id: str) -> TaganaTraining | None:
    return session.get(TaganaTraining, training_id)


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """user id → (username, full name)."""
    ids = sorted({u for u in user_ids if u is not None})
    if not ids:
        return {}
    return {uid: (name, full) for uid, name, full in session.execute(
        select(col(User.id), col(User.username), col(User.full_name)).where(col(User.id).in_(ids))).all()}


def deployments(session: Session, user_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Per account, the events it served in: assigned as a member, or where it recorded registrations
    (persons) or check-ins (stays). Newest event first; one entry per (account, event)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows: dict[tuple[int, str], dict[str, Any]] = {}

    def entry(uid: int, event_id: str) -> dict[str, Any]:
        return rows.setdefault((uid, event_id), {"event_id": event_id, "assigned_at": None, "registrations": 0,
                                                 "check_ins": 0, "first_at": None, "last_at": None})

    for uid, event_id, at in session.execute(select(col(EventMember.user_id), col(EventMember.event_id),
                                                    col(EventMember.created_at))
                                             .where(col(EventMember.user_id).in_(ids))).all():
        entry(uid, event_id)["assigned_at"] = at
    for model, when, key in ((Person, Person.registered_at, "registrations"), (Stay, Stay.check_in, "check_ins")):
        for uid, event_id, n, first, last in session.execute(
                select(col(model.created_by), col(model.event_id), func.count(), func.min(col(when)), func.max(col(when)))
                .where(col(model.created_by).in_(ids)).group_by(col(model.created_by), col(model.event_id))).all():
            e = entry(uid, event_id)
            e[key] = int(n)
            e["first_at"] = first if e["first_at"] is None or (first is not None and first < e["first_at"]) else e["first_at"]
            e["last_at"] = last if e["last_at"] is None or (last is not None and last > e["last_at"]) else e["last_at"]
    events = {ev.id: ev for ev in session.execute(
        select(Event).where(col(Event.id).in_(sorted({eid for _, eid in rows})))).scalars()} if rows else {}
    out: dict[int, list[dict[str, Any]]] = {uid: [] for uid in ids}
    for (uid, event_id), e in rows.items():
        ev = events.get(event_id)
        if ev is None:
            continue
        out[uid].append({**e, "event_name": ev.name, "event_kind": ev.kind, "event_started_at": ev.started_at})
    for items in out.values():
        items.sort(key=lambda d: (d["event_started_at"], d["event_id"]), reverse=True)
    return out


def training_facts(session: Session, start: date, end: date) -> list[TrainingFact]:
    """Trainings completed in [start, end)."""
    return [TrainingFact(v, e, lvl) for v, e, lvl in session.execute(
        select(col(TaganaTraining.volunteer_id), col(TaganaTraining.ended_on), col(TaganaTraining.level_at_training))
        .where(col(TaganaTraining.ended_on) >= start, col(TaganaTraining.ended_on) < end)).all()]


def activity_facts(session: Session, start: date, end: date) -> list[ActivityFact]:
    """Activities held in [start, end)."""
    return [ActivityFact(k, d, kel, m, f) for k, d, kel, m, f in session.execute(
        select(col(PreparednessActivity.kind), col(PreparednessActivity.held_on), col(PreparednessActivity.kelurahan_code),
               col(PreparednessActivity.participants_male), col(PreparednessActivity.participants_female))
        .where(col(PreparednessActivity.held_on) >= start, col(PreparednessActivity.held_on) < end)).all()]


def active_roster_accounts(session: Session) -> set[int]:
    """Accounts linked to an active volunteer of the roster."""
    return {u for u in session.execute(select(col(TaganaVolunteer.user_id)).where(
        col(TaganaVolunteer.active).is_(True), col(TaganaVolunteer.user_id).is_not(None))).scalars() if u is not None}


def members_of_events_started(session: Session, start: datetime, end: datetime) -> set[int]:
    """Accounts that are members of an event that started in [start, end)."""
    return set(session.execute(select(col(EventMember.user_id)).join(Event, col(Event.id) == col(EventMember.event_id))
                               .where(col(Event.started_at) >= start, col(Event.started_at) < end).distinct()).scalars())


def get_activity(session: Session, activity_id: str) -> PreparednessActivity | None:
    return session.get(PreparednessActivity, activity_id)


def list_activities(session: Session, *, year: int | None, kind: str | None, kelurahan_code: str | None,
                    limit: int, offset: int) -> tuple[list[PreparednessActivity], int]:
    """Activities, newest day first (then newest record), filtered by year of `held_on`, kind and kelurahan."""
    query = select(PreparednessActivity)
    if year is not None:
        query = query.where(col(PreparednessActivity.held_on) >= date(year, 1, 1),
                            col(PreparednessActivity.held_on) < date(year + 1, 1, 1))
    if kind:
        query = query.where(col(PreparednessActivity.kind) == kind)
    if kelurahan_code:
        query = query.where(col(PreparednessActivity.kelurahan_code) == kelurahan_code)
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.order_by(col(PreparednessActivity.held_on).desc(),
                                          col(PreparednessActivity.created_at).desc(), col(PreparednessActivity.id))
                           .limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def save(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def delete(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


def region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """code → name of the given regions."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return dict(session.execute(select(col(Region.code), col(Region.name)).where(col(Region.code).in_(wanted))).all())


def active_relawan_accounts(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` are active relawan accounts now."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    return set(session.execute(select(col(User.id)).where(col(User.id).in_(ids), col(User.role) == "relawan",
                                                          col(User.is_active).is_(True))).scalars())
